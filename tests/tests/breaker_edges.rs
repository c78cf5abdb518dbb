//! The breaker's edge cases through the attribute (issue 16): probes dropped while other
//! code unwinds, `-> impl Future` bodies while open, nested and recursive calls through one
//! breaker, hung probes, probes of consecutive half-open periods, default names,
//! `success_if`/`error_if`, `latency = false`, and stacked attributes sharing one wrapper.
//! Time-dependent cases run on tokio's paused clock.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use botwatch::{CircuitOpen, State};

#[derive(Clone, Copy)]
enum Probe {
    Succeed,
    Fail,
    Hang,
}

async fn act(probe: Probe) -> Result<u32, VenueError> {
    match probe {
        Probe::Succeed => Ok(1),
        Probe::Fail => Err(VenueError::Down),
        Probe::Hang => std::future::pending().await,
    }
}

fn breaker(name: &str) -> &'static botwatch::Breaker {
    botwatch::breaker(name).unwrap_or_else(|| panic!("breaker {name} is declared"))
}

/// Polls a future once, without a runtime's waker: enough to start a call that then waits.
fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

use botwatch_tests::VenueError;
use botwatch_tests::{rendered as series, rendered_calls as calls};

/// Fails once so the breaker opens, then lets its reset pass.
async fn trip(call: impl Future<Output = Result<u32, VenueError>>, name: &str, reset: Duration) {
    assert_eq!(call.await, Err(VenueError::Down));
    assert_eq!(breaker(name).state(), State::Open);
    tokio::time::advance(reset).await;
}

// Bug 2: a probe dropped while unrelated code unwinds is cancelled, not failed.

#[botwatch::counted]
#[botwatch::circuit_breaker(name = "unwind_venue", failures = 1, reset = 1s)]
async fn unwind_probe(probe: Probe) -> Result<u32, VenueError> {
    act(probe).await
}

#[tokio::test(start_paused = true)]
async fn a_probe_dropped_while_other_code_unwinds_counts_nothing() {
    trip(
        unwind_probe(Probe::Fail),
        "unwind_venue",
        Duration::from_secs(1),
    )
    .await;
    let before = breaker("unwind_venue").snapshot();
    let errors_before = calls("unwind_probe", "error");
    let unwound = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut probe = Box::pin(unwind_probe(Probe::Hang));
        assert!(
            poll_once(probe.as_mut()).is_pending(),
            "the probe is running"
        );
        // A `select!` sibling panicking: the probe is dropped while this panic unwinds.
        panic!("an unrelated branch panicked");
    }));
    assert!(unwound.is_err());
    let after = breaker("unwind_venue").snapshot();
    assert_eq!(after.state, State::HalfOpen, "no failure reopened it");
    assert_eq!(after.failures, before.failures);
    assert_eq!(
        calls("unwind_probe", "error"),
        errors_before,
        "#[counted] too"
    );
    assert_eq!(
        unwind_probe(Probe::Succeed).await,
        Ok(1),
        "the slot was given back"
    );
    assert_eq!(breaker("unwind_venue").state(), State::Closed);
}

// Bug 3 and issue 13's third shape: `-> impl Future` admits before its synchronous part.

static SYNC_PART_RUNS: AtomicU32 = AtomicU32::new(0);

