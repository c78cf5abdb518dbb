//! The live page over real HTTP on loopback: `GET /` and `GET /snapshot.json` show every
//! function and breaker with numbers that match what the functions did, escape every value
//! that comes from the bot, and judge alerts in process. (The page in a real browser is
//! tested with the example bot: examples/trading-bot/tests/live_page_browser.rs.)

use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

use botwatch::{CircuitOpen, State};
use botwatch_tests::{chromium, dump_dom, http_get, request, Response};
use serde_json::Value;

/// In a label value, a per-key breaker's key and (through them) the page's HTML and JSON.
/// If it ever ran, the browser test would see `data-pwned` on the body.
const HOSTILE: &str =
    "</script><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">&\"'";

#[derive(Debug, PartialEq)]
enum FeedError {
    Down,
    Open(CircuitOpen),
}

impl From<CircuitOpen> for FeedError {
    fn from(open: CircuitOpen) -> Self {
        FeedError::Open(open)
    }
}

#[botwatch::counted(alert(error_rate > 10%))]
#[botwatch::timed(alert(p99 > 1s))]
fn quote(fail: bool, sleep: Duration) -> Result<f64, String> {
    std::thread::sleep(sleep);
    if fail {
        Err("stale quote".to_owned())
    } else {
        Ok(101.5)
    }
}

#[botwatch::counted]
fn never_called() {}

/// Its chosen quantiles are the live page's columns for it: p50 and p95, no p99.
#[botwatch::timed(quantiles(0.5, 0.95))]
fn score(sleep: Duration) {
    std::thread::sleep(sleep);
}

#[botwatch::circuit_breaker(name = "venue", per = venue, failures = 1, reset = 1h)]
fn order_on(venue: &str, fail: bool) -> Result<(), FeedError> {
    if fail {
        Err(FeedError::Down)
    } else {
        Ok(())
    }
}

#[botwatch::circuit_breaker(name = "feed", failures = 2, reset = 1h, alert(open))]
fn feed(fail: bool) -> Result<(), FeedError> {
    if fail {
        Err(FeedError::Down)
    } else {
        Ok(())
    }
}

/// Blocks until told to finish: a probe that stays in flight while the test looks.
#[botwatch::circuit_breaker(name = "gate", failures = 1, reset = 50ms)]
fn gated(finish: &mpsc::Receiver<bool>) -> Result<(), FeedError> {
    match finish.recv() {
        Ok(true) => Ok(()),
        _ => Err(FeedError::Down),
    }
}

/// The operator's wallet, in ETH.
#[botwatch::gauge(unit = "ETH", alert(value < 0.5, severity = "critical"))]
static BALANCE_ETH: botwatch::Gauge = botwatch::Gauge::new();

/// Where the bot's state machine is.
#[botwatch::gauge(
    states(0 = "running", 1 = "paused", 3 = "halted"),
    alert(state == "halted", severity = "critical")
)]
static BOT_STATE: botwatch::Gauge = botwatch::Gauge::new();

/// Position size by symbol.
#[botwatch::gauge(labels(symbol))]
static POSITION: botwatch::Gauge = botwatch::Gauge::new();

fn exporter() -> &'static botwatch::ExporterHandle {
    static EXPORTER: OnceLock<botwatch::ExporterHandle> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        // Old calls, before any look at the page: fast ones, which must not pull the p50 of
        // the recent calls down, nor count in their rate or error share.
        for _ in 0..50 {
            quote(false, Duration::ZERO).unwrap();
        }
        botwatch::Exporter::new()
            .listen("127.0.0.1:0".parse().unwrap())
            .global_label("bot", HOSTILE)
            .allow_client("127.0.0.0/8")
            .install()
            .expect("install")
    })
}

fn addr() -> SocketAddr {
    exporter().local_addr()
}

fn get(path: &str) -> Response {
    let response = http_get(addr(), path).unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(response.status, 200, "GET {path}: {}", response.body);
    response
}

fn snapshot() -> Value {
    let response = get("/snapshot.json");
    assert_eq!(response.headers["content-type"], "application/json");
    serde_json::from_str(&response.body).unwrap_or_else(|e| panic!("{e}: {}", response.body))
}

fn function<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == name)
        .unwrap_or_else(|| panic!("no function {name} in {json}"))
}

