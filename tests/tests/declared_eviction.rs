//! `label_idle` on labelled declared families: a label set with no update for that long
//! leaves `/metrics` at a scrape (served once more) and its place goes to a new set, through
//! the attribute and the real renderer. The label clock is moved with
//! `botwatch::__private::advance_label_clock` instead of waiting an hour.
//!
//! A binary of its own: every scrape sweeps every family and the clock is the process's,
//! so the tests here take turns (`one_at_a_time`) and each watches families of its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use botwatch::__private::advance_label_clock;
use botwatch::{Counter, Gauge, Histogram};
use botwatch_tests::Exposition;

fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

fn minutes(m: u64) -> Duration {
    Duration::from_secs(60 * m)
}

fn scrape() -> Exposition {
    Exposition::parse(&botwatch::render())
}

fn evictions(m: &Exposition, metric: &str) -> Option<f64> {
    m.value("botwatch_label_evictions_total", &[("metric", metric)])
}

fn overflowed(m: &Exposition, metric: &str) -> Option<f64> {
    m.value("botwatch_label_overflow_total", &[("metric", metric)])
}

/// Open position per symbol.
/// Positions per symbol, in a family with room for two: a gauge's idle set is evicted only
/// while its family is full.
#[botwatch::gauge(labels(symbol), max_series = 2)]
static POSITION: Gauge = Gauge::new();

fn position(m: &Exposition, symbol: &str) -> Option<f64> {
    m.value("position", &[("symbol", symbol)])
}

#[test]
fn an_idle_set_is_evicted_while_an_updated_one_stays() {
    let _turn = one_at_a_time();
    POSITION.labels(["BTC"]).set(1.0);
    POSITION.labels(["ETH"]).set(2.0);
    let m = scrape(); // dates both updates
    assert_eq!(
        (position(&m, "BTC"), position(&m, "ETH")),
        (Some(1.0), Some(2.0))
    );

    advance_label_clock(minutes(40));
    POSITION.labels(["ETH"]).add(1.0);
    let m = scrape();
    assert_eq!(position(&m, "BTC"), Some(1.0), "40 minutes idle: kept");

    advance_label_clock(minutes(40));
    let last = scrape();
    let m = scrape();
    assert_eq!(position(&m, "BTC"), None, "gone from /metrics");
    assert_eq!(position(&m, "ETH"), Some(3.0));
    assert_eq!(
        position(&last, "BTC"),
        Some(1.0),
        "evicted, served one last time"
    );
    assert_eq!(evictions(&last, "position"), Some(1.0));
    assert_eq!(
        position(&last, "ETH"),
        Some(3.0),
        "updated 40 minutes ago: kept"
    );
    assert_eq!(evictions(&m, "position"), Some(1.0));
    assert!(
        botwatch::snapshot().value_of("position", &["BTC"]).is_err(),
        "gone from the snapshot too"
    );

    POSITION.labels(["BTC"]).add(0.5);
    let m = scrape();
    assert_eq!(position(&m, "BTC"), Some(0.5), "back, from zero");
    assert_eq!(overflowed(&m, "position"), Some(0.0));
}

/// Inventory per venue, in a family with room to spare.
#[botwatch::gauge(labels(venue), max_series = 10)]
static HELD: Gauge = Gauge::new();

/// A position the bot holds for hours without touching it stays while its family has room:
/// evicting it would drop it from `/metrics` (and a `total` alert's sum) and start its next
/// `add` from zero. Once the family is full, the sets idle for `label_idle` make room.
#[test]
fn a_held_gauge_stays_until_its_family_needs_the_room() {
    let _turn = one_at_a_time();
    HELD.labels(["binance"]).set(5.0);
    scrape();
    advance_label_clock(minutes(180));
    let held = |m: &Exposition, venue: &str| m.value("held", &[("venue", venue)]);
    let m = scrape();
    assert_eq!(
        held(&m, "binance"),
        Some(5.0),
        "held 3 hours untouched: kept"
    );
    assert_eq!(evictions(&m, "held"), Some(0.0));
    HELD.labels(["binance"]).add(1.0);
    assert_eq!(
        held(&scrape(), "binance"),
        Some(6.0),
        "added to what it held"
    );

    // Fill the family: nine more venues, then all but one go quiet for an hour.
    for n in 1..10 {
        HELD.labels([format!("venue-{n}")]).set(1.0);
    }
    scrape();
    advance_label_clock(minutes(61));
    HELD.labels(["venue-1"]).set(2.0);
    HELD.labels(["late"]).set(7.0); // no room: `__overflow__`
    let m = scrape();
    assert_eq!(overflowed(&m, "held"), Some(1.0));
    assert_eq!(evictions(&m, "held"), Some(9.0), "full: the nine idle sets");
    let m = scrape();
    assert_eq!(held(&m, "binance"), None);
    assert_eq!(held(&m, "venue-1"), Some(2.0), "updated: kept");
    HELD.labels(["late"]).set(7.0);
    assert_eq!(
        held(&scrape(), "late"),
        Some(7.0),
        "a series of its own now"
    );
}

