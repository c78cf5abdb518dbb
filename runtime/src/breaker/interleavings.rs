//! Every interleaving, at the breaker's preemption points, of two half-open operations
//! racing on two threads (issue 35, races 6 and 7): thread A runs its operation and, at its
//! n-th point — a clock read, or the breaker about to take its lock — thread B runs a whole
//! operation of its own, for every n A reaches. B may block on the breaker's lock meanwhile
//! (A holds it); A then goes on after a short wait and B finishes once A lets go, which is
//! the interleaving the lock allows. The points split every step that could be split: the
//! earlier lock-free protocol's races each had a clock read inside the window (the failed
//! probe's reopening read the time after its slot was given back; a new probe read the
//! time to store its start after taking its slot), and a lock-based step split in two takes
//! the lock twice. The random-sequence model test is single-threaded; this is its concurrent
//! counterpart, as `loom` would be for a lock-free design.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use botwatch_spec::model::CircuitBreaker;

use super::clock::{BreakerClock, MockClock};
use super::{Breaker, Outcome, State, TRANSITIONS};

/// How long A waits for B before going on (B is then blocked on the lock A holds).
const WAIT_FOR_B: Duration = Duration::from_millis(50);

/// Runs `b` on another thread when this thread reaches its `at`-th preemption point; returns
/// where to find its result. With `at = 0` nothing runs: the points are only counted.
fn preempt(
    clock: &MockClock,
    at: usize,
    breaker: &Arc<Breaker>,
    b: fn(&Breaker) -> bool,
) -> Arc<Mutex<Option<JoinHandle<bool>>>> {
    let slot = Arc::new(Mutex::new(None));
    let (breaker, result) = (breaker.clone(), slot.clone());
    clock.preempt_at(
        at,
        Box::new(move || {
            let (done, finished) = mpsc::channel();
            let handle = std::thread::spawn(move || {
                let admitted = b(&breaker);
                let _ = done.send(());
                admitted
            });
            let _ = finished.recv_timeout(WAIT_FOR_B);
            *result.lock().unwrap() = Some(handle);
        }),
    );
    slot
}

/// B's operation: a call that is admitted (and at once finishes, ignored) or rejected.
fn call(breaker: &Breaker) -> bool {
    breaker
        .admit()
        .map(|permit| permit.finish(Outcome::Ignored, 0))
        .is_ok()
}

fn spec() -> CircuitBreaker {
    CircuitBreaker {
        failures: Some(1),
        half_open: 1,
        successes: 1_000,
        reset: Duration::from_millis(10),
        probe_timeout: Duration::from_millis(50),
        ..CircuitBreaker::default()
    }
}

/// Open, its reset passed: the next call is a probe.
fn ready_to_probe(clock: &Arc<MockClock>) -> Arc<Breaker> {
    let breaker = Breaker::new("interleaved", &spec(), BreakerClock::Mock(clock.clone()));
    breaker.admit().unwrap().finish(Outcome::Failure, 0);
    clock.advance(Duration::from_millis(10));
    Arc::new(breaker)
}

fn reopenings(breaker: &Breaker) -> u64 {
    let index = TRANSITIONS
        .iter()
        .position(|&t| t == (State::HalfOpen, State::Open))
        .unwrap();
    breaker.transition_count(index)
}

/// Runs `scenario` with B at each of A's preemption points (`at` = 1, 2, …), after a first
/// run that only counts them.
fn at_every_read(scenario: impl Fn(usize) -> usize) {
    let reads = scenario(0);
    assert!(reads > 0, "the operation has preemption points");
    for at in 1..=reads {
        scenario(at);
    }
}

/// Race 6: a probe fails while another caller comes. The clock stands still, so no caller
/// may be admitted: before the failure the probe holds the only slot, after it the breaker
/// is open for its reset.
#[test]
fn a_failing_probe_and_a_caller_in_every_interleaving() {
    at_every_read(|at| {
        let clock = MockClock::new();
        let breaker = ready_to_probe(&clock);
        let probe = breaker.admit().expect("the probe");
        let b = preempt(&clock, at, &breaker, call);
        probe.finish(Outcome::Failure, 0);
        let reads = clock.stop_preempting();
        let admitted = b.lock().unwrap().take().map(|h| h.join().unwrap());
        assert_ne!(
            admitted,
            Some(true),
            "B, run at A's preemption point {at}, got into the half-open period A's failure ended"
        );
        assert_eq!(breaker.state(), State::Open);
        reads
    });
}

/// Race 7: a new probe is admitted while another caller comes, long after the previous
/// probe started. Neither may take the new probe for timed out.
#[test]
fn a_new_probe_and_a_caller_in_every_interleaving() {
    at_every_read(|at| {
        let clock = MockClock::new();
        let breaker = ready_to_probe(&clock);
        breaker.admit().unwrap().finish(Outcome::Ignored, 0);
        assert_eq!(breaker.state(), State::HalfOpen);
        clock.advance(Duration::from_millis(100));
        let b = preempt(&clock, at, &breaker, call);
        let a = breaker.admit();
        let reads = clock.stop_preempting();
        // B's own call (admitted or not) finishes at once: only the reopening tells.
        let _ = b.lock().unwrap().take().map(|h| h.join().unwrap());
        assert_eq!(
            reopenings(&breaker),
            0,
            "B, run at A's preemption point {at}, abandoned a probe admitted at that very moment"
        );
        assert!(a.is_ok() || at > 0, "alone, A is the probe");
        drop(a);
        reads
    });
}