fn breaker<'a>(json: &'a Value, name: &str, key: Option<&str>) -> &'a Value {
    json["breakers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == name && b["key"].as_str() == key)
        .unwrap_or_else(|| panic!("no breaker {name}/{key:?} in {json}"))
}

/// Catches: a value from the bot written into HTML or JSON unescaped (the page would run
/// the `onerror`), or a page that loads something from elsewhere.
#[test]
fn every_value_from_the_bot_is_escaped_in_html_and_json() {
    order_on(HOSTILE, false).unwrap();
    order_on("kraken", false).unwrap();
    POSITION.labels([HOSTILE]).set(2.0);

    let page = get("/");
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers["cache-control"], "no-store");
    let policy = &page.headers["content-security-policy"];
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(
        !page.body.contains("<img"),
        "an unescaped value in the page"
    );
    assert!(
        !page.body.contains("</script><"),
        "an unescaped value in the page"
    );
    let escaped = "&lt;/script&gt;&lt;img src=x onerror=&quot;document.body.setAttribute(&#39;data-pwned&#39;,&#39;1&#39;)&quot;&gt;&amp;&quot;&#39;";
    // As the label, the key and the gauge's label value; the title shows the label too.
    assert!(
        page.body.matches(escaped).count() >= 3,
        "the label and the key, escaped, in:\n{}",
        page.body
    );
    // The first content is there without JavaScript: names in plain tables.
    assert!(page.body.contains("<td>quote</td>"), "{}", page.body);
    assert!(page.body.contains("<td>venue</td>"), "{}", page.body);

    let raw = get("/snapshot.json").body;
    assert!(!raw.contains('<') && !raw.contains('>'), "{raw}");
    let json: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(json["labels"][0][1], HOSTILE, "the label survives escaping");
    let key = breaker(&json, "venue", Some(HOSTILE));
    assert_eq!(key["state"], "closed");
    assert_eq!(breaker(&json, "venue", Some("kraken"))["state"], "closed");
    let position = json["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "position")
        .unwrap_or_else(|| panic!("no position in {json}"));
    assert_eq!(position["labels"][0][1], HOSTILE);
    assert_eq!(position["value"], 2.0);
}

/// Catches: declared metrics missing from the page, a value condition judged the wrong way
/// round, or the page reading a stale value.
#[test]
fn declared_metrics_show_their_value_and_judged_alerts() {
    let balance = |json: &Value| {
        json["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "balance_eth")
            .unwrap_or_else(|| panic!("no balance_eth in {json}"))
            .clone()
    };
    BALANCE_ETH.set(0.25);
    let low = balance(&snapshot());
    assert_eq!(
        (low["kind"].as_str(), low["value"].as_f64()),
        (Some("gauge"), Some(0.25))
    );
    assert_eq!(low["help"], "The operator's wallet, in ETH.");
    let alert = &low["alerts"][0];
    assert_eq!(alert["name"], "BalanceEthLow");
    assert_eq!(
        alert["condition"], "value < 0.5 ETH",
        "the threshold in its unit"
    );
    assert_eq!(alert["value"], "0.25 ETH");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["holds"], true, "{alert}");
    BALANCE_ETH.set(1.5);
    let fine = balance(&snapshot());
    assert_eq!(fine["value"], 1.5);
    assert_eq!(fine["alerts"][0]["holds"], false);
    assert_eq!(fine["unit"], "ETH");
    let html = get("/").body;
    assert!(html.contains("<td>balance_eth</td><td>gauge</td><td>1.5 ETH</td>"));
    assert!(
        html.contains("BalanceEthLow (value &lt; 0.5 ETH, critical)"),
        "the served chip in its unit"
    );
}

/// The `quantile` cells of `function`'s row in the served HTML table, by column.
fn quantile_cells(html: &str, function: &str) -> Vec<(String, String)> {
    let table = html
        .split("<table id=\"functions\" data-quantiles=\"")
        .nth(1)
        .expect("the functions' table names its quantile columns");
    let columns: Vec<String> = table[..table.find('"').unwrap()]
        .split(' ')
        .map(str::to_owned)
        .collect();
    let row = table
        .split("<tr><td>")
        .find(|r| r.starts_with(&format!("{function}</td>")))
        .unwrap_or_else(|| panic!("no row of {function}"));
    let cells: Vec<String> = row
        .split("<td>")
        .skip(3) // the rest of the function, calls/s, error %
        .map(|c| c[..c.find("</td>").unwrap()].to_owned())
        .collect();
    columns.into_iter().zip(cells).collect()
}

