//! The generated Alertmanager configuration end to end, with the real servers on loopback:
//! `relay_bot` (its attributes scanned from its own source) → Prometheus evaluating the
//! generated rules every second → Alertmanager with the generated routing → a webhook sink
//! standing in for the pager, the ticket system and the dead-man's switch.
//!
//! - the relay goes down: its breaker opens and the one page is `CircuitBreakerOpen`; the
//!   error rate of `submit` behind it fires in Prometheus but reaches no receiver;
//! - the bot is killed: `BotDown` is all that arrives;
//! - the `Watchdog` reaches the switch again and again, and stops once Prometheus stops;
//! - an `idle` alert whose `during` interval is elsewhere in the day is never delivered,
//!   while its twin inside its interval is.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[path = "common/scratch_crate.rs"]
#[allow(dead_code)] // `emitted` serves the other test files
mod scratch_crate;

#[path = "common/alertmanager.rs"]
#[allow(dead_code)] // posting and listing serve the routing tests
mod alertmanager;

use alertmanager::{free_port, Alertmanager, Notification, WebhookSink};
use botwatch::build::{BotDown, Receiver, Routing, TimeInterval};
use botwatch_tests::processes::spawn;
use botwatch_tests::{http_get, scratch_dir, serve, tool};
use serde_json::Value;

/// The bot's source: the rules and routing are generated from exactly what it runs.
const RELAY_BOT: &str = include_str!("../src/bin/relay_bot.rs");

fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The alerts Prometheus at `addr` holds in `state` (`firing`, `pending`), by name.
fn prometheus_alerts(addr: SocketAddr, state: &str) -> Vec<String> {
    let body = http_get(addr, "/api/v1/alerts")
        .map(|r| r.body)
        .unwrap_or_default();
    let value: Value = serde_json::from_str(&body).unwrap_or_default();
    value["data"]["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["state"] == state)
        .filter_map(|a| a["labels"]["alertname"].as_str().map(str::to_owned))
        .collect()
}

/// A one-minute window of the day twelve hours from now (UTC): never active during the test.
fn elsewhere_in_the_day() -> TimeInterval {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let hour = (now / 3600 + 12) % 24;
    TimeInterval::new().times(format!("{hour:02}:00"), format!("{hour:02}:01"))
}

/// The firing alert names of every notification to `path` after the first `skip`.
fn firing_at(sink: &WebhookSink, path: &str, skip: usize) -> Vec<String> {
    sink.at(path)
        .iter()
        .skip(skip)
        .flat_map(|n| n.names("firing"))
        .collect()
}

#[test]
#[ignore = "slow: prometheus and prometheus-alertmanager, about 40 s"]
fn the_generated_routing_pages_once_per_cause_and_keeps_the_heartbeat() {
    let (Some(prometheus), Some(alertmanager_bin)) =
        (tool("prometheus"), tool("prometheus-alertmanager"))
    else {
        return;
    };
    let dir = scratch_dir("alertmanager-e2e");
    let sink = WebhookSink::start();
    let routing = Routing::new()
        .page(Receiver::webhook("pager", sink.url("/pager")))
        .ticket(Receiver::webhook("tickets", sink.url("/tickets")))
        .dead_mans_switch(sink.url("/watchdog"))
        .dead_mans_switch_every(Duration::from_secs(1))
        .time_interval("settlement_window", TimeInterval::new())
        .time_interval("elsewhere", elsewhere_in_the_day())
        .group_wait(Duration::from_secs(1))
        .group_interval(Duration::from_secs(1))
        .repeat_interval(Duration::from_secs(3600));
    let (root, report) = scratch_crate::emit("alertmanager-e2e-bot", RELAY_BOT, |rules| {
        rules
            .crate_name("relay_bot")
            .scrape_interval(Duration::from_secs(1))
            .job("relay-bot")
            .bot_down(BotDown::new().for_(Duration::from_secs(1)))
            .alertmanager_to("alertmanager.yml", routing)
    });
    report.expect("rules and routing emitted");

    let am = Alertmanager::start(&alertmanager_bin, &root.join("alertmanager.yml"), &dir);
    let outage = dir.join("relay.down");
    std::env::set_var("BOTWATCH_RELAY_OUTAGE", &outage);
    let bot = serve(env!("CARGO_BIN_EXE_relay_bot"));
    let prometheus_port = free_port();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {}\n\
             alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{}']\n\
             scrape_configs:\n  - job_name: relay-bot\n    static_configs:\n      - targets: ['{}']\n",
            root.join("alerts.yml").display(),
            am.addr,
            bot.addr
        ),
    )
    .unwrap();
    let prometheus = spawn(
        "prometheus",
        &prometheus,
        &[
            format!("--config.file={}", dir.join("prometheus.yml").display()),
            format!(
                "--storage.tsdb.path={}",
                dir.join("prometheus-data").display()
            ),
            format!("--web.listen-address=127.0.0.1:{prometheus_port}"),
            // Alerts then expire 4 s after Prometheus stops sending them.
            "--rules.alert.resend-delay=1s".to_owned(),
        ],
        &dir.join("prometheus.log"),
    );
    let prom = SocketAddr::from(([127, 0, 0, 1], prometheus_port));

    // The heartbeat repeats, and the settlement alert inside its interval is delivered.
    wait_for(
        "three Watchdog notifications",
        Duration::from_secs(30),
        || (sink.at("/watchdog").len() >= 3).then_some(()),
    );
    wait_for(
        "SettleInWindowIdle at the tickets",
        Duration::from_secs(30),
        || {
            firing_at(&sink, "/tickets", 0)
                .contains(&"SettleInWindowIdle".to_owned())
                .then_some(())
        },
    );
    // Its twin fires in Prometheus too, but its interval is elsewhere in the day.
    assert!(prometheus_alerts(prom, "firing").contains(&"SettleElsewhereIdle".to_owned()));

    // The relay goes down.
    let pages_before = sink.at("/pager").len();
    let tickets_before = sink.at("/tickets").len();
    std::fs::write(&outage, "").unwrap();
    wait_for(
        "SubmitErrorRateHigh firing in Prometheus",
        Duration::from_secs(30),
        || {
            prometheus_alerts(prom, "firing")
                .contains(&"SubmitErrorRateHigh".to_owned())
                .then_some(())
        },
    );
    // Room for a notification that should not come: three group intervals.
    std::thread::sleep(Duration::from_secs(3));
    let pages: Vec<Notification> = sink.at("/pager").into_iter().skip(pages_before).collect();
    let paged: Vec<String> = pages.iter().flat_map(|n| n.names("firing")).collect();
    assert_eq!(
        paged,
        ["CircuitBreakerOpen"],
        "one page, for the cause: {pages:?}"
    );
    let ticketed = firing_at(&sink, "/tickets", tickets_before);
    assert!(
        ticketed.is_empty(),
        "the alerts behind the breaker stay silent: {ticketed:?}"
    );
    assert!(
        prometheus_alerts(prom, "firing").contains(&"CircuitBreakerOpen".to_owned()),
        "still open"
    );

    // The relay is back: the breaker closes and its page resolves.
    std::fs::remove_file(&outage).unwrap();
    wait_for(
        "CircuitBreakerOpen resolved at the pager",
        Duration::from_secs(30),
        || {
            sink.at("/pager")
                .iter()
                .skip(pages_before)
                .any(|n| {
                    n.names("resolved")
                        .contains(&"CircuitBreakerOpen".to_owned())
                })
                .then_some(())
        },
    );
    wait_for(
        "SubmitErrorRateHigh resolved in Prometheus",
        Duration::from_secs(30),
        || {
            (!prometheus_alerts(prom, "firing").contains(&"SubmitErrorRateHigh".to_owned()))
                .then_some(())
        },
    );
    // The page said nothing more than the one alert; what the tickets may get is the tail
    // of the error rate behind it, whose window still held the outage when the breaker
    // closed and its inhibition ended (docs/alerts.md, Routing).
    let paged = firing_at(&sink, "/pager", pages_before);
    assert_eq!(paged, ["CircuitBreakerOpen"], "{paged:?}");
    let ticketed = firing_at(&sink, "/tickets", tickets_before);
    assert!(
        ticketed.iter().all(|n| n == "SubmitErrorRateHigh"),
        "{ticketed:?}"
    );
    eprintln!("delivered to the tickets after the breaker closed: {ticketed:?}");

    // The bot dies: BotDown is the one new page, and nothing reaches the tickets.
    let pages_before = sink.at("/pager").len();
    let tickets_before = sink.at("/tickets").len();
    drop(bot);
    wait_for("BotDown at the pager", Duration::from_secs(30), || {
        firing_at(&sink, "/pager", pages_before)
            .contains(&"BotDown".to_owned())
            .then_some(())
    });
    // Past the `idle` alerts' switch from vanished series (with `job`) to absent ones
    // (without): two windows of 4 s.
    std::thread::sleep(Duration::from_secs(9));
    let paged = firing_at(&sink, "/pager", pages_before);
    assert!(paged.iter().all(|n| n == "BotDown"), "{paged:?}");
    let ticketed = firing_at(&sink, "/tickets", tickets_before);
    assert!(ticketed.is_empty(), "{ticketed:?}");

    // Never, all along: the alert outside its interval.
    for path in ["/pager", "/tickets", "/watchdog"] {
        assert!(
            !firing_at(&sink, path, 0).contains(&"SettleElsewhereIdle".to_owned()),
            "{path}"
        );
    }

    // Prometheus stops: once its Watchdog expires (4 s), the heartbeat (every second until
    // then) stops. Three quiet seconds in a row, polled rather than slept through, so a
    // loaded machine that delays the last beats cannot fail it, and a heartbeat that goes
    // on can never pass it.
    drop(prometheus);
    let stopped = Instant::now();
    let (mut beats, mut quiet_since) = (sink.at("/watchdog").len(), Instant::now());
    while quiet_since.elapsed() < Duration::from_secs(3) {
        assert!(
            stopped.elapsed() < Duration::from_secs(30),
            "the heartbeat went on after Prometheus stopped: {beats} beats"
        );
        std::thread::sleep(Duration::from_millis(250));
        let now = sink.at("/watchdog").len();
        if now != beats {
            (beats, quiet_since) = (now, Instant::now());
        }
    }
    eprintln!(
        "the heartbeat stopped {:.1}s after Prometheus",
        (quiet_since - stopped).as_secs_f64()
    );
    drop(am);
}