#[botwatch::counted]
#[botwatch::circuit_breaker(name = "eager_venue", failures = 1, reset = 1s)]
fn eager_request(probe: Probe) -> impl Future<Output = Result<u32, VenueError>> {
    SYNC_PART_RUNS.fetch_add(1, Ordering::SeqCst);
    async move { act(probe).await }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

#[botwatch::circuit_breaker(name = "boxed_venue", failures = 1, reset = 1s)]
fn boxed_request(probe: Probe) -> Pin<Box<dyn Future<Output = Result<u32, VenueError>> + Send>> {
    SYNC_PART_RUNS.fetch_add(1, Ordering::SeqCst);
    Box::pin(async move { act(probe).await })
}

#[tokio::test(start_paused = true)]
async fn no_part_of_a_future_returning_body_runs_while_open() {
    assert_eq!(eager_request(Probe::Fail).await, Err(VenueError::Down));
    assert_eq!(boxed_request(Probe::Fail).await, Err(VenueError::Down));
    let runs = SYNC_PART_RUNS.load(Ordering::SeqCst);
    let rejected: BoxFuture<_> = Box::pin(eager_request(Probe::Succeed));
    assert!(matches!(rejected.await, Err(VenueError::Open(_))));
    assert!(matches!(
        boxed_request(Probe::Succeed).await,
        Err(VenueError::Open(_))
    ));
    assert_eq!(
        SYNC_PART_RUNS.load(Ordering::SeqCst),
        runs,
        "the synchronous part ran while open"
    );
}

#[botwatch::counted]
#[botwatch::circuit_breaker(name = "panicky_venue", failures = 5)]
fn panics_before_its_future(panic: bool) -> impl Future<Output = Result<u32, VenueError>> {
    assert!(!panic, "building the request failed");
    async { Ok(1) }
}

#[tokio::test]
async fn a_panic_building_the_future_is_an_error_and_a_failure() {
    let errors = calls("panics_before_its_future", "error");
    let failures = breaker("panicky_venue").snapshot().failures;
    let caught = std::panic::catch_unwind(|| drop(panics_before_its_future(true)));
    assert!(caught.is_err());
    assert_eq!(calls("panics_before_its_future", "error"), errors + 1.0);
    assert_eq!(breaker("panicky_venue").snapshot().failures, failures + 1);
    assert_eq!(panics_before_its_future(false).await, Ok(1));
    assert_eq!(calls("panics_before_its_future", "ok"), 1.0);
}

// Hazard 4: a breaker never counts its own rejection; a nested call is one call.

#[botwatch::circuit_breaker(name = "recursive_venue", failures = 1, reset = 1s)]
fn fetch_pages(depth: u32, fail: bool) -> Result<u32, VenueError> {
    if depth > 0 {
        return fetch_pages(depth - 1, fail).map(|pages| pages + 1);
    }
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(1)
    }
}

#[tokio::test(start_paused = true)]
async fn a_recursive_probe_closes_the_breaker_and_a_failure_counts_once() {
    let failures = breaker("recursive_venue").snapshot().failures;
    assert_eq!(fetch_pages(3, true), Err(VenueError::Down));
    assert_eq!(
        breaker("recursive_venue").snapshot().failures,
        failures + 1,
        "one failure through four frames"
    );
    assert_eq!(breaker("recursive_venue").state(), State::Open);
    tokio::time::advance(Duration::from_secs(1)).await;
    // With half_open = 1 the probe's inner calls would be rejected by its own breaker.
    assert_eq!(fetch_pages(3, false), Ok(4));
    assert_eq!(breaker("recursive_venue").state(), State::Closed);
    let snapshot = breaker("recursive_venue").snapshot();
    assert_eq!(snapshot.rejected, 0, "nothing was rejected");
}

#[botwatch::circuit_breaker(name = "nested_async_venue", failures = 1, reset = 1s)]
async fn quote_and_submit(probe: Probe) -> Result<u32, VenueError> {
    let quote = fetch_quote(probe).await?;
    Ok(quote + 1)
}

#[botwatch::circuit_breaker(name = "nested_async_venue", failures = 1, reset = 1s)]
async fn fetch_quote(probe: Probe) -> Result<u32, VenueError> {
    act(probe).await
}

#[tokio::test(start_paused = true)]
async fn an_async_probe_calling_the_same_breaker_is_not_rejected_by_itself() {
    trip(
        fetch_quote(Probe::Fail),
        "nested_async_venue",
        Duration::from_secs(1),
    )
    .await;
    assert_eq!(quote_and_submit(Probe::Succeed).await, Ok(2));
    assert_eq!(breaker("nested_async_venue").state(), State::Closed);
}

