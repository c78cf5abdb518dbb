//! The breaker against a reference model of its state machine, driven by random sequences
//! of admissions, outcomes, durations, clock advances, cancellations, operator actions and
//! recycling for another key (what a per-key family does on eviction); and race tests of
//! half-open admission across threads.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{RngSeed, TestRunner};

use super::clock::{BreakerClock, MockClock};
use super::{Breaker, Outcome, Permit, State, TRANSITIONS};
use botwatch_spec::model::CircuitBreaker;

/// The state machine as the documentation states it, written plainly and sequentially
/// from the options as the user wrote them: none of its maths (backoff, slow calls, rates)
/// calls the implementation's.
#[derive(Debug)]
struct Model {
    spec: CircuitBreaker,
    now: Duration,
    state: State,
    forced: bool,
    epoch: u64,
    consecutive: u32,
    window: VecDeque<bool>,
    open_until: Duration,
    failed_probes: u32,
    /// Running probes (id, epoch admitted in, when), across half-open periods.
    probes: Vec<(u64, u64, Duration)>,
    next_probe: u64,
    probe_successes: u32,
    /// Permits admitted before this epoch belong to the key served before a recycle.
    recycled_before: u64,
    successes: u64,
    failures: u64,
    rejected: u64,
    latency_count: u64,
    transitions: [u64; TRANSITIONS.len()],
}

#[derive(Debug, Clone, Copy)]
struct ModelPermit {
    epoch: u64,
    /// A probe's id.
    probe: Option<u64>,
}

impl Model {
    fn new(spec: CircuitBreaker) -> Model {
        Model {
            spec,
            now: Duration::ZERO,
            state: State::Closed,
            forced: false,
            epoch: 0,
            consecutive: 0,
            window: VecDeque::new(),
            open_until: Duration::ZERO,
            failed_probes: 0,
            probes: Vec::new(),
            next_probe: 0,
            probe_successes: 0,
            recycled_before: 0,
            successes: 0,
            failures: 0,
            rejected: 0,
            latency_count: 0,
            transitions: [0; TRANSITIONS.len()],
        }
    }

    fn failures_to_open(&self) -> Option<u32> {
        match (self.spec.failures, self.spec.failure_rate) {
            (Some(n), _) => Some(n),
            (None, None) => Some(5),
            (None, Some(_)) => None,
        }
    }

    /// `reset`, multiplied by `backoff` once per failed probe, capped by `max_reset`.
    fn reset_after_failed_probes(&self) -> Duration {
        let Some(factor) = self.spec.backoff else {
            return self.spec.reset;
        };
        let cap = self
            .spec
            .max_reset
            .expect("the options always set max_reset with backoff");
        let mut reset = self.spec.reset.as_secs_f64();
        for _ in 0..self.failed_probes {
            reset *= factor;
            if reset >= cap.as_secs_f64() {
                return cap;
            }
        }
        Duration::from_secs_f64(reset)
    }

    fn move_to(&mut self, to: State) {
        if let Some(i) = TRANSITIONS.iter().position(|&t| t == (self.state, to)) {
            self.transitions[i] += 1;
        }
        if to == State::Closed {
            self.consecutive = 0;
            self.window.clear();
        }
        self.state = to;
        self.forced = false;
        self.epoch += 1;
        self.probe_successes = 0;
    }

    /// Opens again after a failed probe (or a failure while closed) at `at`.
    fn open_at(&mut self, at: Duration) {
        self.open_until = at + self.reset_after_failed_probes();
        self.move_to(State::Open);
    }

    /// Every probe whose timeout elapsed by now, in the order they elapsed: it holds no slot
    /// any more and, if it was a probe of the current half-open period, failed at that moment.
    fn time_out_probes(&mut self) {
        let timeout = self.spec.probe_timeout;
        while let Some(index) = (0..self.probes.len())
            .filter(|&i| self.probes[i].2 + timeout <= self.now)
            .min_by_key(|&i| self.probes[i].2)
        {
            let (_, epoch, admitted) = self.probes.remove(index);
            if epoch == self.epoch && self.state == State::HalfOpen {
                self.failed_probes += 1;
                self.open_at(admitted + timeout);
            }
        }
    }