/// Quotes per venue: a feed that must not go quiet for 40 minutes.
#[botwatch::gauge(labels(venue), max_series = 1, alert(stale > 40m))]
static QUOTE: Gauge = Gauge::new();

#[test]
fn a_family_whose_alert_watches_for_quiet_keeps_its_sets_twice_that_long() {
    let _turn = one_at_a_time();
    QUOTE.labels(["kraken"]).set(1.0);
    scrape();
    advance_label_clock(minutes(75));
    let m = scrape();
    assert_eq!(
        m.value("quote", &[("venue", "kraken")]),
        Some(1.0),
        "75 minutes idle: past the default hour, within twice `stale > 40m`"
    );
    assert_eq!(evictions(&m, "quote"), Some(0.0));
    advance_label_clock(minutes(10));
    let m = scrape();
    assert_eq!(
        evictions(&m, "quote"),
        Some(1.0),
        "85 minutes idle: evicted"
    );
    assert_eq!(m.value("quote", &[("venue", "kraken")]), Some(1.0));
    assert_eq!(scrape().value("quote", &[("venue", "kraken")]), None);
}

/// Fills per desk.
#[botwatch::counter(labels(desk))]
static DESK_FILLS_TOTAL: Counter = Counter::new();

#[test]
fn a_kept_handle_keeps_its_set_and_survives_an_eviction() {
    let _turn = one_at_a_time();
    let desk = DESK_FILLS_TOTAL.labels(["kept"]);
    let fills = |m: &Exposition| m.value("desk_fills_total", &[("desk", "kept")]);
    for round in 1..=5 {
        desk.increment();
        let m = scrape();
        assert_eq!(
            fills(&m),
            Some(f64::from(round)),
            "in use through the handle"
        );
        assert_eq!(evictions(&m, "desk_fills_total"), Some(0.0));
        advance_label_clock(minutes(40));
    }
    advance_label_clock(minutes(40));
    let m = scrape();
    assert_eq!(evictions(&m, "desk_fills_total"), Some(1.0));
    assert_eq!(fills(&m), Some(5.0), "its last total");
    // The handle outlived its set: the update lands in the set made again.
    desk.add(2.0);
    let m = scrape();
    assert_eq!(fills(&m), Some(2.0));
    assert_eq!(overflowed(&m, "desk_fills_total"), Some(0.0));
}

/// Slippage per venue.
#[botwatch::histogram(labels(venue), buckets = [0.001, 0.01])]
static SLIPPAGE: Histogram = Histogram::new();