/// Catches: `quantiles(...)` ignored on the page (fixed p50/p99 columns), a chosen quantile
/// computed at another fraction, a column shown for a quantile the function did not choose,
/// and the header and the cells out of step.
#[test]
fn chosen_quantiles_are_the_functions_columns_in_json_and_html() {
    let _ = snapshot();
    for i in 0..100 {
        // 90 instant calls and 10 slow ones: p50 is fast, p95 among the slow. (Instant, not
        // a 1 ms sleep: on a loaded machine a short sleep can oversleep past p50's bound.)
        score(Duration::from_millis(if i % 10 == 0 { 30 } else { 0 }));
    }
    std::thread::sleep(Duration::from_millis(1100));
    let json = snapshot();
    // Every quantile a function shows: quote's default p50, p90, p99 and score's p95.
    assert_eq!(
        json["quantile_columns"],
        serde_json::json!(["p50", "p90", "p95", "p99"])
    );
    let chosen = &function(&json, "score")["quantiles"];
    let keys: Vec<&String> = chosen.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["p50", "p95"], "{chosen}");
    let (p50, p95) = (
        chosen["p50"].as_f64().unwrap(),
        chosen["p95"].as_f64().unwrap(),
    );
    assert!(p50 < 0.005, "p50 {p50}: the fast calls");
    assert!(
        (0.01..0.1).contains(&p95),
        "p95 {p95}: among the 30 ms calls"
    );
    let defaults = function(&json, "quote")["quantiles"]
        .as_object()
        .unwrap()
        .clone();
    let keys: Vec<&String> = defaults.keys().collect();
    assert_eq!(keys, ["p50", "p90", "p99"], "the contract's default");
    assert!(function(&json, "never_called")["quantiles"]
        .as_object()
        .unwrap()
        .is_empty());

    let html = get("/").body;
    assert!(html.contains("<th>p50</th><th>p90</th><th>p95</th><th>p99</th>"));
    let cells = quantile_cells(&html, "score");
    let columns: Vec<&str> = cells.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(columns, ["p50", "p90", "p95", "p99"]);
    assert_eq!(cells[1].1, "–", "score did not choose p90");
    assert_eq!(cells[3].1, "–", "nor p99");
    assert_ne!(cells[2].1, "–", "its p95 is shown: {cells:?}");
    assert_ne!(cells[0].1, "–", "and its p50: {cells:?}");
    let quote = quantile_cells(&html, "quote");
    assert_eq!(quote[2].1, "–", "quote did not choose p95: {quote:?}");
}

