//! The real exporter over real HTTP on loopback, installed without a tokio runtime.

use std::net::SocketAddr;

use botwatch_tests::{http_get, request, Exposition};

#[botwatch::counted]
fn place_order(size: u64) -> Result<u64, String> {
    if size == 0 {
        return Err("empty order".to_owned());
    }
    Ok(size)
}

#[botwatch::timed(alert(p99 > 250ms))]
fn price() -> f64 {
    101.5
}

#[botwatch::counted]
#[botwatch::timed]
fn untouched() {}

#[test]
fn serves_metrics_health_and_rules() {
    // A call before install() must still count afterwards.
    place_order(1).unwrap();

    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .global_label("bot", "chimera")
        .allow_client("127.0.0.0/8")
        .install()
        .expect("install");
    let addr: SocketAddr = exporter.local_addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0);

    place_order(5).unwrap();
    place_order(0).unwrap_err();
    for _ in 0..3 {
        price();
    }
    metrics::describe_counter!("operator_fills_total", "Fills reported by the venue.");
    metrics::counter!("operator_fills_total", "venue" => "binance").increment(4);

    let response = http_get(addr, "/metrics").expect("GET /metrics");
    assert_eq!(response.status, 200);
    assert!(response.headers["content-type"].starts_with("text/plain"));
    let e = Exposition::parse(&response.body);
    let ok = [
        ("function", "place_order"),
        ("module", "exporter_http"),
        ("result", "ok"),
        ("bot", "chimera"),
    ];
    let error = [
        ("function", "place_order"),
        ("result", "error"),
        ("bot", "chimera"),
    ];
    assert_eq!(e.value("function_calls_total", &ok), Some(2.0));
    assert_eq!(e.value("function_calls_total", &error), Some(1.0));
    assert_eq!(
        e.value(
            "function_calls_duration_seconds_count",
            &[("function", "price"), ("bot", "chimera")]
        ),
        Some(3.0)
    );
    assert_eq!(
        e.value(
            "function_calls_duration_seconds_bucket",
            &[("function", "price"), ("le", "0.25")]
        ),
        Some(3.0),
        "the alert threshold is a bucket bound"
    );
    assert_eq!(
        e.value(
            "function_calls_total",
            &[("function", "untouched"), ("result", "ok")]
        ),
        Some(0.0)
    );
    assert_eq!(
        e.value(
            "function_calls_duration_seconds_count",
            &[("function", "untouched")]
        ),
        Some(0.0)
    );
    assert!(e.help.contains_key("function_calls_total"));
    assert!(e.help.contains_key("function_calls_duration_seconds"));
    assert_eq!(
        e.value(
            "operator_fills_total",
            &[("venue", "binance"), ("bot", "chimera")]
        ),
        Some(4.0),
        "the user's own metrics are served on the same endpoint"
    );
    for sample in &e.samples {
        assert_eq!(
            sample.labels.get("bot").map(String::as_str),
            Some("chimera"),
            "{sample:?}"
        );
    }

    // That promtool accepts such a whole page (global label, the user's own metrics, an
    // open breaker) is checked in bots/mounted_exporter.rs, outside the quick loop.

    let health = http_get(addr, "/health").expect("GET /health");
    assert_eq!(health.status, 200);
    assert_eq!(health.headers["content-type"], "application/json");
    assert!(health.body.contains("\"status\":\"ok\""), "{}", health.body);
    assert!(
        health.body.contains("\"uptime_seconds\":"),
        "{}",
        health.body
    );
    assert!(health.body.contains("\"breakers\":"), "{}", health.body);

    let rules = http_get(addr, "/rules").expect("GET /rules");
    assert_eq!(rules.status, 200);
    assert_eq!(rules.body, botwatch::rules::yaml());

    assert_eq!(http_get(addr, "/nope").unwrap().status, 404);
    assert_eq!(request(addr, "POST", "/metrics").unwrap().status, 405);

    // Idle connections are bounded, and never lock a scrape out: one client address holds
    // at most 16 connections, and a new one takes the slot of the quietest.
    let mut idle: Vec<std::net::TcpStream> = (0..100)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    let scraped = http_get(addr, "/metrics").expect("a scrape next to 100 idle connections");
    assert_eq!(scraped.status, 200);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let closed_by_server = idle
        .iter_mut()
        .filter(|stream: &&mut std::net::TcpStream| {
            use std::io::Read;
            stream
                .set_read_timeout(Some(std::time::Duration::from_millis(20)))
                .unwrap();
            // EOF or reset: closed; a read timeout: still open.
            match (&**stream).read(&mut [0u8; 16]) {
                Ok(0) => true,
                Ok(bytes) => panic!("the server sent {bytes} bytes to a client that asked nothing"),
                Err(e) => !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
            }
        })
        .count();
    assert!(
        closed_by_server >= 100 - 16,
        "at most 16 idle connections of one client stay open; {closed_by_server} of 100 were closed"
    );
    drop(idle);

    let again = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect_err("a second install must fail");
    assert!(matches!(again, botwatch::InstallError::AlreadyInstalled));
    assert!(again.to_string().contains("call install() once"), "{again}");
}
