//! Calls in flight (`in_flight`): entered and not yet returned, panicked or dropped, exact
//! under many threads, and served on `/metrics` with the oldest call's start.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn in_flight(function: &str) -> u64 {
    botwatch::snapshot()
        .in_flight(function)
        .expect("tracked")
        .count
}

#[botwatch::counted(in_flight)]
fn held(entered: &Barrier, release: &Barrier) {
    entered.wait();
    release.wait();
}

#[botwatch::counted(in_flight)]
fn quick(x: u64) -> u64 {
    std::hint::black_box(x + 1)
}

/// Eight threads hold a call each while eight others churn through short calls: every
/// snapshot taken while they are held reads exactly the held calls plus at most the churners
/// mid-call, and once everything has returned nothing is in flight.
#[test]
fn many_threads_keep_in_flight_exact_and_end_at_zero() {
    const HOLDERS: usize = 8;
    const ROUNDS: usize = 20;
    let churners: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..20_000u64 {
                    quick(i + t);
                }
            })
        })
        .collect();
    for _ in 0..ROUNDS {
        let entered = Arc::new(Barrier::new(HOLDERS + 1));
        let release = Arc::new(Barrier::new(HOLDERS + 1));
        let holders: Vec<_> = (0..HOLDERS)
            .map(|_| {
                let (entered, release) = (entered.clone(), release.clone());
                std::thread::spawn(move || held(&entered, &release))
            })
            .collect();
        entered.wait();
        assert_eq!(in_flight("held"), HOLDERS as u64);
        let oldest = botwatch::snapshot().in_flight("held").unwrap().oldest;
        assert!(oldest.is_some_and(|age| age < Duration::from_secs(60)));
        release.wait();
        for holder in holders {
            holder.join().unwrap();
        }
        assert_eq!(in_flight("held"), 0);
    }
    for churner in churners {
        churner.join().unwrap();
    }
    assert_eq!(in_flight("quick"), 0);
    assert_eq!(
        botwatch::snapshot().in_flight("quick").unwrap().oldest,
        None
    );
}

#[botwatch::counted(in_flight)]
fn panics_while_in_flight(seen: &dyn Fn()) {
    seen();
    panic!("the venue hung up");
}

/// A panic leaves the call in flight while the body runs and ends it as it unwinds.
#[test]
fn a_panicking_call_leaves_when_it_unwinds() {
    let seen_inside = std::cell::Cell::new(0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        panics_while_in_flight(&|| seen_inside.set(in_flight("panics_while_in_flight")))
    }));
    assert!(result.is_err());
    assert_eq!(seen_inside.get(), 1);
    assert_eq!(in_flight("panics_while_in_flight"), 0);
}

/// A future that never completes: a transaction never mined.
struct NeverMined;

impl Future for NeverMined {
    type Output = Result<(), String>;
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Pending
    }
}

#[botwatch::counted(alert(oldest > 10m))]
async fn await_inclusion() -> Result<(), String> {
    NeverMined.await
}

#[botwatch::timed(in_flight)]
fn submit_later() -> impl Future<Output = Result<(), String>> {
    NeverMined
}

/// An `async fn` is in flight from its first poll and an `-> impl Future` from its call;
/// both leave the moment their future is dropped: a cancelled call never stays stuck.
#[test]
fn a_dropped_future_leaves_at_once() {
    {
        let mut future = pin!(await_inclusion());
        assert_eq!(in_flight("await_inclusion"), 0);
        let poll = future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()));
        assert!(poll.is_pending());
        assert_eq!(in_flight("await_inclusion"), 1);
    }
    assert_eq!(in_flight("await_inclusion"), 0);
    let future = submit_later();
    assert_eq!(in_flight("submit_later"), 1);
    drop(future);
    assert_eq!(in_flight("submit_later"), 0);
}

#[botwatch::counted]
fn untracked() {}

