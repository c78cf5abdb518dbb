//! The checked-in `alertmanager.yml` under a real Alertmanager: while the whole bot is down
//! (`BotDown` without an `instance`), the bot's other alerts are inhibited (its inhibit rule
//! once used `equal: [instance]`, which no botwatch alert carries, and inhibited nothing);
//! one replica down inhibits nothing (the rule once took any `BotDown`, so one dead pod
//! silenced the alerts of the replicas still trading); another bot's alerts are never
//! inhibited.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use botwatch_tests::processes::post_json;
use botwatch_tests::{http_get, scratch_dir, tool};
use common::{free_port, spawn_alertmanager};
use serde_json::{json, Value};

fn alert(name: &str, labels: Value) -> Value {
    let mut labels = labels;
    labels["alertname"] = json!(name);
    json!({ "labels": labels, "annotations": { "summary": name } })
}

#[test]
#[ignore = "slow: prometheus-alertmanager"]
fn whole_bot_down_inhibits_the_bots_other_alerts_and_only_them() {
    let Some(alertmanager) = tool("prometheus-alertmanager") else {
        return;
    };
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("monitoring/alertmanager.yml");
    let dir = scratch_dir("alertmanager-inhibit");
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let _alertmanager = spawn_alertmanager(
        &alertmanager,
        &config,
        &dir.join("data"),
        port,
        &[],
        &dir.join("alertmanager.log"),
    );
    let alerts = json!([
        // chimera: no target of the job can be scraped.
        alert("BotDown", json!({"severity": "critical", "job": "trading-bot", "bot": "chimera"})),
        alert("CircuitBreakerOpen", json!({"severity": "critical", "job": "trading-bot", "breaker": "relay", "bot": "chimera"})),
        alert("DetectOpportunityIdle", json!({"severity": "warning", "job": "trading-bot", "function": "detect_opportunity", "module": "trading_bot::strategy", "bot": "chimera"})),
        // hydra: one of its replicas is down, the others still trade through an open breaker.
        alert("BotDown", json!({"severity": "critical", "job": "trading-bot", "instance": "10.0.0.7:9000", "bot": "hydra"})),
        alert("CircuitBreakerOpen", json!({"severity": "critical", "job": "trading-bot", "breaker": "relay", "bot": "hydra"})),
        alert("CircuitBreakerOpen", json!({"severity": "critical", "breaker": "relay", "bot": "other"})),
    ])
    .to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    let states = loop {
        // Posting again is harmless: Alertmanager merges alerts by their labels.
        let _ = post_json(addr, "/api/v2/alerts", &alerts);
        let listed: Option<Vec<Value>> = http_get(addr, "/api/v2/alerts")
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| serde_json::from_str(&r.body).ok());
        if let Some(listed) = listed.as_ref().filter(|l| l.len() == 6) {
            let mut states: Vec<(String, String, String)> = listed
                .iter()
                .map(|a| {
                    (
                        a["labels"]["alertname"].as_str().unwrap_or("").to_owned(),
                        a["labels"]["bot"].as_str().unwrap_or("").to_owned(),
                        a["status"]["state"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect();
            states.sort();
            // Inhibition is computed when listed; wait until it has settled (any extra
            // suppression is then a wrong inhibition, shown by the comparison below).
            if states.iter().filter(|s| s.2 == "suppressed").count() >= 2 {
                break states;
            }
        }
        assert!(
            Instant::now() < deadline,
            "alertmanager did not list and inhibit the alerts in time: {listed:?}; see {}",
            dir.join("alertmanager.log").display()
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let expect =
        |name: &str, bot: &str, state: &str| (name.to_owned(), bot.to_owned(), state.to_owned());
    assert_eq!(
        states,
        vec![
            expect("BotDown", "chimera", "active"),
            expect("BotDown", "hydra", "active"),
            expect("CircuitBreakerOpen", "chimera", "suppressed"),
            // One replica down: the breaker of the replicas still trading is delivered.
            expect("CircuitBreakerOpen", "hydra", "active"),
            expect("CircuitBreakerOpen", "other", "active"),
            expect("DetectOpportunityIdle", "chimera", "suppressed"),
        ]
    );
}