// Hazards 5 and 6: hung probes time out; probe slots outlive half-open periods.

#[botwatch::circuit_breaker(name = "hung_venue", failures = 1, reset = 1s, probe_timeout = 5s)]
async fn hung_probe(probe: Probe) -> Result<u32, VenueError> {
    act(probe).await
}

fn rejection(result: Result<u32, VenueError>) -> CircuitOpen {
    match result {
        Err(VenueError::Open(open)) => open,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_hung_probe_times_out_and_retry_after_is_never_zero() {
    trip(
        hung_probe(Probe::Fail),
        "hung_venue",
        Duration::from_secs(1),
    )
    .await;
    let mut hung = Box::pin(hung_probe(Probe::Hang));
    assert!(poll_once(hung.as_mut()).is_pending());
    tokio::time::advance(Duration::from_secs(2)).await;
    let open = rejection(hung_probe(Probe::Succeed).await);
    assert_eq!(
        open.retry_after,
        Duration::from_secs(3),
        "until the probe times out"
    );
    tokio::time::advance(Duration::from_secs(3)).await;
    // The timeout frees the slot and counts as a failed probe: open again for `reset`.
    let open = rejection(hung_probe(Probe::Succeed).await);
    assert_eq!(open.retry_after, Duration::from_secs(1));
    assert_eq!(breaker("hung_venue").state(), State::Open);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(hung_probe(Probe::Succeed).await, Ok(1));
    assert_eq!(breaker("hung_venue").state(), State::Closed);
    // The abandoned call finishing late changes nothing.
    drop(hung);
    assert_eq!(breaker("hung_venue").state(), State::Closed);
}

#[botwatch::circuit_breaker(name = "overlap_venue", failures = 1, half_open = 2, reset = 100ms)]
async fn overlapping_probe(probe: Probe) -> Result<u32, VenueError> {
    act(probe).await
}

#[tokio::test(start_paused = true)]
async fn probes_of_consecutive_periods_never_exceed_half_open() {
    trip(
        overlapping_probe(Probe::Fail),
        "overlap_venue",
        Duration::from_millis(100),
    )
    .await;
    let mut slow = Box::pin(overlapping_probe(Probe::Hang));
    assert!(poll_once(slow.as_mut()).is_pending(), "probe 1 runs");
    assert_eq!(
        overlapping_probe(Probe::Fail).await,
        Err(VenueError::Down),
        "probe 2 fails and reopens the breaker"
    );
    tokio::time::advance(Duration::from_millis(100)).await;
    // Half-open again, with probe 1 still running: one slot is left.
    let mut third = Box::pin(overlapping_probe(Probe::Hang));
    assert!(poll_once(third.as_mut()).is_pending(), "probe 3 runs");
    let open = rejection(overlapping_probe(Probe::Succeed).await);
    assert!(open.retry_after > Duration::ZERO);
    drop(slow);
    drop(third);
    assert_eq!(overlapping_probe(Probe::Succeed).await, Ok(1));
    assert_eq!(breaker("overlap_venue").state(), State::Closed);
}

// Hazard 7: without `name`, a function's breaker is its own.

mod binance {
    #[botwatch::circuit_breaker(failures = 1, alert(open))]
    pub(crate) fn place_order(fail: bool) -> Result<u32, super::VenueError> {
        if fail {
            Err(super::VenueError::Down)
        } else {
            Ok(1)
        }
    }
}

mod kraken {
    #[botwatch::circuit_breaker(failures = 1, alert(open))]
    pub(crate) fn place_order(fail: bool) -> Result<u32, super::VenueError> {
        if fail {
            Err(super::VenueError::Down)
        } else {
            Ok(2)
        }
    }
}

#[test]
fn same_named_functions_in_two_modules_have_their_own_breakers() {
    assert_eq!(binance::place_order(true), Err(VenueError::Down));
    assert_eq!(
        breaker("breaker_edges::binance::place_order").state(),
        State::Open
    );
    assert_eq!(
        kraken::place_order(false),
        Ok(2),
        "Binance failing must not reject Kraken orders"
    );
    assert_eq!(
        breaker("breaker_edges::kraken::place_order").state(),
        State::Closed
    );
    let state = |name| series("circuit_breaker_state", &[("breaker", name)]);
    assert_eq!(state("breaker_edges::binance::place_order"), 1.0);
    assert_eq!(state("breaker_edges::kraken::place_order"), 0.0);
    let rules = botwatch::rules::yaml();
    for name in [
        "breaker_edges::binance::place_order",
        "breaker_edges::kraken::place_order",
    ] {
        assert!(
            rules.contains(&format!("breaker=\"{name}\"")),
            "the rules watch {name}:\n{rules}"
        );
    }
}

// `success_if` on a breaker, `error_if` on #[counted].

fn is_accepted(status: &u16) -> bool {
    *status < 500
}

#[botwatch::circuit_breaker(name = "status_venue", failures = 2, success_if = is_accepted)]
fn submit_bundle(status: u16) -> Result<u16, VenueError> {
    Ok(status)
}

#[test]
fn success_if_turns_an_ok_value_into_a_failure() {
    assert_eq!(submit_bundle(200), Ok(200));
    assert_eq!(submit_bundle(503), Ok(503));
    assert_eq!(breaker("status_venue").snapshot().consecutive_failures, 1);
    assert_eq!(submit_bundle(502), Ok(502));
    assert_eq!(breaker("status_venue").state(), State::Open);
    assert!(matches!(submit_bundle(200), Err(VenueError::Open(_))));
}

fn is_rejected(status: &u16) -> bool {
    *status >= 400
}

#[botwatch::counted(error_if = is_rejected)]
fn relay_status(status: u16) -> Result<u16, VenueError> {
    if status == 0 {
        return Err(VenueError::Down);
    }
    Ok(status)
}

#[botwatch::counted(error_if = is_rejected)]
fn plain_status(status: u16) -> u16 {
    status
}

#[test]
fn error_if_counts_flagged_returns_as_errors() {
    relay_status(200).unwrap();
    relay_status(429).unwrap();
    relay_status(0).unwrap_err();
    assert_eq!(calls("relay_status", "ok"), 1.0);
    assert_eq!(calls("relay_status", "error"), 2.0);
    plain_status(200);
    plain_status(404);
    assert_eq!(calls("plain_status", "ok"), 1.0);
    assert_eq!(calls("plain_status", "error"), 1.0);
}

// `latency = false`, and stacked attributes in one wrapper.

#[botwatch::circuit_breaker(name = "untimed_venue", latency = false)]
fn untimed() -> Result<(), VenueError> {
    Ok(())
}

#[botwatch::circuit_breaker(name = "timed_venue")]
fn breaker_timed() -> Result<(), VenueError> {
    Ok(())
}

#[test]
fn latency_false_records_no_breaker_latency() {
    let count = |name| {
        series(
            "circuit_breaker_latency_seconds_count",
            &[("breaker", name)],
        )
    };
    for _ in 0..3 {
        untimed().unwrap();
        breaker_timed().unwrap();
    }
    assert_eq!(count("untimed_venue"), 0.0);
    assert_eq!(count("timed_venue"), 3.0);
    assert_eq!(breaker("untimed_venue").snapshot().successes, 3);
}

#[botwatch::counted]
#[botwatch::timed]
#[botwatch::circuit_breaker(name = "stacked_venue", failures = 1, reset = 1m)]
fn stacked(fail: bool) -> Result<u32, VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(1)
    }
}

