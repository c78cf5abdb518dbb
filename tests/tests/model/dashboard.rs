//! The generated Grafana dashboard: it validates against Grafana's published schema (the
//! models of `grafana-foundation-sdk`, installed by `.ci/run`), its panel ids are stable,
//! every range is `$__rate_interval`, thresholds come from the alerts, and rows come in the
//! documented order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use botwatch_spec::declared::{Declared, MetricKind};
use botwatch_spec::model::{AttributeKind, Site};
use botwatch_spec::parse::{parse_attribute, parse_declared};
use botwatch_tests::scratch_dir;
use serde_json::Value;

pub(crate) fn site(module: &str, function: &str, kind: AttributeKind, args: &str) -> Site {
    Site {
        function: function.to_owned().into(),
        module: module.to_owned().into(),
        attribute: parse_attribute(kind, args.parse().unwrap())
            .unwrap_or_else(|e| panic!("{args}: {e}"))
            .into_attribute(),
    }
}

/// Every kind of panel: call labels, static labels, both SLO kinds, a p95 alert, a shared
/// breaker, a per-key breaker and one without latency.
pub(crate) fn wide_bot() -> Vec<Site> {
    use AttributeKind::{CircuitBreaker, Counted, Timed};
    vec![
        site(
            "bot::relay",
            "submit",
            Counted,
            "alert(error_rate > 20%), slo(objective = 99.5%)",
        ),
        site(
            "bot::relay",
            "submit",
            Timed,
            "alert(p95 > 250ms), slo(objective = 99.9%, latency = 100ms)",
        ),
        site(
            "bot::relay",
            "submit",
            CircuitBreaker,
            "name = \"relay\", alert(open)",
        ),
        site("bot::relay", "cancel", CircuitBreaker, "name = \"relay\""),
        site(
            "bot::venues",
            "place",
            Counted,
            "labels(venue = venue.name(), side = side), max_series = 8",
        ),
        site(
            "bot::venues",
            "place",
            Timed,
            "labels(venue = venue.name()), quantiles(0.5, 0.95)",
        ),
        site(
            "bot::venues",
            "place",
            CircuitBreaker,
            "per = venue, latency = false",
        ),
        site(
            "bot::feed",
            "price",
            Counted,
            "labels(kind = \"spot\"), alert(idle > 5m)",
        ),
        site("bot::feed", "price", Counted, "labels(kind = \"perp\")"),
    ]
}

fn declared(kind: MetricKind, module: &str, static_name: &str, args: &str) -> Declared {
    parse_declared(kind, args.parse().unwrap(), static_name, module, None)
        .unwrap_or_else(|e| panic!("{args}: {e}"))
        .spec
}

/// Every condition of declared metrics: a ratio to a metric of another module, a labelled
/// family with lines either side, two `increase` windows, `rate` and `idle`, a histogram
/// alert's p95.
pub(crate) fn wide_values() -> Vec<Declared> {
    use MetricKind::{Counter, Gauge, Histogram};
    vec![
        declared(
            Gauge,
            "bot::values",
            "OPERATOR_BALANCE_ETH",
            "unit = \"ETH\", alert(value < 0.5, severity = \"critical\")",
        ),
        declared(
            Gauge,
            "bot::values",
            "BOT_STATE",
            "states(0 = \"running\", 1 = \"paused\", 3 = \"halted\"), alert(state == \"halted\", severity = \"critical\")",
        ),
        declared(
            Gauge,
            "bot::values",
            "POOL_USE",
            "unit = \"percent\", alert(value > 80), alert(value > 95, severity = \"critical\")",
        ),
        declared(
            Gauge,
            "bot::values",
            "DAILY_VOLUME_USD",
            "alert(value / limits::DAILY_LIMIT_USD > 80%)",
        ),
        declared(Gauge, "bot::values::limits", "DAILY_LIMIT_USD", ""),
        declared(
            Gauge,
            "bot::values",
            "FEED_PRICE",
            "name = \"feed_price_usd\", alert(unchanged > 5m)",
        ),
        declared(
            Gauge,
            "bot::values",
            "POSITION",
            "labels(symbol, desk = \"mev\"), alert(value > 10), alert(value < -10, severity = \"info\")",
        ),
        declared(
            Counter,
            "bot::values",
            "PROFIT_ETH_TOTAL",
            "alert(increase < 0.01, within = 6h), alert(increase > 5, within = 1h)",
        ),
        declared(
            Counter,
            "bot::values",
            "BUNDLES_INCLUDED_TOTAL",
            "alert(rate < 2/m), alert(idle > 15m)",
        ),
        declared(
            Gauge,
            "bot::values",
            "NODE_HEAD",
            "alert(value - rpc::PUBLIC_HEAD < -5, severity = \"critical\"), alert(value - rpc::PUBLIC_HEAD > 100), alert(lag > 3)",
        ),
        declared(Gauge, "bot::values::rpc", "PUBLIC_HEAD", ""),
        declared(
            Gauge,
            "bot::values",
            "INVENTORY_ETH",
            "labels(venue, desk = \"mm\"), alert(total > 100), alert(total < -100, severity = \"critical\")",
        ),
        declared(
            Histogram,
            "bot::values",
            "SIMULATION_ACCURACY",
            "buckets = [0.5, 0.8, 0.9, 0.99], alert(p50 < 0.8), alert(p95 > 0.99)",
        ),
    ]
}