#[test]
fn an_evicted_histogram_serves_its_counts_once_more() {
    let _turn = one_at_a_time();
    for value in [0.0005, 0.005, 0.5] {
        SLIPPAGE.labels(["okx"]).record(value);
    }
    scrape();
    advance_label_clock(minutes(61));
    let m = scrape();
    assert_eq!(evictions(&m, "slippage"), Some(1.0));
    let bucket = |le| m.value("slippage_bucket", &[("venue", "okx"), ("le", le)]);
    assert_eq!(
        (bucket("0.001"), bucket("0.01"), bucket("+Inf")),
        (Some(1.0), Some(2.0), Some(3.0))
    );
    assert_eq!(m.value("slippage_sum", &[("venue", "okx")]), Some(0.5055));
    assert_eq!(scrape().value("slippage_count", &[("venue", "okx")]), None);
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Quotes requested per token.
#[botwatch::counter(labels(token), max_series = 100)]
static TOKEN_QUOTES_TOTAL: Counter = Counter::new();

/// A universe that rotates: 100,000 tokens, a hundred at a time, through `max_series =
/// 100`, each hundred idle for two hours before the next arrives. Nothing goes to
/// `__overflow__`, the last hundred tokens each have their own series, and resident
/// memory stays flat.
#[test]
fn churn_keeps_the_latest_sets_without_overflow_or_growth() {
    let _turn = one_at_a_time();
    let rounds = 1_000;
    let mut before = None;
    for round in 0..rounds {
        if round == 100 {
            before = resident_kib();
        }
        for i in 0..100 {
            TOKEN_QUOTES_TOTAL
                .labels([format!("T-{round}-{i}")])
                .increment();
        }
        botwatch::render(); // dates the updates
        advance_label_clock(minutes(120));
        botwatch::render(); // evicts them
    }
    let after = resident_kib();
    for i in 0..100 {
        TOKEN_QUOTES_TOTAL.labels([format!("LAST-{i}")]).add(2.0);
    }
    let m = scrape();
    for i in 0..100 {
        let token = format!("LAST-{i}");
        assert_eq!(
            m.value("token_quotes_total", &[("token", &token)]),
            Some(2.0),
            "{token} has a series of its own"
        );
    }
    let served: Vec<_> = m.matching("token_quotes_total", &[]).collect();
    assert_eq!(served.len(), 100, "the last hundred, and nothing else");
    assert_eq!(overflowed(&m, "token_quotes_total"), Some(0.0));
    assert_eq!(
        evictions(&m, "token_quotes_total"),
        Some(100_000.0),
        "every token was evicted once"
    );
    if let (Some(before), Some(after)) = (before, after) {
        assert!(
            after.saturating_sub(before) < 4 * 1024,
            "resident memory grew from {before} KiB to {after} KiB"
        );
    }
}

/// Orders sent per venue, updated by several threads.
#[botwatch::counter(labels(venue))]
static RACED_ORDERS_TOTAL: Counter = Counter::new();

/// Writers update one set in bursts while a scraper moves the clock two hours per scrape,
/// so the set is evicted whenever a burst pauses over two scrapes, sometimes with an update
/// in flight. Every update is counted once: the totals each eviction served last, plus
/// what is live (or in `__overflow__`, for an update that outlived its set's entry) at the
/// end, add up to exactly what was written.
#[test]
fn updates_racing_evictions_are_each_counted_once() {
    let _turn = one_at_a_time();
    let writers = 4;
    let bursts = 400;
    let burst = 50;
    let done = AtomicBool::new(false);
    let metric = "raced_orders_total";
    let read = |m: &Exposition| {
        (
            m.value(metric, &[("venue", "binance")]).unwrap_or(0.0),
            evictions(m, metric).unwrap_or(0.0),
        )
    };
    let mut served_last = 0.0;
    let mut evictions_seen = 0.0;
    std::thread::scope(|scope| {
        let writing: Vec<_> = (0..writers)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..bursts {
                        // A handle held over the burst, as a bot holding one would.
                        let venue = RACED_ORDERS_TOTAL.labels(["binance"]);
                        for _ in 0..burst {
                            venue.increment();
                            RACED_ORDERS_TOTAL.labels(["binance"]).add(0.25);
                        }
                        std::thread::sleep(Duration::from_micros(300));
                    }
                })
            })
            .collect();
        let scraper = scope.spawn(|| {
            let (mut total, mut seen) = (0.0, 0.0);
            while !done.load(Ordering::Relaxed) {
                let (value, evicted) = read(&scrape());
                if evicted > seen {
                    assert_eq!(evicted, seen + 1.0, "one set, evicted once per scrape");
                    total += value;
                    seen = evicted;
                }
                advance_label_clock(minutes(120));
            }
            (total, seen)
        });
        for writer in writing {
            writer.join().expect("writer");
        }
        done.store(true, Ordering::Relaxed);
        (served_last, evictions_seen) = scraper.join().expect("scraper");
    });
    // The end: one more scrape may evict (and serve) the set; the next serves what is live.
    let (value, evicted) = read(&scrape());
    if evicted > evictions_seen {
        served_last += value;
        evictions_seen = evicted;
    }
    let m = scrape();
    let (live, evicted) = read(&m);
    assert_eq!(evicted, evictions_seen, "no clock moved: no eviction");
    let overflow = m.value(metric, &[("venue", "__overflow__")]).unwrap_or(0.0);
    let written = f64::from(writers * bursts * burst) * 1.25;
    eprintln!();
    assert_eq!(served_last + live + overflow, written);
    assert!(
        evictions_seen >= 10.0,
        "the race was run: {evictions_seen} evictions"
    );
}
