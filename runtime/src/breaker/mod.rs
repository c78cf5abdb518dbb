//! Circuit breakers: the state machine behind `#[circuit_breaker]`.
//!
//! * **Closed**: every call runs. Consecutive failures (`failures = N`) or the failure share
//!   of the last `window` calls (`failure_rate`, once `min_calls` were seen, judged after
//!   every call) open it.
//! * **Open**: calls are rejected at once with [`CircuitOpen`] until `reset` has passed;
//!   the next call after that switches to half-open and is the first probe.
//! * **Half-open**: at most `half_open` probes run at once; `successes` successful probes
//!   close it, one failed probe opens it again for `reset × backoff^n` (capped by
//!   `max_reset`).
//!
//! Every change of state starts a new *epoch*, and a call's result only moves the state
//! machine if the epoch it was admitted in is still current: a slow call admitted before
//! the breaker opened cannot close it, nor can a probe from an earlier half-open period.
//! Such stale results still count in the success and failure totals, since the calls did
//! happen. A panic of the guarded call counts as a failure; a call whose future is dropped
//! before it completes counts as nothing and gives its probe slot back.
//!
//! Probe slots outlive epochs: a probe of an earlier half-open period that is still running
//! keeps its slot, so at most `half_open` probes ever run at once. Each probe times out on
//! its own, `probe_timeout` after it was admitted: judged at the moment it elapsed (by the
//! next call or result, whichever comes first), it frees its slot and, if it was a probe of
//! the current half-open period, counts as a failed probe at that moment. Its result, when
//! it comes, counts only in the totals. `reset()` forgets running probes the same way.
//!
//! The closed-state path is one atomic load to admit and a few relaxed atomic adds to
//! record; no lock is ever held across the user's call. Everything else — transitions,
//! the open and half-open admissions, probe results — takes a short internal lock, under
//! which alone the state word is written: a probe's slot and its start are taken together,
//! and a failed probe frees its slot and reopens the breaker in one step.
//!
//! Where things are: `machine.rs` is the state machine whole (admission, completion,
//! transitions, the [`Breaker`] they share and the permit a call holds); `handle.rs` what a
//! handle offers besides (names, keys, counts); `state.rs` and `open.rs` the public types;
//! `consecutive.rs`, `window.rs` and `word.rs` the atomics the machine reads on the hot path;
//! `family.rs`, `recent.rs` and `table.rs` how calls find their breaker (per key, per
//! thread, by name); `nesting.rs` calls inside calls; `result.rs` what the macro calls;
//! `live.rs` what `/health` and the live page read.

mod clock;
mod consecutive;
mod family;
mod handle;
mod held;
mod live;
mod machine;
pub(crate) mod nesting;
mod open;
mod policy;
mod recent;
mod result;
mod state;
mod table;
mod window;
mod word;

#[cfg(test)]
mod interleavings;
#[cfg(test)]
mod model_tests;

#[cfg(test)]
pub(crate) use clock::{BreakerClock as TestBreakerClock, MockClock};
pub(crate) use live::{LiveBreaker, WindowFill};
pub use machine::Breaker;
pub(crate) use machine::Permit;
pub use open::CircuitOpen;
pub use result::{breaker_hooks, BreakerHooks, BreakerResult, NoBreaker};
pub(crate) use state::Outcome;
pub(crate) use state::TRANSITIONS;
pub use state::{BreakerSnapshot, State};
pub(crate) use table::{all_breakers, lookup};
pub use table::{breaker, BreakerSite};
