//! Declared metrics (`#[botwatch::gauge]`, `#[counter]`, `#[histogram]`) on the page: each
//! series' value now, and the metric's alerts with their thresholds.
//!
//! A `value`, ratio, gap or `age` condition on a gauge is judged from the value now, and
//! `stale` from the series' update time ("updated 3 s ago"); the others (`unchanged`,
//! `increase`, `rate`, `idle`, quantiles) need a window of history, and `lag`/`total` the
//! other replicas or label sets, that only Prometheus keeps, so the page shows them with
//! their thresholds and leaves them unjudged.

use botwatch_spec::declared::{Declared, ValueAlert, ValueComparison, ValueCondition};
use botwatch_spec::model::Comparison;
use botwatch_spec::names::prometheus_duration;

use super::alerts::{number, percent, AlertView};
use crate::declared::{self, DeclaredStatic};

/// Seconds as the page shows an age: whole seconds (`3 s`).
fn seconds(s: f64) -> String {
    format!("{} s", s.round())
}

/// What a condition that needs a window of history says on the page.
const NOT_JUDGED: &str = "judged by Prometheus only (needs its history)";

/// One series of a declared metric.
#[derive(Debug)]
pub(crate) struct ValueView {
    pub(crate) name: String,
    /// `gauge`, `counter` or `histogram`.
    pub(crate) kind: &'static str,
    pub(crate) help: String,
    /// The metric's static labels, then the label set of this series.
    pub(crate) labels: Vec<(String, String)>,
    /// A gauge's value, a counter's total, a histogram's count of observations.
    pub(crate) value: f64,
    /// `unit = "..."`, if declared.
    pub(crate) unit: Option<String>,
    /// The name `states(...)` gives the value, if any.
    pub(crate) state: Option<String>,
    pub(crate) alerts: Vec<AlertView>,
}

