//! `stale > D` end to end through a real Prometheus: a feed writing the same price again
//! and again is scraped every second with the rules the build helper emits for it; the
//! update times appear, the alert stays silent while the constant price is still written,
//! fires once the updates stop (the value staying put), and resolves when they resume.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[path = "common/scratch_crate.rs"]
#[allow(dead_code)] // `emitted` serves the other test files
mod scratch_crate;

use botwatch_tests::processes::{api, free_port, query, spawn_prometheus, wait_for};
use botwatch_tests::{scratch_dir, serve, tool};

/// The feed's declaration, as `src/bin/stale_feed.rs` has it.
const FEED: &str = r#"
/// The last ETH/USD price.
#[botwatch::gauge(alert(stale > 4s, for = 0s))]
pub static PRICE_USD: botwatch::Gauge = botwatch::Gauge::new();
"#;

/// The state of `PriceUsdNotUpdated` on Prometheus at `addr`: `None` while not pending or
/// firing.
fn alert_state(addr: SocketAddr) -> Option<String> {
    api(addr, "/api/v1/alerts")?["data"]["alerts"]
        .as_array()?
        .iter()
        .find(|a| a["labels"]["alertname"] == "PriceUsdNotUpdated")
        .and_then(|a| a["state"].as_str().map(str::to_owned))
}

#[test]
#[ignore = "slow: a real Prometheus, tens of seconds"]
fn a_zombie_feed_pages_through_prometheus_and_resolves_when_it_resumes() {
    let Some(prometheus) = tool("prometheus") else {
        return;
    };
    let dir = scratch_dir("stale-prometheus");
    let (root, report) = scratch_crate::emit("stale-prometheus-rules", FEED, |rules| {
        rules.scrape_interval(Duration::from_secs(1))
    });
    report.expect("rules emitted");
    let rules = root.join("alerts.yml");
    let pause = dir.join("feed.pause");
    std::env::set_var("BOTWATCH_STALE_FEED_PAUSE", &pause);
    let feed = serve(env!("CARGO_BIN_EXE_stale_feed"));
    let port = free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: feed\n    static_configs:\n      - targets: ['{}']\n",
            rules.display(),
            feed.addr
        ),
    )
    .unwrap();
    let _prometheus = spawn_prometheus(
        &prometheus,
        &config,
        &dir.join("data"),
        port,
        &dir.join("prometheus.log"),
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let series = |promql: &str| query(addr, promql).map_or(0, |result| result.len());
    wait_for(
        "the update times in Prometheus",
        Duration::from_secs(30),
        || (series("price_usd_last_update_timestamp_seconds") == 1).then_some(()),
    );
    // Constant price, still written: silent past the line (4s) and then some.
    let live = Instant::now();
    while live.elapsed() < Duration::from_secs(8) {
        assert_eq!(
            alert_state(addr),
            None,
            "a constant price still written is no stale feed"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(series("price_usd"), 1);
    // The updater dies; the price stays put.
    std::fs::write(&pause, "").unwrap();
    wait_for("PriceUsdNotUpdated firing", Duration::from_secs(30), || {
        (alert_state(addr).as_deref() == Some("firing")).then_some(())
    });
    std::fs::remove_file(&pause).unwrap();
    wait_for(
        "PriceUsdNotUpdated resolved",
        Duration::from_secs(30),
        || alert_state(addr).is_none().then_some(()),
    );
    drop(feed);
}
