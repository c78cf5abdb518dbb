//! Conditions as the user writes them (`p99 > 250ms`, `error_rate > 5%`, `rate < 1/m`,
//! `value / CAPACITY > 80%`), as [`Display`](std::fmt::Display) on the model: the rules'
//! error messages, the dashboard's threshold lines and the live page all print them, so
//! they read the same everywhere. A condition's own keys (`within`, `for`) are not part of
//! it: callers that show them add them.
//!
//! ```
//! use botwatch_spec::model::{Comparison, Condition};
//! use std::time::Duration;
//! let rate = Condition::Rate {
//!     comparison: Comparison::Below,
//!     calls: 1.0,
//!     per: Duration::from_secs(60),
//! };
//! assert_eq!(rate.to_string(), "rate < 1/m");
//! assert_eq!(Condition::ErrorRate { above: 0.05 }.to_string(), "error_rate > 5%");
//! ```

use std::fmt;
use std::time::Duration;

use crate::declared::ValueCondition;
use crate::model::{Comparison, Condition};
use crate::names::{format_float, format_percent, prometheus_duration};

/// The unit a rate is written per: `s`, `m` or `h` (the grammar's three), else the
/// duration.
pub fn rate_unit(per: Duration) -> String {
    match per.as_secs() {
        1 => "s".to_owned(),
        60 => "m".to_owned(),
        3600 => "h".to_owned(),
        _ => prometheus_duration(per),
    }
}

impl Comparison {
    /// The operator as written: `<` or `>`.
    pub const fn symbol(self) -> &'static str {
        match self {
            Comparison::Below => "<",
            Comparison::Above => ">",
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Latency {
                quantile,
                threshold,
            } => write!(
                f,
                "{} > {}",
                quantile.keyword(),
                prometheus_duration(*threshold)
            ),
            Condition::ErrorRate { above } => write!(f, "error_rate > {}", format_percent(*above)),
            Condition::Idle { window } => write!(f, "idle > {}", prometheus_duration(*window)),
            Condition::Rate {
                comparison,
                calls,
                per,
            } => write!(
                f,
                "rate {} {}/{}",
                comparison.symbol(),
                format_float(*calls),
                rate_unit(*per)
            ),
            Condition::Open => f.write_str("open"),
            Condition::Flapping { more_than } => write!(f, "flapping > {more_than}"),
            Condition::Errors { more_than } => write!(f, "errors > {more_than}"),
            Condition::InFlight { above } => write!(f, "in_flight > {above}"),
            Condition::Oldest { limit } => write!(f, "oldest > {}", prometheus_duration(*limit)),
            Condition::CallsRatio {
                other,
                comparison,
                threshold,
            } => write!(
                f,
                "calls / {other} {} {}",
                match comparison {
                    Comparison::Below => "<",
                    Comparison::Above => ">",
                },
                format_percent(*threshold)
            ),
        }
    }
}

