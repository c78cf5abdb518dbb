//! A simulated block builder relay that fails on the chaos schedule, behind a breaker.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use botwatch::CircuitOpen;

use crate::chaos::Chaos;
use crate::random::Random;
use crate::strategy::Bundle;

#[derive(Debug)]
pub(crate) enum RelayError {
    /// The relay did not answer or answered 5xx.
    Unavailable,
    /// The relay refused the bundle (it would revert); the relay itself is fine.
    Rejected,
    /// The breaker is open: the bundle was not sent.
    BreakerOpen(CircuitOpen),
}

impl From<CircuitOpen> for RelayError {
    fn from(open: CircuitOpen) -> Self {
        RelayError::BreakerOpen(open)
    }
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayError::Unavailable => write!(f, "relay unavailable"),
            RelayError::Rejected => write!(f, "bundle rejected"),
            RelayError::BreakerOpen(open) => write!(f, "{open}"),
        }
    }
}

/// A rejected bundle says nothing about the relay's health.
fn is_rejection(error: &RelayError) -> bool {
    matches!(error, RelayError::Rejected)
}

pub(crate) struct Relay {
    chaos: Chaos,
    started: Instant,
    random: Mutex<Random>,
}

impl Relay {
    pub(crate) fn new(chaos: Chaos, started: Instant, seed: u64) -> Relay {
        Relay {
            chaos,
            started,
            random: Mutex::new(Random::new(seed)),
        }
    }

    /// Sends a bundle to the relay.
    #[botwatch::counted(
        alert(error_rate > 20%, for = 1m, min_rate = 0.05/s, summary = "More than 20% of bundle submissions fail"),
        alert(oldest > 30s, for = 0s, severity = "critical", summary = "A bundle submission has been in flight for 30s: the relay connection may be hung")
    )]
    #[botwatch::circuit_breaker(
        name = "relay",
        failures = 5,
        reset = 3s,
        backoff = 2.0,
        max_reset = 30s,
        ignore_if = is_rejection,
        alert(open, for = 10s, summary = "Relay circuit breaker open: bundles are not being submitted"),
        alert(flapping > 3, within = 10m)
    )]
    pub(crate) async fn submit_bundle(&self, bundle: &Bundle) -> Result<u64, RelayError> {
        let (latency, roll) = {
            let mut random = self.random.lock().unwrap_or_else(|e| e.into_inner());
            (random.between(0.010, 0.060), random.unit())
        };
        if self.chaos.in_outage(self.started.elapsed()) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Err(RelayError::Unavailable);
        }
        tokio::time::sleep(Duration::from_secs_f64(latency)).await;
        if roll < self.chaos.background_failures {
            return Err(RelayError::Unavailable);
        }
        if roll > 0.97 {
            return Err(RelayError::Rejected);
        }
        Ok(bundle.block)
    }
}

/// A submitted bundle the builder put on chain: its share of submissions is the bot's
/// inclusion rate, which pages when it falls under a fifth while the bot submits at least a
/// bundle a minute.
#[botwatch::counted(alert(
    calls / Relay::submit_bundle < 20%,
    window = 30m,
    min_rate = 1/m,
    summary = "Fewer than 20% of submitted bundles are included"
))]
pub(crate) fn bundle_included(bundle: &Bundle) {
    let _ = bundle;
}
