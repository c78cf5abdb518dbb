//! What `#[counted]` and `#[timed]` record, read back from `botwatch::render()`: exact counts
//! and result labels for every function shape, panics, cancelled futures, thresholds.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};
use std::time::Duration;

use botwatch_tests::Exposition;

const CALLS: &str = "function_calls_total";
const DURATION: &str = "function_calls_duration_seconds";
const MODULE: &str = "counting";

fn scrape() -> Exposition {
    Exposition::parse(&botwatch::render())
}

fn calls(function: &str, result: &str) -> Option<f64> {
    scrape().value(
        CALLS,
        &[
            ("function", function),
            ("module", MODULE),
            ("result", result),
        ],
    )
}

fn timed_count(function: &str) -> Option<f64> {
    scrape().value(
        &format!("{DURATION}_count"),
        &[("function", function), ("module", MODULE)],
    )
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
        .block_on(future)
}

#[botwatch::counted]
fn checked_div(a: u64, b: u64) -> Result<u64, String> {
    if b == 0 {
        return Err("division by zero".to_owned());
    }
    Ok(a / b)
}

#[test]
fn results_are_counted_by_outcome() {
    for b in [1, 0, 2, 0, 0] {
        let _ = checked_div(10, b);
    }
    assert_eq!(calls("checked_div", "ok"), Some(2.0));
    assert_eq!(calls("checked_div", "error"), Some(3.0));
}

#[botwatch::counted]
fn never_called() -> u8 {
    0
}

#[botwatch::timed]
fn never_timed() {}

#[test]
fn series_exist_at_zero_before_the_first_call() {
    let e = scrape();
    assert_eq!(
        e.value(CALLS, &[("function", "never_called"), ("result", "ok")]),
        Some(0.0)
    );
    assert_eq!(
        e.value(CALLS, &[("function", "never_called"), ("result", "error")]),
        Some(0.0)
    );
    assert_eq!(
        e.value(&format!("{DURATION}_count"), &[("function", "never_timed")]),
        Some(0.0)
    );
    assert_eq!(
        e.help[CALLS],
        "Calls of functions annotated with #[counted], by result."
    );
    assert_eq!(e.types[DURATION], "histogram");
}

#[botwatch::counted]
#[botwatch::timed]
fn panics_when(flag: bool) -> u32 {
    assert!(!flag, "asked to panic");
    7
}

#[test]
fn a_panic_counts_as_an_error_and_keeps_unwinding() {
    assert_eq!(panics_when(false), 7);
    let unwound = std::panic::catch_unwind(|| panics_when(true));
    assert!(unwound.is_err(), "the panic must reach the caller");
    assert_eq!(calls("panics_when", "ok"), Some(1.0));
    assert_eq!(calls("panics_when", "error"), Some(1.0));
    // A panic is not a return: no duration is recorded for it.
    assert_eq!(timed_count("panics_when"), Some(1.0));
}

#[botwatch::counted]
fn parse_number(text: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = text.parse()?;
    Ok(n)
}

#[botwatch::counted]
fn maybe(x: u32) -> Option<u32> {
    (x > 0).then_some(x)
}

#[test]
fn question_mark_errors_count_and_options_are_never_errors() {
    assert!(parse_number("x").is_err());
    assert_eq!(parse_number("4"), Ok(4));
    assert_eq!(calls("parse_number", "error"), Some(1.0));
    assert_eq!(calls("parse_number", "ok"), Some(1.0));
    assert_eq!(maybe(0), None);
    assert_eq!(calls("maybe", "ok"), Some(1.0));
    assert_eq!(calls("maybe", "error"), Some(0.0));
}

struct Venue {
    fills: u32,
}

impl Venue {
    #[botwatch::counted]
    fn fill(&mut self) -> Result<u32, String> {
        self.fills += 1;
        if self.fills % 2 == 0 {
            Err("rejected".to_owned())
        } else {
            Ok(self.fills)
        }
    }

    #[botwatch::timed]
    fn consume(self) -> u32 {
        self.fills
    }
}

#[botwatch::counted]
fn generic_len<T: AsRef<[u8]>>(value: T) -> usize {
    value.as_ref().len()
}

#[test]
fn methods_and_generic_instantiations_share_one_series() {
    let mut venue = Venue { fills: 0 };
    for _ in 0..4 {
        let _ = venue.fill();
    }
    assert_eq!(venue.consume(), 4);
    assert_eq!(calls("fill", "ok"), Some(2.0));
    assert_eq!(calls("fill", "error"), Some(2.0));
    assert_eq!(timed_count("consume"), Some(1.0));

    assert_eq!(generic_len("abc"), 3);
    assert_eq!(generic_len(vec![1u8, 2]), 2);
    assert_eq!(calls("generic_len", "ok"), Some(2.0));
}

struct Binance;
struct Kraken;

impl Binance {
    #[botwatch::counted(labels(side = side))]
    #[botwatch::timed]
    fn submit(side: &str) -> Result<(), ()> {
        let _ = side;
        Ok(())
    }
}

impl Kraken {
    #[botwatch::counted(labels(side = side))]
    #[botwatch::timed]
    fn submit(side: &str) -> Result<(), ()> {
        let _ = side;
        Err(())
    }
}