/// Held while `/metrics` is rendered: a function of its own, since the test of many threads
/// (running beside this one) reads `held`'s count as exact.
#[botwatch::counted(in_flight)]
fn held_while_scraped(entered: &Barrier, release: &Barrier) {
    entered.wait();
    release.wait();
}

/// `/metrics` serves both gauges of a tracked function (the oldest start a Unix time close
/// to now while a call is held, 0 once it returned) and nothing of an untracked one.
#[test]
fn metrics_serve_the_count_and_the_oldest_start() {
    untracked();
    let exporter = botwatch::Exporter::new()
        .without_listener()
        .install()
        .expect("installed");
    let entered = Arc::new(Barrier::new(2));
    let release = Arc::new(Barrier::new(2));
    let holder = {
        let (entered, release) = (entered.clone(), release.clone());
        std::thread::spawn(move || held_while_scraped(&entered, &release))
    };
    entered.wait();
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let text = exporter.render_metrics();
    release.wait();
    holder.join().unwrap();
    let line = |name: &str, function: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name}{{function=\"{function}\"")))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
    };
    assert_eq!(
        line("function_calls_in_flight", "held_while_scraped"),
        Some(1.0),
        "{text}"
    );
    let oldest = line(
        "function_calls_oldest_in_flight_timestamp_seconds",
        "held_while_scraped",
    )
    .unwrap();
    assert!(
        (before - 60.0..=before + 1.0).contains(&oldest),
        "{oldest} vs {before}"
    );
    assert_eq!(line("function_calls_in_flight", "untracked"), None);
    let after = exporter.render_metrics();
    assert!(
        after.contains("function_calls_oldest_in_flight_timestamp_seconds{function=\"held_while_scraped\",module=\"in_flight\"} 0\n"),
        "{after}"
    );
}

/// A future that is pending until its flag is set: a fill that arrives later.
struct FillArrives<'a>(&'a std::cell::Cell<bool>);

impl Future for FillArrives<'_> {
    type Output = Result<(), String>;
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        if self.0.get() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }
}

#[botwatch::counted(in_flight)]
async fn await_fill(filled: &std::cell::Cell<bool>) -> Result<(), String> {
    FillArrives(filled).await
}

/// Futures of one function polled in turn on one thread are each in flight on their own:
/// one completing or being dropped ends that call only, never its neighbour's.
#[test]
fn interleaved_futures_on_one_thread_are_each_in_flight() {
    let (first_filled, second_filled) = (std::cell::Cell::new(false), std::cell::Cell::new(false));
    let mut cx = Context::from_waker(Waker::noop());
    let mut first = Box::pin(await_fill(&first_filled));
    let mut second = Box::pin(await_fill(&second_filled));
    let mut third = Box::pin(await_fill(&first_filled));
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    assert_eq!(in_flight("await_fill"), 2);
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(third.as_mut().poll(&mut cx).is_pending());
    assert_eq!(in_flight("await_fill"), 3);
    first_filled.set(true);
    assert!(first.as_mut().poll(&mut cx).is_ready());
    assert_eq!(in_flight("await_fill"), 2, "only the completed call left");
    drop(second);
    assert_eq!(in_flight("await_fill"), 1, "only the dropped call left");
    assert!(botwatch::snapshot()
        .in_flight("await_fill")
        .unwrap()
        .oldest
        .is_some());
    assert!(third.as_mut().poll(&mut cx).is_ready());
    assert_eq!(in_flight("await_fill"), 0);
    drop((first, third));
    assert_eq!(in_flight("await_fill"), 0);
}

#[botwatch::counted(in_flight)]
async fn await_elsewhere() -> Result<(), String> {
    NeverMined.await
}

/// A future that entered on one thread and is dropped on another (a task moved between
/// workers) leaves as it is dropped.
#[test]
fn a_future_dropped_on_another_thread_leaves() {
    let mut future = Box::pin(await_elsewhere());
    assert!(future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_pending());
    assert_eq!(in_flight("await_elsewhere"), 1);
    std::thread::spawn(move || drop(future)).join().unwrap();
    assert_eq!(in_flight("await_elsewhere"), 0);
}
