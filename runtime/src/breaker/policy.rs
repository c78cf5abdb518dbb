//! A breaker's options as the state machine uses them.

use std::time::Duration;

use botwatch_spec::model::CircuitBreaker;
use botwatch_spec::names::duration_nanos;

/// The longest a backed-off reset may grow to when no `max_reset` is given.
const BACKOFF_CEILING: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Policy {
    pub(crate) consecutive_failures: Option<u32>,
    pub(crate) failure_rate: Option<f64>,
    pub(crate) window: u32,
    pub(crate) min_calls: u32,
    pub(crate) slow_nanos: Option<u64>,
    pub(crate) reset: Duration,
    pub(crate) backoff: Option<f64>,
    pub(crate) max_reset: Option<Duration>,
    pub(crate) half_open: u32,
    pub(crate) successes: u32,
    pub(crate) probe_timeout: Duration,
    pub(crate) latency: bool,
}

impl Policy {
    pub(crate) fn from_spec(spec: &CircuitBreaker) -> Policy {
        Policy {
            consecutive_failures: spec.consecutive_failures(),
            failure_rate: spec.failure_rate,
            window: spec.window,
            min_calls: spec.min_calls,
            slow_nanos: spec.slow.map(duration_nanos),
            reset: spec.reset,
            backoff: spec.backoff,
            max_reset: spec.max_reset,
            half_open: spec.half_open.min(super::word::MAX_FIELD),
            successes: spec.successes.min(super::word::MAX_FIELD),
            probe_timeout: spec.probe_timeout,
            latency: spec.latency,
        }
    }

    /// How long the breaker stays open after `failed_probes` failed probes in a row:
    /// `reset × backoff^failed_probes`, capped by `max_reset`.
    pub(crate) fn reset_after(&self, failed_probes: u32) -> Duration {
        let Some(factor) = self.backoff else {
            return self.reset;
        };
        let cap = self.max_reset.unwrap_or(BACKOFF_CEILING).max(self.reset);
        let scaled = self.reset.as_secs_f64() * factor.powi(failed_probes.min(1_000) as i32);
        if !scaled.is_finite() || scaled >= cap.as_secs_f64() {
            cap
        } else {
            Duration::from_secs_f64(scaled)
        }
    }

    /// Whether a call of `nanos` counts as a failure for being slow.
    pub(crate) fn is_slow(&self, nanos: u64) -> bool {
        self.slow_nanos.is_some_and(|slow| nanos > slow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_multiplies_reset_up_to_the_cap() {
        let policy = Policy::from_spec(&CircuitBreaker {
            reset: Duration::from_secs(10),
            backoff: Some(2.0),
            max_reset: Some(Duration::from_secs(60)),
            ..CircuitBreaker::default()
        });
        let resets: Vec<u64> = (0..5).map(|n| policy.reset_after(n).as_secs()).collect();
        assert_eq!(resets, [10, 20, 40, 60, 60]);
        let plain = Policy::from_spec(&CircuitBreaker::default());
        assert_eq!(plain.reset_after(7), Duration::from_secs(30));
    }
}
