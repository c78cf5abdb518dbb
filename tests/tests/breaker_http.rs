//! A breaker seen through the real exporter: every series on `/metrics`, and `/health`
//! answering 503 while it is open and 200 once it recovered.

use std::time::Duration;

use botwatch_tests::{http_get, Exposition};

#[derive(Debug)]
struct RelayDown;

impl From<botwatch::CircuitOpen> for RelayDown {
    fn from(_: botwatch::CircuitOpen) -> Self {
        RelayDown
    }
}

// A reset of a second: the scrapes of the open breaker run well inside it on a loaded
// machine.
#[botwatch::circuit_breaker(name = "relay", failures = 2, reset = 1s)]
fn submit(fail: bool) -> Result<(), RelayDown> {
    if fail {
        Err(RelayDown)
    } else {
        Ok(())
    }
}

#[test]
fn metrics_and_health_follow_the_breaker() {
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install");
    let addr = exporter.local_addr();

    let e = Exposition::parse(&http_get(addr, "/metrics").unwrap().body);
    let relay = [("breaker", "relay")];
    for series in [
        "circuit_breaker_state",
        "circuit_breaker_successes_total",
        "circuit_breaker_failures_total",
        "circuit_breaker_rejected_total",
        "circuit_breaker_latency_seconds_count",
    ] {
        assert_eq!(
            e.value(series, &relay),
            Some(0.0),
            "{series} exists at zero before any call"
        );
    }
    assert_eq!(e.types["circuit_breaker_state"], "gauge");
    assert_eq!(
        e.matching("circuit_breaker_transitions_total", &relay)
            .count(),
        5
    );
    assert_eq!(http_get(addr, "/health").unwrap().status, 200);

    submit(true).unwrap_err();
    submit(true).unwrap_err();
    submit(false).unwrap_err();

    // promtool's check of a page with an open breaker: bots/mounted_exporter.rs.
    let e = Exposition::parse(&http_get(addr, "/metrics").unwrap().body);
    assert_eq!(e.value("circuit_breaker_state", &relay), Some(1.0));
    assert_eq!(e.value("circuit_breaker_failures_total", &relay), Some(2.0));
    assert_eq!(e.value("circuit_breaker_rejected_total", &relay), Some(1.0));
    assert_eq!(
        e.value(
            "circuit_breaker_transitions_total",
            &[("breaker", "relay"), ("from", "closed"), ("to", "open")]
        ),
        Some(1.0)
    );
    let health = http_get(addr, "/health").unwrap();
    assert_eq!(health.status, 503);
    let report: serde_json::Value = serde_json::from_str(&health.body).expect("JSON");
    assert_eq!(report["status"], "degraded");
    assert_eq!(report["breakers"][0]["name"], "relay");
    assert_eq!(report["breakers"][0]["state"], "open");
    assert_eq!(report["breakers"][0]["rejected"], 1);

    std::thread::sleep(Duration::from_millis(1050));
    submit(false).expect("the probe succeeds");

    let e = Exposition::parse(&http_get(addr, "/metrics").unwrap().body);
    assert_eq!(e.value("circuit_breaker_state", &relay), Some(0.0));
    assert_eq!(
        e.value(
            "circuit_breaker_transitions_total",
            &[
                ("breaker", "relay"),
                ("from", "half_open"),
                ("to", "closed")
            ]
        ),
        Some(1.0)
    );
    let health = http_get(addr, "/health").unwrap();
    assert_eq!(health.status, 200);
    let report: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(report["breakers"][0]["state"], "closed");
}