impl fmt::Display for ValueCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueCondition::Value {
                comparison,
                threshold,
            } => write!(
                f,
                "value {} {}",
                comparison.symbol(),
                format_float(*threshold)
            ),
            ValueCondition::Ratio {
                denominator,
                comparison,
                threshold,
            } => write!(
                f,
                "value / {denominator} {} {}",
                comparison.symbol(),
                format_percent(*threshold)
            ),
            ValueCondition::IncreaseRatio {
                denominator,
                comparison,
                threshold,
            } => write!(
                f,
                "increase / {denominator} {} {}",
                comparison.symbol(),
                format_percent(*threshold)
            ),
            ValueCondition::Unchanged { window } => {
                write!(f, "unchanged > {}", prometheus_duration(*window))
            }
            ValueCondition::Stale { after } => {
                write!(f, "stale > {}", prometheus_duration(*after))
            }
            ValueCondition::Age { limit } => write!(f, "age > {}", prometheus_duration(*limit)),
            ValueCondition::Gap {
                reference,
                comparison,
                threshold,
            } => write!(
                f,
                "value - {reference} {} {}",
                comparison.symbol(),
                format_float(*threshold)
            ),
            ValueCondition::Lag { threshold } => write!(f, "lag > {}", format_float(*threshold)),
            ValueCondition::Total {
                comparison,
                threshold,
            } => write!(
                f,
                "total {} {}",
                comparison.symbol(),
                format_float(*threshold)
            ),
            ValueCondition::Increase { comparison, amount } => {
                write!(
                    f,
                    "increase {} {}",
                    comparison.symbol(),
                    format_float(*amount)
                )
            }
            ValueCondition::Rate {
                comparison,
                amount,
                per,
            } => write!(
                f,
                "rate {} {}/{}",
                comparison.symbol(),
                format_float(*amount),
                rate_unit(*per)
            ),
            ValueCondition::Idle { window } => write!(f, "idle > {}", prometheus_duration(*window)),
            ValueCondition::State { name, .. } => write!(f, "state == \"{name}\""),
            ValueCondition::Quantile {
                quantile,
                comparison,
                threshold,
            } => write!(
                f,
                "{} {} {}",
                quantile.keyword(),
                comparison.symbol(),
                format_float(*threshold)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Quantile;

    /// Each condition prints as the grammar reads it: a second parse of the text would give
    /// the same condition (the percent form for shares, the rate's unit, no `1` before it).
    #[test]
    fn conditions_print_as_written() {
        let minute = Duration::from_secs(60);
        let cases: [(Condition, &str); 10] = [
            (
                Condition::Latency {
                    quantile: Quantile::P99,
                    threshold: Duration::from_millis(250),
                },
                "p99 > 250ms",
            ),
            (Condition::ErrorRate { above: 0.07 }, "error_rate > 7%"),
            (
                Condition::Idle {
                    window: minute * 10,
                },
                "idle > 10m",
            ),
            (
                Condition::Rate {
                    comparison: Comparison::Above,
                    calls: 100.0,
                    per: Duration::from_secs(1),
                },
                "rate > 100/s",
            ),
            (Condition::Open, "open"),
            (Condition::Flapping { more_than: 3 }, "flapping > 3"),
            (Condition::Errors { more_than: 10 }, "errors > 10"),
            (Condition::InFlight { above: 50 }, "in_flight > 50"),
            (Condition::Oldest { limit: minute * 10 }, "oldest > 10m"),
            (
                Condition::CallsRatio {
                    other: "relay::submit".into(),
                    comparison: Comparison::Below,
                    threshold: 0.2,
                },
                "calls / relay::submit < 20%",
            ),
        ];
        for (condition, text) in cases {
            assert_eq!(condition.to_string(), text);
        }
        let declared: [(ValueCondition, &str); 11] = [
            (
                ValueCondition::State {
                    name: "halted".into(),
                    value: 3.0,
                },
                "state == \"halted\"",
            ),
            (
                ValueCondition::Stale {
                    after: Duration::from_secs(90),
                },
                "stale > 90s",
            ),
            (
                ValueCondition::Age {
                    limit: Duration::from_secs(30),
                },
                "age > 30s",
            ),
            (
                ValueCondition::Gap {
                    reference: "rpc::HEAD".into(),
                    comparison: Comparison::Below,
                    threshold: -5.0,
                },
                "value - rpc::HEAD < -5",
            ),
            (ValueCondition::Lag { threshold: 2.5 }, "lag > 2.5"),
            (
                ValueCondition::Total {
                    comparison: Comparison::Above,
                    threshold: 10.0,
                },
                "total > 10",
            ),
            (
                ValueCondition::Ratio {
                    denominator: "CAPACITY".into(),
                    comparison: Comparison::Above,
                    threshold: 0.8,
                },
                "value / CAPACITY > 80%",
            ),
            (
                ValueCondition::IncreaseRatio {
                    denominator: "relay::SUBMITTED".into(),
                    comparison: Comparison::Below,
                    threshold: 0.2,
                },
                "increase / relay::SUBMITTED < 20%",
            ),
            (
                ValueCondition::Rate {
                    comparison: Comparison::Below,
                    amount: 0.5,
                    per: Duration::from_secs(3600),
                },
                "rate < 0.5/h",
            ),
            (
                ValueCondition::Increase {
                    comparison: Comparison::Above,
                    amount: 0.0005,
                },
                "increase > 0.0005",
            ),
            (
                ValueCondition::Quantile {
                    quantile: Quantile::P50,
                    comparison: Comparison::Below,
                    threshold: 1.5,
                },
                "p50 < 1.5",
            ),
        ];
        for (condition, text) in declared {
            assert_eq!(condition.to_string(), text);
        }
    }
}
