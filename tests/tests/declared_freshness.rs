//! `stale > D` on declared metrics through the real exporter over HTTP on loopback: a
//! metric that declares it serves `<name>_last_update_timestamp_seconds` per label set,
//! dated by the first read after each update; one that does not serves nothing more; an
//! update that is not one (a negative counter amount, a NaN observation) moves nothing.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use botwatch::{Counter, Gauge, Histogram};
use botwatch_tests::{http_get, Exposition};

/// Last price on the feed: its updater may die while the price stays put.
#[botwatch::gauge(alert(stale > 1m))]
static PRICE: Gauge = Gauge::new();

/// Price per venue.
#[botwatch::gauge(labels(venue), alert(stale > 1m))]
static VENUE_PRICE: Gauge = Gauge::new();

/// A gauge without `stale`.
#[botwatch::gauge(alert(unchanged > 5m))]
static BALANCE: Gauge = Gauge::new();

/// Fills on the stream.
#[botwatch::counter(alert(stale > 10m))]
static FILLS_TOTAL: Counter = Counter::new();

/// Slippage per fill.
#[botwatch::histogram(buckets = [1, 5], alert(stale > 10m))]
static SLIPPAGE: Histogram = Histogram::new();

fn serve() -> SocketAddr {
    static EXPORTER: std::sync::OnceLock<botwatch::ExporterHandle> = std::sync::OnceLock::new();
    EXPORTER
        .get_or_init(|| {
            botwatch::Exporter::new()
                .listen("127.0.0.1:0".parse().unwrap())
                .install()
                .expect("install")
        })
        .local_addr()
}

fn scrape() -> Exposition {
    let response = http_get(serve(), "/metrics").expect("GET /metrics");
    assert_eq!(response.status, 200);
    Exposition::parse(&response.body)
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Moves the wall clock on enough for two reads to tell apart (not a timing assertion).
fn tick() {
    std::thread::sleep(Duration::from_millis(20));
}

fn updated(exposition: &Exposition, name: &str, labels: &[(&str, &str)]) -> f64 {
    exposition
        .value(&format!("{name}_last_update_timestamp_seconds"), labels)
        .unwrap_or_else(|| panic!("{name}_last_update_timestamp_seconds{labels:?} is served"))
}

/// A constant value written again is an update (the feed is alive); no write is none,
/// whatever the value; the time is a Unix time near the read.
#[test]
fn a_constant_value_written_again_moves_the_update_time_and_silence_does_not() {
    let before = now();
    PRICE.set(3150.5);
    let first = updated(&scrape(), "price", &[]);
    assert!(
        first >= before && first <= now(),
        "{before} <= {first} <= now"
    );
    tick();
    let unchanged = updated(&scrape(), "price", &[]);
    assert_eq!(unchanged, first, "no update: the time stays");
    tick();
    PRICE.set(3150.5);
    let again = updated(&scrape(), "price", &[]);
    assert!(again > first, "the same value written again is an update");
    assert_eq!(scrape().value("price", &[]), Some(3150.5));
}

#[test]
fn each_label_set_keeps_its_own_update_time() {
    VENUE_PRICE.labels(["binance"]).set(1.0);
    VENUE_PRICE.labels(["kraken"]).set(1.0);
    let first = scrape();
    let binance = updated(&first, "venue_price", &[("venue", "binance")]);
    let kraken = updated(&first, "venue_price", &[("venue", "kraken")]);
    tick();
    VENUE_PRICE.labels(["kraken"]).add(0.5);
    let second = scrape();
    assert_eq!(
        updated(&second, "venue_price", &[("venue", "binance")]),
        binance
    );
    assert!(updated(&second, "venue_price", &[("venue", "kraken")]) > kraken);
}

#[test]
fn a_metric_without_stale_serves_no_update_time() {
    BALANCE.set(2.0);
    let exposition = scrape();
    assert_eq!(exposition.value("balance", &[]), Some(2.0));
    assert!(
        exposition
            .matching("balance_last_update_timestamp_seconds", &[])
            .next()
            .is_none(),
        "only metrics with `stale` pay for update times"
    );
}

#[test]
fn an_ignored_update_is_no_update() {
    FILLS_TOTAL.increment();
    SLIPPAGE.record(2.0);
    let first = scrape();
    let fills = updated(&first, "fills_total", &[]);
    let slippage = updated(&first, "slippage", &[]);
    tick();
    FILLS_TOTAL.add(-1.0);
    FILLS_TOTAL.add(f64::NAN);
    SLIPPAGE.record(f64::NAN);
    let second = scrape();
    assert_eq!(updated(&second, "fills_total", &[]), fills);
    assert_eq!(updated(&second, "slippage", &[]), slippage);
    tick();
    FILLS_TOTAL.add(0.5);
    SLIPPAGE.record(7.0);
    let third = scrape();
    assert!(updated(&third, "fills_total", &[]) > fills);
    assert!(updated(&third, "slippage", &[]) > slippage);
}

/// Declared after the others, so no other test reads it first.
#[botwatch::gauge(labels(venue), alert(stale > 1m))]
static QUOTE: Gauge = Gauge::new();

#[test]
fn snapshots_tell_the_time_since_each_update() {
    QUOTE.labels(["binance"]).set(1.0);
    let first = botwatch::snapshot();
    let since = first
        .since_update("quote", &["binance"])
        .unwrap()
        .expect("a metric with stale keeps update times");
    assert!(since < Duration::from_secs(5), "{since:?}");
    tick();
    tick();
    let later = botwatch::snapshot()
        .since_update("quote", &["binance"])
        .unwrap()
        .unwrap();
    assert!(
        later > since,
        "no update: the time since it grows ({since:?} → {later:?})"
    );
    assert_eq!(
        botwatch::snapshot().since_update("balance", &[]).unwrap(),
        None,
        "a metric without stale keeps none"
    );
    assert!(botwatch::snapshot()
        .since_update("quote", &["kraken"])
        .is_err());
}
