//! The whole monitoring chain with the real servers: two replicas of the example bot with a
//! relay outage → `/metrics` → the rules its build.rs emitted → Prometheus evaluates them →
//! Alertmanager → a webhook. Then the outage ends, the breakers recover and the alert
//! resolves. Everything listens on loopback ports picked at run time, every process is
//! killed at the end however the test ends, and each wait is bounded.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use botwatch_tests::{promtool_test_rules, run_ok, scratch_dir, tool};
use common::{api, free_port, generated, query, spawn_bots, start_chain, wait_for, webhook_sink};
use serde_json::Value;

#[test]
#[ignore = "slow: prometheus, prometheus-alertmanager"]
fn an_outage_pages_once_through_prometheus_and_alertmanager_then_resolves() {
    let (Some(prometheus), Some(alertmanager)) =
        (tool("prometheus"), tool("prometheus-alertmanager"))
    else {
        return;
    };
    let dir = scratch_dir("monitoring-chain");
    let (sink_port, notifications) = webhook_sink();
    let bots = [free_port(), free_port()];
    let chain = start_chain(
        &dir,
        (&prometheus, &alertmanager),
        &bots,
        sink_port,
        &["alertname", "breaker"],
    );
    // The outage starts 2s in and lasts 14s: longer than the relay breaker's first resets
    // and the alert's `for = 10s`.
    let started = Instant::now();
    let _replicas = spawn_bots(&dir, &bots, "outage-at=2s,for=14s,flaky=0%", "120s", 11);
    let prom = chain.prometheus;

    wait_for(
        "both replicas up in Prometheus",
        Duration::from_secs(30),
        || {
            let up = query(prom, "up{job=\"trading-bot\"} == 1")?;
            (up.len() == 2).then_some(())
        },
    );

    let rules = std::fs::read_to_string(generated("alerts.yml")).unwrap();
    let records: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- record: \""))
        .map(|r| r.trim_end_matches('"'))
        .collect();
    assert!(!records.is_empty(), "the example's SLO records ratios");
    // The day-long ratios are recorded every 2 minutes, from an offset of their group's
    // own: check that Prometheus loaded that group, and wait for the others' data.
    let groups = wait_for("the rule groups loaded", Duration::from_secs(30), || {
        api(prom, "/api/v1/rules")?["data"]["groups"]
            .as_array()
            .cloned()
    });
    let long = groups
        .iter()
        .find(|g| g["name"] == "botwatch.recording.long")
        .expect("the long recording group is loaded");
    assert_eq!(long["interval"].as_f64(), Some(120.0), "{long}");
    for record in records
        .iter()
        .filter(|r| !r.ends_with("1d") && !r.ends_with("3d"))
    {
        wait_for(
            &format!("data for the recording rule {record}"),
            Duration::from_secs(30),
            || query(prom, record).filter(|r| !r.is_empty()),
        );
    }

    let firing = wait_for(
        "CircuitBreakerOpen firing in Prometheus",
        Duration::from_secs(60),
        || {
            let alerts = api(prom, "/api/v1/alerts")?;
            let open: Vec<Value> = alerts["data"]["alerts"]
                .as_array()?
                .iter()
                .filter(|a| {
                    a["labels"]["alertname"] == "CircuitBreakerOpen" && a["state"] == "firing"
                })
                .cloned()
                .collect();
            (!open.is_empty()).then_some(open)
        },
    );
    assert_eq!(firing.len(), 1, "one alert for both replicas: {firing:#?}");
    let labels = &firing[0]["labels"];
    assert_eq!(labels["breaker"], "relay");
    assert_eq!(labels["severity"], "critical");
    assert!(
        labels.get("instance").is_none(),
        "aggregated across instances: {labels}"
    );
    let instances: f64 = firing[0]["value"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(
        (1.0..=2.0).contains(&instances),
        "the value counts the replicas whose breaker is open"
    );

    let notified = wait_for(
        "the firing notification at the webhook",
        Duration::from_secs(30),
        || {
            notifications.try_iter().find(|n| {
                n["status"] == "firing" && n["commonLabels"]["alertname"] == "CircuitBreakerOpen"
            })
        },
    );
    let outage_to_page = started.elapsed().saturating_sub(Duration::from_secs(2));
    eprintln!(
        "outage to notification: {:.1}s",
        outage_to_page.as_secs_f64()
    );
    assert_eq!(notified["alerts"].as_array().map(Vec::len), Some(1));
    assert_eq!(notified["commonLabels"]["breaker"], "relay");

    wait_for(
        "the resolved notification after recovery",
        Duration::from_secs(90),
        || {
            notifications.try_iter().find(|n| {
                n["status"] == "resolved" && n["commonLabels"]["alertname"] == "CircuitBreakerOpen"
            })
        },
    );
    eprintln!(
        "outage start to resolved: {:.1}s",
        started.elapsed().as_secs_f64() - 2.0
    );
}

#[test]
#[ignore = "slow: promtool, amtool"]
fn the_checked_in_monitoring_configs_are_valid() {
    let monitoring = Path::new(env!("CARGO_MANIFEST_DIR")).join("monitoring");
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let checked = run_ok(
        &promtool,
        &[
            "check".as_ref(),
            "config".as_ref(),
            monitoring.join("prometheus.yml").as_os_str(),
        ],
    );
    assert!(checked.contains("SUCCESS: 1 rule files found"), "{checked}");

    let Some(amtool) = tool("amtool") else { return };
    run_ok(
        &amtool,
        &[
            "check-config".as_ref(),
            monitoring.join("alertmanager.yml").as_os_str(),
        ],
    );

    // The checked-in rules are what the build emits, and pass their own unit tests.
    let committed = std::fs::read_to_string(monitoring.join("alerts.yml")).unwrap();
    assert_eq!(
        committed,
        std::fs::read_to_string(generated("alerts.yml")).unwrap()
    );
    let tested = promtool_test_rules(&promtool, &monitoring.join("alerts.test.yml"));
    assert!(tested.contains("SUCCESS"), "{tested}");
}