    /// A permit, or the `retry_after` of the rejection.
    fn admit(&mut self) -> Result<ModelPermit, Duration> {
        self.time_out_probes();
        let admitted = match self.state {
            State::Closed => Ok(ModelPermit {
                epoch: self.epoch,
                probe: None,
            }),
            State::Open if self.forced => Err(self.spec.reset),
            State::Open if self.now < self.open_until => Err(self.open_until - self.now),
            State::Open | State::HalfOpen => {
                if self.state == State::Open {
                    self.move_to(State::HalfOpen);
                }
                if self.probes.len() >= self.spec.half_open as usize {
                    let first = self.probes.iter().map(|p| p.2).min().unwrap_or(self.now);
                    Err((first + self.spec.probe_timeout).saturating_sub(self.now))
                } else {
                    let id = self.next_probe;
                    self.next_probe += 1;
                    self.probes.push((id, self.epoch, self.now));
                    Ok(ModelPermit {
                        epoch: self.epoch,
                        probe: Some(id),
                    })
                }
            }
        };
        if admitted.is_err() {
            self.rejected += 1;
        }
        admitted.map_err(|retry| retry.max(Duration::from_millis(1)))
    }

    fn finish(&mut self, permit: ModelPermit, outcome: Outcome, nanos: u64) {
        if permit.epoch < self.recycled_before {
            return;
        }
        if self.spec.latency {
            self.latency_count += 1;
        }
        let slow = self
            .spec
            .slow
            .is_some_and(|slow| u128::from(nanos) > slow.as_nanos());
        let outcome = if outcome == Outcome::Success && slow {
            Outcome::Failure
        } else {
            outcome
        };
        match outcome {
            Outcome::Success => self.successes += 1,
            Outcome::Failure => self.failures += 1,
            Outcome::Ignored => {}
        }
        if let Some(id) = permit.probe {
            self.finish_probe(id, permit.epoch, outcome);
            return;
        }
        if permit.epoch != self.epoch || self.state != State::Closed {
            return;
        }
        let opens = match outcome {
            Outcome::Ignored => false,
            Outcome::Success => {
                self.consecutive = 0;
                self.rate_reached(false)
            }
            Outcome::Failure => {
                self.consecutive += 1;
                let by_count = self
                    .failures_to_open()
                    .is_some_and(|n| self.consecutive >= n);
                let by_rate = self.rate_reached(true);
                by_count || by_rate
            }
        };
        if opens {
            self.open_at(self.now);
        }
    }

    /// Records a call in the window; whether the failure rate is reached (after every call).
    fn rate_reached(&mut self, failed: bool) -> bool {
        let Some(rate) = self.spec.failure_rate else {
            return false;
        };
        self.push_window(failed);
        let calls = self.window.len() as u32;
        let failures = self.window.iter().filter(|f| **f).count() as f64;
        calls >= self.spec.min_calls && failures / f64::from(calls) >= rate - 1e-12
    }

    fn finish_probe(&mut self, id: u64, epoch: u64, outcome: Outcome) {
        self.time_out_probes();
        let Some(index) = self.probes.iter().position(|p| p.0 == id) else {
            return; // timed out or forgotten: decides nothing
        };
        self.probes.remove(index);
        if epoch != self.epoch || self.state != State::HalfOpen {
            return;
        }
        match outcome {
            Outcome::Ignored => {}
            Outcome::Failure => {
                self.failed_probes += 1;
                self.open_at(self.now);
            }
            Outcome::Success => {
                self.probe_successes += 1;
                if self.probe_successes >= self.spec.successes {
                    self.failed_probes = 0;
                    self.move_to(State::Closed);
                }
            }
        }
    }

    fn push_window(&mut self, failed: bool) {
        if self.spec.failure_rate.is_none() {
            return;
        }
        self.window.push_back(failed);
        if self.window.len() > self.spec.window as usize {
            self.window.pop_front();
        }
    }

