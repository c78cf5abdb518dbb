//! The fixture's build-time dashboard (`.dashboard_to(...)`) equals
//! `botwatch::dashboard::json()` and `GET /dashboard.json` byte for byte, like its rules.

use std::ffi::OsStr;
use std::path::Path;

use botwatch_tests::{http_get, run_ok, serve};

const BUILD_TIME_DASHBOARD: &str =
    include_str!(concat!(env!("OUT_DIR"), "/botwatch/dashboard.json"));
const BIN: &str = env!("CARGO_BIN_EXE_fixture-bot");

/// Catches a runtime that renders from other sites than the build helper (unsorted, a
/// breaker counted twice, the crate name read differently, declared metrics missing on
/// either side) and an endpoint serving something else.
#[test]
fn build_time_dashboard_equals_runtime_dashboard_and_the_endpoint() {
    let printed = run_ok(Path::new(BIN), &[OsStr::new("print-dashboard")]);
    same("botwatch::dashboard::json()", &printed);

    let fixture = serve(BIN);
    let served = http_get(fixture.addr, "/dashboard.json").unwrap();
    assert_eq!(served.status, 200);
    same("GET /dashboard.json", &served.body);
    assert!(BUILD_TIME_DASHBOARD.contains("\"title\": \"relay: state\""));
    // The declared metrics of `src/values.rs`, one panel of each kind.
    for title in [
        "Values",
        "operator_balance_eth",
        "daily_volume_usd / daily_limit_usd",
        "feed_price_usd: changes over 5m",
        "profit_eth_total: increase over 6h",
        "bundles_included_total: per second",
        "simulation_accuracy: quantiles",
    ] {
        assert!(
            BUILD_TIME_DASHBOARD.contains(&format!("\"title\": \"{title}\"")),
            "no panel {title} in the build-time dashboard"
        );
    }
}

/// Fails with the first line where `text` differs from the build-time dashboard (the whole
/// documents are thousands of lines).
fn same(what: &str, text: &str) {
    let differs = text
        .lines()
        .zip(BUILD_TIME_DASHBOARD.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b);
    if let Some((line, (a, b))) = differs {
        panic!(
            "{what} differs from the build output at line {}: {a:?} vs {b:?}",
            line + 1
        );
    }
    assert_eq!(
        text.len(),
        BUILD_TIME_DASHBOARD.len(),
        "{what} and the build output differ in length"
    );
}
