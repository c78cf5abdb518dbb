//! Declared metrics (`#[gauge]`, `#[counter]`, `#[histogram]` on statics) through the real
//! exporter over HTTP on loopback: names, HELP, types, values, labelled families with their
//! bound, hostile label values, the process metrics; and through `snapshot()` and the rules.

use std::net::SocketAddr;

use botwatch::{Counter, Gauge, Histogram};
use botwatch_tests::{
    http_get, promtool_test_rules, run_ok, run_ok_with_input, scratch_dir, tool, write_unit_tests,
    Exposition,
};

/// Balance of the operator's wallet,
/// in ETH.
#[botwatch::gauge(alert(value < 0.5, for = 5m, severity = "critical"))]
static OPERATOR_BALANCE_ETH: Gauge = Gauge::new();

/// Volume traded today, in USD.
#[botwatch::gauge(alert(value / DAILY_LIMIT_USD > 80%, name = "VolumeLimitApproaching"))]
static DAILY_VOLUME_USD: Gauge = Gauge::new();

#[botwatch::gauge(
    name = "daily_limit_dollars",
    help = "The limit.",
    labels(desk = "mev")
)]
static DAILY_LIMIT_USD: Gauge = Gauge::new();

/// Realised profit, in ETH.
#[botwatch::counter(alert(increase < 0.01, within = 6h))]
static PROFIT_ETH_TOTAL: Counter = Counter::new();

/// Simulated profit realised on chain.
#[botwatch::histogram(buckets = [0.5, 0.9, 0.99], alert(p50 < 0.8))]
static SIMULATION_ACCURACY: Histogram = Histogram::new();

/// Open position per symbol.
#[botwatch::gauge(labels(symbol), max_series = 3)]
static POSITION: Gauge = Gauge::new();

/// Quotes per symbol, filled past its bound by one test.
#[botwatch::gauge(labels(symbol), max_series = 3)]
static QUOTE: Gauge = Gauge::new();

/// Fills per symbol, given a wrong number of values by one test.
#[botwatch::counter(labels(symbol))]
static FILLS_TOTAL: Counter = Counter::new();

/// Orders per venue and side.
#[botwatch::counter(labels(venue, side))]
static ORDERS_TOTAL: Counter = Counter::new();

/// Gas spent, in ETH: updated only by the snapshot test, which runs beside the test that
/// reads the other statics' exact values.
#[botwatch::counter]
static GAS_SPENT_ETH_TOTAL: Counter = Counter::new();

/// Balance of the hot wallet, in ETH: the snapshot test's own, as above.
#[botwatch::gauge]
static HOT_WALLET_ETH: Gauge = Gauge::new();

fn serve() -> SocketAddr {
    static EXPORTER: std::sync::OnceLock<botwatch::ExporterHandle> = std::sync::OnceLock::new();
    EXPORTER
        .get_or_init(|| {
            botwatch::Exporter::new()
                .listen("127.0.0.1:0".parse().unwrap())
                .global_label("bot", "chimera")
                .install()
                .expect("install")
        })
        .local_addr()
}

fn scrape(addr: SocketAddr) -> (String, Exposition) {
    let response = http_get(addr, "/metrics").expect("GET /metrics");
    assert_eq!(response.status, 200);
    let parsed = Exposition::parse(&response.body);
    (response.body, parsed)
}

