//! [`CircuitOpen`]: the error a rejected call returns, and how it reads.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The error a call gets while its breaker is open (or while every half-open probe slot is
/// taken). Functions under `#[circuit_breaker]` return it through `E: From<CircuitOpen>`.
///
/// A per-key breaker's rejection also says which key was open ([`key`](CircuitOpen::key)),
/// so a bot logging the error can tell which venue it was. The key is a private field, so
/// a value is built with [`CircuitOpen::new`] rather than a struct literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitOpen {
    /// The breaker's name.
    pub breaker: &'static str,
    /// How long until the breaker may admit a call: until its reset ends while open, or
    /// until the running probes time out while every half-open slot is taken. Never zero,
    /// so a client that waits this long before retrying never spins.
    pub retry_after: Duration,
    pub(super) key: Option<Arc<str>>,
    /// The guard holding the breaker open (`guard(..., open = "trading")`), if one is.
    pub(super) guard: Option<&'static str>,
}

impl CircuitOpen {
    /// A rejection by the breaker `breaker` (no key), retryable after `retry_after`.
    pub fn new(breaker: &'static str, retry_after: Duration) -> CircuitOpen {
        CircuitOpen {
            breaker,
            retry_after,
            key: None,
            guard: None,
        }
    }

    /// The key of a per-key breaker's rejection (`per = venue.id()`): which venue was open.
    /// `None` for a plain breaker.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The guard that holds the breaker open (the static's name in UpperCamelCase, as in
    /// `botwatch_guard_engaged{guard=...}`), when a guard rejected the call; `None` when the
    /// breaker opened on failures or by `force_open()` alone.
    pub fn guard(&self) -> Option<&'static str> {
        self.guard
    }
}

/// The shortest `retry_after` a rejection carries.
pub(super) const MIN_RETRY_AFTER: Duration = Duration::from_millis(1);

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "circuit breaker \"{}\"{} is open{}; retry in {:.3}s",
            self.breaker,
            KeyPhrase(self.key()),
            super::held::GuardPhrase(self.guard),
            self.retry_after.as_secs_f64()
        )
    }
}

impl std::error::Error for CircuitOpen {}

/// ` (key "binance")` after a per-key breaker's name, nothing after a plain one's.
struct KeyPhrase<'a>(Option<&'a str>);

impl fmt::Display for KeyPhrase<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(key) => write!(f, " (key {key:?})"),
            None => Ok(()),
        }
    }
}
