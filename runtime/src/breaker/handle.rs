//! What a [`Breaker`] handle offers the bot and the exporter: its name and keys, the
//! operator's actions (`force_open`, `force_closed`, `reset`) and its counts.

use std::sync::atomic::Ordering;
use std::sync::PoisonError;

use super::machine::{Breaker, FAILURES, REJECTED, SUCCESSES};
use super::state::{BreakerSnapshot, State};
use crate::histogram::HistogramSnapshot;

impl Breaker {
    /// The breaker's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// For a per-key breaker (`per = venue.id()`), the breaker of `key`, if a call has used
    /// that key (or `"__overflow__"`, where calls go while every slot is busy). `None` for
    /// a plain breaker.
    ///
    /// ```no_run
    /// if let Some(binance) = botwatch::breaker("venue").and_then(|v| v.key("binance")) {
    ///     binance.force_open(); // stop trading on one venue
    /// }
    /// ```
    pub fn key(&self, key: &str) -> Option<&'static Breaker> {
        self.family.as_ref()?.get(key)
    }

    /// Its key, for a breaker of a per-key family.
    pub fn key_name(&self) -> Option<String> {
        self.key
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref()
            .map(str::to_owned)
    }

    /// The breakers that run calls: itself, or every key of a `per` breaker.
    pub(crate) fn members(&'static self) -> Vec<&'static Breaker> {
        match &self.family {
            Some(family) => family.members(),
            None => vec![self],
        }
    }

    /// The breaker of `key` in this `per` breaker (made if new); itself for a plain one.
    #[inline]
    pub(crate) fn member(&'static self, key: &str) -> &'static Breaker {
        match &self.family {
            Some(family) => family.member(key),
            None => self,
        }
    }

    /// Its state now. An open breaker whose reset has passed reads `Open` until the next
    /// call switches it to half-open.
    pub fn state(&self) -> State {
        self.load().state
    }

    /// Its state and counts now.
    pub fn snapshot(&self) -> BreakerSnapshot {
        BreakerSnapshot {
            name: self.name,
            key: self.key_name(),
            state: self.state(),
            successes: self.total(SUCCESSES),
            failures: self.total(FAILURES),
            rejected: self.total(REJECTED),
            consecutive_failures: self.consecutive_failures(),
            held_by: self.holding_guard(),
        }
    }

    pub(super) fn consecutive_failures(&self) -> u32 {
        let word = self.load();
        if word.state == State::Closed {
            self.consecutive.get(word.epoch)
        } else {
            0
        }
    }

    /// Whether a finished call's duration is needed: for the latency histogram or `slow`.
    pub(crate) fn needs_duration(&self) -> bool {
        self.policy.latency || self.policy.slow_nanos.is_some()
    }

    pub(crate) fn transition_count(&self, index: usize) -> u64 {
        self.transitions[index].load(Ordering::Relaxed)
    }

    pub(crate) fn latency_snapshot(&self) -> HistogramSnapshot {
        self.latency.cells().snapshot()
    }

    /// A call made inside a call through this breaker, run as a task of its own, was
    /// rejected (see [`Breaker::own_rejections`]).
    pub(crate) fn note_own_rejection(&self) {
        self.own_rejections.fetch_add(1, Ordering::AcqRel);
    }
}