#[test]
fn methods_of_one_name_in_one_module_add_up_in_one_series() {
    for side in ["buy", "sell", "buy"] {
        let _ = Binance::submit(side);
        let _ = Kraken::submit(side);
    }
    // `value` finds at most one series: two lines of one series would fail the scrape.
    let submit = |side: &str, result: &str| {
        scrape().value(
            CALLS,
            &[("function", "submit"), ("side", side), ("result", result)],
        )
    };
    assert_eq!(submit("buy", "ok"), Some(2.0));
    assert_eq!(submit("buy", "error"), Some(2.0));
    assert_eq!(submit("sell", "ok"), Some(1.0));
    assert_eq!(submit("sell", "error"), Some(1.0));
    assert_eq!(timed_count("submit"), Some(6.0));
}

#[botwatch::timed]
#[botwatch::counted]
fn timed_outside(fail: bool) -> Result<(), ()> {
    if fail {
        Err(())
    } else {
        Ok(())
    }
}

#[botwatch::counted]
#[botwatch::timed]
fn counted_outside(fail: bool) -> Result<(), ()> {
    if fail {
        Err(())
    } else {
        Ok(())
    }
}

#[test]
fn stacking_works_in_either_order() {
    for fail in [false, true, true] {
        let _ = timed_outside(fail);
        let _ = counted_outside(fail);
    }
    for function in ["timed_outside", "counted_outside"] {
        assert_eq!(calls(function, "ok"), Some(1.0), "{function}");
        assert_eq!(calls(function, "error"), Some(2.0), "{function}");
        assert_eq!(timed_count(function), Some(3.0), "{function}");
    }
}

#[botwatch::counted]
#[botwatch::timed]
async fn quote(venue: &str) -> Result<f64, String> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    if venue.is_empty() {
        return Err("no venue".to_owned());
    }
    Ok(101.5)
}

#[test]
fn async_calls_are_measured_until_the_future_completes() {
    assert_eq!(block_on(quote("binance")), Ok(101.5));
    assert!(block_on(quote("")).is_err());
    assert_eq!(calls("quote", "ok"), Some(1.0));
    assert_eq!(calls("quote", "error"), Some(1.0));
    let e = scrape();
    let sum = e
        .value(&format!("{DURATION}_sum"), &[("function", "quote")])
        .unwrap();
    assert!(sum >= 0.040, "two calls of at least 20ms each, got {sum}s");
    // 20ms lies in the (0.01, 0.025] bucket: none at or under 10ms.
    assert_eq!(
        e.value(
            &format!("{DURATION}_bucket"),
            &[("function", "quote"), ("le", "0.01")]
        ),
        Some(0.0)
    );
}

#[botwatch::counted]
#[botwatch::timed]
async fn stalls() -> Result<(), String> {
    std::future::pending::<()>().await;
    Ok(())
}

#[test]
fn a_future_dropped_before_completion_records_nothing() {
    {
        let mut future = pin!(stalls());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(calls("stalls", "ok"), Some(0.0));
    assert_eq!(calls("stalls", "error"), Some(0.0));
    assert_eq!(timed_count("stalls"), Some(0.0));
}

#[botwatch::timed]
fn settles(ms: u64) -> impl Future<Output = u64> {
    async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }
}

#[test]
fn impl_future_is_timed_until_completion() {
    assert_eq!(block_on(settles(30)), 30);
    let e = scrape();
    let sum = e
        .value(&format!("{DURATION}_sum"), &[("function", "settles")])
        .unwrap();
    assert!(
        sum >= 0.030,
        "measured until the future completed, got {sum}s"
    );
}

#[botwatch::timed(buckets = [0.1, 1.0], alert(p99 > 250ms), slo(objective = 99.9%, latency = 40ms))]
fn thresholds() {}

#[test]
fn alert_and_slo_thresholds_are_exact_bucket_bounds() {
    thresholds();
    let e = scrape();
    let bounds: Vec<String> = e
        .matching(&format!("{DURATION}_bucket"), &[("function", "thresholds")])
        .map(|s| s.labels["le"].clone())
        .collect();
    assert_eq!(bounds, ["0.04", "0.1", "0.25", "1", "+Inf"]);
}

#[botwatch::counted(
    name = "orders_submitted_total",
    help = "Orders sent to a venue.",
    labels(venue = "binance", side = "buy")
)]
fn submit_order() {}

#[test]
fn own_metric_names_keep_the_labels() {
    submit_order();
    submit_order();
    let e = scrape();
    let labels = [
        ("function", "submit_order"),
        ("module", MODULE),
        ("result", "ok"),
        ("venue", "binance"),
        ("side", "buy"),
    ];
    assert_eq!(e.value("orders_submitted_total", &labels), Some(2.0));
    assert_eq!(e.help["orders_submitted_total"], "Orders sent to a venue.");
    assert_eq!(e.types["orders_submitted_total"], "counter");
}

mod nested {
    pub(crate) mod deeper {
        #[botwatch::counted]
        pub(crate) fn inner() {}
    }
}

#[test]
fn module_label_is_the_module_path() {
    nested::deeper::inner();
    let e = scrape();
    assert_eq!(
        e.value(
            CALLS,
            &[
                ("function", "inner"),
                ("module", "counting::nested::deeper"),
                ("result", "ok")
            ]
        ),
        Some(1.0)
    );
}

#[test]
fn concurrent_calls_are_all_counted() {
    #[botwatch::counted]
    fn hot() {}

    let threads: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| (0..10_000).for_each(|_| hot())))
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        scrape().value(CALLS, &[("function", "hot"), ("result", "ok")]),
        Some(40_000.0)
    );
}