#[botwatch::circuit_breaker(name = "stacked_reversed_venue", failures = 1, reset = 1m)]
#[botwatch::timed]
#[botwatch::counted]
fn stacked_reversed(fail: bool) -> Result<u32, VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(1)
    }
}

#[test]
fn stacked_attributes_record_the_same_in_any_order() {
    for (call, function) in [
        (stacked as fn(bool) -> Result<u32, VenueError>, "stacked"),
        (stacked_reversed, "stacked_reversed"),
    ] {
        call(false).unwrap();
        call(true).unwrap_err();
        assert!(
            matches!(call(false), Err(VenueError::Open(_))),
            "{function}"
        );
        assert_eq!(calls(function, "ok"), 1.0, "{function}");
        assert_eq!(
            calls(function, "error"),
            2.0,
            "{function}: the failure and the rejection"
        );
        let timed = series(
            "function_calls_duration_seconds_count",
            &[("function", function)],
        );
        assert_eq!(
            timed, 2.0,
            "{function}: every call that ran its body is timed, the rejection is not"
        );
    }
}

// Guarded futures stay `Send`, alone and stacked.

#[botwatch::counted]
#[botwatch::timed]
#[botwatch::circuit_breaker(name = "send_venue")]
async fn send_check() -> Result<u32, VenueError> {
    tokio::task::yield_now().await;
    Ok(1)
}

