//! `Exporter::without_listener()`: the handle's `render_metrics()`, `health()`, `rules()`,
//! `live_page()` and `snapshot_json()`, mounted in a hyper server of the bot's own with the
//! handle's headers, serve exactly what botwatch's built-in endpoints serve for the same bot
//! (two processes: one recorder per process).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use botwatch_tests::{http_get, run_ok_with_input, tool, Exposition, Response};

struct Bot {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(mode: &str) -> Bot {
    let mut child = Command::new(env!("CARGO_BIN_EXE_exporter_twins"))
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start exporter_twins");
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("listening on ") {
                let _ = sender.send(addr.parse::<SocketAddr>().unwrap());
            }
        }
    });
    let addr = receiver
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("exporter_twins {mode} did not start"));
    Bot { child, addr }
}

/// A `/metrics` body's lines, sorted, without the process metrics.
fn comparable(body: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = body
        .lines()
        .filter(|l| !l.is_empty() && !l.contains("process_"))
        .collect();
    lines.sort_unstable();
    lines
}

/// The health JSON with the one field that differs by the instant of the request.
fn without_uptime(body: &str) -> serde_json::Value {
    let mut json: serde_json::Value = serde_json::from_str(body).expect(body);
    assert!(json["uptime_seconds"].as_f64().is_some(), "{body}");
    json["uptime_seconds"] = serde_json::Value::Null;
    json
}

#[test]
fn the_mounted_handle_serves_what_the_builtin_endpoints_serve() {
    let builtin = start("builtin");
    let mounted = start("mounted");
    let get = |bot: &Bot, path: &str| -> Response {
        http_get(bot.addr, path).unwrap_or_else(|e| panic!("GET {path}: {e}"))
    };

    let (ours, theirs) = (get(&builtin, "/metrics"), get(&mounted, "/metrics"));
    assert_eq!((ours.status, theirs.status), (200, 200));
    assert_eq!(ours.headers["content-type"], theirs.headers["content-type"]);
    // The same series, but for the process metrics (two processes' memory and threads
    // differ) and the order the `metrics` recorder lists its families in.
    assert_eq!(comparable(&ours.body), comparable(&theirs.body));
    assert!(theirs
        .body
        .contains("process_start_time_seconds{bot=\"chimera\"}"));
    // And that body is the whole bot: the facade's series and botwatch's, globally labelled.
    let e = Exposition::parse(&theirs.body);
    assert_eq!(
        e.value(
            "operator_fills_total",
            &[("venue", "binance"), ("bot", "chimera")]
        ),
        Some(4.0)
    );
    assert_eq!(
        e.value("operator_balance_eth", &[("bot", "chimera")]),
        Some(1.25)
    );
    assert_eq!(
        e.value(
            "function_calls_total",
            &[
                ("function", "place_order"),
                ("result", "error"),
                ("bot", "chimera")
            ]
        ),
        Some(1.0)
    );

    let (ours, theirs) = (get(&builtin, "/health"), get(&mounted, "/health"));
    assert_eq!(
        (ours.status, theirs.status),
        (503, 503),
        "the relay is open"
    );
    assert_eq!(ours.headers["content-type"], theirs.headers["content-type"]);
    assert_eq!(without_uptime(&ours.body), without_uptime(&theirs.body));
    assert_eq!(
        without_uptime(&theirs.body)["status"],
        "degraded",
        "{}",
        theirs.body
    );

    // The same safety headers on every path: the mounting bot is given them too.
    for path in ["/metrics", "/health", "/rules", "/", "/snapshot.json"] {
        let (ours, theirs) = (get(&builtin, path), get(&mounted, path));
        for header in [
            "content-type",
            "x-content-type-options",
            "content-security-policy",
            "cache-control",
        ] {
            assert_eq!(
                ours.headers.get(header),
                theirs.headers.get(header),
                "GET {path}: {header}"
            );
        }
        assert_eq!(
            theirs.headers["x-content-type-options"], "nosniff",
            "{path}"
        );
    }

    let (ours, theirs) = (get(&builtin, "/rules"), get(&mounted, "/rules"));
    assert_eq!((ours.status, theirs.status), (200, 200));
    assert_eq!(ours.headers["content-type"], theirs.headers["content-type"]);
    assert_eq!(ours.body, theirs.body);
    assert!(
        theirs.body.contains("PlaceOrderErrorRateHigh"),
        "{}",
        theirs.body
    );
}

/// Prometheus' own linter accepts the whole page, served either way: the facade's series
/// and botwatch's (an open breaker among them), globally labelled. The in-process tests
/// (`exporter_http.rs`, `breaker_http.rs`) check the same shapes without promtool.
#[test]
#[ignore = "slow: promtool"]
fn promtool_accepts_the_served_page() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    for mode in ["builtin", "mounted"] {
        let bot = start(mode);
        let page = http_get(bot.addr, "/metrics").expect("GET /metrics");
        assert_eq!(page.status, 200);
        run_ok_with_input(&promtool, &["check", "metrics"], &page.body);
    }
}
