//! `stale > D` end to end through a real Prometheus: a feed writing the same price again
//! and again is scraped every second with the rules the build helper emits for it; the
//! update times appear, the alert stays silent while the constant price is still written,
//! fires once the updates stop (the value staying put), and resolves when they resume.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/scratch_crate.rs"]
#[allow(dead_code)] // `emitted` serves the other test files
mod scratch_crate;

use botwatch_tests::{http_get, scratch_dir, serve, tool};

/// The feed's declaration, as `src/bin/stale_feed.rs` has it.
const FEED: &str = r#"
/// The last ETH/USD price.
#[botwatch::gauge(alert(stale > 4s, for = 0s))]
pub static PRICE_USD: botwatch::Gauge = botwatch::Gauge::new();
"#;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The state of `PriceUsdNotUpdated` on Prometheus at `addr`: `None` while not pending or
/// firing.
fn alert_state(addr: SocketAddr) -> Option<String> {
    let body = http_get(addr, "/api/v1/alerts").ok()?.body;
    let value: serde_json::Value = serde_json::from_str(&body).ok()?;
    value["data"]["alerts"]
        .as_array()?
        .iter()
        .find(|a| a["labels"]["alertname"] == "PriceUsdNotUpdated")
        .and_then(|a| a["state"].as_str().map(str::to_owned))
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
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
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let _prometheus = Killed(
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start prometheus"),
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let query = |promql: &str| -> usize {
        let path = format!(
            "/api/v1/query?query={}",
            promql
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        );
        http_get(addr, &path)
            .ok()
            .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
            .and_then(|v| v["data"]["result"].as_array().map(Vec::len))
            .unwrap_or(0)
    };
    wait_for(
        "the update times in Prometheus",
        Duration::from_secs(30),
        || query("price_usd_last_update_timestamp_seconds") == 1,
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
    assert_eq!(query("price_usd"), 1);
    // The updater dies; the price stays put.
    std::fs::write(&pause, "").unwrap();
    wait_for("PriceUsdNotUpdated firing", Duration::from_secs(30), || {
        alert_state(addr).as_deref() == Some("firing")
    });
    std::fs::remove_file(&pause).unwrap();
    wait_for(
        "PriceUsdNotUpdated resolved",
        Duration::from_secs(30),
        || alert_state(addr).is_none(),
    );
    drop(feed);
}