    fn cancel(&mut self, permit: ModelPermit) {
        if let Some(id) = permit.probe {
            self.probes.retain(|p| p.0 != id);
        }
    }

    fn force_open(&mut self) {
        self.move_to(State::Open);
        self.forced = true;
    }

    fn force_closed(&mut self, reset: bool) {
        if reset {
            self.failed_probes = 0;
            self.probes.clear();
        }
        self.move_to(State::Closed);
    }

    /// The breaker now serves another key: as new, and every permit of before counts nowhere.
    fn recycle(&mut self) {
        let (now, epoch) = (self.now, self.epoch);
        *self = Model::new(self.spec.clone());
        self.now = now;
        self.epoch = epoch + 1;
        self.recycled_before = self.epoch;
        self.open_until = now;
    }
}

#[derive(Debug, Clone)]
enum Op {
    Admit,
    Finish {
        which: usize,
        outcome: Outcome,
        millis: u64,
    },
    Cancel {
        which: usize,
    },
    Advance {
        millis: u64,
    },
    ForceOpen,
    ForceClosed,
    Reset,
    Recycle,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        4 => Just(Outcome::Success),
        4 => Just(Outcome::Failure),
        1 => Just(Outcome::Ignored),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => Just(Op::Admit),
        8 => (any::<usize>(), outcome(), 0u64..60).prop_map(|(which, outcome, millis)| Op::Finish { which, outcome, millis }),
        1 => any::<usize>().prop_map(|which| Op::Cancel { which }),
        3 => (0u64..400).prop_map(|millis| Op::Advance { millis }),
        1 => Just(Op::ForceOpen),
        1 => Just(Op::ForceClosed),
        1 => Just(Op::Reset),
        1 => Just(Op::Recycle),
    ]
}

fn options() -> impl Strategy<Value = CircuitBreaker> {
    (
        prop::option::of(1u32..5),
        prop::option::of(prop_oneof![Just(0.25), Just(0.5), Just(1.0), Just(0.3)]),
        1u32..8,
        prop::option::of(5u64..50),
        1u64..200,
        prop::option::of(prop_oneof![Just(1.0), Just(2.0), Just(3.5)]),
        (1u32..4, 1u32..4, 20u64..600, any::<bool>()),
    )
        .prop_flat_map(
            |(
                failures,
                rate,
                window,
                slow,
                reset,
                backoff,
                (half_open, successes, probe_timeout, latency),
            )| {
                (1..=window).prop_map(move |min_calls| CircuitBreaker {
                    failures,
                    failure_rate: rate,
                    window,
                    min_calls,
                    slow: slow.map(Duration::from_millis),
                    reset: Duration::from_millis(reset),
                    backoff,
                    max_reset: backoff.map(|_| Duration::from_millis(reset * 5)),
                    half_open,
                    successes,
                    probe_timeout: Duration::from_millis(probe_timeout),
                    latency,
                    ..CircuitBreaker::default()
                })
            },
        )
}

