//! Funnels and stuck work end to end through a real Prometheus: `funnel_bot` is scraped every
//! second with the rules the build helper emits for its source. Its inclusion rate pages
//! when it falls under the line with traffic, stays silent on the same ratio under
//! `min_rate`, and a submission held in flight pages `Stuck` and resolves when it returns.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use botwatch::build::Rules;
use botwatch_tests::processes::{free_port, spawn_prometheus};
use botwatch_tests::{http_get, scratch_dir, serve, tool};

/// The state of alert `name` on Prometheus at `addr`: `None` while not pending or firing.
fn alert_state(addr: SocketAddr, name: &str) -> Option<String> {
    let body = http_get(addr, "/api/v1/alerts").ok()?.body;
    let value: serde_json::Value = serde_json::from_str(&body).ok()?;
    value["data"]["alerts"]
        .as_array()?
        .iter()
        .find(|a| a["labels"]["alertname"] == name)
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

fn set(dir: &Path, file: &str, per_second: u32) {
    std::fs::write(dir.join(file), per_second.to_string()).unwrap();
}

#[test]
#[ignore = "slow: a real Prometheus, about a minute"]
fn an_inclusion_rate_pages_with_traffic_and_a_hung_submission_pages_until_it_returns() {
    let Some(prometheus) = tool("prometheus") else {
        return;
    };
    let dir = scratch_dir("funnel-prometheus");
    // The rules of the bot's own source, scanned as the crate `funnel_bot` its binary is.
    let root = dir.join("crate");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("src/lib.rs"),
        include_str!("../src/bin/funnel_bot.rs"),
    )
    .unwrap();
    Rules::new()
        .only_this_crate()
        .crate_dir(&root)
        .out_dir(root.join("out"))
        .crate_name("funnel_bot")
        .scrape_interval(Duration::from_secs(1))
        .write_to("alerts.yml")
        .emit_to(&mut Vec::new())
        .expect("rules emitted");
    let control = dir.join("control");
    std::fs::create_dir_all(&control).unwrap();
    set(&control, "submitted", 10);
    set(&control, "included", 8);
    std::env::set_var("BOTWATCH_FUNNEL_DIR", &control);
    let bot = serve(env!("CARGO_BIN_EXE_funnel_bot"));
    let port = free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: funnel\n    static_configs:\n      - targets: ['{}']\n",
            root.join("alerts.yml").display(),
            bot.addr
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
    let ratio = "IncludeRatioLow";
    let stuck = "SubmitStuck";
    wait_for("the rules loaded", Duration::from_secs(30), || {
        http_get(addr, "/api/v1/rules")
            .is_ok_and(|r| r.body.contains(ratio) && r.body.contains(stuck))
    });
    // 80 % included with traffic: silent past a whole window.
    let quiet = |what: &str, name: &str, seconds: u64| {
        let from = Instant::now();
        while from.elapsed() < Duration::from_secs(seconds) {
            assert_eq!(alert_state(addr, name), None, "{what}");
            std::thread::sleep(Duration::from_millis(500));
        }
    };
    quiet("80 % included is above the line", ratio, 12);
    // None included, one bundle a second: the ratio is 0, the traffic under min_rate.
    set(&control, "submitted", 1);
    set(&control, "included", 0);
    std::thread::sleep(Duration::from_secs(9));
    quiet("one bundle a second is under min_rate", ratio, 8);
    // 20 % included of ten a second: under the line with traffic.
    set(&control, "submitted", 10);
    set(&control, "included", 2);
    wait_for(&format!("{ratio} firing"), Duration::from_secs(30), || {
        alert_state(addr, ratio).as_deref() == Some("firing")
    });
    set(&control, "included", 8);
    wait_for(
        &format!("{ratio} resolved"),
        Duration::from_secs(30),
        || alert_state(addr, ratio).is_none(),
    );
    // A submission hangs: Stuck once it is 4 s old, resolved when it returns.
    assert_eq!(alert_state(addr, stuck), None);
    std::fs::write(control.join("hang"), "").unwrap();
    wait_for(&format!("{stuck} firing"), Duration::from_secs(30), || {
        alert_state(addr, stuck).as_deref() == Some("firing")
    });
    std::fs::remove_file(control.join("hang")).unwrap();
    wait_for(
        &format!("{stuck} resolved"),
        Duration::from_secs(30),
        || alert_state(addr, stuck).is_none(),
    );
    drop(bot);
}