#[test]
#[ignore = "slow: promtool"]
fn declared_metrics_are_served_with_their_names_help_types_and_values() {
    let addr = serve();
    // Before any update: unlabelled series at zero, labelled families not yet.
    let (_, before) = scrape(addr);
    assert_eq!(
        before.value("profit_eth_total", &[("bot", "chimera")]),
        Some(0.0)
    );
    assert_eq!(before.value("simulation_accuracy_count", &[]), Some(0.0));
    // A labelled family's overflow counter is there, at zero, before its first label set.
    assert_eq!(
        before.value(
            "botwatch_label_overflow_total",
            &[("metric", "orders_total")]
        ),
        Some(0.0)
    );

    OPERATOR_BALANCE_ETH.set(1.25);
    OPERATOR_BALANCE_ETH.sub(0.5);
    OPERATOR_BALANCE_ETH.add(0.125);
    DAILY_LIMIT_USD.set(100_000.0);
    PROFIT_ETH_TOTAL.add(0.25);
    PROFIT_ETH_TOTAL.add(-3.0);
    PROFIT_ETH_TOTAL.increment();
    for value in [0.4, 0.5, 0.95, 2.0] {
        SIMULATION_ACCURACY.record(value);
    }
    POSITION.labels(["BTC-USD"]).set(0.5);
    POSITION.labels([String::from("ETH-USD")]).set(-2.0);
    ORDERS_TOTAL.labels(["binance", "buy"]).increment();
    ORDERS_TOTAL.labels(["binance", "buy"]).add(2.0);
    ORDERS_TOTAL.labels(["kraken", "sell"]).increment();

    let (body, metrics) = scrape(addr);
    assert_eq!(
        metrics.value("operator_balance_eth", &[("bot", "chimera")]),
        Some(0.875)
    );
    assert_eq!(
        metrics.help["operator_balance_eth"],
        "Balance of the operator's wallet, in ETH."
    );
    assert_eq!(metrics.types["operator_balance_eth"], "gauge");
    assert_eq!(
        metrics.value("daily_limit_dollars", &[("desk", "mev")]),
        Some(100_000.0),
        "name = and static labels"
    );
    assert_eq!(metrics.help["daily_limit_dollars"], "The limit.");
    assert_eq!(metrics.types["profit_eth_total"], "counter");
    assert_eq!(
        metrics.value("profit_eth_total", &[]),
        Some(1.25),
        "a negative add is ignored"
    );
    assert_eq!(metrics.types["simulation_accuracy"], "histogram");
    // The alert's threshold (0.8) is a bucket bound; values land at or under their bound.
    for (le, count) in [
        ("0.5", 2.0),
        ("0.8", 2.0),
        ("0.9", 2.0),
        ("0.99", 3.0),
        ("+Inf", 4.0),
    ] {
        assert_eq!(
            metrics.value("simulation_accuracy_bucket", &[("le", le)]),
            Some(count),
            "le={le}\n{body}"
        );
    }
    assert_eq!(metrics.value("simulation_accuracy_sum", &[]), Some(3.85));
    assert_eq!(
        metrics.value("position", &[("symbol", "BTC-USD")]),
        Some(0.5)
    );
    assert_eq!(
        metrics.value("position", &[("symbol", "ETH-USD")]),
        Some(-2.0)
    );
    assert_eq!(
        metrics.value("orders_total", &[("venue", "binance"), ("side", "buy")]),
        Some(3.0)
    );
    assert_eq!(
        metrics.value("orders_total", &[("venue", "kraken"), ("side", "sell")]),
        Some(1.0)
    );
    assert!(
        metrics
            .matching("position", &[])
            .all(|s| s.labels.contains_key("symbol")),
        "a labelled family has no unlabelled series:\n{body}"
    );

    // The standard process metrics, under their usual names.
    let start = metrics
        .value("process_start_time_seconds", &[])
        .expect("process_start_time_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(start > now - 3600.0 && start <= now, "{start} vs {now}");
    assert!(metrics.value("process_resident_memory_bytes", &[]).unwrap() > 1e6);

    if let Some(promtool) = tool("promtool") {
        run_ok_with_input(&promtool, &["check", "metrics"], &body);
    }
}

#[test]
#[ignore = "slow: promtool"]
fn a_labelled_family_keeps_its_bound_and_escapes_hostile_values() {
    let addr = serve();
    let hostile = "BTC\"USD\\\n</script>";
    QUOTE.labels([hostile]).set(1.0);
    let long = "x".repeat(10_000);
    QUOTE.labels([long.as_str()]).set(2.0);
    for symbol in ["A", "B", "C", "D"] {
        QUOTE.labels([symbol]).set(7.0);
    }
    // A wrong number of values cannot pick a series: it goes to the overflow series too.
    QUOTE.labels(["A", "extra"]).set(9.0);
    let (body, metrics) = scrape(addr);
    let sets: Vec<&str> = metrics
        .matching("quote", &[])
        .map(|s| s.labels["symbol"].as_str())
        .collect();
    assert_eq!(
        sets.len(),
        4,
        "max_series = 3 sets plus the overflow: {sets:?}"
    );
    assert!(
        sets.contains(&hostile),
        "the value round-trips, escaped: {body}"
    );
    assert!(sets.contains(&"__overflow__"), "{body}");
    let cut = sets
        .iter()
        .find(|s| s.starts_with('x'))
        .expect("the long value's series");
    assert_eq!(cut.len(), 256, "a 10 KB value is cut to 256 bytes");
    assert_eq!(
        metrics.value("botwatch_label_overflow_total", &[("metric", "quote")]),
        Some(4.0),
        "B, C, D and the wrong arity: {body}"
    );
    assert_eq!(
        metrics.value("quote", &[("symbol", "__overflow__")]),
        Some(9.0)
    );
    assert!(
        body.lines().all(|l| l.len() < 2_000),
        "no 10 KB label values"
    );
    if let Some(promtool) = tool("promtool") {
        run_ok_with_input(&promtool, &["check", "metrics"], &body);
    }
}

#[test]
fn a_wrong_number_of_label_values_goes_to_the_overflow_series() {
    let addr = serve();
    FILLS_TOTAL.labels(["BTC-USD"]).increment();
    FILLS_TOTAL.labels(["BTC-USD", "binance"]).add(2.0);
    FILLS_TOTAL.labels::<&str, 0>([]).add(4.0);
    let (body, metrics) = scrape(addr);
    assert_eq!(
        metrics.value("fills_total", &[("symbol", "BTC-USD")]),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        metrics.value("fills_total", &[("symbol", "__overflow__")]),
        Some(6.0),
        "{body}"
    );
    assert_eq!(
        metrics.value(
            "botwatch_label_overflow_total",
            &[("metric", "fills_total")]
        ),
        Some(2.0)
    );
    assert_eq!(metrics.matching("fills_total", &[]).count(), 2, "{body}");
}

#[test]
fn snapshots_read_declared_values_and_counters_since() {
    HOT_WALLET_ETH.set(2.0);
    GAS_SPENT_ETH_TOTAL.add(0.25);
    let before = botwatch::snapshot();
    GAS_SPENT_ETH_TOTAL.add(0.5);
    HOT_WALLET_ETH.set(1.5);
    ORDERS_TOTAL.labels(["okx", "buy"]).increment();
    let now = botwatch::snapshot();
    let delta = now.since(&before);
    assert_eq!(
        delta.value("gas_spent_eth_total").unwrap(),
        0.5,
        "a counter's difference"
    );
    assert_eq!(
        delta.value("hot_wallet_eth").unwrap(),
        1.5,
        "a gauge's value"
    );
    assert_eq!(now.value_of("orders_total", &["okx", "buy"]).unwrap(), 1.0);
    let error = now.value("operator_balance").unwrap_err().to_string();
    assert!(
        error.contains("did you mean `operator_balance_eth`"),
        "{error}"
    );
}

#[test]
#[ignore = "slow: promtool"]
fn declared_alerts_are_in_the_rules_and_pass_promtool() {
    let yaml = botwatch::rules::yaml();
    for expected in [
        "alert: OperatorBalanceEthLow",
        "expr: 'min by (job) (last_over_time(operator_balance_eth[45s])) < 0.5'",
        "alert: VolumeLimitApproaching",
        // The ratio names the other static's metric as its declaration renames it.
        "expr: 'max by (job) (last_over_time(daily_volume_usd[45s]) / on (instance, job) group_left last_over_time(daily_limit_dollars{desk=\"mev\"}[45s])) > 0.8'",
        "alert: ProfitEthTotalIncreaseLow",
        "alert: SimulationAccuracyP50Low",
    ] {
        assert!(yaml.contains(expected), "{expected} missing from\n{yaml}");
    }
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = scratch_dir("declared-rules");
    let set = botwatch::rules::rule_set().expect("rules");
    std::fs::write(dir.join("alerts.yml"), set.prometheus_yaml()).unwrap();
    let tests = write_unit_tests(&dir, &set, "alerts.yml");
    run_ok(
        &promtool,
        &[
            "check".as_ref(),
            "rules".as_ref(),
            "--lint-fatal".as_ref(),
            dir.join("alerts.yml").as_os_str(),
        ],
    );
    promtool_test_rules(&promtool, &tests);
}