fn check(breaker: &Breaker, model: &Model) -> Result<(), TestCaseError> {
    let snapshot = breaker.snapshot();
    prop_assert_eq!(snapshot.state, model.state);
    prop_assert_eq!(snapshot.successes, model.successes);
    prop_assert_eq!(snapshot.failures, model.failures);
    prop_assert_eq!(snapshot.rejected, model.rejected);
    prop_assert_eq!(
        snapshot.consecutive_failures,
        if model.state == State::Closed {
            model.consecutive
        } else {
            0
        }
    );
    let side = breaker.lock();
    // Slots whose timeout elapsed are judged by the next call or result: until then
    // (closed, say) the two may differ in when they drop them, never in what they decide.
    let now = breaker.clock.now();
    let timeout = model.spec.probe_timeout;
    let held = side
        .probes
        .iter()
        .filter(|p| p.admitted + timeout > now)
        .count();
    let expected = model
        .probes
        .iter()
        .filter(|p| p.2 + timeout > model.now)
        .count();
    prop_assert_eq!(held, expected, "probe slots held");
    if model.state == State::HalfOpen {
        prop_assert_eq!(
            side.probe_successes,
            model.probe_successes,
            "successful probes"
        );
    }
    prop_assert_eq!(
        side.failed_probes,
        model.failed_probes,
        "the backoff exponent"
    );
    if model.state == State::Open && !model.forced {
        let open_until = side.open_until.duration_since(breaker.origin);
        let difference = open_until.abs_diff(model.open_until);
        prop_assert!(
            difference < Duration::from_micros(1),
            "open until {:?}, the model says {:?}",
            open_until,
            model.open_until
        );
    }
    prop_assert_eq!(breaker.latency_snapshot().count, model.latency_count);
    for (i, expected) in model.transitions.iter().enumerate() {
        prop_assert_eq!(
            breaker.transition_count(i),
            *expected,
            "transition {:?}",
            TRANSITIONS[i]
        );
    }
    Ok(())
}

