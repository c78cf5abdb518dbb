//! The rules a binary renders at run time, checked and unit-tested by the real promtool.

use std::ffi::OsStr;

use botwatch_tests::{promtool_test_rules, run_ok, scratch_dir, tool, write_unit_tests};

#[derive(Debug)]
struct RelayError;

impl From<botwatch::CircuitOpen> for RelayError {
    fn from(_: botwatch::CircuitOpen) -> Self {
        RelayError
    }
}

#[botwatch::counted(
    alert(error_rate > 5%, for = 1m, runbook = "https://runbooks.example/relay#errors"),
    alert(idle > 10m),
    alert(rate < 10/m, labels(team = "execution")),
    slo(objective = 99.5%)
)]
#[botwatch::timed(alert(p99 > 250ms), alert(p50 > 100ms, severity = "info"), slo(objective = 99.9%, latency = 250ms))]
#[botwatch::circuit_breaker(name = "relay", alert(open), alert(flapping > 3, within = 10m))]
fn submit_bundle() -> Result<(), RelayError> {
    Ok(())
}

#[botwatch::counted(name = "orders_total", alert(rate > 2/s, name = "OrderStorm", summary = "{{ $labels.function }}: {{ $value | humanize }} orders/s {{ not a template }}"))]
#[botwatch::timed(buckets = [0.01, 0.1], alert(p999 > 100ms))]
fn place_order() {}

#[botwatch::circuit_breaker(name = "price \"feed\"", alert(open, severity = "page"))]
fn fetch_price() -> Result<f64, RelayError> {
    Err(RelayError)
}

/// A per-key breaker: its alerts fire per key.
#[botwatch::circuit_breaker(name = "venue", per = venue, alert(open), alert(flapping > 2, within = 10m))]
fn route(venue: &str) -> Result<(), RelayError> {
    let _ = venue;
    Ok(())
}

/// Per-call labels: alerts and SLOs fire per venue and side.
#[botwatch::counted(labels(venue = venue, side = side), alert(error_rate > 5%), slo(objective = 99.5%))]
#[botwatch::timed(labels(venue = venue), alert(p99 > 250ms))]
fn cancel_order(venue: &str, side: &str) -> Result<(), RelayError> {
    let _ = (venue, side);
    Ok(())
}

#[test]
#[ignore = "slow: promtool"]
fn runtime_rules_pass_promtool_check_and_their_own_unit_tests() {
    // Calls are not needed for rules; they keep the fixture functions alive for the linter.
    let _ = (
        submit_bundle(),
        fetch_price(),
        route("binance"),
        cancel_order("binance", "buy"),
    );
    place_order();
    let yaml = botwatch::rules::yaml();
    assert!(
        yaml.contains(r#"count by (job, breaker, key) (last_over_time(circuit_breaker_state{breaker="venue"}[45s]) > 0)"#),
        "a per-key breaker's alert groups by key:\n{yaml}"
    );
    assert!(
        yaml.contains("sum by (job, function, module, venue, side) (rate(function_calls_total{"),
        "per-call labels join the grouping:\n{yaml}"
    );
    let set = botwatch::rules::rule_set().expect("no duplicate alerts");
    // 20 written in alert(...) and slo(...), one LabelOverflow for the labelled
    // `cancel_order`.
    assert_eq!(
        set.alerts.len(),
        21,
        "{:#?}",
        set.alerts.iter().map(|a| &a.name).collect::<Vec<_>>()
    );
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = scratch_dir("rules-promtool");
    let rules = dir.join("alerts.yml");
    std::fs::write(&rules, botwatch::rules::yaml()).unwrap();
    let tests = write_unit_tests(&dir, &set, "alerts.yml");
    let checked = run_ok(
        &promtool,
        &[OsStr::new("check"), OsStr::new("rules"), rules.as_os_str()],
    );
    assert!(checked.contains("SUCCESS"), "{checked}");
    let tested = promtool_test_rules(&promtool, &tests);
    assert!(tested.contains("SUCCESS"), "{tested}");
}
