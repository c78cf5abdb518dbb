//! `#[circuit_breaker]` end to end through the attribute: opening, rejecting without running
//! the body, recovering through probes, backoff on a paused tokio clock, cancelled probes,
//! panics, slow calls, predicates, operator actions and shared breakers.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use botwatch::State;
use botwatch_tests::Exposition;
use botwatch_tests::VenueError;

fn state(name: &str) -> State {
    botwatch::breaker(name).expect("declared breaker").state()
}

static SYNC_BODIES: AtomicU32 = AtomicU32::new(0);

// A reset of a second: the checks that it is still open run well inside it on a loaded
// machine, and the wait past it costs a second.
#[botwatch::circuit_breaker(name = "sync_venue", failures = 3, reset = 1s)]
fn sync_call(fail: bool) -> Result<u32, VenueError> {
    SYNC_BODIES.fetch_add(1, Ordering::SeqCst);
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(1)
    }
}

#[test]
fn opens_after_consecutive_failures_rejects_without_running_and_recovers() {
    assert_eq!(sync_call(true), Err(VenueError::Down));
    assert_eq!(
        sync_call(false),
        Ok(1),
        "a success resets the consecutive count"
    );
    for _ in 0..3 {
        assert_eq!(sync_call(true), Err(VenueError::Down));
    }
    assert_eq!(state("sync_venue"), State::Open);
    let ran = SYNC_BODIES.load(Ordering::SeqCst);
    match sync_call(false) {
        Err(VenueError::Open(open)) => {
            assert_eq!(open.breaker, "sync_venue");
            assert!(
                open.retry_after > Duration::ZERO && open.retry_after <= Duration::from_secs(1)
            );
            assert!(
                open.to_string().contains("\"sync_venue\" is open"),
                "{open}"
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(
        SYNC_BODIES.load(Ordering::SeqCst),
        ran,
        "the body must not run while open"
    );

    std::thread::sleep(Duration::from_millis(1050));
    assert_eq!(
        sync_call(false),
        Ok(1),
        "the first call after reset is a probe"
    );
    assert_eq!(state("sync_venue"), State::Closed);

    let e = Exposition::parse(&botwatch::render());
    let b = [("breaker", "sync_venue")];
    assert_eq!(e.value("circuit_breaker_state", &b), Some(0.0));
    assert_eq!(e.value("circuit_breaker_failures_total", &b), Some(4.0));
    assert_eq!(e.value("circuit_breaker_successes_total", &b), Some(2.0));
    assert_eq!(e.value("circuit_breaker_rejected_total", &b), Some(1.0));
    assert_eq!(
        e.value("circuit_breaker_latency_seconds_count", &b),
        Some(6.0)
    );
    for (from, to, count) in [
        ("closed", "open", 1.0),
        ("open", "half_open", 1.0),
        ("half_open", "closed", 1.0),
        ("half_open", "open", 0.0),
    ] {
        let labels = [("breaker", "sync_venue"), ("from", from), ("to", to)];
        assert_eq!(
            e.value("circuit_breaker_transitions_total", &labels),
            Some(count),
            "{from} -> {to}"
        );
    }
}

#[botwatch::circuit_breaker(name = "backoff_venue", failures = 1, reset = 30s, backoff = 2.0, max_reset = 100s)]
async fn backoff_call(fail: bool) -> Result<(), VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(())
    }
}

fn retry_after(result: Result<(), VenueError>) -> Duration {
    match result {
        Err(VenueError::Open(open)) => open.retry_after,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn failed_probes_back_off_up_to_max_reset() {
    backoff_call(true).await.unwrap_err();
    assert_eq!(state("backoff_venue"), State::Open);
    // reset 30s, then 60s, then 100s (120s capped), then 100s again.
    for expected in [30, 60, 100, 100] {
        tokio::time::advance(Duration::from_secs(1)).await;
        let left = retry_after(backoff_call(true).await);
        assert_eq!(left, Duration::from_secs(expected - 1), "backed-off reset");
        tokio::time::advance(left).await;
        assert_eq!(
            backoff_call(true).await,
            Err(VenueError::Down),
            "a probe runs and fails"
        );
        assert_eq!(state("backoff_venue"), State::Open);
    }
    tokio::time::advance(Duration::from_secs(100)).await;
    backoff_call(false).await.expect("a successful probe");
    assert_eq!(state("backoff_venue"), State::Closed);
    // Closing forgets the backoff: the next opening waits the plain reset again.
    backoff_call(true).await.unwrap_err();
    assert_eq!(
        retry_after(backoff_call(false).await),
        Duration::from_secs(30)
    );
}

static PROBES_STARTED: AtomicU32 = AtomicU32::new(0);

#[botwatch::circuit_breaker(name = "cancel_venue", failures = 1, reset = 1s, half_open = 1)]
async fn slow_probe(fail: bool, hang: bool) -> Result<(), VenueError> {
    PROBES_STARTED.fetch_add(1, Ordering::SeqCst);
    if hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_dropped_or_timed_out_probe_gives_its_slot_back() {
    slow_probe(true, false).await.unwrap_err();
    tokio::time::advance(Duration::from_secs(2)).await;

    tokio::select! {
        _ = slow_probe(false, true) => panic!("the probe hangs"),
        _ = tokio::time::sleep(Duration::from_millis(10)) => {}
    }
    assert_eq!(
        state("cancel_venue"),
        State::HalfOpen,
        "the dropped probe decided nothing"
    );

    let timed_out = tokio::time::timeout(Duration::from_millis(10), slow_probe(false, true)).await;
    assert!(timed_out.is_err());
    assert_eq!(
        PROBES_STARTED.load(Ordering::SeqCst),
        3,
        "both probes were admitted in turn"
    );

    slow_probe(false, false)
        .await
        .expect("the slot is free again");
    assert_eq!(state("cancel_venue"), State::Closed);
}

#[botwatch::circuit_breaker(name = "panic_venue", failures = 2)]
fn panicky(panic: bool) -> Result<(), VenueError> {
    assert!(!panic, "venue client bug");
    Ok(())
}

#[test]
fn a_panic_counts_as_a_failure_and_keeps_unwinding() {
    for _ in 0..2 {
        assert!(std::panic::catch_unwind(|| panicky(true)).is_err());
    }
    assert_eq!(state("panic_venue"), State::Open);
    assert!(matches!(panicky(false), Err(VenueError::Open(_))));
    assert_eq!(
        botwatch::breaker("panic_venue")
            .unwrap()
            .snapshot()
            .failures,
        2
    );
}

fn nonce_error(error: &VenueError) -> bool {
    *error == VenueError::NonceTooLow
}

fn counts_as_failure(error: &VenueError) -> bool {
    *error != VenueError::Duplicate
}

#[botwatch::circuit_breaker(name = "predicate_venue", failures = 2, ignore_if = nonce_error, failure_if = counts_as_failure)]
fn classified(error: Option<VenueError>) -> Result<(), VenueError> {
    error.map_or(Ok(()), Err)
}

#[test]
fn ignore_if_and_failure_if_decide_what_counts() {
    for _ in 0..5 {
        let _ = classified(Some(VenueError::NonceTooLow));
        let _ = classified(Some(VenueError::Duplicate));
    }
    let breaker = botwatch::breaker("predicate_venue").unwrap();
    assert_eq!(breaker.state(), State::Closed);
    let s = breaker.snapshot();
    assert_eq!(
        (s.successes, s.failures),
        (5, 0),
        "duplicates count as successes, nonces as nothing"
    );
    let _ = classified(Some(VenueError::Down));
    let _ = classified(Some(VenueError::Down));
    assert_eq!(breaker.state(), State::Open);
}

#[botwatch::circuit_breaker(name = "slow_venue", failures = 2, slow = 100ms)]
fn sluggish(ms: u64) -> Result<(), VenueError> {
    std::thread::sleep(Duration::from_millis(ms));
    Ok(())
}

#[test]
fn slow_successes_count_as_failures() {
    sluggish(0).unwrap();
    sluggish(150).unwrap();
    assert_eq!(state("slow_venue"), State::Closed);
    sluggish(150).unwrap();
    assert_eq!(state("slow_venue"), State::Open);
    let e = Exposition::parse(&botwatch::render());
    let over = e
        .value(
            "circuit_breaker_latency_seconds_bucket",
            &[("breaker", "slow_venue"), ("le", "0.1")],
        )
        .unwrap();
    assert_eq!(
        over, 1.0,
        "the slow threshold is a bucket bound; one call was under it"
    );
}

#[botwatch::circuit_breaker(name = "operator_venue", reset = 10ms)]
fn operated() -> Result<(), VenueError> {
    Ok(())
}

#[test]
fn force_open_holds_until_closed_or_reset() {
    let breaker = botwatch::breaker("operator_venue").unwrap();
    breaker.force_open();
    std::thread::sleep(Duration::from_millis(30));
    assert!(
        matches!(operated(), Err(VenueError::Open(_))),
        "forced open ignores reset"
    );
    assert_eq!(format!("{:?}", breaker.state()), "Open");
    breaker.force_closed();
    operated().unwrap();
    breaker.force_open();
    breaker.reset();
    assert_eq!(breaker.state(), State::Closed);
    operated().unwrap();
}

#[botwatch::circuit_breaker(name = "shared_rpc", failures = 2)]
fn block_number() -> Result<u64, VenueError> {
    Err(VenueError::Down)
}

#[botwatch::circuit_breaker(name = "shared_rpc", failures = 2)]
fn gas_price() -> Result<u64, VenueError> {
    Ok(30)
}

#[test]
fn functions_naming_one_breaker_share_it() {
    block_number().unwrap_err();
    block_number().unwrap_err();
    assert!(
        matches!(gas_price(), Err(VenueError::Open(_))),
        "gas_price is behind the same breaker"
    );
}

#[botwatch::circuit_breaker(name = "rate_venue", failure_rate = 50%, window = 4, min_calls = 4)]
fn rated(fail: bool) -> Result<(), VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(())
    }
}

#[test]
fn failure_rate_opens_once_min_calls_were_seen() {
    rated(true).unwrap_err();
    rated(true).unwrap_err();
    rated(false).unwrap();
    assert_eq!(
        state("rate_venue"),
        State::Closed,
        "3 calls are under min_calls"
    );
    rated(false).unwrap();
    assert_eq!(
        state("rate_venue"),
        State::Open,
        "2 failures of the last 4 reach 50%: judged after the success too (issue 35, fault 8)"
    );
}

#[test]
fn conflicting_options_warn_naming_both_sites() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_conflicting_breakers"))
        .output()
        .expect("run the fixture");
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("circuit breaker \"exchange\" is declared with different options")
            && stderr.contains("conflicting_breakers::buy")
            && stderr.contains("conflicting_breakers::sell"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "failures in force: 2"
    );
}

#[botwatch::circuit_breaker(name = "judged_venue", failure_rate = 50%, window = 10, min_calls = 10)]
fn judged(fail: bool) -> Result<(), VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(())
    }
}

/// Issue 35, fault 8: the rate is judged after every call, as resilience4j does: nine
/// failures and then one success with `min_calls = 10` is 90% of 10 calls.
#[test]
fn the_failure_rate_is_judged_after_a_success_too() {
    for _ in 0..9 {
        judged(true).unwrap_err();
    }
    assert_eq!(
        state("judged_venue"),
        State::Closed,
        "9 calls: under min_calls"
    );
    judged(false).unwrap();
    assert_eq!(state("judged_venue"), State::Open);
}