/// A fixed seed, so the mutants listed in docs/breakers.md are caught on every run, and
/// a random one, so every run also explores new sequences.
fn config(seed: Option<u64>) -> ProptestConfig {
    ProptestConfig {
        cases: 6_000,
        rng_seed: seed.map_or(RngSeed::Random, RngSeed::Fixed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn breaker_follows_the_reference_model_fixed_seed() {
    run_against_model(config(Some(0x05ee_db07_c4a7)));
}

#[test]
fn breaker_follows_the_reference_model_random_seed() {
    run_against_model(config(None));
}

fn run_against_model(config: ProptestConfig) {
    let mut runner = TestRunner::new(config);
    let strategy = (options(), prop::collection::vec(op(), 1..60));
    let result = runner.run(&strategy, |(spec, ops)| against_model(&spec, ops));
    if let Err(error) = result {
        panic!("{error}");
    }
}

fn against_model(spec: &CircuitBreaker, ops: Vec<Op>) -> Result<(), TestCaseError> {
    {
        let clock = MockClock::new();
        let breaker = Breaker::new("model", spec, BreakerClock::Mock(clock.clone()));
        let mut model = Model::new(spec.clone());
        let mut outstanding: Vec<(Permit<'_>, ModelPermit)> = Vec::new();
        for op in ops {
            match op {
                Op::Admit => {
                    let real = breaker.admit();
                    let expected = model.admit();
                    match (real, expected) {
                        (Ok(permit), Ok(model_permit)) => {
                            prop_assert_eq!(permit.probe().is_some(), model_permit.probe.is_some());
                            outstanding.push((permit, model_permit));
                        }
                        (Err(open), Err(retry_after)) => {
                            let difference = open.retry_after.abs_diff(retry_after);
                            prop_assert!(
                                difference < Duration::from_micros(1),
                                "retry_after {:?}, the model says {:?}",
                                open.retry_after,
                                retry_after
                            );
                        }
                        (real, expected) => prop_assert!(
                            false,
                            "admission differs: {:?}, the model says {:?}",
                            real.map(drop),
                            expected.map(drop)
                        ),
                    }
                }
                Op::Finish {
                    which,
                    outcome,
                    millis,
                } if !outstanding.is_empty() => {
                    let (permit, model_permit) = outstanding.remove(which % outstanding.len());
                    let nanos = millis * 1_000_000;
                    permit.finish(outcome, nanos);
                    model.finish(model_permit, outcome, nanos);
                }
                Op::Cancel { which } if !outstanding.is_empty() => {
                    let (permit, model_permit) = outstanding.remove(which % outstanding.len());
                    drop(permit);
                    model.cancel(model_permit);
                }
                Op::Advance { millis } => {
                    clock.advance(Duration::from_millis(millis));
                    model.now += Duration::from_millis(millis);
                }
                Op::ForceOpen => {
                    breaker.force_open();
                    model.force_open();
                }
                Op::ForceClosed => {
                    breaker.force_closed();
                    model.force_closed(false);
                }
                Op::Reset => {
                    breaker.reset();
                    model.force_closed(true);
                }
                Op::Recycle => {
                    breaker.recycle("next");
                    model.recycle();
                }
                Op::Finish { .. } | Op::Cancel { .. } => {}
            }
            check(&breaker, &model)?;
        }
    }
    Ok(())
}

/// Opens the breaker, lets its reset pass, and returns it half-open-ready.
fn tripped(half_open: u32, clock: &Arc<MockClock>) -> Breaker {
    let spec = CircuitBreaker {
        failures: Some(1),
        half_open,
        successes: 1_000,
        reset: Duration::from_millis(10),
        ..CircuitBreaker::default()
    };
    let breaker = Breaker::new("race", &spec, BreakerClock::Mock(clock.clone()));
    breaker.admit().unwrap().finish(Outcome::Failure, 0);
    assert_eq!(breaker.state(), State::Open);
    clock.advance(Duration::from_millis(20));
    breaker
}

#[test]
fn half_open_never_runs_more_probes_than_allowed() {
    const THREADS: usize = 8;
    for half_open in [1, 2, 3] {
        for round in 0..150 {
            let clock = MockClock::new();
            let breaker = tripped(half_open, &clock);
            let running = AtomicU32::new(0);
            let most = AtomicU32::new(0);
            let admitted = AtomicUsize::new(0);
            let barrier = Barrier::new(THREADS);
            std::thread::scope(|scope| {
                for thread in 0..THREADS {
                    let (breaker, running, most, admitted, barrier) =
                        (&breaker, &running, &most, &admitted, &barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        for attempt in 0..50 {
                            let Ok(permit) = breaker.admit() else {
                                std::hint::spin_loop();
                                continue;
                            };
                            admitted.fetch_add(1, Ordering::Relaxed);
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::yield_now();
                            running.fetch_sub(1, Ordering::SeqCst);
                            // Successes keep it half-open (it needs 1000); ignored results
                            // and dropped calls give the slot back.
                            match (thread + attempt) % 3 {
                                0 => permit.finish(Outcome::Success, 0),
                                1 => permit.finish(Outcome::Ignored, 0),
                                _ => drop(permit),
                            }
                        }
                    });
                }
            });
            let most = most.load(Ordering::SeqCst);
            assert!(
                most <= half_open,
                "round {round}: {most} probes ran at once with half_open = {half_open}"
            );
            assert!(
                admitted.load(Ordering::Relaxed) > 0,
                "round {round}: no probe was admitted"
            );
            assert_eq!(breaker.state(), State::HalfOpen);
            assert_eq!(breaker.lock().probes.len(), 0, "every slot was given back");
        }
    }
}

/// A probe of an earlier half-open period that succeeds late frees its slot but adds
/// nothing to the current period's successes (the random sequences rarely line this up).
#[test]
fn a_stale_probe_success_does_not_count_toward_closing() {
    let clock = MockClock::new();
    let spec = CircuitBreaker {
        failures: Some(1),
        half_open: 2,
        successes: 2,
        reset: Duration::from_millis(10),
        ..CircuitBreaker::default()
    };
    let breaker = Breaker::new("stale", &spec, BreakerClock::Mock(clock.clone()));
    breaker.admit().unwrap().finish(Outcome::Failure, 0);
    clock.advance(Duration::from_millis(10));
    let early = breaker
        .admit()
        .expect("probe of the first half-open period");
    breaker.admit().unwrap().finish(Outcome::Failure, 0);
    assert_eq!(breaker.state(), State::Open, "a failed probe reopens it");
    clock.advance(Duration::from_millis(10));
    let current = breaker
        .admit()
        .expect("one slot is left for the new period");
    early.finish(Outcome::Success, 0);
    current.finish(Outcome::Success, 0);
    assert_eq!(
        breaker.state(),
        State::HalfOpen,
        "one success of this period, two needed"
    );
    breaker.admit().unwrap().finish(Outcome::Success, 0);
    assert_eq!(breaker.state(), State::Closed);
}
