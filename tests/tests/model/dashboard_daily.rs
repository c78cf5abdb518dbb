//! The panels a trader reads by the day and at a glance, chosen by kind: every declared
//! counter's 24 h total, its change against the day before and a bar per day; an amount
//! held in a gauge, its change since a day ago; a labelled counter's pie by label value; a
//! labelled gauge's table; an SLO's dial against its objective.

use botwatch_spec::declared::{Declared, MetricKind};
use botwatch_spec::model::AttributeKind;
use botwatch_spec::parse::parse_declared;
use serde_json::Value;

use crate::dashboard::site;

const SCOPE: &str = "job=~\"$job\", instance=~\"$instance\"";

fn declared(kind: MetricKind, static_name: &str, args: &str) -> Declared {
    parse_declared(
        kind,
        args.parse().unwrap(),
        static_name,
        "bot::values",
        None,
    )
    .unwrap_or_else(|e| panic!("{args}: {e}"))
    .spec
}

fn values() -> Vec<Declared> {
    use MetricKind::{Counter, Gauge, Histogram};
    vec![
        declared(Counter, "REVENUE_USD_TOTAL", "unit = \"USD\""),
        declared(
            Counter,
            "HTTP_RESPONSES_TOTAL",
            "labels(status, desk = \"mm\")",
        ),
        declared(Gauge, "BALANCE_ETH", "unit = \"ETH\""),
        declared(Gauge, "POOL_USE", "unit = \"percent\""),
        declared(
            Gauge,
            "BOT_STATE",
            "unit = \"ETH\", states(0 = \"running\", 3 = \"halted\")",
        ),
        declared(Gauge, "BLOCK_NUMBER", ""),
        declared(
            Gauge,
            "MODEL_ACTIVE",
            "labels(model), states(0 = \"idle\", 1 = \"serving\")",
        ),
        declared(Histogram, "SCORE", "buckets = [0.5, 0.9]"),
    ]
}

fn dashboard() -> Value {
    let sites = vec![
        site(
            "bot::api",
            "serve",
            AttributeKind::Counted,
            "labels(route = route), slo(objective = 99.5%)",
        ),
        site(
            "bot::api",
            "quote",
            AttributeKind::Timed,
            "slo(objective = 99%, latency = 100ms)",
        ),
    ];
    serde_json::from_str(&botwatch_render::dashboard::json(&sites, &values())).unwrap()
}

fn panel<'a>(dashboard: &'a Value, title: &str) -> Option<&'a Value> {
    dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
}

fn expr(p: &Value) -> &str {
    p["targets"][0]["expr"].as_str().unwrap()
}

/// Catches a total per instance (not the fleet's), a `rate` (not reset-safe `increase`), a
/// growth with no value for a bot younger than two days (no `or` fallback), a wrong offset,
/// a bar per day read at another step or over the dashboard's 6 h, and a counter left out.
#[test]
fn every_counter_has_its_day_total_its_growth_and_a_bar_per_day() {
    let d = dashboard();
    let revenue = "revenue_usd_total{job=~\"$job\", instance=~\"$instance\"}";
    let total = panel(&d, "revenue_usd_total: total over 24h").expect("a 24h total");
    assert_eq!(total["type"], "stat");
    assert_eq!(total["fieldConfig"]["defaults"]["unit"], "currencyUSD");
    assert_eq!(
        expr(total),
        format!("sum by (job) (increase({revenue}[24h]))")
    );
    let growth = panel(&d, "revenue_usd_total: 24h against the day before").expect("growth");
    assert_eq!(growth["type"], "stat");
    let today = format!("sum by (job) (increase({revenue}[24h]))");
    let yesterday = format!("sum by (job) (increase({revenue}[24h] offset 1d))");
    assert_eq!(
        expr(growth),
        format!("{today} - ({yesterday} or {today} * 0)")
    );
    let bars = panel(&d, "revenue_usd_total: per day").expect("a bar per day");
    assert_eq!(bars["type"], "timeseries");
    assert_eq!(bars["interval"], "1d");
    assert_eq!(bars["timeFrom"], "7d");
    assert_eq!(
        bars["fieldConfig"]["defaults"]["custom"]["drawStyle"],
        "bars"
    );
    assert_eq!(bars["targets"][0]["range"], true);
    assert_eq!(
        expr(bars),
        format!("sum by (job) (increase({revenue}[1d]))")
    );
    // A labelled family's figures are its total over every label set, its static labels kept.
    let responses = panel(&d, "http_responses_total: total over 24h").expect("labelled total");
    assert_eq!(
        expr(responses),
        format!("sum by (job, desk) (increase(http_responses_total{{desk=\"mm\", {SCOPE}}}[24h]))")
    );
    // Gauges and histograms have no 24 h total.
    for name in ["balance_eth", "score", "pool_use"] {
        assert!(
            panel(&d, &format!("{name}: total over 24h")).is_none(),
            "{name}"
        );
        assert!(panel(&d, &format!("{name}: per day")).is_none(), "{name}");
    }
}

