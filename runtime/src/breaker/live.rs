//! What the live page shows of one breaker beyond its [`BreakerSnapshot`]: when it may
//! probe, how close a closed breaker is to opening, and how often it opened.
//!
//! Read on demand (a page poll), never on the call path: it takes the breaker's short
//! internal lock once to read when an open breaker admits its first probe.

use std::time::Duration;

use super::{Breaker, BreakerSnapshot, State, TRANSITIONS};

/// One breaker (or one key of a per-key breaker) as the live page reads it.
#[derive(Clone, Debug)]
pub(crate) struct LiveBreaker {
    /// State and counts, as `/health` and `botwatch::snapshot()` report them.
    pub(crate) snapshot: BreakerSnapshot,
    /// Held open by `force_open()`: no probe until someone closes it.
    pub(crate) forced: bool,
    /// Open and not forced: how long until the next call is admitted as a probe.
    pub(crate) next_probe_in: Option<Duration>,
    /// Failures counted towards opening now, and the threshold that opens it.
    pub(crate) window: WindowFill,
    /// Times it opened since it was made (closed → open and half-open → open).
    pub(crate) opened: u64,
}

/// How full a closed breaker's failure budget is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum WindowFill {
    /// `failures = N`: failures in a row, of N.
    Consecutive {
        /// Failures in a row now.
        failures: u32,
        /// N.
        threshold: u32,
    },
    /// `failure_rate = R`: failures among the last calls of the window.
    Rate {
        /// Failures among them.
        failures: u32,
        /// Calls in the window now.
        calls: u32,
        /// Calls the window holds.
        size: u32,
        /// R, a fraction.
        threshold: f64,
        /// Calls needed before the rate counts.
        min_calls: u32,
    },
    /// Neither option: it opens only when forced.
    None,
}

impl Breaker {
    /// Its state, counts and timing for the live page.
    pub(crate) fn live(&self) -> LiveBreaker {
        let word = self.load();
        let next_probe_in = (word.state == State::Open && !word.forced).then(|| {
            let open_until = self.lock().open_until;
            open_until.saturating_duration_since(self.clock.now())
        });
        let window = match (self.policy.failure_rate, &self.window) {
            (Some(threshold), Some(window)) => {
                let (failures, calls) = window.counts();
                WindowFill::Rate {
                    failures,
                    calls,
                    size: self.policy.window,
                    threshold,
                    min_calls: self.policy.min_calls,
                }
            }
            _ => match self.policy.consecutive_failures {
                Some(threshold) => WindowFill::Consecutive {
                    failures: self.consecutive_failures(),
                    threshold,
                },
                None => WindowFill::None,
            },
        };
        let opened = TRANSITIONS
            .iter()
            .enumerate()
            .filter(|(_, (_, to))| *to == State::Open)
            .map(|(index, _)| self.transition_count(index))
            .sum();
        LiveBreaker {
            snapshot: self.snapshot(),
            forced: word.forced,
            next_probe_in,
            window,
            opened,
        }
    }
}
