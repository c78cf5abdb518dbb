//! The chain at scale: two Prometheus servers (an HA pair) scrape the same two replicas of the
//! example bot and both send to two Alertmanagers clustered with `--cluster.peer`. A relay
//! outage must reach the webhook exactly once, and its resolution once: the pair's alerts
//! are identical (the replica label is dropped before sending), and the cluster's
//! notification log keeps the second Alertmanager from notifying again. Loopback ports are
//! picked at run time, intervals are short, every wait is bounded and every process is
//! killed when the test ends.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use botwatch_tests::{scratch_dir, tool};
use common::{
    alertmanager_yml, api, free_port, prometheus_yml, query, spawn_alertmanager, spawn_bots,
    spawn_prometheus, wait_for, webhook_sink, Alerting, Killed,
};
use serde_json::Value;

/// How long the second Alertmanager of the cluster waits for the first's notification to
/// be gossiped before it would send its own.
const PEER_TIMEOUT: Duration = Duration::from_secs(2);
/// Alertmanager's `group_interval` in the test: the skew between the pair's evaluations
/// (at most one evaluation interval) is well under it.
///
/// It must also be well over [`PEER_TIMEOUT`], as in a real cluster (15 s against 5 min by
/// default). The second Alertmanager takes its group's alerts when its timer fires, then
/// waits `PEER_TIMEOUT` and compares them with the notification log. With the two equal,
/// its flush lasts the whole interval, so each tick starts late by the flush's own cost and
/// its timer drifts behind the first one's. Once it lags by more than a webhook call, a
/// flush that took the alert while firing reads, after its wait, the first Alertmanager's
/// resolved notification, and sends the firing one again (CI saw firing, resolved, firing,
/// resolved). With the wait under half the interval, the flush ends three seconds before
/// the next tick, so nothing drifts, and the check falls two seconds after the first one's
/// tick and three before its next.
const GROUP_INTERVAL: Duration = Duration::from_secs(5);

fn is_breaker_notification(n: &Value) -> bool {
    n["commonLabels"]["alertname"] == "CircuitBreakerOpen"
}