/// Catches a change drawn for a share, a state or a bare number (where a day's difference
/// means nothing), and one read as `x - x offset 1d` (no value for a day-old bot).
#[test]
fn an_amount_held_in_a_gauge_has_its_change_over_a_day() {
    let d = dashboard();
    let change = panel(&d, "balance_eth: change over 24h").expect("the balance's change");
    assert_eq!(change["type"], "stat");
    assert_eq!(change["fieldConfig"]["defaults"]["unit"], "suffix: ETH");
    assert_eq!(
        expr(change),
        format!("max by (instance) (delta(balance_eth{{{SCOPE}}}[24h]))")
    );
    for name in [
        "pool_use",
        "bot_state",
        "block_number",
        "model_active",
        "score",
    ] {
        assert!(
            panel(&d, &format!("{name}: change over 24h")).is_none(),
            "{name} is not an amount"
        );
    }
}

/// Catches a pie per instance or over the rate interval (not the day's shares), a pie for
/// an unlabelled counter or a gauge, and a labelled gauge without its table or with its
/// states lost.
#[test]
fn labelled_counters_get_a_pie_and_labelled_gauges_a_table() {
    let d = dashboard();
    let pie = panel(&d, "http_responses_total: by status over 24h").expect("a pie");
    assert_eq!(pie["type"], "piechart");
    assert_eq!(pie["targets"][0]["instant"], true);
    assert_eq!(pie["targets"][0]["legendFormat"], "{{status}}");
    assert_eq!(
        expr(pie),
        format!(
            "sum by (desk, status) (increase(http_responses_total{{desk=\"mm\", {SCOPE}}}[24h]))"
        )
    );
    let pies = d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "piechart")
        .count();
    assert_eq!(pies, 1, "only the labelled counter");
    let table = panel(&d, "model_active: every model").expect("a table");
    assert_eq!(table["type"], "table");
    assert_eq!(table["targets"][0]["format"], "table");
    assert_eq!(
        expr(table),
        format!("max by (model) (model_active{{{SCOPE}}})")
    );
    let states = &table["fieldConfig"]["defaults"]["mappings"][0]["options"];
    assert_eq!(states["1"]["text"], "serving");
    assert!(panel(&d, "http_responses_total: every status").is_none());
}

/// Catches a dial without the objective's line, one whose range hides it (0–100 %), one red
/// above the objective, and an error SLO read as one minus the errors' share (no value
/// while nothing ever failed).
#[test]
fn each_slo_has_a_dial_against_its_objective() {
    let d = dashboard();
    let dial = panel(&d, "serve: SLO 99.5% over 30d").expect("the error SLO's dial");
    assert_eq!(dial["type"], "gauge");
    let defaults = &dial["fieldConfig"]["defaults"];
    assert_eq!(defaults["unit"], "percentunit");
    assert_eq!(defaults["min"], 0.95);
    assert_eq!(defaults["max"], 1.0);
    let steps: Vec<(Value, Value)> = defaults["thresholds"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["value"].clone(), s["color"].clone()))
        .collect();
    assert_eq!(
        steps,
        [
            (Value::Null, Value::from("red")),
            (Value::from(0.995), Value::from("green"))
        ]
    );
    let calls = |extra: &str| {
        format!(
            "sum by (function, module, route) (rate(function_calls_total{{function=\"serve\", module=\"bot::api\"{extra}, {SCOPE}, route=~\"$route\"}}[30d]))"
        )
    };
    assert_eq!(
        expr(dial),
        format!("{} / {}", calls(", result!=\"error\""), calls(""))
    );
    assert_eq!(dial["targets"][0]["legendFormat"], "availability {{route}}");
    let latency = panel(&d, "quote: SLO 99% over 30d").expect("the latency SLO's dial");
    assert_eq!(latency["fieldConfig"]["defaults"]["min"], 0.9);
    assert!(expr(latency).starts_with("1 - ("), "{}", expr(latency));
    assert!(expr(latency).contains("le=~"), "{}", expr(latency));
}
