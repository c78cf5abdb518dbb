//! `#[counted(ok_if = path)]`: `Err`s the predicate flags are an expected outcome (a post-only
//! order refused because it would cross) and count as `result="ok"`; every other `Err` stays
//! an error, and so does a call rejected by the function's breaker.

use std::future::Future;

use botwatch::CircuitOpen;

#[derive(Debug)]
enum OrderError {
    WouldCross,
    Rejected,
    Open,
}

impl From<CircuitOpen> for OrderError {
    fn from(_: CircuitOpen) -> Self {
        OrderError::Open
    }
}

fn would_cross(error: &OrderError) -> bool {
    matches!(error, OrderError::WouldCross)
}

fn every_error(_: &OrderError) -> bool {
    true
}

fn is_zero(size: &u32) -> bool {
    *size == 0
}

fn outcome(answer: u32) -> Result<u32, OrderError> {
    match answer {
        1 => Err(OrderError::WouldCross),
        2 => Err(OrderError::Rejected),
        size => Ok(size),
    }
}

#[botwatch::counted(ok_if = would_cross)]
fn post_only(answer: u32) -> Result<u32, OrderError> {
    outcome(answer)
}

#[botwatch::counted(ok_if = would_cross)]
async fn post_only_async(answer: u32) -> Result<u32, OrderError> {
    outcome(answer)
}

#[botwatch::counted(ok_if = crate::would_cross, error_if = is_zero)]
fn post_only_both(answer: u32) -> std::result::Result<u32, OrderError> {
    outcome(answer)
}

#[botwatch::circuit_breaker(name = "ok_if_venue", reset = 1h)]
#[botwatch::counted(ok_if = every_error)]
fn post_only_guarded(answer: u32) -> Result<u32, OrderError> {
    outcome(answer)
}

fn counts(function: &str) -> (u64, u64) {
    let calls = botwatch::snapshot().calls(function).unwrap();
    (calls.ok, calls.error)
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[test]
fn flagged_errors_count_as_ok_and_others_as_errors() {
    post_only(5).unwrap();
    post_only(1).unwrap_err();
    post_only(1).unwrap_err();
    post_only(2).unwrap_err();
    assert_eq!(counts("post_only"), (3, 1), "two would-cross Errs are ok");
}

#[test]
fn async_functions_too() {
    block_on(post_only_async(5)).unwrap();
    block_on(post_only_async(1)).unwrap_err();
    block_on(post_only_async(2)).unwrap_err();
    assert_eq!(counts("post_only_async"), (2, 1));
}

#[test]
fn ok_if_and_error_if_together() {
    post_only_both(5).unwrap();
    post_only_both(0).unwrap(); // error_if: an `Ok` counted as an error
    post_only_both(1).unwrap_err(); // ok_if: an `Err` counted as ok
    post_only_both(2).unwrap_err();
    assert_eq!(counts("post_only_both"), (2, 2));
}

#[test]
fn a_breaker_rejection_stays_an_error_whatever_ok_if_says() {
    post_only_guarded(2).unwrap_err();
    assert_eq!(counts("post_only_guarded"), (1, 0), "ok_if excused it");
    botwatch::breaker("ok_if_venue")
        .expect("declared")
        .force_open();
    assert!(matches!(post_only_guarded(5), Err(OrderError::Open)));
    assert_eq!(
        counts("post_only_guarded"),
        (1, 1),
        "the caller did not get its result: an error"
    );
}