/// Every series of every declared metric linked into the binary, now.
pub(crate) fn read() -> Vec<ValueView> {
    let all = declared::declared();
    // A ratio's denominator is another declared metric's unlabelled value.
    let unlabelled = |static_path: &str| -> Option<f64> {
        let wanted = static_path.rsplit("::").next().unwrap_or(static_path);
        all.iter()
            .find(|(spec, _)| spec.static_name == wanted && spec.label_keys.is_empty())
            .and_then(|(_, metric)| match metric {
                DeclaredStatic::Gauge(g) => Some(g.get()),
                DeclaredStatic::Counter(c) => Some(c.get()),
                DeclaredStatic::Histogram(_) => None,
            })
    };
    let mut out = Vec::new();
    for (spec, metric) in &all {
        let now = crate::declared::unix_now();
        let mut push = |values: &[Box<str>], value: f64, updated: Option<f64>| {
            let mut labels: Vec<(String, String)> = spec
                .labels
                .iter()
                .map(|l| (l.key.to_string(), l.value.to_string()))
                .collect();
            labels.extend(
                spec.label_keys
                    .iter()
                    .zip(values)
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            out.push(ValueView {
                name: spec.metric_name().into_owned(),
                kind: spec.kind.prometheus_type(),
                help: spec.help_text().into_owned(),
                labels,
                value,
                unit: spec.unit.as_deref().map(str::to_owned),
                state: spec.state_name(value).map(str::to_owned),
                alerts: spec
                    .alerts
                    .iter()
                    .map(|a| judge(a, spec, (value, updated, now), &unlabelled))
                    .collect(),
            });
        };
        match metric {
            DeclaredStatic::Gauge(g) => g.series().for_each(|v, c| push(v, c.get(), c.updated())),
            DeclaredStatic::Counter(c) => c.series().for_each(|v, c| push(v, c.get(), c.updated())),
            DeclaredStatic::Histogram(h) => h
                .series()
                .for_each(|v, c| push(v, c.snapshot().count as f64, c.updated())),
        };
    }
    out
}

/// `alert` judged on one series: its value, its update time (Unix seconds, when the
/// metric declares `stale`) and the time now.
fn judge(
    alert: &ValueAlert,
    spec: &Declared,
    (value, updated, now): (f64, Option<f64>, f64),
    unlabelled: &dyn Fn(&str) -> Option<f64>,
) -> AlertView {
    let compare = |c: Comparison, left: f64, right: f64| match c {
        Comparison::Below => left < right,
        Comparison::Above => left > right,
    };
    let unit = spec.unit.as_deref();
    // As written, a threshold in the metric's unit with it (`value < 0.5 ETH`); an increase
    // with the window it is taken over.
    let within =
        || prometheus_duration(alert.within.unwrap_or(ValueAlert::DEFAULT_INCREASE_WITHIN));
    let condition = match alert.condition {
        ValueCondition::Increase { .. } => format!(
            "{} within {}",
            super::shown::with_unit(alert.condition.to_string(), unit),
            within()
        ),
        ValueCondition::IncreaseRatio { .. } => {
            format!("{} within {}", alert.condition, within())
        }
        ValueCondition::Value { .. }
        | ValueCondition::Gap { .. }
        | ValueCondition::Lag { .. }
        | ValueCondition::Total { .. }
        | ValueCondition::Quantile { .. } => {
            super::shown::with_unit(alert.condition.to_string(), unit)
        }
        _ => alert.condition.to_string(),
    };
    let (measured, holds) = match &alert.condition {
        ValueCondition::Value {
            comparison,
            threshold,
        } => {
            let holds = match comparison {
                ValueComparison::Below => value < *threshold,
                ValueComparison::Above => value > *threshold,
                ValueComparison::Equal => value == *threshold,
                ValueComparison::NotEqual => value != *threshold,
            };
            (Some(super::shown::shown(value, unit, None)), Some(holds))
        }
        ValueCondition::Ratio {
            denominator,
            comparison,
            threshold,
        } => {
            let ratio = unlabelled(denominator)
                .filter(|d| *d != 0.0)
                .map(|d| value / d);
            (
                ratio.map(percent),
                ratio.map(|r| compare(*comparison, r, *threshold)),
            )
        }
        // This process' totals since it started: the alert's window and fleet are
        // Prometheus' to see, so the page shows the ratio without judging it.
        ValueCondition::IncreaseRatio { denominator, .. } => {
            let ratio = unlabelled(denominator)
                .filter(|d| *d != 0.0)
                .map(|d| value / d);
            (ratio.map(|r| format!("{} since start", percent(r))), None)
        }
        ValueCondition::Stale { after } => match updated {
            Some(at) => {
                let ago = (now - at).max(0.0);
                (
                    Some(format!("updated {} ago", seconds(ago))),
                    Some(ago > after.as_secs_f64()),
                )
            }
            None => (None, None),
        },
        ValueCondition::Age { limit } => {
            let age = now - value;
            (
                Some(format!("{} old", seconds(age))),
                Some(age > limit.as_secs_f64()),
            )
        }
        ValueCondition::Gap {
            reference,
            comparison,
            threshold,
        } => {
            let gap = unlabelled(reference).map(|r| value - r);
            (
                gap.map(|g| super::shown::shown(g, unit, None)),
                gap.map(|g| compare(*comparison, g, *threshold)),
            )
        }
        ValueCondition::State { value: state, .. } => (
            Some(
                spec.state_name(value)
                    .map_or_else(|| number(value), str::to_owned),
            ),
            Some(value == *state),
        ),
        // The fleet's best replica and the family's other sets are Prometheus' to see.
        ValueCondition::Lag { .. }
        | ValueCondition::Total { .. }
        | ValueCondition::Unchanged { .. }
        | ValueCondition::Increase { .. }
        | ValueCondition::Rate { .. }
        | ValueCondition::Idle { .. }
        | ValueCondition::Quantile { .. } => (None, None),
    };
    AlertView {
        name: alert.value_alert_name(&spec.static_name),
        condition,
        severity: alert.value_severity().to_owned(),
        for_: prometheus_duration(alert.value_for()),
        value: match (measured, holds) {
            (None, None) => Some(NOT_JUDGED.to_owned()),
            (measured, _) => measured,
        },
        holds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use botwatch_spec::declared::MetricKind;
    use std::time::Duration;

    fn judged(condition: ValueCondition, value: f64, updated: Option<f64>) -> AlertView {
        let spec = Declared::new(MetricKind::Gauge, "PRICE", "bot");
        let alert = ValueAlert::new(condition);
        judge(&alert, &spec, (value, updated, 1_000.0), &|_| Some(100.0))
    }

    #[test]
    fn stale_reads_the_update_time_and_age_the_value() {
        let stale = || ValueCondition::Stale {
            after: Duration::from_secs(60),
        };
        let over = judged(stale(), 5.0, Some(900.0));
        assert_eq!(over.value.as_deref(), Some("updated 100 s ago"));
        assert_eq!(over.holds, Some(true));
        let at_line = judged(stale(), 5.0, Some(940.0));
        assert_eq!(at_line.holds, Some(false), "60 s is not more than 60 s");
        let age = || ValueCondition::Age {
            limit: Duration::from_secs(30),
        };
        assert_eq!(judged(age(), 960.0, None).holds, Some(true));
        assert_eq!(judged(age(), 970.0, None).holds, Some(false));
        let gap = ValueCondition::Gap {
            reference: "HEAD".into(),
            comparison: Comparison::Below,
            threshold: -5.0,
        };
        let behind = judged(gap, 94.0, None);
        assert_eq!(
            (behind.value.as_deref(), behind.holds),
            (Some("-6"), Some(true))
        );
    }
}
