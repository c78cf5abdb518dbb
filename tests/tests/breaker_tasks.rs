//! Nesting through one breaker follows the task, not the thread (issue 35, faults 2–4): a
//! call made inside a guarded call on the same task passes through; a future made there and
//! spawned, or another task run on the same thread inside the call (a current-thread
//! `block_on`, a `LocalSet`), is a call of its own — admitted, counted, rejected while open.
//! And a probe that spawns a call through its own breaker is not failed by that call's
//! rejection: a breaker never counts its own rejection.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use botwatch::State;
use botwatch_tests::VenueError;
use tokio::task::JoinHandle;

fn breaker(name: &str) -> &'static botwatch::Breaker {
    botwatch::breaker(name).unwrap_or_else(|| panic!("breaker {name} is declared"))
}

fn answer(fail: bool) -> Result<u32, VenueError> {
    if fail {
        Err(VenueError::Down)
    } else {
        Ok(1)
    }
}

type Boxed = Pin<Box<dyn Future<Output = Result<u32, VenueError>> + Send>>;

/// What two tasks run inside a guarded call got: the first fails, the second comes after.
type TwoTasks = (Result<u32, VenueError>, Result<u32, VenueError>);

// Fault 2: a future made inside a guarded call and spawned is a call of its own.

#[botwatch::circuit_breaker(name = "spawned_venue", failures = 3, reset = 1h)]
fn request(fail: bool) -> impl Future<Output = Result<u32, VenueError>> {
    async move { answer(fail) }
}

#[botwatch::circuit_breaker(name = "spawned_venue", failures = 3, reset = 1h)]
fn boxed_request(fail: bool) -> Pin<Box<dyn Future<Output = Result<u32, VenueError>> + Send>> {
    Box::pin(async move { answer(fail) })
}

/// Makes a request inside a guarded call and awaits it in place, or spawns it.
#[botwatch::circuit_breaker(name = "spawned_venue", failures = 3, reset = 1h)]
async fn dispatch(
    fail: bool,
    boxed: bool,
    spawn: bool,
) -> Result<Option<JoinHandle<Result<u32, VenueError>>>, VenueError> {
    let request: Boxed = if boxed {
        boxed_request(fail)
    } else {
        Box::pin(request(fail))
    };
    if spawn {
        Ok(Some(tokio::spawn(request)))
    } else {
        request.await.map(|_| None)
    }
}

/// Makes a request, opens the breaker, then spawns the request and returns what it got.
#[botwatch::circuit_breaker(name = "spawned_venue", failures = 3, reset = 1h)]
async fn dispatch_then_open() -> Result<u32, VenueError> {
    let request = request(false);
    breaker("spawned_venue").force_open();
    tokio::spawn(request).await.expect("the task ran")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_future_made_inside_a_call_and_spawned_is_a_call_of_its_own() {
    let venue = breaker("spawned_venue");
    assert!(matches!(dispatch(false, false, false).await, Ok(None)));
    assert_eq!(
        venue.snapshot().successes,
        1,
        "awaited in place, on the dispatching task: one call"
    );
    for boxed in [false, true] {
        let task = dispatch(true, boxed, true).await.unwrap().unwrap();
        assert_eq!(task.await.unwrap(), Err(VenueError::Down));
    }
    let snapshot = venue.snapshot();
    assert_eq!(
        (snapshot.successes, snapshot.failures),
        (3, 2),
        "each spawned request (-> impl Future, boxed) counted on its own"
    );
    let spawned_while_open = dispatch_then_open().await;
    assert!(
        matches!(spawned_while_open, Err(VenueError::Open(_))),
        "spawned after the breaker opened, it is rejected on its own task: {spawned_while_open:?}"
    );
    assert_eq!(venue.snapshot().rejected, 1);
}

// Fault 3: a probe that spawns a call through its own breaker.

#[botwatch::circuit_breaker(name = "self_spawning_venue", failures = 1, reset = 1s)]
fn quote(fail: bool) -> impl Future<Output = Result<u32, VenueError>> {
    async move { answer(fail) }
}

/// A probe that makes its request, spawns it and awaits it. (An `async fn` request cannot be
/// told apart this way: no code of it runs where it is made, see `docs/breakers.md`.)
#[botwatch::circuit_breaker(name = "self_spawning_venue", failures = 1, reset = 1s)]
async fn quote_on_a_task() -> Result<u32, VenueError> {
    tokio::spawn(quote(false)).await.expect("the task ran")
}

#[tokio::test(start_paused = true)]
async fn a_probe_is_not_failed_by_the_rejection_of_a_call_it_spawned() {
    let venue = breaker("self_spawning_venue");
    assert_eq!(quote(true).await, Err(VenueError::Down));
    tokio::time::advance(Duration::from_secs(1)).await;
    // The probe holds the only slot, so the call it spawns (a call of its own) is rejected.
    let probe = quote_on_a_task().await;
    assert!(matches!(probe, Err(VenueError::Open(_))), "{probe:?}");
    let snapshot = venue.snapshot();
    assert_eq!(
        (snapshot.state, snapshot.failures, snapshot.rejected),
        (State::HalfOpen, 1, 1),
        "the breaker's own rejection is not the probe's failure"
    );
    assert_eq!(quote(false).await, Ok(1), "the next probe is admitted");
    assert_eq!(venue.state(), State::Closed);
}

// Fault 4: other tasks on the same thread, inside a guarded call.

#[botwatch::circuit_breaker(name = "block_on_venue", failures = 1, reset = 1h)]
async fn fetch(fail: bool) -> Result<u32, VenueError> {
    answer(fail)
}

/// A sync guarded call that drives a current-thread runtime: the tasks it runs are tasks
/// of their own.
#[botwatch::circuit_breaker(name = "block_on_venue", failures = 1, reset = 1h)]
fn drive(runtime: &tokio::runtime::Runtime) -> Result<TwoTasks, VenueError> {
    Ok(runtime.block_on(async {
        let failed = tokio::spawn(fetch(true)).await.expect("ran");
        let after = tokio::spawn(fetch(false)).await.expect("ran");
        (failed, after)
    }))
}

#[test]
fn tasks_a_block_on_runs_inside_a_guarded_call_are_calls_of_their_own() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (failed, after) = drive(&runtime).expect("admitted");
    assert_eq!(failed, Err(VenueError::Down));
    assert!(
        matches!(after, Err(VenueError::Open(_))),
        "the first task's failure opened it: {after:?}"
    );
    let snapshot = breaker("block_on_venue").snapshot();
    assert_eq!((snapshot.failures, snapshot.rejected), (1, 1));
    // The driving call itself succeeded, but finished in the epoch before the opening.
    assert_eq!(snapshot.state, State::Open);
    assert_eq!(snapshot.successes, 1);
}

