//! The breaker against a reference model of its state machine, driven by random sequences
//! of admissions, outcomes, durations, clock advances, cancellations and operator actions;
//! and a race test of half-open admission across threads.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use proptest::prelude::*;

use super::clock::{BreakerClock, MockClock};
use super::policy::Policy;
use super::{Breaker, Outcome, Permit, State, TRANSITIONS};
use botwatch_spec::model::CircuitBreaker;

/// The state machine as the documentation states it, written plainly and sequentially.
#[derive(Debug)]
struct Model {
    policy: Policy,
    now: Duration,
    state: State,
    forced: bool,
    epoch: u64,
    consecutive: u32,
    window: VecDeque<bool>,
    open_until: Duration,
    failed_probes: u32,
    in_flight: u32,
    probe_successes: u32,
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
    fn new(policy: Policy) -> Model {
        Model {
            policy,
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
            successes: 0,
            failures: 0,
            rejected: 0,
            latency_count: 0,
            transitions: [0; TRANSITIONS.len()],
        }
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
        self.in_flight = 0;
        self.probe_successes = 0;
    }

    fn open(&mut self) {
        self.open_until = self.now + self.policy.reset_after(self.failed_probes);
        self.move_to(State::Open);
    }

    fn admit(&mut self) -> Option<ModelPermit> {
        match self.state {
            State::Closed => Some(ModelPermit {
                epoch: self.epoch,
                probe: false,
            }),
            State::Open if !self.forced && self.now >= self.open_until => {
                self.move_to(State::HalfOpen);
                self.in_flight = 1;
                Some(ModelPermit {
                    epoch: self.epoch,
                    probe: true,
                })
            }
            State::HalfOpen if self.in_flight < self.policy.half_open => {
                self.in_flight += 1;
                Some(ModelPermit {
                    epoch: self.epoch,
                    probe: true,
                })
            }
            _ => {
                self.rejected += 1;
                None
            }
        }
    }

    fn finish(&mut self, permit: ModelPermit, outcome: Outcome, nanos: u64) {
        self.latency_count += 1;
        let outcome = if outcome == Outcome::Success && self.policy.is_slow(nanos) {
            Outcome::Failure
        } else {
            outcome
        };
        match outcome {
            Outcome::Success => self.successes += 1,
            Outcome::Failure => self.failures += 1,
            Outcome::Ignored => {}
        }
        if permit.epoch != self.epoch {
            return;
        }
        if !permit.probe {
            match outcome {
                Outcome::Ignored => {}
                Outcome::Success => {
                    self.consecutive = 0;
                    self.push_window(false);
                }
                Outcome::Failure => {
                    self.consecutive += 1;
                    let by_count = self
                        .policy
                        .consecutive_failures
                        .is_some_and(|n| self.consecutive >= n);
                    let by_rate = self.policy.failure_rate.is_some_and(|rate| {
                        self.push_window(true);
                        let calls = self.window.len() as u32;
                        let failed = self.window.iter().filter(|f| **f).count() as f64;
                        calls >= self.policy.min_calls && failed / f64::from(calls) >= rate - 1e-12
                    });
                    if by_count || by_rate {
                        self.open();
                    }
                }
            }
            return;
        }
        match outcome {
            Outcome::Ignored => self.in_flight -= 1,
            Outcome::Failure => {
                self.failed_probes += 1;
                self.open();
            }
            Outcome::Success => {
                self.probe_successes += 1;
                self.in_flight -= 1;
                if self.probe_successes >= self.policy.successes {
                    self.failed_probes = 0;
                    self.move_to(State::Closed);
                }
            }
        }
    }

    fn push_window(&mut self, failed: bool) {
        if self.policy.failure_rate.is_none() {
            return;
        }
        self.window.push_back(failed);
        if self.window.len() > self.policy.window as usize {
            self.window.pop_front();
        }
    }

    fn cancel(&mut self, permit: ModelPermit) {
        if permit.probe && permit.epoch == self.epoch && self.state == State::HalfOpen {
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
        1u32..4,
        1u32..4,
    )
        .prop_flat_map(
            |(failures, rate, window, slow, reset, backoff, half_open, successes)| {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn breaker_follows_the_reference_model(spec in options(), ops in prop::collection::vec(op(), 1..60)) {
        let clock = MockClock::new();
        let breaker = Breaker::new("model", &spec, BreakerClock::Mock(clock.clone()));
        let mut model = Model::new(Policy::from_spec(&spec));
        let mut outstanding: Vec<(Permit<'_>, ModelPermit)> = Vec::new();
        for op in ops {
            match op {
                Op::Admit => {
                    let real = breaker.admit();
                    let expected = model.admit();
                    prop_assert_eq!(real.is_ok(), expected.is_some(), "admission differs");
                    if let (Ok(permit), Some(model_permit)) = (real, expected) {
                        prop_assert_eq!(permit.probe, model_permit.probe);
                        outstanding.push((permit, model_permit));
                    }
                }
                Op::Finish { which, outcome, millis } if !outstanding.is_empty() => {
                    let (permit, model_permit) = outstanding.remove(which % outstanding.len());
                    let nanos = millis * 1_000_000;
                    permit.finish_after(outcome, nanos);
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
    breaker.admit().unwrap().finish(Outcome::Failure);
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
                                0 => permit.finish(Outcome::Success),
                                1 => permit.finish(Outcome::Ignored),
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
