//! A call rejected by its open breaker never ran its body, so `#[timed]` records no duration
//! for it (it would make latency look better during an outage), while `#[counted]` still
//! counts it as an error. Checked for sync, `async fn` and `-> impl Future` functions, with
//! the attributes in either order.

use std::future::Future;

use botwatch::CircuitOpen;

#[derive(Debug)]
struct VenueError;

impl From<CircuitOpen> for VenueError {
    fn from(_: CircuitOpen) -> Self {
        VenueError
    }
}

#[botwatch::timed]
#[botwatch::counted]
#[botwatch::circuit_breaker(name = "timing_sync_timed_first", reset = 1h)]
fn sync_timed_first() -> Result<(), VenueError> {
    Ok(())
}

#[botwatch::circuit_breaker(name = "timing_sync_breaker_first", reset = 1h)]
#[botwatch::counted]
#[botwatch::timed]
fn sync_breaker_first() -> Result<(), VenueError> {
    Ok(())
}

#[botwatch::timed]
#[botwatch::counted]
#[botwatch::circuit_breaker(name = "timing_async_timed_first", reset = 1h)]
async fn async_timed_first() -> Result<(), VenueError> {
    Ok(())
}

#[botwatch::circuit_breaker(name = "timing_async_breaker_first", reset = 1h)]
#[botwatch::timed]
#[botwatch::counted]
async fn async_breaker_first() -> Result<(), VenueError> {
    Ok(())
}

#[botwatch::circuit_breaker(name = "timing_future_breaker_first", reset = 1h)]
#[botwatch::timed]
#[botwatch::counted]
fn future_breaker_first() -> impl Future<Output = Result<(), VenueError>> {
    async { Ok(()) }
}

/// One admitted call, then `rejected` calls while the breaker is held open: the histogram
/// counts the admitted call only, the counter counts every rejection as an error.
fn check<F: FnMut() -> Result<(), VenueError>>(function: &str, breaker: &str, mut call: F) {
    call().expect("the closed breaker admits the call");
    botwatch::breaker(breaker).expect("declared").force_open();
    let before = botwatch::snapshot();
    for _ in 0..3 {
        call().expect_err("the open breaker rejects the call");
    }
    let after = botwatch::snapshot();
    let delta = after.since(&before);
    assert_eq!(
        delta.durations(function).unwrap().count,
        0,
        "{function}: a rejected call must not be timed"
    );
    assert_eq!(after.durations(function).unwrap().count, 1, "{function}");
    let calls = delta.calls(function).unwrap();
    assert_eq!(
        (calls.ok, calls.error),
        (0, 3),
        "{function}: a rejection counts as an error"
    );
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[test]
fn sync_rejection_is_not_timed_timed_first() {
    check(
        "sync_timed_first",
        "timing_sync_timed_first",
        sync_timed_first,
    );
}

#[test]
fn sync_rejection_is_not_timed_breaker_first() {
    check(
        "sync_breaker_first",
        "timing_sync_breaker_first",
        sync_breaker_first,
    );
}

#[test]
fn async_rejection_is_not_timed_timed_first() {
    check("async_timed_first", "timing_async_timed_first", || {
        block_on(async_timed_first())
    });
}

#[test]
fn async_rejection_is_not_timed_breaker_first() {
    check("async_breaker_first", "timing_async_breaker_first", || {
        block_on(async_breaker_first())
    });
}

#[test]
fn impl_future_rejection_is_not_timed() {
    check(
        "future_breaker_first",
        "timing_future_breaker_first",
        || block_on(future_breaker_first()),
    );
}