#[botwatch::circuit_breaker(name = "local_set_venue", failures = 1, reset = 1h)]
async fn fetch_local(fail: bool) -> Result<u32, VenueError> {
    answer(fail)
}

/// A guarded future that drives a `LocalSet`: its tasks are tasks of their own.
#[botwatch::circuit_breaker(name = "local_set_venue", failures = 1, reset = 1h)]
async fn drive_local() -> Result<TwoTasks, VenueError> {
    let local = tokio::task::LocalSet::new();
    Ok(local
        .run_until(async {
            let failed = tokio::task::spawn_local(fetch_local(true)).await.unwrap();
            let after = tokio::task::spawn_local(fetch_local(false)).await.unwrap();
            (failed, after)
        })
        .await)
}

#[tokio::test]
async fn tasks_of_a_local_set_driven_inside_a_guarded_call_are_calls_of_their_own() {
    let (failed, after) = drive_local().await.expect("admitted");
    assert_eq!(failed, Err(VenueError::Down));
    assert!(matches!(after, Err(VenueError::Open(_))), "{after:?}");
    let snapshot = breaker("local_set_venue").snapshot();
    assert_eq!(
        (snapshot.state, snapshot.failures, snapshot.rejected),
        (State::Open, 1, 1)
    );
}

// Still one call: nesting on the same task, across `.await`s and sync calls inside.

#[botwatch::circuit_breaker(name = "same_task_venue", failures = 1, reset = 1h)]
fn check_balance(fail: bool) -> Result<u32, VenueError> {
    answer(fail)
}

#[botwatch::circuit_breaker(name = "same_task_venue", failures = 1, reset = 1h)]
async fn place(fail: bool) -> Result<u32, VenueError> {
    tokio::task::yield_now().await;
    check_balance(fail)?;
    tokio::task::yield_now().await;
    fetch_same_task(fail).await
}

#[botwatch::circuit_breaker(name = "same_task_venue", failures = 1, reset = 1h)]
async fn fetch_same_task(fail: bool) -> Result<u32, VenueError> {
    tokio::task::yield_now().await;
    answer(fail)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_nested_on_the_same_task_are_one_call_on_any_runtime() {
    let venue = breaker("same_task_venue");
    assert_eq!(tokio::spawn(place(false)).await.unwrap(), Ok(1));
    assert_eq!(venue.snapshot().successes, 1, "one call");
    assert_eq!(
        tokio::spawn(place(true)).await.unwrap(),
        Err(VenueError::Down)
    );
    let snapshot = venue.snapshot();
    assert_eq!(
        (snapshot.failures, snapshot.rejected, snapshot.state),
        (1, 0, State::Open),
        "the failure counts once, and the open breaker did not reject its own nested calls"
    );
}
