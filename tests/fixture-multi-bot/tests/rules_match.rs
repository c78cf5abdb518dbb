//! A bot made of two crates: the build-time rules equal the binary's `rules::yaml()` byte
//! for byte, so they hold the library's alerts, and only for the features this build has.

use std::process::Command;

const BUILD_TIME_RULES: &str = include_str!(concat!(env!("OUT_DIR"), "/botwatch/alerts.yml"));
const BIN: &str = env!("CARGO_BIN_EXE_fixture-multi-bot");

#[test]
fn build_time_rules_equal_runtime_rules_across_crates() {
    let printed = Command::new(BIN)
        .arg("print-rules")
        .output()
        .expect("run the fixture");
    assert!(printed.status.success());
    assert_eq!(String::from_utf8(printed.stdout).unwrap(), BUILD_TIME_RULES);

    let alerts: Vec<&str> = BUILD_TIME_RULES
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert_eq!(
        alerts,
        [
            "CircuitBreakerOpen",
            "LiveQuoteLatencyHigh",
            "PlaceOrderErrorRateHigh",
            "RiskCheckRateHigh",
            "TickLatencyHigh"
        ],
        "{BUILD_TIME_RULES}"
    );
    assert!(BUILD_TIME_RULES.contains(r#"module="venue_core::exchange""#));
    assert!(BUILD_TIME_RULES.contains(r#"module="fixture_multi_bot""#));
}