fn render(sites: &[Site]) -> Value {
    render_with(sites, &wide_values())
}

fn render_with(sites: &[Site], values: &[Declared]) -> Value {
    serde_json::from_str(&botwatch_render::dashboard::json(sites, values)).expect("valid JSON")
}

fn panels(dashboard: &Value) -> &Vec<Value> {
    dashboard["panels"].as_array().unwrap()
}

fn ids_by_title(dashboard: &Value) -> BTreeMap<String, u64> {
    panels(dashboard)
        .iter()
        .map(|p| {
            (
                p["title"].as_str().unwrap().to_owned(),
                p["id"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn panel<'a>(dashboard: &'a Value, title: &str) -> &'a Value {
    panels(dashboard)
        .iter()
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("no panel {title}"))
}

fn exprs(dashboard: &Value) -> Vec<(String, String)> {
    panels(dashboard)
        .iter()
        .flat_map(|p| {
            p["targets"].as_array().into_iter().flatten().map(|t| {
                (
                    p["title"].as_str().unwrap().to_owned(),
                    t["expr"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect()
}

/// Catches ids taken from a counter or a position (they shift when a function is added),
/// ids that change between renders, and duplicate ids.
#[test]
fn panel_ids_are_stable_when_functions_come_and_go() {
    let sites = wide_bot();
    let values = wide_values();
    let first = botwatch_render::dashboard::json(&sites, &values);
    assert!(
        first == botwatch_render::dashboard::json(&sites, &values),
        "rendering is deterministic"
    );
    let mut reversed = sites.clone();
    reversed.reverse();
    let mut values_reversed = values.clone();
    values_reversed.reverse();
    assert!(
        first == botwatch_render::dashboard::json(&reversed, &values_reversed),
        "the sites' and declared metrics' order does not matter"
    );
    let before = ids_by_title(&render(&sites));
    let unique: BTreeSet<u64> = before.values().copied().collect();
    assert_eq!(unique.len(), before.len(), "ids are unique: {before:#?}");

    let mut grown = sites.clone();
    grown.insert(
        0,
        site("bot::aaa", "first", AttributeKind::Timed, "alert(p99 > 1s)"),
    );
    let after = ids_by_title(&render(&grown));
    for (title, id) in &before {
        assert_eq!(
            after.get(title),
            Some(id),
            "{title} changed id when a function was added"
        );
    }
    assert!(after.contains_key("first: latency"));

    // A declared metric coming or going moves no other panel's id either.
    let mut more_values = values.clone();
    more_values.push(declared(
        MetricKind::Gauge,
        "bot::aaa",
        "AAA_FIRST",
        "alert(value > 1)",
    ));
    let with_value = ids_by_title(&render_with(&sites, &more_values));
    let fewer_values: Vec<Declared> = values[1..].to_vec();
    let without_value = ids_by_title(&render_with(&sites, &fewer_values));
    for (title, id) in &before {
        assert_eq!(
            with_value.get(title),
            Some(id),
            "{title} changed id when a declared metric was added"
        );
        if !title.starts_with("operator_balance_eth") {
            assert_eq!(
                without_value.get(title),
                Some(id),
                "{title} changed id when a declared metric left"
            );
        }
    }
    assert!(with_value.contains_key("aaa_first"));

    let shrunk: Vec<Site> = sites
        .iter()
        .filter(|s| s.function != "submit")
        .cloned()
        .collect();
    for (title, id) in ids_by_title(&render(&shrunk)) {
        assert_eq!(
            before.get(&title),
            Some(&id),
            "{title} changed id when a function left"
        );
    }
}

/// Catches a fixed window (`[1m]`, `[5m]`) that leaves panels empty at scrape intervals
/// longer than a quarter of it: every range is `$__rate_interval`, except the error
/// budget's 30-day SLO period and the windows declared metrics' alerts name (`increase`
/// within 6h, `unchanged > 5m`), each in its panel's title.
#[test]
fn every_range_is_the_rate_interval_except_the_slo_period() {
    let dashboard = render(&wide_bot());
    let mut ranges = 0;
    for (title, expr) in exprs(&dashboard) {
        for (i, _) in expr.match_indices('[') {
            let range = &expr[i..=i + expr[i..].find(']').unwrap()];
            ranges += 1;
            let allowed = range == "[$__rate_interval]"
                || (range == "[30d]" && title.ends_with("error budget left"))
                || title.ends_with(&format!(" over {}", &range[1..range.len() - 1]))
                || (range == "[24h]" && title.ends_with(": 24h against the day before"))
                || (range == "[24h]" && title.contains(" over 24h"))
                || (range == "[1d]" && title.ends_with(": per day"));
            assert!(allowed, "panel \"{title}\" reads a {range} range: {expr}");
        }
        assert!(
            expr.contains("job=~\"$job\"") || expr.starts_with("count(ALERTS"),
            "panel \"{title}\" is not narrowed to $job: {expr}"
        );
    }
    assert!(ranges > 20);
    let titled: Vec<String> = exprs(&dashboard)
        .into_iter()
        .filter(|(title, _)| title.contains(" over ") && !title.contains(" over 24h"))
        .filter(|(title, _)| !title.ends_with(" over 30d"))
        .map(|(title, expr)| format!("{title}: {expr}"))
        .collect();
    assert_eq!(titled.len(), 4, "{titled:#?}");
}

/// Catches thresholds not taken from the alerts, lines not drawn, and the breaker's state
/// mapped to the wrong names or colours.
#[test]
fn thresholds_come_from_the_alerts_and_states_have_names() {
    let dashboard = render(&wide_bot());
    let steps = |title: &str| -> Vec<(Value, String)> {
        let defaults = &panel(&dashboard, title)["fieldConfig"]["defaults"];
        defaults["thresholds"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["value"].clone(), s["color"].as_str().unwrap().to_owned()))
            .collect()
    };
    assert_eq!(
        steps("submit: error ratio"),
        vec![(Value::Null, "green".into()), (0.2.into(), "red".into())]
    );
    let style = |title: &str| {
        panel(&dashboard, title)["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"]
            .clone()
    };
    assert_eq!(style("submit: error ratio"), "dashed");
    assert_eq!(style("place: error ratio"), "off", "no alert, no line");
    assert_eq!(steps("submit: latency")[1].0, 0.25);
    let latency = panel(&dashboard, "submit: latency");
    let legends: Vec<&str> = latency["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["legendFormat"].as_str().unwrap())
        .collect();
    assert_eq!(
        legends,
        ["p50", "p90", "p95", "p99"],
        "the alert's p95 joins the quantiles"
    );
    assert!(latency["targets"][2]["expr"]
        .as_str()
        .unwrap()
        .starts_with("histogram_quantile(0.95, "));

    let state = panel(&dashboard, "relay: state");
    assert_eq!(state["type"], "state-timeline");
    let mapping = &state["fieldConfig"]["defaults"]["mappings"][0]["options"];
    for (value, text, color) in [
        ("0", "closed", "green"),
        ("1", "open", "red"),
        ("2", "half-open", "yellow"),
    ] {
        assert_eq!(mapping[value]["text"], text);
        assert_eq!(mapping[value]["color"], color);
    }
    let keyed = panel(&dashboard, "bot::venues::place: state");
    assert!(keyed["targets"][0]["expr"]
        .as_str()
        .unwrap()
        .starts_with("max by (instance, key) "));
    assert!(
        !panels(&dashboard)
            .iter()
            .any(|p| p["title"] == "bot::venues::place: latency of calls let through"),
        "latency = false: no latency panel"
    );
}

/// The first target's expression of the panel titled `title`.
fn expr<'a>(dashboard: &'a Value, title: &str) -> &'a str {
    panel(dashboard, title)["targets"][0]["expr"]
        .as_str()
        .unwrap()
}

/// `(value, colour)` of each threshold line of the panel titled `title`, and whether they
/// are drawn.
fn lines(dashboard: &Value, title: &str) -> (Vec<(f64, String)>, bool) {
    let defaults = &panel(dashboard, title)["fieldConfig"]["defaults"];
    let steps = defaults["thresholds"]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["value"], Value::Null, "{title}: a base step");
    let lines = steps[1..]
        .iter()
        .map(|s| {
            (
                s["value"].as_f64().unwrap(),
                s["color"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (
        lines,
        defaults["custom"]["thresholdsStyle"]["mode"] == "dashed",
    )
}

/// Catches a values panel reading another metric than its alert (a wrong name, a missing
/// static label), a dropped or mis-coloured threshold line, a ratio that does not match
/// each replica to its own denominator, a labelled family drawn as one line, and a
/// quantile an alert uses left out.
#[test]
fn values_panels_chart_what_the_alerts_read_with_their_lines() {
    let dashboard = render(&wide_bot());
    let scope = "job=~\"$job\", instance=~\"$instance\"";
    assert_eq!(
        expr(&dashboard, "operator_balance_eth"),
        format!("max by (instance) (operator_balance_eth{{{scope}}})")
    );
    assert_eq!(
        lines(&dashboard, "operator_balance_eth"),
        (vec![(0.5, "red".to_owned())], true)
    );
    assert_eq!(
        lines(&dashboard, "daily_limit_usd"),
        (Vec::new(), false),
        "no alert, no line"
    );
    let position = panel(&dashboard, "position");
    assert_eq!(
        position["targets"][0]["expr"],
        format!("max by (instance, desk, symbol) (position{{desk=\"mev\", {scope}}})")
    );
    assert_eq!(
        position["targets"][0]["legendFormat"],
        "{{instance}} {{symbol}}"
    );
    assert_eq!(
        lines(&dashboard, "position").0,
        [(-10.0, "blue".to_owned()), (10.0, "orange".to_owned())]
    );
    assert_eq!(
        expr(&dashboard, "daily_volume_usd / daily_limit_usd"),
        format!(
            "max by (instance) (daily_volume_usd{{{scope}}} / on (instance, job) group_left daily_limit_usd{{{scope}}})"
        )
    );
    assert_eq!(
        panel(&dashboard, "daily_volume_usd / daily_limit_usd")["fieldConfig"]["defaults"]["unit"],
        "percentunit"
    );
    assert_eq!(
        lines(&dashboard, "daily_volume_usd / daily_limit_usd").0,
        [(0.8, "orange".to_owned())]
    );
    assert_eq!(
        expr(&dashboard, "feed_price_usd: changes over 5m"),
        format!("max by (instance) (changes(feed_price_usd{{{scope}}}[5m]))")
    );
    assert_eq!(
        expr(&dashboard, "profit_eth_total: per second"),
        format!("sum by (instance) (rate(profit_eth_total{{{scope}}}[$__rate_interval]))")
    );
    assert_eq!(
        expr(&dashboard, "profit_eth_total: increase over 6h"),
        format!("sum by (instance) (increase(profit_eth_total{{{scope}}}[6h]))")
    );
    assert_eq!(
        lines(&dashboard, "profit_eth_total: increase over 6h").0,
        [(0.01, "orange".to_owned())]
    );
    assert_eq!(
        lines(&dashboard, "profit_eth_total: increase over 1h").0,
        [(5.0, "orange".to_owned())]
    );
    let (rate_lines, drawn) = lines(&dashboard, "bundles_included_total: per second");
    assert!(drawn && rate_lines.len() == 1 && (rate_lines[0].0 - 2.0 / 60.0).abs() < 1e-12);
    assert_eq!(
        expr(&dashboard, "bundles_included_total: increase over 15m"),
        format!("sum by (instance) (increase(bundles_included_total{{{scope}}}[15m]))")
    );
    let accuracy = panel(&dashboard, "simulation_accuracy: quantiles");
    let legends: Vec<&str> = accuracy["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["legendFormat"].as_str().unwrap())
        .collect();
    assert_eq!(legends, ["p50", "p90", "p95", "p99"]);
    assert_eq!(
        accuracy["targets"][2]["expr"],
        format!(
            "histogram_quantile(0.95, sum by (le) (rate(simulation_accuracy_bucket{{{scope}}}[$__rate_interval])))"
        )
    );
    assert_eq!(
        lines(&dashboard, "simulation_accuracy: quantiles").0,
        [(0.8, "orange".to_owned()), (0.99, "orange".to_owned())]
    );
    // Every declared metric has a panel, and only values panels are in the Values row.
    let row_titles: Vec<&str> = panels(&dashboard)
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .skip_while(|t| *t != "Values")
        .skip(1)
        .take_while(|t| *t != "Circuit breakers")
        .collect();
    // 34, the 5 figures of the day, the 2 counters' bars per day and the 2 labelled
    // gauges' tables.
    assert_eq!(row_titles.len(), 43, "{row_titles:#?}");
}

/// `(value, colour)` of every threshold step after the base, and the base's colour.
fn bands(dashboard: &Value, title: &str) -> (String, Vec<(f64, String)>) {
    let steps = panel(dashboard, title)["fieldConfig"]["defaults"]["thresholds"]["steps"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(steps[0]["value"], Value::Null, "{title}: a base step");
    (
        steps[0]["color"].as_str().unwrap().to_owned(),
        steps[1..]
            .iter()
            .map(|s| {
                (
                    s["value"].as_f64().unwrap(),
                    s["color"].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
    )
}

/// `value: (text, colour)` of a panel's named values.
fn named(dashboard: &Value, title: &str) -> BTreeMap<String, (String, String)> {
    let mappings = panel(dashboard, title)["fieldConfig"]["defaults"]["mappings"]
        .as_array()
        .unwrap();
    mappings
        .iter()
        .flat_map(|m| m["options"].as_object().unwrap().iter())
        .map(|(value, o)| {
            (
                value.clone(),
                (
                    o["text"].as_str().unwrap().to_owned(),
                    o["color"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

/// Catches a gauge's value-now panel coloured green where its alert pages (a `<` line's
/// band upside down), a unit dropped, states shown as numbers or in the wrong colour, a
/// share not drawn as a dial between 0 and 100, and the stats placed among the histories
/// instead of on a line of their own above them.
#[test]
fn gauges_read_at_a_glance_with_units_bands_and_states() {
    let dashboard = render(&wide_bot());
    let balance = panel(&dashboard, "operator_balance_eth: now");
    assert_eq!(balance["type"], "stat");
    assert_eq!(balance["targets"][0]["instant"], true);
    assert_eq!(balance["fieldConfig"]["defaults"]["unit"], "suffix: ETH");
    assert_eq!(
        panel(&dashboard, "operator_balance_eth")["fieldConfig"]["defaults"]["unit"],
        "suffix: ETH",
        "the history has the unit too"
    );
    assert_eq!(
        bands(&dashboard, "operator_balance_eth: now"),
        ("red".to_owned(), vec![(0.5, "green".to_owned())])
    );
    assert_eq!(
        bands(&dashboard, "position: now"),
        (
            "blue".to_owned(),
            vec![(-10.0, "green".to_owned()), (10.0, "orange".to_owned())]
        )
    );
    assert_eq!(
        bands(&dashboard, "daily_limit_usd: now"),
        ("green".to_owned(), vec![])
    );
    let states: BTreeMap<String, (String, String)> = [
        ("0", "running", "green"),
        ("1", "paused", "green"),
        ("3", "halted", "red"),
    ]
    .iter()
    .map(|(v, t, c)| (v.to_string(), (t.to_string(), c.to_string())))
    .collect();
    assert_eq!(named(&dashboard, "bot_state: now"), states);
    assert_eq!(named(&dashboard, "bot_state"), states, "and its history");
    let pool = panel(&dashboard, "pool_use: now");
    assert_eq!(pool["type"], "gauge");
    assert_eq!(pool["fieldConfig"]["defaults"]["unit"], "percent");
    assert_eq!(pool["fieldConfig"]["defaults"]["min"], 0.0);
    assert_eq!(pool["fieldConfig"]["defaults"]["max"], 100.0);
    assert_eq!(
        bands(&dashboard, "pool_use: now"),
        (
            "green".to_owned(),
            vec![(80.0, "orange".to_owned()), (95.0, "red".to_owned())]
        )
    );
    // Counters and histograms have no value-now panel; every gauge has one, all of them
    // on the line after the row header, above every history.
    let values_row: Vec<&Value> = panels(&dashboard)
        .iter()
        .skip_while(|p| p["title"] != "Values")
        .skip(1)
        .take_while(|p| p["title"] != "Circuit breakers")
        .collect();
    let glance: Vec<&str> = values_row
        .iter()
        .take_while(|p| p["title"].as_str().unwrap().ends_with(": now"))
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(glance.len(), 10, "{glance:#?}");
    assert!(!glance.contains(&"profit_eth_total: now"));
    // Then the figures of the day, stats too, still above the histories.
    let of_the_day = values_row[glance.len()..]
        .iter()
        .take_while(|p| p["type"] == "stat")
        .count();
    assert_eq!(
        of_the_day, 5,
        "two per counter (2), one per amount (the balance)"
    );
    let top = values_row[0]["gridPos"]["y"].as_u64().unwrap();
    let first_history = values_row[glance.len() + of_the_day]["gridPos"]["y"]
        .as_u64()
        .unwrap();
    assert!(first_history > top, "histories start below the stats");
}

/// Catches `quantiles(...)` ignored (the default lines drawn) or an alert's quantile
/// dropped when they are chosen, and heatmaps that read the quantile instead of the
/// buckets, keep instances apart, or are not heatmaps of Prometheus' `le` buckets.
#[test]
fn chosen_quantiles_and_heatmaps_of_every_histogram() {
    let dashboard = render(&wide_bot());
    let legends = |title: &str| -> Vec<String> {
        panel(&dashboard, title)["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["legendFormat"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        legends("place: latency"),
        ["p50 {{venue}}", "p95 {{venue}}"]
    );
    assert_eq!(legends("submit: latency"), ["p50", "p90", "p95", "p99"]);
    let scope = "job=~\"$job\", instance=~\"$instance\"";
    for (title, expr, unit) in [
        (
            "submit: latency heatmap",
            format!("sum by (le) (rate(function_calls_duration_seconds_bucket{{function=\"submit\", module=\"bot::relay\", {scope}}}[$__rate_interval]))"),
            "s",
        ),
        (
            "simulation_accuracy: heatmap",
            format!("sum by (le) (rate(simulation_accuracy_bucket{{{scope}}}[$__rate_interval]))"),
            "short",
        ),
    ] {
        let heatmap = panel(&dashboard, title);
        assert_eq!(heatmap["type"], "heatmap", "{title}");
        assert_eq!(heatmap["targets"][0]["expr"], expr, "{title}");
        assert_eq!(heatmap["targets"][0]["format"], "heatmap", "{title}");
        assert_eq!(heatmap["targets"][0]["legendFormat"], "{{le}}", "{title}");
        assert_eq!(heatmap["options"]["calculate"], false, "{title}");
        assert_eq!(heatmap["options"]["yAxis"]["unit"], unit, "{title}");
    }
    // One heatmap per #[timed] site, none for #[counted] ones.
    let heatmaps = panels(&dashboard)
        .iter()
        .filter(|p| p["type"] == "heatmap")
        .count();
    assert_eq!(heatmaps, 3, "submit, place and simulation_accuracy");
}

/// Catches a top-N that keeps instances apart (one bar per replica, not per label set),
/// counts calls where it should count errors, is not narrowed by the label variables, or
/// is drawn for a function without per-call labels; and a family's bars summing a gauge
/// over replicas.
#[test]
fn label_sets_are_ranked_in_bar_gauges() {
    let dashboard = render(&wide_bot());
    let scope = "job=~\"$job\", instance=~\"$instance\"";
    let place = |extra: &str| {
        format!("function_calls_total{{function=\"place\", module=\"bot::venues\"{extra}, {scope}, venue=~\"$venue\", side=~\"$side\"}}")
    };
    let all = format!(
        "sum by (venue, side) (rate({}[$__rate_interval]))",
        place("")
    );
    let errors = format!(
        "sum by (venue, side) (rate({}[$__rate_interval]))",
        place(", result=\"error\"")
    );
    let calls = panel(&dashboard, "place: top venue, side by calls/s");
    assert_eq!(calls["type"], "bargauge");
    assert_eq!(calls["targets"][0]["instant"], true);
    assert_eq!(calls["targets"][0]["expr"], format!("topk(10, {all})"));
    assert_eq!(calls["targets"][0]["legendFormat"], "{{venue}} {{side}}");
    assert_eq!(calls["fieldConfig"]["defaults"]["unit"], "reqps");
    assert_eq!(
        expr(&dashboard, "place: top venue, side by error ratio"),
        format!("topk(10, {errors} / {all})")
    );
    assert_eq!(
        expr(&dashboard, "position: by symbol"),
        format!("topk(10, max by (desk, symbol) (position{{desk=\"mev\", {scope}}}))")
    );
    let bar_gauges: Vec<&str> = panels(&dashboard)
        .iter()
        .filter(|p| p["type"] == "bargauge")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        bar_gauges,
        [
            "place: top venue, side by calls/s",
            "place: top venue, side by error ratio",
            "inventory_eth: by venue",
            "position: by symbol"
        ],
        "no bars for submit, whose calls have no labels"
    );
}

/// Catches a mark reading another job's restarts, a breaker trip counted on any
/// transition, a guard marked while it stays engaged, a build marked at every scrape, a
/// breaker mark on a bot without breakers, and the alerts or build table missing or
/// reading a range instead of the series now.
#[test]
fn marks_and_tables_read_the_bots_own_series() {
    let dashboard = render(&wide_bot());
    let marks: Vec<(String, String)> = dashboard["annotations"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["expr"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let job = "job=~\"$job\"";
    let expected: Vec<(String, String)> = [
        (
            "Restarts",
            format!("changes(process_start_time_seconds{{{job}}}[$__interval]) > 0"),
        ),
        (
            "Breaker trips",
            format!("increase(circuit_breaker_transitions_total{{to=\"open\", {job}}}[$__interval]) > 0"),
        ),
        (
            "Guard engagements",
            format!("changes(botwatch_guard_engaged{{{job}}}[$__interval]) > 0 and botwatch_guard_engaged{{{job}}} == 1"),
        ),
        (
            "New builds",
            format!("botwatch_build_info{{{job}}} unless botwatch_build_info{{{job}}} offset 1m"),
        ),
    ]
    .into_iter()
    .map(|(n, e)| (n.to_owned(), e))
    .collect();
    assert_eq!(marks, expected);
    let without_breakers = render_with(&[], &wide_values());
    let names: Vec<&str> = without_breakers["annotations"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"Breaker trips"), "{names:?}");

    let alerts = panel(&dashboard, "Alerts firing and pending");
    assert_eq!(alerts["type"], "table");
    assert_eq!(alerts["targets"][0]["format"], "table");
    assert_eq!(alerts["targets"][0]["instant"], true);
    let expr = alerts["targets"][0]["expr"].as_str().unwrap();
    assert!(expr.starts_with("ALERTS{alertname=~\""), "{expr}");
    assert!(expr.ends_with(" or ALERTS{job=~\"$job\"}"), "{expr}");
    for name in ["SubmitErrorRateHigh", "BotStateHalted", "NodeHeadLagging"] {
        assert!(expr.contains(name), "{name} missing from {expr}");
    }
    assert_eq!(alerts["gridPos"]["w"], 24, "a row of its own");
    let build = panel(&dashboard, "Build");
    assert_eq!(build["type"], "table");
    assert_eq!(
        build["targets"][0]["expr"],
        "max by (instance, version, commit) (botwatch_build_info{job=~\"$job\", instance=~\"$instance\"})"
    );
}

/// Catches a gap not matched to its own replica's reference, a lag read as the value
/// itself or against the best replica of every job together, a total that keeps the
/// family's keys (one line per venue, not the sum), and their lines dropped or swapped.
#[test]
fn gap_lag_and_total_panels_read_what_their_alerts_read() {
    let dashboard = render(&wide_bot());
    let scope = "job=~\"$job\", instance=~\"$instance\"";
    assert_eq!(
        expr(&dashboard, "node_head - public_head"),
        format!(
            "max by (instance) (node_head{{{scope}}} - on (instance, job) group_left public_head{{{scope}}})"
        )
    );
    assert_eq!(
        lines(&dashboard, "node_head - public_head"),
        (
            vec![(-5.0, "red".to_owned()), (100.0, "orange".to_owned())],
            true
        )
    );
    assert_eq!(
        expr(&dashboard, "node_head: behind the best replica"),
        format!("max by (job) (node_head{{{scope}}}) - on (job) group_right node_head{{{scope}}}")
    );
    assert_eq!(
        lines(&dashboard, "node_head: behind the best replica").0,
        [(3.0, "orange".to_owned())]
    );
    let total = panel(&dashboard, "inventory_eth: total");
    assert_eq!(
        total["targets"][0]["expr"],
        format!("sum by (instance, desk) (inventory_eth{{desk=\"mm\", {scope}}})")
    );
    assert_eq!(total["targets"][0]["legendFormat"], "{{instance}}");
    assert_eq!(
        lines(&dashboard, "inventory_eth: total").0,
        [(-100.0, "red".to_owned()), (100.0, "orange".to_owned())]
    );
    // A metric without these alerts has none of these panels.
    let titles: Vec<&str> = panels(&dashboard)
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    for title in [
        "operator_balance_eth: behind the best replica",
        "operator_balance_eth: total",
    ] {
        assert!(!titles.contains(&title), "{title}");
    }
    assert!(!titles.contains(&"public_head: behind the best replica"));
}

/// Catches a bot of declared metrics alone anchored on `up` (every job's instances in the
/// variables) or titled without its crate.
#[test]
fn a_bot_of_declared_metrics_alone_has_its_values_and_its_variables() {
    let dashboard = render_with(&[], &wide_values());
    let rows: Vec<&str> = panels(&dashboard)
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(rows, ["Overview", "Alerts", "Values"]);
    assert_eq!(
        dashboard["templating"]["list"][1]["query"]["query"],
        "label_values(bot_state{}, job)"
    );
    assert_eq!(
        dashboard["templating"]["list"][2]["query"]["query"],
        "label_values(bot_state{job=~\"$job\"}, instance)"
    );
    assert_eq!(dashboard["title"], "botwatch: bot");
}

/// Catches rows out of the documented order, a breaker charted once per function, missing
/// SLO panels and per-call labels without a variable.
#[test]
fn rows_come_in_order_with_variables_for_the_labels() {
    let dashboard = render(&wide_bot());
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 39);
    let rows: Vec<&str> = panels(&dashboard)
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            "Overview",
            "Alerts",
            "bot::feed",
            "bot::relay",
            "bot::venues",
            "Values",
            "Circuit breakers"
        ]
    );
    let titles: Vec<&str> = panels(&dashboard)
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.iter().filter(|t| **t == "relay: state").count(), 1);
    for title in [
        "Bot up",
        "Breakers not closed",
        "Alerts firing",
        "Calls per second",
        "Error share",
        "submit: SLO 99.5% burn rate",
        "submit: SLO 99.5% error budget left",
        "submit: SLO 99.9% burn rate",
        "price {kind=\"spot\"}: calls/s by result",
        "price {kind=\"perp\"}: calls/s by result",
    ] {
        assert!(titles.contains(&title), "no panel {title}: {titles:#?}");
    }
    let variables: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        variables,
        ["datasource", "job", "instance", "venue", "side"]
    );
    // "All" jobs are the jobs scraping this bot's own series, not every job of the
    // Prometheus: another bot's calls would join the overview otherwise.
    let job = &dashboard["templating"]["list"][1];
    assert_eq!(
        job["query"]["query"],
        "label_values(function_calls_total{function=\"price\", module=\"bot::feed\"}, job)"
    );
    assert!(job.get("allValue").is_none(), "{job}");
    assert_eq!(dashboard["templating"]["list"][3]["allValue"], ".*");
    // A function with per-call labels is narrowed by their variables; one without is not.
    let place = panel(&dashboard, "place: calls/s by result")["targets"][0]["expr"]
        .as_str()
        .unwrap();
    assert!(
        place.contains(", venue=~\"$venue\", side=~\"$side\"}"),
        "{place}"
    );
    assert!(
        place.starts_with("sum by (result, venue, side) "),
        "{place}"
    );
    let submit = panel(&dashboard, "submit: calls/s by result")["targets"][0]["expr"]
        .as_str()
        .unwrap();
    assert!(!submit.contains("$venue"), "{submit}");
    let alerts = panel(&dashboard, "Alerts firing")["targets"][0]["expr"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in [
        "SubmitErrorRateHigh",
        "SubmitLatencyHigh",
        "CircuitBreakerOpen",
        "PriceIdle",
        "SubmitErrorBudgetBurn",
        "OperatorBalanceEthLow",
        "DailyVolumeUsdRatioHigh",
        "SimulationAccuracyP95High",
    ] {
        assert!(alerts.contains(name), "{name} missing from {alerts}");
    }
}

/// A python3 that has Grafana's schema models, or `None` (a failure when
/// `BOTWATCH_REQUIRE_TOOLS` is set: `.ci/run` installs them).
fn python_with_grafana_schema() -> Option<PathBuf> {
    let python =
        PathBuf::from(std::env::var_os("BOTWATCH_PYTHON").unwrap_or_else(|| "python3".into()));
    let found = Command::new(&python)
        .args(["-c", "import grafana_foundation_sdk"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let why = "python3 with grafana-foundation-sdk is not installed (pip install \"grafana-foundation-sdk==1769699379!11.6.0\")";
        assert!(
            std::env::var_os(botwatch_tests::REQUIRE_TOOLS_ENV).is_none(),
            "{why}, and {} is set",
            botwatch_tests::REQUIRE_TOOLS_ENV
        );
        eprintln!("SKIPPED: {why}");
        return None;
    }
    Some(python)
}

/// Catches a key Grafana's schema does not know (dropped on import), a value of the wrong
/// type (`"h": "8"`), and an enum value outside its enum (`"colorMode": "bg"`), in the
/// example's checked-in dashboard and in one with every kind of panel.
#[test]
#[ignore = "slow: python3 with grafana-foundation-sdk (Grafana's schema)"]
fn dashboards_validate_against_grafanas_published_schema() {
    let Some(python) = python_with_grafana_schema() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = scratch_dir("dashboard-schema");
    let wide = dir.join("wide.json");
    std::fs::write(
        &wide,
        botwatch_render::dashboard::json(&wide_bot(), &wide_values()),
    )
    .unwrap();
    let empty = dir.join("empty.json");
    std::fs::write(&empty, botwatch_render::dashboard::json(&[], &[])).unwrap();
    let example = root.join("examples/trading-bot/monitoring/dashboard.json");
    let validator = root.join("tests/grafana/validate_dashboard.py");
    let checked = |files: &[&Path]| {
        Command::new(&python)
            .arg(&validator)
            .args(files)
            .output()
            .expect("run the validator")
    };
    let output = checked(&[&example, &wide, &empty]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(report.matches(": valid (").count(), 3, "{report}");

    // The validator itself rejects what Grafana would not read.
    let good = std::fs::read_to_string(&wide).unwrap();
    for (mutation, expected) in [
        (
            good.replace("\"fieldConfig\"", "\"fieldconfig\""),
            "not in Grafana's schema",
        ),
        (
            good.replace("\"colorMode\": \"background\"", "\"colorMode\": \"bg\""),
            "'bg' is not one of",
        ),
        (
            good.replacen("\"h\": 8", "\"h\": \"8\"", 1),
            "expected an integer",
        ),
    ] {
        let bad = dir.join("bad.json");
        std::fs::write(&bad, mutation).unwrap();
        let output = checked(&[&bad]);
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            !output.status.success() && report.contains(expected),
            "{report}"
        );
    }
}