#[tokio::test]
async fn guarded_futures_are_send() {
    fn spawnable<F: Future + Send + 'static>(future: F) -> F {
        future
    }
    let handle = tokio::spawn(spawnable(send_check()));
    assert_eq!(handle.await.unwrap(), Ok(1));
    assert_eq!(
        tokio::spawn(spawnable(send_check_alone())).await.unwrap(),
        Ok(2)
    );
}

#[botwatch::circuit_breaker(name = "send_alone_venue")]
async fn send_check_alone() -> Result<u32, VenueError> {
    tokio::task::yield_now().await;
    Ok(2)
}

// Issue 35, fault 5 (issue 33, item 2): a probe timeout is judged when it elapses, a
// timed-out probe decides nothing, each slot times out on its own, and `reset()` forgets
// running probes.

#[botwatch::circuit_breaker(name = "elapsed_venue", failures = 1, reset = 30s, probe_timeout = 1m)]
async fn elapsed_probe(probe: Probe) -> Result<u32, VenueError> {
    act(probe).await
}

#[tokio::test(start_paused = true)]
async fn a_hung_probe_fails_when_its_timeout_elapses_not_when_a_call_comes() {
    trip(
        elapsed_probe(Probe::Fail),
        "elapsed_venue",
        Duration::from_secs(30),
    )
    .await;
    let mut hung = Box::pin(elapsed_probe(Probe::Hang));
    assert!(
        poll_once(hung.as_mut()).is_pending(),
        "the probe hangs at 10:00"
    );
    // Timed out at 10:01, open until 10:01:30: a healthy venue at 10:05 is probed at once.
    tokio::time::advance(Duration::from_secs(5 * 60)).await;
    assert_eq!(elapsed_probe(Probe::Succeed).await, Ok(1));
    assert_eq!(breaker("elapsed_venue").state(), State::Closed);
    let snapshot = breaker("elapsed_venue").snapshot();
    assert_eq!(
        snapshot.rejected, 0,
        "no call was turned away after 10:01:30"
    );
    drop(hung);
}

/// A probe that waits until `gate` opens, then answers `Ok`.
async fn gated(gate: Arc<AtomicBool>) -> Result<u32, VenueError> {
    std::future::poll_fn(|_| {
        if gate.load(Ordering::SeqCst) {
            Poll::Ready(Ok(1))
        } else {
            Poll::Pending
        }
    })
    .await
}

