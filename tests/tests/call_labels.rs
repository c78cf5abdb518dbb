//! Per-call labels (`labels(venue = venue.name())`) through the attribute and `render()`:
//! a series per label set, text, integer and bool values, the `max_series` bound with its
//! `__overflow__` series and counter, long and hostile values, and the arguments still
//! usable by the body.

use botwatch_tests::Exposition;

#[derive(Clone, Copy)]
enum Side {
    Buy,
    Sell,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

struct Order {
    venue: String,
    side: Side,
    size: u64,
}

#[botwatch::counted(labels(kind = "spot", venue = order.venue, side = order.side.as_str()))]
#[botwatch::timed(labels(venue = order.venue))]
fn place_order(order: Order) -> Result<u64, String> {
    // The body takes the order: the labels were read before.
    let Order { size, .. } = order;
    if size == 0 {
        Err("empty".to_owned())
    } else {
        Ok(size)
    }
}

fn order(venue: &str, side: Side, size: u64) -> Order {
    Order {
        venue: venue.to_owned(),
        side,
        size,
    }
}

fn metrics() -> Exposition {
    Exposition::parse(&botwatch::render())
}

#[test]
fn each_label_set_has_its_own_series() {
    place_order(order("binance", Side::Buy, 1)).unwrap();
    place_order(order("binance", Side::Buy, 2)).unwrap();
    place_order(order("binance", Side::Sell, 0)).unwrap_err();
    place_order(order("kraken", Side::Buy, 3)).unwrap();
    let m = metrics();
    let calls = |venue, side, result| {
        m.value(
            "function_calls_total",
            &[
                ("function", "place_order"),
                ("kind", "spot"),
                ("venue", venue),
                ("side", side),
                ("result", result),
            ],
        )
    };
    assert_eq!(calls("binance", "buy", "ok"), Some(2.0));
    assert_eq!(calls("binance", "sell", "error"), Some(1.0));
    assert_eq!(calls("binance", "sell", "ok"), Some(0.0));
    assert_eq!(calls("kraken", "buy", "ok"), Some(1.0));
    assert_eq!(calls("kraken", "sell", "ok"), None, "never seen");
    let timed = |venue| {
        m.value(
            "function_calls_duration_seconds_count",
            &[("function", "place_order"), ("venue", venue)],
        )
    };
    assert_eq!(timed("binance"), Some(3.0));
    assert_eq!(timed("kraken"), Some(1.0));
    assert_eq!(
        m.value(
            "botwatch_label_overflow_total",
            &[("function", "place_order")]
        ),
        Some(0.0)
    );
}

#[botwatch::counted(labels(depth = depth, retry = retry))]
fn fetch_book(depth: u32, retry: bool) -> u32 {
    depth
}

#[test]
fn integers_and_bools_are_label_values() {
    fetch_book(20, false);
    fetch_book(20, false);
    fetch_book(5, true);
    let m = metrics();
    let calls = |depth, retry| {
        m.value(
            "function_calls_total",
            &[
                ("function", "fetch_book"),
                ("depth", depth),
                ("retry", retry),
                ("result", "ok"),
            ],
        )
    };
    assert_eq!(calls("20", "false"), Some(2.0));
    assert_eq!(calls("5", "true"), Some(1.0));
    // snapshot() sums every label set of the function.
    let snapshot = botwatch::snapshot();
    assert_eq!(snapshot.calls("fetch_book").unwrap().ok, 3);
}

#[botwatch::timed(labels(depth = depth))]
fn fetch_trades(depth: u32) -> u32 {
    depth
}

#[test]
fn snapshot_durations_sum_every_label_set() {
    fetch_trades(1);
    fetch_trades(2);
    fetch_trades(2);
    assert_eq!(
        botwatch::snapshot()
            .durations("fetch_trades")
            .unwrap()
            .count,
        3
    );
}

#[botwatch::counted(labels(symbol = symbol), max_series = 50)]
fn quote_symbol(symbol: &str) -> usize {
    symbol.len()
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn max_series_bounds_the_series_and_memory() {
    for i in 0..10_000 {
        quote_symbol(&format!("SYM{i}"));
    }
    let before = resident_kib();
    for i in 10_000..110_000 {
        quote_symbol(&format!("SYM{i}"));
    }
    let after = resident_kib();
    let m = metrics();
    let series = m.matching(
        "function_calls_total",
        &[("function", "quote_symbol"), ("result", "ok")],
    );
    assert_eq!(series.count(), 51, "50 label sets and the overflow series");
    let overflow = m.value(
        "function_calls_total",
        &[
            ("function", "quote_symbol"),
            ("symbol", "__overflow__"),
            ("result", "ok"),
        ],
    );
    assert_eq!(overflow, Some(109_950.0));
    assert_eq!(
        m.value(
            "botwatch_label_overflow_total",
            &[("function", "quote_symbol")]
        ),
        Some(109_950.0)
    );
    assert_eq!(quote_symbol("SYM7"), 4, "a known set keeps its series");
    if let (Some(before), Some(after)) = (before, after) {
        // 100,000 new symbols would take megabytes if each got storage.
        assert!(
            after.saturating_sub(before) < 4 * 1024,
            "resident memory grew from {before} KiB to {after} KiB"
        );
    }
}

#[botwatch::counted(labels(note = note))]
fn annotate(note: &str) -> usize {
    note.len()
}

#[test]
fn hostile_and_huge_values_render_valid_exposition() {
    annotate("quote \" backslash \\ newline \n end");
    let huge = "x".repeat(10 * 1024);
    annotate(&huge);
    let m = metrics();
    assert_eq!(
        m.value(
            "function_calls_total",
            &[
                ("function", "annotate"),
                ("note", "quote \" backslash \\ newline \n end"),
                ("result", "ok")
            ]
        ),
        Some(1.0)
    );
    let cut = "x".repeat(256);
    assert_eq!(
        m.value(
            "function_calls_total",
            &[("function", "annotate"), ("note", &cut), ("result", "ok")]
        ),
        Some(1.0),
        "a 10 KiB value is cut to 256 bytes"
    );
}

/// `annotate`'s twin, so that the counts the test above reads stay its own.
#[botwatch::counted(labels(note = note))]
fn remark(note: &str) -> usize {
    note.len()
}

#[test]
#[ignore = "slow: promtool"]
fn promtool_accepts_hostile_and_huge_values() {
    remark("quote \" backslash \\ newline \n end");
    remark(&"x".repeat(10 * 1024));
    let Some(promtool) = botwatch_tests::tool("promtool") else {
        return;
    };
    botwatch_tests::run_ok_with_input(&promtool, &["check", "metrics"], &botwatch::render());
}
