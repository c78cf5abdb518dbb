//! What a breaker is in and what a call did: its [`State`], a call's [`Outcome`], the
//! transitions it counts and the [`BreakerSnapshot`] `/health` and `snapshot()` read.

/// A breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Calls run.
    Closed,
    /// Calls are rejected with [`CircuitOpen`](super::CircuitOpen).
    Open,
    /// A limited number of probe calls run to test whether the callee recovered.
    HalfOpen,
}

impl State {
    /// The value of the `circuit_breaker_state` gauge: 0 closed, 1 open, 2 half-open.
    pub fn gauge_value(self) -> u8 {
        match self {
            State::Closed => 0,
            State::Open => 1,
            State::HalfOpen => 2,
        }
    }

    /// The state as the `from`/`to` labels and `/health` write it.
    pub fn label(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }
}

/// How a finished call counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The call succeeded (a slow success becomes a failure).
    Success,
    /// The call failed.
    Failure,
    /// The call counts as neither (`ignore_if`).
    Ignored,
}

/// The transitions `circuit_breaker_transitions_total` counts, as (from, to).
pub(crate) const TRANSITIONS: [(State, State); 5] = [
    (State::Closed, State::Open),
    (State::Open, State::HalfOpen),
    (State::HalfOpen, State::Open),
    (State::HalfOpen, State::Closed),
    (State::Open, State::Closed),
];

/// Counts of one breaker, for `/health` and dashboards.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BreakerSnapshot {
    /// The breaker's name.
    pub name: &'static str,
    /// The key of a per-key breaker (`per = ...`); `None` for a plain one.
    pub key: Option<String>,
    /// Its state now.
    pub state: State,
    /// Calls counted as successes.
    pub successes: u64,
    /// Calls counted as failures.
    pub failures: u64,
    /// Calls rejected without running.
    pub rejected: u64,
    /// Failures in a row while closed.
    pub consecutive_failures: u32,
    /// The guard holding it open (`guard(..., open = "...")`), shown as the reason
    /// `guard:<Static>`; `None` while no guard holds it.
    pub held_by: Option<&'static str>,
}