/// Catches: a state shown as its number, a state alert judged against the wrong value, a
/// value with no name given one, and a unit missing from the page or the JSON.
#[test]
fn states_show_by_name_and_their_alert_is_judged() {
    let state = |json: &Value| {
        json["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "bot_state")
            .unwrap_or_else(|| panic!("no bot_state in {json}"))
            .clone()
    };
    BOT_STATE.set(3.0);
    let halted = state(&snapshot());
    assert_eq!(halted["state"], "halted");
    assert_eq!(halted["unit"], Value::Null);
    let alert = &halted["alerts"][0];
    assert_eq!(alert["name"], "BotStateHalted");
    assert_eq!(alert["condition"], "state == \"halted\"");
    assert_eq!(alert["value"], "halted");
    assert_eq!(alert["holds"], true, "{alert}");
    assert!(get("/")
        .body
        .contains("<td>bot_state</td><td>gauge</td><td>halted (3)</td>"));
    BOT_STATE.set(1.0);
    let paused = state(&snapshot());
    assert_eq!(paused["state"], "paused");
    assert_eq!(paused["alerts"][0]["holds"], false);
    BOT_STATE.set(2.0);
    let unnamed = state(&snapshot());
    assert_eq!(unnamed["state"], Value::Null, "2 has no name");
    assert_eq!(unnamed["alerts"][0]["value"], "2");
    assert!(get("/")
        .body
        .contains("<td>bot_state</td><td>gauge</td><td>2</td>"));
}

/// Catches: rates divided by the wrong span, errors counted as calls or the other way
/// round, p50 read from the wrong bucket or from all calls since start instead of the
/// recent ones, and totals that disagree with `botwatch::snapshot()`.
#[test]
fn rates_shares_and_percentiles_cover_the_calls_since_an_earlier_look() {
    let before = snapshot();
    let calls_before = function(&before, "quote")["calls"].as_u64().unwrap();
    for i in 0..40 {
        let _ = quote(i % 4 == 0, Duration::from_millis(3));
    }
    std::thread::sleep(Duration::from_millis(1200));
    let after = snapshot();
    let quote_now = function(&after, "quote");
    let recent = after["recent_seconds"].as_f64().unwrap();
    assert!(recent >= 1.2, "recent span {recent}");
    let rate = quote_now["rate"]
        .as_f64()
        .expect("a rate once there are two looks");
    // `recent` is rounded to 0.1 s: the rate's bounds follow. (The base may be another
    // test's earlier look; the 50 old calls precede every look.)
    let (low, high) = (40.0 / (recent + 0.06), 40.0 / (recent - 0.06));
    assert!(rate >= low && rate <= high, "rate {rate} over {recent}s");
    let share = quote_now["error_share"].as_f64().unwrap();
    assert_eq!(share, 0.25, "10 of the 40 recent calls failed");
    let p50 = quote_now["p50_seconds"].as_f64().unwrap();
    let p99 = quote_now["p99_seconds"].as_f64().unwrap();
    assert!(
        (0.002..0.05).contains(&p50),
        "p50 {p50}: the 3 ms calls, not the instant ones"
    );
    assert!(p99 >= p50 && p99 < 0.5, "p99 {p99}");
    let calls = quote_now["calls"].as_u64().unwrap();
    assert_eq!(calls, calls_before + 40);
    let counted = botwatch::snapshot().calls("quote").unwrap();
    assert_eq!(
        calls,
        counted.ok + counted.error,
        "the page agrees with snapshot()"
    );
    assert_eq!(quote_now["errors"].as_u64().unwrap(), counted.error);
    // The sparkline holds the calls between its points: they add up to the calls seen.
    let spark: u64 = quote_now["spark"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(spark >= 40, "sparkline {}", quote_now["spark"]);
    assert_eq!(
        after["spark_ages"].as_array().unwrap().len(),
        quote_now["spark"].as_array().unwrap().len() + 1
    );

    let idle = function(&after, "never_called");
    assert_eq!(
        (idle["calls"].as_u64(), idle["rate"].as_f64()),
        (Some(0), Some(0.0))
    );
    assert!(idle["error_share"].is_null(), "no calls: no share, not 0%");

    // The alerts written on the function, judged here: 25% of recent calls failed.
    let alerts = quote_now["alerts"].as_array().unwrap();
    let error_rate = alerts
        .iter()
        .find(|a| a["name"] == "QuoteErrorRateHigh")
        .expect("the error_rate alert");
    assert_eq!(error_rate["condition"], "error_rate > 10%");
    assert_eq!(error_rate["holds"], true, "{error_rate}");
    let latency = alerts
        .iter()
        .find(|a| a["name"] == "QuoteLatencyHigh")
        .expect("the p99 alert");
    assert_eq!(
        (latency["condition"].as_str(), latency["holds"].as_bool()),
        (Some("p99 > 1s"), Some(false))
    );
}

/// Catches: a state shown wrongly or not at all (open, half-open, forced), the probe timer
/// missing or counted from the wrong moment, rejections or openings not counted, and an
/// open breaker's alert not holding.
#[test]
fn breakers_show_state_probe_timing_rejections_and_openings() {
    feed(true).unwrap_err();
    let json = snapshot();
    let closed = breaker(&json, "feed", None);
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["window"], "1 of 2 in a row");
    assert_eq!(closed["alerts"][0]["holds"], false);

    feed(true).unwrap_err();
    assert!(matches!(feed(false), Err(FeedError::Open(_))));
    let json = snapshot();
    let open = breaker(&json, "feed", None);
    assert_eq!(open["state"], "open");
    assert_eq!(open["forced"], false);
    let next = open["next_probe_seconds"].as_f64().unwrap();
    assert!((3590.0..=3600.0).contains(&next), "next probe in {next}s");
    assert_eq!(open["opened_total"], 1);
    assert!(open["rejected"].as_u64().unwrap() >= 1);
    assert_eq!(open["alerts"][0]["name"], "CircuitBreakerOpen");
    assert_eq!(open["alerts"][0]["holds"], true);
    assert_eq!(json["status"], "degraded");
    assert_eq!(request(addr(), "GET", "/health").unwrap().status, 503);

    let handle = botwatch::breaker("feed").unwrap();
    handle.force_open();
    let forced = snapshot();
    let forced = breaker(&forced, "feed", None);
    assert_eq!(
        (forced["state"].as_str(), forced["forced"].as_bool()),
        (Some("open"), Some(true))
    );
    assert!(
        forced["next_probe_seconds"].is_null(),
        "a forced breaker never probes"
    );
    handle.reset();
    assert_eq!(handle.state(), State::Closed);

    // Half-open: a probe in flight.
    let (finish, finished) = mpsc::channel();
    finish.send(false).unwrap();
    gated(&finished).unwrap_err();
    assert_eq!(botwatch::breaker("gate").unwrap().state(), State::Open);
    std::thread::sleep(Duration::from_millis(80));
    let probe = std::thread::spawn(move || gated(&finished));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while botwatch::breaker("gate").unwrap().state() != State::HalfOpen {
        assert!(
            std::time::Instant::now() < deadline,
            "the probe never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let json = snapshot();
    let half_open = breaker(&json, "gate", None);
    assert_eq!(half_open["state"], "half_open");
    assert!(half_open["next_probe_seconds"].is_null());
    finish.send(true).unwrap();
    probe.join().unwrap().unwrap();
    assert_eq!(breaker(&snapshot(), "gate", None)["state"], "closed");
}

/// Catches: routes missing for HEAD, other methods served, and the handle's methods for a
/// bot's own server drifting from the endpoints.
#[test]
fn head_and_other_methods_and_the_handle() {
    let head = request(addr(), "HEAD", "/").unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        request(addr(), "POST", "/snapshot.json").unwrap().status,
        405
    );
    let page = exporter().live_page();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<td>never_called</td>"));
    let json: Value = serde_json::from_str(&exporter().snapshot_json()).unwrap();
    assert!(json["functions"].as_array().unwrap().len() >= 4);
    assert!(json["values"].as_array().unwrap().len() >= 2);
}

/// Catches, in a real browser: the script building rows with `innerHTML` (the hostile key
/// would run), or a script that fails before it renders.
#[test]
#[ignore = "slow: chromium"]
fn in_a_browser_the_script_renders_hostile_values_as_text() {
    let Some(browser) = chromium() else { return };
    order_on(HOSTILE, false).unwrap();
    POSITION.labels([HOSTILE]).set(2.0);
    let url = format!("http://{}/", addr());
    let dom = dump_dom(&browser, &url, Duration::from_secs(3));
    let body_tag = dom
        .split("<body")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap_or_else(|| panic!("no body in:\n{dom}"));
    assert!(
        body_tag.contains("data-live=\"on\""),
        "the script never rendered:\n{dom}"
    );
    assert!(
        !body_tag.contains("data-pwned"),
        "the injected handler ran: <body{body_tag}>"
    );
    assert!(
        !dom.contains("<img"),
        "an element was made from a value:\n{dom}"
    );
    // The key is on the page, as text, in the card the script made for it.
    assert!(
        dom.contains("venue / &lt;/script&gt;&lt;img src=x onerror="),
        "the key as text:\n{dom}"
    );
    assert!(dom.contains("data-function=\"live_page::quote\""), "{dom}");
    // The script's columns follow the functions' quantiles, p95 for `score`.
    for q in ["p50", "p90", "p95", "p99"] {
        assert!(
            dom.contains(&format!("data-sort=\"{q}\"")),
            "no {q} column:\n{dom}"
        );
    }
    score(Duration::from_millis(2));
    let dom = dump_dom(&browser, &url, Duration::from_secs(3));
    let row = dom
        .split("data-function=\"live_page::score\"")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("no score row:\n{dom}"));
    let cells: Vec<&str> = row
        .split("<td class=\"num\">")
        .skip(1)
        .map(|c| &c[..c.find("</td>").unwrap()])
        .collect();
    // calls/s, error % (plain `num`: score never fails), then p50, p90, p95, p99.
    assert!(cells.len() >= 6, "{row}");
    assert_eq!(
        (cells[3], cells[5]),
        ("–", "–"),
        "p90 and p99 not chosen: {row}"
    );
    assert_ne!(cells[4], "–", "p95 shown: {row}");
    assert!(dom.contains("data-value=\"position\""), "{dom}");
}