#[botwatch::circuit_breaker(name = "late_venue", failures = 1, reset = 10s, probe_timeout = 1s)]
async fn late_probe(gate: Option<Arc<AtomicBool>>) -> Result<u32, VenueError> {
    match gate {
        Some(gate) => gated(gate).await,
        None => Err(VenueError::Down),
    }
}

#[tokio::test(start_paused = true)]
async fn a_probe_answering_after_its_timeout_decides_nothing() {
    assert_eq!(late_probe(None).await, Err(VenueError::Down));
    tokio::time::advance(Duration::from_secs(10)).await;
    let gate = Arc::new(AtomicBool::new(false));
    let mut late = Box::pin(late_probe(Some(gate.clone())));
    assert!(poll_once(late.as_mut()).is_pending(), "the probe runs");
    tokio::time::advance(Duration::from_secs(2)).await;
    gate.store(true, Ordering::SeqCst);
    assert_eq!(poll_once(late.as_mut()), Poll::Ready(Ok(1)));
    let snapshot = breaker("late_venue").snapshot();
    assert_eq!(
        snapshot.state,
        State::Open,
        "timed out a second before it answered: it failed then, and its answer closes nothing"
    );
    assert_eq!(
        snapshot.successes, 1,
        "the answer still counts in the totals"
    );
}

#[botwatch::circuit_breaker(
    name = "cycling_venue",
    failures = 1,
    reset = 1s,
    half_open = 2,
    successes = 100,
    probe_timeout = 5s
)]
async fn cycling_probe(probe: Probe) -> Result<u32, VenueError> {
    act(probe).await
}

#[tokio::test(start_paused = true)]
async fn each_probe_slot_times_out_on_its_own() {
    trip(
        cycling_probe(Probe::Fail),
        "cycling_venue",
        Duration::from_secs(1),
    )
    .await;
    let mut hung = Box::pin(cycling_probe(Probe::Hang));
    assert!(poll_once(hung.as_mut()).is_pending(), "slot 1 hangs");
    // Slot 2 keeps cycling, one successful probe a second (100 are needed to close).
    for second in 0..5 {
        assert_eq!(
            cycling_probe(Probe::Succeed).await,
            Ok(1),
            "second {second}"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    // Five seconds after slot 1 was taken, its probe failed: open until a second later.
    let open = rejection(cycling_probe(Probe::Succeed).await);
    assert_eq!(breaker("cycling_venue").state(), State::Open);
    assert_eq!(open.retry_after, Duration::from_secs(1));
    drop(hung);
}

#[botwatch::circuit_breaker(
    name = "forgetting_venue",
    failures = 1,
    reset = 1s,
    backoff = 2.0,
    max_reset = 1h,
    probe_timeout = 1m
)]
async fn forgetting_probe(probe: Probe) -> Result<u32, VenueError> {
    act(probe).await
}

#[tokio::test(start_paused = true)]
async fn reset_forgets_running_probes() {
    trip(
        forgetting_probe(Probe::Fail),
        "forgetting_venue",
        Duration::from_secs(1),
    )
    .await;
    let mut hung = Box::pin(forgetting_probe(Probe::Hang));
    assert!(poll_once(hung.as_mut()).is_pending(), "a probe hangs");
    breaker("forgetting_venue").reset();
    // The next outage: its first half-open period has its slot, and no backoff.
    trip(
        forgetting_probe(Probe::Fail),
        "forgetting_venue",
        Duration::from_secs(1),
    )
    .await;
    assert_eq!(forgetting_probe(Probe::Fail).await, Err(VenueError::Down));
    tokio::time::advance(Duration::from_secs(1)).await;
    let open = rejection(forgetting_probe(Probe::Succeed).await);
    assert_eq!(
        open.retry_after,
        Duration::from_secs(1),
        "one failed probe since the reset: reset × 2¹, of which 1s has passed"
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(forgetting_probe(Probe::Succeed).await, Ok(1));
    assert_eq!(breaker("forgetting_venue").state(), State::Closed);
    drop(hung);
}
