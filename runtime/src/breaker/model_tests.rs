//! The breaker against a reference model of its state machine, driven by random sequences
//! of admissions, outcomes, durations, clock advances, cancellations and operator actions;
//! and a race test of half-open admission across threads.

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
    /// Probe slots held, across half-open periods.
    in_flight: u32,
    probe_successes: u32,
    /// When a probe last took a slot.
    probe_admitted: Duration,
    /// Probes admitted before this epoch were abandoned by the probe timeout.
    abandoned_before: u64,
    successes: u64,
    failures: u64,
    rejected: u64,
    latency_count: u64,
    transitions: [u64; TRANSITIONS.len()],
}

#[derive(Debug, Clone, Copy)]
struct ModelPermit {
    epoch: u64,
    probe: bool,
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
            in_flight: 0,
            probe_successes: 0,
            probe_admitted: Duration::ZERO,
            abandoned_before: 0,
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

    fn open(&mut self) {
        self.open_until = self.now + self.reset_after_failed_probes();
        self.move_to(State::Open);
    }

    fn take_probe_slot(&mut self) -> Option<ModelPermit> {
        if self.in_flight >= self.spec.half_open {
            return None;
        }
        self.in_flight += 1;
        self.probe_admitted = self.now;
        Some(ModelPermit {
            epoch: self.epoch,
            probe: true,
        })
    }

    fn admit(&mut self) -> Option<ModelPermit> {
        let permit = match self.state {
            State::Closed => Some(ModelPermit {
                epoch: self.epoch,
                probe: false,
            }),
            State::Open if !self.forced && self.now >= self.open_until => {
                self.move_to(State::HalfOpen);
                self.take_probe_slot()
            }
            State::HalfOpen => {
                let permit = self.take_probe_slot();
                if permit.is_none() && self.now - self.probe_admitted >= self.spec.probe_timeout {
                    // Every slot held for probe_timeout: abandon them, a failed probe.
                    self.failed_probes += 1;
                    self.open();
                    self.in_flight = 0;
                    self.abandoned_before = self.epoch;
                }
                permit
            }
            State::Open => None,
        };
        if permit.is_none() {
            self.rejected += 1;
        }
        permit
    }

    fn finish(&mut self, permit: ModelPermit, outcome: Outcome, nanos: u64) {
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
        if permit.probe {
            self.finish_probe(permit, outcome);
            return;
        }
        if permit.epoch != self.epoch {
            return;
        }
        match outcome {
            Outcome::Ignored => {}
            Outcome::Success => {
                self.consecutive = 0;
                self.push_window(false);
            }
            Outcome::Failure => {
                self.consecutive += 1;
                let by_count = self
                    .failures_to_open()
                    .is_some_and(|n| self.consecutive >= n);
                let by_rate = self.spec.failure_rate.is_some_and(|rate| {
                    self.push_window(true);
                    let calls = self.window.len() as u32;
                    let failed = self.window.iter().filter(|f| **f).count() as f64;
                    calls >= self.spec.min_calls && failed / f64::from(calls) >= rate - 1e-12
                });
                if by_count || by_rate {
                    self.open();
                }
            }
        }
    }

    fn finish_probe(&mut self, permit: ModelPermit, outcome: Outcome) {
        if permit.epoch < self.abandoned_before {
            return;
        }
        self.in_flight -= 1;
        if permit.epoch != self.epoch || self.state != State::HalfOpen {
            return;
        }
        match outcome {
            Outcome::Ignored => {}
            Outcome::Failure => {
                self.failed_probes += 1;
                self.open();
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
        if permit.probe && permit.epoch >= self.abandoned_before {
            self.in_flight -= 1;
        }
    }

    fn force_open(&mut self) {
        self.move_to(State::Open);
        self.forced = true;
    }

    fn force_closed(&mut self, reset: bool) {
        if reset {
            self.failed_probes = 0;
        }
        self.move_to(State::Closed);
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
    let word = super::word::Word::unpack(breaker.word.0.load(Ordering::SeqCst));
    prop_assert_eq!(word.in_flight, model.in_flight, "probe slots held");
    if model.state == State::HalfOpen {
        prop_assert_eq!(
            word.probe_successes,
            model.probe_successes,
            "successful probes"
        );
    }
    let side = breaker.lock();
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
                    prop_assert_eq!(real.is_ok(), expected.is_some(), "admission differs");
                    if let (Ok(permit), Some(model_permit)) = (real, expected) {
                        prop_assert_eq!(permit.probe(), model_permit.probe);
                        outstanding.push((permit, model_permit));
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
            assert_eq!(
                super::word::Word::unpack(breaker.word.0.load(Ordering::SeqCst)).in_flight,
                0,
                "every slot was given back"
            );
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