#[test]
#[ignore = "slow: prometheus, prometheus-alertmanager"]
fn an_ha_pair_and_an_alertmanager_cluster_page_once_and_resolve_once() {
    let (Some(prometheus), Some(alertmanager)) =
        (tool("prometheus"), tool("prometheus-alertmanager"))
    else {
        return;
    };
    let started = Instant::now();
    let dir = scratch_dir("ha-chain");
    let (sink_port, notifications) = webhook_sink();
    let bots = [free_port(), free_port()];
    let web = [free_port(), free_port()];
    let gossip = [free_port(), free_port()];
    let proms = [free_port(), free_port()];
    let am_config = alertmanager_yml(&dir, sink_port, &["alertname", "breaker"], GROUP_INTERVAL);

    let _alertmanagers: Vec<Killed> = (0..2)
        .map(|i| {
            spawn_alertmanager(
                &alertmanager,
                &am_config,
                &dir.join(format!("alertmanager-{i}")),
                web[i],
                &[
                    format!("--cluster.listen-address=127.0.0.1:{}", gossip[i]),
                    format!("--cluster.advertise-address=127.0.0.1:{}", gossip[i]),
                    format!("--cluster.peer=127.0.0.1:{}", gossip[1 - i]),
                    format!("--cluster.peer-timeout={}s", PEER_TIMEOUT.as_secs()),
                    "--cluster.settle-timeout=5s".to_owned(),
                    "--cluster.pushpull-interval=1s".to_owned(),
                ],
                &dir.join(format!("alertmanager-{i}.log")),
            )
        })
        .collect();
    let am: Vec<SocketAddr> = web
        .iter()
        .map(|p| format!("127.0.0.1:{p}").parse().unwrap())
        .collect();
    for addr in &am {
        wait_for(
            "an Alertmanager cluster of two, ready",
            Duration::from_secs(30),
            || {
                let status = api(*addr, "/api/v2/status")?;
                let cluster = &status["cluster"];
                (cluster["status"] == "ready" && cluster["peers"].as_array()?.len() == 2)
                    .then_some(())
            },
        );
    }

    let _prometheus: Vec<Killed> = ["a", "b"]
        .iter()
        .enumerate()
        .map(|(i, replica)| {
            spawn_prometheus(
                &prometheus,
                &prometheus_yml(
                    &dir,
                    &format!("prometheus-{replica}.yml"),
                    &bots,
                    Some(Alerting {
                        alertmanagers: &web,
                        replica: Some(replica),
                    }),
                ),
                &dir.join(format!("prometheus-{replica}-data")),
                proms[i],
                &dir.join(format!("prometheus-{replica}.log")),
            )
        })
        .collect();
    // The outage starts 2s in and lasts 14s: longer than the relay breaker's first resets
    // and the alert's `for = 10s`.
    let _replicas = spawn_bots(&dir, &bots, "outage-at=2s,for=14s,flaky=0%", "120s", 21);
    let outage_start = Instant::now() + Duration::from_secs(2);
    let prom: Vec<SocketAddr> = proms
        .iter()
        .map(|p| format!("127.0.0.1:{p}").parse().unwrap())
        .collect();
    for addr in &prom {
        wait_for(
            "both replicas up in each Prometheus of the pair",
            Duration::from_secs(30),
            || (query(*addr, "up{job=\"trading-bot\"} == 1")?.len() == 2).then_some(()),
        );
    }

    let mut seen: Vec<Value> = Vec::new();
    let collect = |seen: &mut Vec<Value>| {
        seen.extend(notifications.try_iter().filter(is_breaker_notification));
    };
    // Both Prometheus fire it and both Alertmanagers hold it: the webhook still hears once.
    for (i, addr) in prom.iter().enumerate() {
        wait_for(
            &format!("CircuitBreakerOpen firing in Prometheus {i}"),
            Duration::from_secs(60),
            || {
                let alerts = api(*addr, "/api/v1/alerts")?;
                alerts["data"]["alerts"]
                    .as_array()?
                    .iter()
                    .any(|a| {
                        a["labels"]["alertname"] == "CircuitBreakerOpen" && a["state"] == "firing"
                    })
                    .then_some(())
            },
        );
    }
    for (i, addr) in am.iter().enumerate() {
        let held = wait_for(
            &format!("CircuitBreakerOpen active in Alertmanager {i}"),
            Duration::from_secs(30),
            || {
                let alerts = api(*addr, "/api/v2/alerts?active=true")?;
                let open: Vec<Value> = alerts
                    .as_array()?
                    .iter()
                    .filter(|a| a["labels"]["alertname"] == "CircuitBreakerOpen")
                    .cloned()
                    .collect();
                (!open.is_empty()).then_some(open)
            },
        );
        assert_eq!(
            held.len(),
            1,
            "the pair's two alerts are one alert: {held:#?}"
        );
        let labels = &held[0]["labels"];
        assert_eq!(labels["bot"], "chimera", "{labels}");
        assert!(labels.get("prometheus_replica").is_none(), "{labels}");
    }
    wait_for(
        "the firing notification at the webhook",
        Duration::from_secs(30),
        || {
            collect(&mut seen);
            seen.iter().any(|n| n["status"] == "firing").then_some(())
        },
    );
    eprintln!(
        "outage to notification: {:.1}s",
        outage_start.elapsed().as_secs_f64()
    );
    wait_for(
        "the resolved notification after recovery",
        Duration::from_secs(90),
        || {
            collect(&mut seen);
            seen.iter().any(|n| n["status"] == "resolved").then_some(())
        },
    );
    // Long enough for the second Alertmanager to have sent its own, were it going to.
    let quiet = PEER_TIMEOUT * 2 + GROUP_INTERVAL * 2 + Duration::from_secs(1);
    std::thread::sleep(quiet);
    collect(&mut seen);
    let statuses: Vec<&str> = seen
        .iter()
        .map(|n| n["status"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        statuses,
        ["firing", "resolved"],
        "one notification per state change, from the whole cluster: {seen:#?}"
    );
    assert_eq!(seen[0]["alerts"].as_array().map(Vec::len), Some(1));
    assert_eq!(seen[0]["commonLabels"]["breaker"], "relay");
    eprintln!("HA chain took {:.1}s", started.elapsed().as_secs_f64());
}
