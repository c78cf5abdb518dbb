//! The kill switch end to end with the real servers: the example bot's drawdown crosses
//! 5 % → the bot holds its relay breaker open by itself (`/health` 503 with the guard) →
//! Prometheus evaluates the generated `DrawdownGuardEngaged` → Alertmanager → a webhook;
//! the drawdown recovers, the bot resumes and the alert resolves. Loopback ports picked at
//! run time, every process killed at the end, every wait bounded.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use botwatch_tests::{http_get, scratch_dir, tool};
use common::{api, free_port, spawn_bots, start_chain, wait_for, webhook_sink};
use serde_json::Value;

#[test]
#[ignore = "slow: prometheus, prometheus-alertmanager"]
fn a_drawdown_halts_the_bot_and_its_guard_pages_then_it_resumes_and_resolves() {
    let (Some(prometheus), Some(alertmanager)) =
        (tool("prometheus"), tool("prometheus-alertmanager"))
    else {
        return;
    };
    let dir = scratch_dir("guard-chain");
    let (sink_port, notifications) = webhook_sink();
    let bot_port = free_port();
    let chain = start_chain(
        &dir,
        (&prometheus, &alertmanager),
        &[bot_port],
        sink_port,
        &["alertname", "guard"],
    );
    // No relay outage; the losing streak starts 4s in and lasts 12s.
    let _bot = spawn_bots(
        &dir,
        &[bot_port],
        "none,flaky=0%,drawdown-at=4s,drawdown-for=12s",
        "90s",
        21,
    );
    let bot: SocketAddr = format!("127.0.0.1:{bot_port}").parse().unwrap();
    let prom = chain.prometheus;

    // The bot halts itself: /health says which guard and what it holds.
    let guard = wait_for(
        "the guard engaged on /health",
        Duration::from_secs(30),
        || {
            let response = http_get(bot, "/health").ok()?;
            let health: Value = serde_json::from_str(&response.body).ok()?;
            let guard = health["guards"]
                .as_array()?
                .iter()
                .find(|g| g["name"] == "Drawdown" && g["engaged"] == true)?
                .clone();
            (response.status == 503).then_some(guard)
        },
    );
    assert_eq!(guard["breakers"], serde_json::json!(["relay"]));
    assert_eq!(guard["condition"], "value > 0.05");

    let notified = wait_for(
        "DrawdownGuardEngaged at the webhook",
        Duration::from_secs(30),
        || {
            notifications.try_iter().find(|n| {
                n["status"] == "firing" && n["commonLabels"]["alertname"] == "DrawdownGuardEngaged"
            })
        },
    );
    assert_eq!(notified["commonLabels"]["severity"], "critical");
    assert_eq!(notified["commonLabels"]["guard"], "Drawdown");
    let rejected = wait_for(
        "bundles rejected by the held breaker",
        Duration::from_secs(10),
        || {
            let metrics = http_get(bot, "/metrics").ok()?.body;
            let line = metrics
                .lines()
                .find(|l| l.starts_with("circuit_breaker_rejected_total{breaker=\"relay\""))?;
            let count: f64 = line.rsplit(' ').next()?.parse().ok()?;
            (count > 0.0).then_some(count)
        },
    );
    eprintln!("bundles rejected while halted: {rejected}");

    wait_for(
        "the resolved notification once the drawdown recovered",
        Duration::from_secs(60),
        || {
            notifications.try_iter().find(|n| {
                n["status"] == "resolved"
                    && n["commonLabels"]["alertname"] == "DrawdownGuardEngaged"
            })
        },
    );
    let health = http_get(bot, "/health").unwrap();
    let health: Value = serde_json::from_str(&health.body).unwrap();
    let guard = health["guards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Drawdown")
        .unwrap();
    assert_eq!(guard["engaged"], false, "{health}");
    let relay = health["breakers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "relay")
        .unwrap();
    assert_eq!(relay["state"], "closed", "trading resumed: {health}");
    let _ = api(prom, "/api/v1/alerts");
}
