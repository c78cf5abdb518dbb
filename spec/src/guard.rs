//! The model of a kill switch: `guard(CONDITION, open = "trading", for = 2s, latch)` on a
//! declared metric. While the condition holds (for `for`), the breakers named by `open` are
//! held open with the guard as their reason; without `open` the bot is only marked degraded.
//!
//! A guard's condition is one the process judges itself, from the values it holds now
//! (`value`, a ratio or a gap to another gauge, `stale`, `age`): a guard on what only
//! Prometheus sees across time or replicas (`increase`, `rate`, quantiles, `lag`) would
//! never be judged, so the grammar refuses it ([`Guard::judged_in_process`]).

use std::time::Duration;

use crate::declared::ValueCondition;
use crate::model::{List, Text};
use crate::names::upper_camel_case;

/// `guard(...)` on a declared metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Guard {
    /// What it watches: `value > 5%`, `value / LIMIT > 80%`, `stale > 5s`, ...
    pub condition: ValueCondition,
    /// `open = "trading"` or `open = ["trading", "hedging"]`: the breakers it holds open.
    /// Empty: a watchdog that only marks the bot degraded.
    pub open: List<Text>,
    /// `for = 2s`: how long the condition must hold before the guard engages (0 unless
    /// written).
    pub for_: Option<Duration>,
    /// `latch`: once engaged, the breakers stay open after the condition clears, until an
    /// operator's `reset()` or `force_closed()`.
    pub latch: bool,
}

impl Guard {
    /// A guard on `condition` that opens nothing, engages at once and does not latch.
    pub fn new(condition: ValueCondition) -> Guard {
        Guard {
            condition,
            open: std::borrow::Cow::Borrowed(&[]),
            for_: None,
            latch: false,
        }
    }

    /// Whether the process can judge `condition` from what it holds now; the reason when
    /// it cannot, for the compile error.
    pub fn judged_in_process(condition: &ValueCondition) -> Result<(), &'static str> {
        match condition {
            ValueCondition::Value { .. }
            | ValueCondition::Ratio { .. }
            | ValueCondition::Gap { .. }
            | ValueCondition::Stale { .. }
            | ValueCondition::Age { .. }
            | ValueCondition::State { .. } => Ok(()),
            ValueCondition::Increase { .. }
            | ValueCondition::IncreaseRatio { .. }
            | ValueCondition::Rate { .. }
            | ValueCondition::Idle { .. } => Err(
                "an increase or a rate is a change over a window of scrapes, which only Prometheus keeps",
            ),
            ValueCondition::Quantile { .. } => Err(
                "a quantile is read from histogram buckets summed over the fleet, which only Prometheus sees",
            ),
            ValueCondition::Lag { .. } => Err(
                "`lag` compares this replica with the best replica of the fleet, which only Prometheus sees",
            ),
            ValueCondition::Unchanged { .. } => Err(
                "`unchanged` looks back over a window of scrapes; a guard on a silent feed is `stale > 5s`",
            ),
            ValueCondition::Total { .. } => Err(
                "a guard on a labelled family already engages when any label set holds its condition; write `value < X` or `value > X`",
            ),
        }
    }

    /// The guard's name: the static's name in UpperCamelCase (`DRAWDOWN_PCT` →
    /// `DrawdownPct`), the `guard` label of `botwatch_guard_engaged` and the reason a held
    /// breaker gives (`guard:DrawdownPct`).
    pub fn guard_name(static_name: &str) -> String {
        upper_camel_case(&static_name.to_lowercase())
    }

    /// Its alert's name: `<Static>GuardEngaged`.
    pub fn alert_name(static_name: &str) -> String {
        format!("{}GuardEngaged", Self::guard_name(static_name))
    }

    /// The `for` in force (0s unless written).
    pub fn for_duration(&self) -> Duration {
        self.for_.unwrap_or(Duration::ZERO)
    }

    /// Whether judging it needs a clock as well as updates: `stale` and `age` change as time
    /// passes, and a `for` ends with no update. Only then does the runtime start its ticker.
    pub fn reads_time(&self) -> bool {
        matches!(
            self.condition,
            ValueCondition::Stale { .. } | ValueCondition::Age { .. }
        ) || !self.for_duration().is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::declared::ValueComparison;

    #[test]
    fn names_come_from_the_static() {
        assert_eq!(Guard::guard_name("DRAWDOWN_PCT"), "DrawdownPct");
        assert_eq!(Guard::alert_name("DRAWDOWN_PCT"), "DrawdownPctGuardEngaged");
    }

    #[test]
    fn only_time_based_guards_read_time() {
        let value = Guard::new(ValueCondition::Value {
            comparison: ValueComparison::Above,
            threshold: 0.05,
        });
        assert!(!value.reads_time());
        let debounced = Guard {
            for_: Some(Duration::from_secs(2)),
            ..value.clone()
        };
        assert!(debounced.reads_time());
        let stale = Guard::new(ValueCondition::Stale {
            after: Duration::from_secs(5),
        });
        assert!(stale.reads_time());
        assert!(Guard::judged_in_process(&ValueCondition::Lag { threshold: 1.0 }).is_err());
        assert!(Guard::judged_in_process(&value.condition).is_ok());
    }
}
