//! Per-call overhead of botwatch's attributes against floors measured in the same run.
//!
//! Every case is an `#[inline(never)]` function doing the same trivial work; the table
//! printed by `report.py` subtracts the bare function and divides by a floor.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use botwatch::CircuitOpen;
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use metered::{metered, ErrorCount, HitCount, ResponseTime};

static FLOOR: AtomicU64 = AtomicU64::new(0);

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn atomic_add(x: u64) -> u64 {
    FLOOR.fetch_add(1, Ordering::Relaxed);
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn clock_pair_std(x: u64) -> u64 {
    let started = Instant::now();
    let out = black_box(x).wrapping_add(1);
    FLOOR.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    out
}

fn quanta_clock() -> &'static quanta::Clock {
    static CLOCK: std::sync::OnceLock<quanta::Clock> = std::sync::OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

#[inline(never)]
fn clock_pair_quanta(x: u64) -> u64 {
    let clock = quanta_clock();
    let started = clock.raw();
    let out = black_box(x).wrapping_add(1);
    FLOOR.fetch_add(
        clock.delta_as_nanos(started, clock.raw()),
        Ordering::Relaxed,
    );
    out
}

#[botwatch::counted]
#[inline(never)]
fn counted(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// The same function tracking its calls in flight (`in_flight`): the goal is at most 3x
/// `botwatch_counted`'s overhead.
#[botwatch::counted(in_flight)]
#[inline(never)]
fn counted_in_flight(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[botwatch::timed]
#[inline(never)]
fn timed(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[botwatch::counted]
#[botwatch::timed]
#[inline(never)]
fn counted_and_timed(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[botwatch::circuit_breaker(name = "bench_closed")]
#[inline(never)]
fn breaker_closed(x: u64) -> Result<u64, CircuitOpen> {
    Ok(black_box(x).wrapping_add(1))
}

/// A closed breaker that a guard names (issue 30: a guarded breaker's closed path costs what
/// `bench_closed`'s does).
#[botwatch::circuit_breaker(name = "bench_guarded")]
#[inline(never)]
fn breaker_guarded(x: u64) -> Result<u64, CircuitOpen> {
    Ok(black_box(x).wrapping_add(1))
}

#[botwatch::circuit_breaker(name = "bench_closed_no_latency", latency = false)]
#[inline(never)]
fn breaker_closed_no_latency(x: u64) -> Result<u64, CircuitOpen> {
    Ok(black_box(x).wrapping_add(1))
}

#[botwatch::circuit_breaker(name = "bench_per_key", per = "binance")]
#[inline(never)]
fn breaker_per_key(x: u64) -> Result<u64, CircuitOpen> {
    Ok(black_box(x).wrapping_add(1))
}

#[botwatch::counted]
#[botwatch::timed]
#[botwatch::circuit_breaker(name = "bench_stacked")]
#[inline(never)]
fn stacked(x: u64) -> Result<u64, CircuitOpen> {
    Ok(black_box(x).wrapping_add(1))
}

thread_local! {
    /// Each benchmark thread's own venue, so two threads hit two label sets.
    static VENUE: &'static str = {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        ["binance", "kraken", "okx", "bybit"][NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 4]
    };
}

#[botwatch::counted(labels(venue = venue, side = side))]
#[inline(never)]
fn counted_two_labels(x: u64, venue: &str, side: &str) -> u64 {
    black_box(x).wrapping_add(1)
}

/// The same function again, with a table of its own: a thread calling this one shares
/// nothing with a thread calling `counted_two_labels`. The two-thread control for "no
/// shared hot cache line on the hit path".
#[botwatch::counted(labels(venue = venue, side = side))]
#[inline(never)]
fn counted_two_labels_apart(x: u64, venue: &str, side: &str) -> u64 {
    black_box(x).wrapping_add(1)
}

thread_local! {
    /// Whether this thread calls `counted_two_labels_apart` (every other thread does).
    static APART: bool = {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2 == 1
    };
}

#[botwatch::timed(labels(venue = venue))]
#[inline(never)]
fn timed_one_label(x: u64, venue: &str) -> u64 {
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn metrics_two_labels(x: u64) -> u64 {
    let venue = VENUE.with(|v| *v);
    let out = black_box(x).wrapping_add(1);
    metrics::counter!("hand_labelled_total", "venue" => venue, "side" => "buy").increment(1);
    out
}

static STORE: AtomicU64 = AtomicU64::new(0);

#[inline(never)]
fn atomic_store(x: u64) -> u64 {
    STORE.store(x, Ordering::Relaxed);
    black_box(x).wrapping_add(1)
}

/// What `#[timed]` records per call once it has the duration: a bucket found by a linear
/// scan over the bounds of this thread's row, one add to it and one to the sum.
static FLOOR_BUCKETS: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];
static FLOOR_BOUNDS: [u64; 4] = [500, 800, 900, 990];

#[inline(never)]
fn histogram_record_floor(x: u64) -> u64 {
    let value = black_box(930u64);
    let index = FLOOR_BOUNDS.iter().take_while(|&&b| b < value).count();
    FLOOR_BUCKETS[index].fetch_add(1, Ordering::Relaxed);
    FLOOR_BUCKETS[7].fetch_add(value, Ordering::Relaxed);
    black_box(x).wrapping_add(1)
}

/// The fewest steps a closed breaker keeping issue 16's guarantees takes, written by hand
/// with nothing generic: mark the breaker as running on this thread (own rejections) and
/// check it was not already, read the state word, run the call, unmark, check the result's
/// epoch against the breaker's, read the failure run (a success ends it), count the success
/// on this thread's stripe. No clock, no permit, no panic guard, no outcome hooks.
///
/// Every word it reads is written somewhere (`prepare`), as the real breaker's are: a
/// static only ever holding its initial value would be folded away by the compiler, and the
/// floor would skip the very loads it stands for.
mod breaker_floor {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static RUNNING: Cell<usize> = const { Cell::new(0) };
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
    }

    #[repr(align(64))]
    struct Line([AtomicU64; 8]);

    static WORD: AtomicU64 = AtomicU64::new(0);
    static RECYCLED_BEFORE: AtomicU64 = AtomicU64::new(0);
    static CONSECUTIVE: AtomicU64 = AtomicU64::new(0);
    static SUCCESSES: [Line; 4] = [const { Line([const { AtomicU64::new(0) }; 8]) }; 4];
    static NEXT_STRIPE: AtomicU64 = AtomicU64::new(0);

    /// Gives the words the values a closed breaker in epoch 0 has, through `black_box`.
    pub fn prepare() {
        WORD.store(black_box(0), Ordering::Release);
        RECYCLED_BEFORE.store(black_box(0), Ordering::Relaxed);
        CONSECUTIVE.store(black_box(0), Ordering::Relaxed);
    }

    #[inline(always)]
    fn stripe() -> usize {
        let stripe = STRIPE.with(Cell::get);
        if stripe < 4 {
            stripe
        } else {
            assign_stripe()
        }
    }

    #[cold]
    fn assign_stripe() -> usize {
        let stripe = (NEXT_STRIPE.fetch_add(1, Ordering::Relaxed) % 4) as usize;
        STRIPE.with(|s| s.set(stripe));
        stripe
    }

    #[inline(never)]
    pub fn call(x: u64) -> Result<u64, CircuitOpen> {
        let me = std::ptr::from_ref(&WORD) as usize;
        let outer = RUNNING.with(|running| running.replace(me));
        if outer == me {
            RUNNING.with(|running| running.set(outer));
            return Ok(black_box(x).wrapping_add(1));
        }
        let word = WORD.load(Ordering::Acquire);
        if word & 3 != 0 {
            RUNNING.with(|running| running.set(outer));
            return Err(CircuitOpen::new("floor", Duration::from_secs(1)));
        }
        let out = Ok(black_box(x).wrapping_add(1));
        RUNNING.with(|running| running.set(outer));
        let epoch = word >> 3;
        if epoch >= RECYCLED_BEFORE.load(Ordering::Relaxed) {
            let run = CONSECUTIVE.load(Ordering::Relaxed);
            if run >> 32 == epoch && run as u32 != 0 {
                CONSECUTIVE.store(epoch << 32, Ordering::Relaxed);
            }
            SUCCESSES[stripe()].0[0].fetch_add(1, Ordering::Relaxed);
        }
        out
    }
}

#[botwatch::gauge]
static BENCH_GAUGE: botwatch::Gauge = botwatch::Gauge::new();

/// The same gauge with `stale`: each update also marks its update time (issue 28's goal:
/// at most twice `botwatch_gauge_set`).
#[botwatch::gauge(alert(stale > 1m))]
static BENCH_GAUGE_STALE: botwatch::Gauge = botwatch::Gauge::new();

/// The same gauge read by a value guard (issue 30's goal: `set` at most twice
/// `botwatch_gauge_set`). Its line is never crossed: the update compares and returns.
#[botwatch::gauge(guard(value > 1e18, open = "bench_guarded"))]
static BENCH_GAUGE_GUARDED: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::counter]
static BENCH_COUNTER: botwatch::Counter = botwatch::Counter::new();

#[botwatch::histogram(buckets = [0.5, 0.8, 0.9, 0.99])]
static BENCH_HISTOGRAM: botwatch::Histogram = botwatch::Histogram::new();

#[botwatch::gauge(labels(symbol))]
static BENCH_POSITION: botwatch::Gauge = botwatch::Gauge::new();

#[inline(never)]
fn gauge_set(x: u64) -> u64 {
    BENCH_GAUGE.set(x as f64);
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn gauge_set_stale(x: u64) -> u64 {
    BENCH_GAUGE_STALE.set(x as f64);
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn gauge_set_guarded(x: u64) -> u64 {
    BENCH_GAUGE_GUARDED.set(x as f64);
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn counter_add(x: u64) -> u64 {
    BENCH_COUNTER.add(1.5);
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn counter_increment(x: u64) -> u64 {
    BENCH_COUNTER.increment();
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn histogram_record(x: u64) -> u64 {
    BENCH_HISTOGRAM.record(0.93);
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn gauge_labelled_set(x: u64) -> u64 {
    let symbol = VENUE.with(|v| *v);
    BENCH_POSITION.labels([symbol]).set(x as f64);
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn metrics_gauge_label(x: u64) -> u64 {
    let symbol = VENUE.with(|v| *v);
    metrics::gauge!("hand_position", "symbol" => symbol).set(x as f64);
    black_box(x).wrapping_add(1)
}

#[botwatch::circuit_breaker(name = "bench_open")]
#[inline(never)]
fn breaker_open(x: u64) -> Result<u64, CircuitOpen> {
    Ok(black_box(x).wrapping_add(1))
}

// --- metrics by hand -----------------------------------------------------------------

#[inline(never)]
fn metrics_lookup(x: u64) -> u64 {
    let started = Instant::now();
    let out = black_box(x).wrapping_add(1);
    metrics::counter!("hand_calls_total", "function" => "metrics_lookup", "result" => "ok")
        .increment(1);
    metrics::histogram!("hand_calls_duration_seconds", "function" => "metrics_lookup")
        .record(started.elapsed().as_secs_f64());
    out
}

fn cached_handles() -> &'static (metrics::Counter, metrics::Histogram) {
    static HANDLES: OnceLock<(metrics::Counter, metrics::Histogram)> = OnceLock::new();
    HANDLES.get_or_init(|| {
        (
            metrics::counter!("hand_cached_calls_total", "function" => "metrics_cached", "result" => "ok"),
            metrics::histogram!("hand_cached_calls_duration_seconds", "function" => "metrics_cached"),
        )
    })
}

#[inline(never)]
fn metrics_cached(x: u64) -> u64 {
    let (counter, histogram) = cached_handles();
    let started = Instant::now();
    let out = black_box(x).wrapping_add(1);
    counter.increment(1);
    histogram.record(started.elapsed().as_secs_f64());
    out
}

// --- autometrics 3 (metrics 0.24 backend: the same recorder as botwatch) ------------

#[autometrics::autometrics]
#[inline(never)]
fn autometrics_plain(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[autometrics::autometrics(track_concurrency)]
#[inline(never)]
fn autometrics_concurrency(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

// --- metered 0.9: HitCount, ErrorCount, ResponseTime -----------------------------------

#[derive(Default, Debug)]
struct MeteredClient {
    metrics: MeteredClientMetrics,
}

#[metered(registry = MeteredClientMetrics)]
impl MeteredClient {
    #[measure([HitCount, ErrorCount, ResponseTime])]
    #[inline(never)]
    fn call(&self, x: u64) -> Result<u64, std::io::Error> {
        Ok(black_box(x).wrapping_add(1))
    }
}

fn metered_client() -> &'static MeteredClient {
    static CLIENT: OnceLock<MeteredClient> = OnceLock::new();
    CLIENT.get_or_init(MeteredClient::default)
}

#[inline(never)]
fn metered(x: u64) -> u64 {
    metered_client().call(x).unwrap_or(0)
}

// --- failsafe 1.3 and recloser 1.4 around the same function --------------------------

#[inline(never)]
fn fallible(x: u64) -> Result<u64, std::io::Error> {
    Ok(black_box(x).wrapping_add(1))
}

/// What `failsafe::Config::new().build()` builds: its default policy.
type Failsafe = failsafe::StateMachine<
    failsafe::failure_policy::OrElse<
        failsafe::failure_policy::SuccessRateOverTimeWindow<failsafe::backoff::EqualJittered>,
        failsafe::failure_policy::ConsecutiveFailures<failsafe::backoff::EqualJittered>,
    >,
    (),
>;

fn failsafe_breaker() -> &'static Failsafe {
    static BREAKER: OnceLock<Failsafe> = OnceLock::new();
    BREAKER.get_or_init(|| failsafe::Config::new().build())
}

#[inline(never)]
fn failsafe_closed(x: u64) -> u64 {
    use failsafe::CircuitBreaker as _;
    failsafe_breaker().call(|| fallible(x)).unwrap_or(0)
}

fn recloser_breaker() -> &'static recloser::Recloser {
    static BREAKER: OnceLock<recloser::Recloser> = OnceLock::new();
    BREAKER.get_or_init(recloser::Recloser::default)
}

#[inline(never)]
fn recloser_closed(x: u64) -> u64 {
    recloser_breaker().call(|| fallible(x)).unwrap_or(0)
}

/// Runs `f` on `threads` threads at once; the time per call as one thread sees it.
fn on_threads(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    threads: usize,
    f: fn(u64) -> u64,
) {
    if threads == 1 {
        group.bench_function(name, |b| b.iter(|| f(black_box(1))));
        return;
    }
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let barrier = Barrier::new(threads);
            let elapsed: Vec<Duration> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            barrier.wait();
                            let started = Instant::now();
                            for i in 0..iters {
                                black_box(f(black_box(i)));
                            }
                            started.elapsed()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            elapsed.into_iter().max().unwrap()
        })
    });
}

fn cases() -> Vec<(&'static str, fn(u64) -> u64)> {
    vec![
        ("bare", bare),
        ("floor_atomic_add", atomic_add),
        ("floor_clock_pair_std", clock_pair_std),
        ("floor_clock_pair_quanta", clock_pair_quanta),
        ("botwatch_counted", counted),
        ("botwatch_counted_in_flight", counted_in_flight),
        ("botwatch_timed", timed),
        ("botwatch_counted_timed", counted_and_timed),
        ("botwatch_breaker_closed", |x| {
            breaker_closed(x).unwrap_or(0)
        }),
        ("botwatch_breaker_closed_guarded", |x| {
            breaker_guarded(x).unwrap_or(0)
        }),
        ("botwatch_breaker_closed_no_latency", |x| {
            breaker_closed_no_latency(x).unwrap_or(0)
        }),
        ("botwatch_breaker_per_key", |x| {
            breaker_per_key(x).unwrap_or(0)
        }),
        ("botwatch_counted_timed_breaker", |x| {
            stacked(x).unwrap_or(0)
        }),
        ("botwatch_counted_two_labels", |x| {
            VENUE.with(|venue| counted_two_labels(x, venue, "buy"))
        }),
        ("botwatch_counted_two_labels_apart", |x| {
            VENUE.with(|venue| {
                if APART.with(|apart| *apart) {
                    counted_two_labels_apart(x, venue, "buy")
                } else {
                    counted_two_labels(x, venue, "buy")
                }
            })
        }),
        ("botwatch_timed_one_label", |x| {
            VENUE.with(|venue| timed_one_label(x, venue))
        }),
        ("metrics_counter_two_labels", metrics_two_labels),
        ("botwatch_breaker_open", |x| breaker_open(x).unwrap_or(0)),
        ("floor_atomic_store", atomic_store),
        ("floor_histogram_record", histogram_record_floor),
        ("floor_breaker_steps", |x| {
            breaker_floor::call(x).unwrap_or(0)
        }),
        ("botwatch_gauge_set", gauge_set),
        ("botwatch_gauge_set_stale", gauge_set_stale),
        ("botwatch_gauge_set_guarded", gauge_set_guarded),
        ("botwatch_counter_add", counter_add),
        ("botwatch_counter_increment", counter_increment),
        ("botwatch_histogram_record", histogram_record),
        ("botwatch_gauge_labelled_set", gauge_labelled_set),
        ("metrics_gauge_label_set", metrics_gauge_label),
        ("metrics_counter_histogram_lookup", metrics_lookup),
        ("metrics_counter_histogram_cached", metrics_cached),
        ("autometrics", autometrics_plain),
        ("autometrics_track_concurrency", autometrics_concurrency),
        ("metered_hit_error_time", metered),
        ("failsafe_closed", failsafe_closed),
        ("recloser_closed", recloser_closed),
    ]
}

fn overhead(c: &mut Criterion) {
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install the exporter");
    botwatch::breaker("bench_open")
        .expect("declared")
        .force_open();
    breaker_floor::prepare();
    eprintln!("exporter on {}", exporter.local_addr());
    for threads in [1, 2] {
        let mut group = c.benchmark_group(format!("calls_{threads}_thread"));
        for (name, f) in cases() {
            on_threads(&mut group, name, threads, f);
        }
        group.finish();
    }
}

criterion_group!(benches, overhead);
criterion_main!(benches);
