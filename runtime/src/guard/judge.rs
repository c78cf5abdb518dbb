//! Whether a guard's condition holds, from values read now: the one place the comparison
//! is written, for the update path, the ticker and the tests alike.

use std::time::Duration;

use botwatch_spec::declared::{ValueComparison, ValueCondition};
use botwatch_spec::model::Comparison;

/// What one series gives a condition to judge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Reading {
    /// The series' value.
    pub(crate) value: f64,
    /// The other gauge's value, for a ratio or a gap.
    pub(crate) other: f64,
    /// The series' last update (Unix seconds), for `stale`.
    pub(crate) updated: Option<f64>,
    /// Now (Unix seconds), for `stale` and `age`.
    pub(crate) now: f64,
}

/// A `value` condition's line, copied out of the model so the update path compares with
/// no lookup; `Relation` for a ratio or a gap (which read another gauge), `Clock` for
/// what only the ticker judges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Line {
    Value(Band),
    Relation,
    Clock,
}

impl Line {
    pub(crate) fn of(condition: &ValueCondition) -> Line {
        match condition {
            ValueCondition::Value {
                comparison,
                threshold,
            } => Line::Value(Band::of(*comparison, *threshold)),
            // `state == "halted"` is `value == 3`.
            ValueCondition::State { value, .. } => {
                Line::Value(Band::of(ValueComparison::Equal, *value))
            }
            ValueCondition::Ratio { .. } | ValueCondition::Gap { .. } => Line::Relation,
            _ => Line::Clock,
        }
    }
}

/// `value <`, `>`, `==` or `!=` a threshold as one test with no branch on the operator:
/// the value is outside `[low, high]` (or, `inside`, within it), and not NaN. `> t` is
/// outside `[-inf, t]`, `< t` outside `[t, +inf]`, `!= t` outside `[t, t]`, `== t` inside it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Band {
    low: f64,
    high: f64,
    inside: bool,
}

impl Band {
    pub(crate) fn of(comparison: ValueComparison, threshold: f64) -> Band {
        let (low, high, inside) = match comparison {
            ValueComparison::Above => (f64::NEG_INFINITY, threshold, false),
            ValueComparison::Below => (threshold, f64::INFINITY, false),
            ValueComparison::NotEqual => (threshold, threshold, false),
            ValueComparison::Equal => (threshold, threshold, true),
        };
        Band { low, high, inside }
    }

    /// Whether `value` is on the condition's side of the line.
    #[inline(always)]
    pub(crate) fn holds(self, value: f64) -> bool {
        let outside = (value < self.low) | (value > self.high);
        (outside ^ self.inside) & !value.is_nan()
    }
}

/// Whether `condition` holds for `reading`. A NaN never holds (as in PromQL, where a
/// comparison with NaN drops the sample); a ratio to zero is infinite and holds for `>`.
pub(crate) fn holds(condition: &ValueCondition, reading: Reading) -> bool {
    match condition {
        ValueCondition::Value {
            comparison,
            threshold,
        } => Band::of(*comparison, *threshold).holds(reading.value),
        ValueCondition::Ratio {
            comparison,
            threshold,
            ..
        } => compare(*comparison, reading.value / reading.other, *threshold),
        ValueCondition::Gap {
            comparison,
            threshold,
            ..
        } => compare(*comparison, reading.value - reading.other, *threshold),
        ValueCondition::Stale { after } => reading
            .updated
            .is_some_and(|at| older_than(reading.now - at, *after)),
        ValueCondition::Age { limit } => older_than(reading.now - reading.value, *limit),
        ValueCondition::State { value, .. } => reading.value == *value,
        // The grammar refuses a guard on any other condition.
        _ => false,
    }
}

#[inline]
fn compare(comparison: Comparison, value: f64, threshold: f64) -> bool {
    match comparison {
        Comparison::Below => value < threshold,
        Comparison::Above => value > threshold,
    }
}

/// `elapsed > limit`, in seconds (a NaN elapsed is not older).
fn older_than(elapsed: f64, limit: Duration) -> bool {
    elapsed > limit.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(value: f64, other: f64) -> Reading {
        Reading {
            value,
            other,
            updated: None,
            now: 1000.0,
        }
    }

    fn value(comparison: ValueComparison, threshold: f64) -> ValueCondition {
        ValueCondition::Value {
            comparison,
            threshold,
        }
    }

    /// Catches a comparison with the wrong sign, `>=` for `>`, and `==` judged on NaN.
    #[test]
    fn value_conditions_hold_on_their_side_of_the_line_only() {
        let above = value(ValueComparison::Above, 0.05);
        assert!(holds(&above, at(0.06, 0.0)));
        assert!(
            !holds(&above, at(0.05, 0.0)),
            "the line itself does not hold"
        );
        assert!(!holds(&above, at(0.04, 0.0)));
        let below = value(ValueComparison::Below, 0.5);
        assert!(holds(&below, at(0.4, 0.0)));
        assert!(!holds(&below, at(0.5, 0.0)));
        assert!(holds(&value(ValueComparison::Equal, 3.0), at(3.0, 0.0)));
        assert!(!holds(&value(ValueComparison::Equal, 3.0), at(2.0, 0.0)));
        assert!(holds(&value(ValueComparison::NotEqual, 3.0), at(2.0, 0.0)));
        assert!(!holds(&value(ValueComparison::NotEqual, 3.0), at(3.0, 0.0)));
        for condition in [above, below, value(ValueComparison::NotEqual, 3.0)] {
            assert!(!holds(&condition, at(f64::NAN, 0.0)), "{condition}");
        }
    }

    /// Catches `guard(state == "halted")` never engaging (judged as an unknown condition) or
    /// engaging on another state.
    #[test]
    fn a_state_guard_holds_at_its_state_only() {
        let halted = ValueCondition::State {
            name: "halted".into(),
            value: 3.0,
        };
        assert!(holds(&halted, at(3.0, 0.0)));
        assert!(!holds(&halted, at(1.0, 0.0)));
        assert!(!holds(&halted, at(f64::NAN, 0.0)));
        assert_eq!(
            Line::of(&halted),
            Line::Value(Band::of(ValueComparison::Equal, 3.0)),
            "a state is judged as it is set, like value == 3"
        );
    }

    /// Catches a ratio or gap computed the wrong way round.
    #[test]
    fn ratios_and_gaps_read_the_other_gauge() {
        let ratio = ValueCondition::Ratio {
            denominator: "LIMIT".into(),
            comparison: Comparison::Above,
            threshold: 0.8,
        };
        assert!(holds(&ratio, at(90.0, 100.0)));
        assert!(!holds(&ratio, at(70.0, 100.0)));
        assert!(holds(&ratio, at(1.0, 0.0)), "over a zero limit is over");
        let gap = ValueCondition::Gap {
            reference: "HEAD".into(),
            comparison: Comparison::Below,
            threshold: -5.0,
        };
        assert!(holds(&gap, at(100.0, 106.0)));
        assert!(!holds(&gap, at(100.0, 104.0)));
    }

    /// Catches `stale` judged from the value, or `age` from the update time.
    #[test]
    fn time_conditions_read_the_clock() {
        let stale = ValueCondition::Stale {
            after: Duration::from_secs(5),
        };
        let updated = |at: f64| Reading {
            value: 0.0,
            other: 0.0,
            updated: Some(at),
            now: 1000.0,
        };
        assert!(holds(&stale, updated(994.0)));
        assert!(!holds(&stale, updated(996.0)));
        assert!(!holds(&stale, at(0.0, 0.0)), "no stamp: not judged stale");
        let age = ValueCondition::Age {
            limit: Duration::from_secs(30),
        };
        assert!(holds(&age, at(969.0, 0.0)));
        assert!(!holds(&age, at(971.0, 0.0)));
        assert_eq!(
            (Line::of(&stale), Line::of(&age)),
            (Line::Clock, Line::Clock)
        );
    }
}
