//! Declared metrics (`#[botwatch::gauge]`, `#[counter]`, `#[histogram]`) on the page: each
//! series' value now, and the metric's alerts with their thresholds.
//!
//! A `value` or ratio condition on a gauge is judged from the value now; the others
//! (`unchanged`, `increase`, `rate`, `idle`, quantiles) need a window of history that only
//! Prometheus keeps, so the page shows them with their thresholds and leaves them unjudged.

use botwatch_spec::declared::{Declared, ValueAlert, ValueComparison, ValueCondition};
use botwatch_spec::model::Comparison;
use botwatch_spec::names::prometheus_duration;

use super::alerts::{number, percent, AlertView};
use crate::declared::{self, DeclaredStatic};

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
        let mut push = |values: &[Box<str>], value: f64| {
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
                alerts: spec
                    .alerts
                    .iter()
                    .map(|a| judge(a, spec, value, &unlabelled))
                    .collect(),
            });
        };
        match metric {
            DeclaredStatic::Gauge(g) => g.series().for_each(|v, c| push(v, c.get())),
            DeclaredStatic::Counter(c) => c.series().for_each(|v, c| push(v, c.get())),
            DeclaredStatic::Histogram(h) => h
                .series()
                .for_each(|v, c| push(v, c.snapshot().count as f64)),
        };
    }
    out
}

fn judge(
    alert: &ValueAlert,
    spec: &Declared,
    value: f64,
    unlabelled: &dyn Fn(&str) -> Option<f64>,
) -> AlertView {
    let compare = |c: Comparison, left: f64, right: f64| match c {
        Comparison::Below => left < right,
        Comparison::Above => left > right,
    };
    // As written; an increase with the window it is taken over.
    let condition = match alert.condition {
        ValueCondition::Increase { .. } => format!(
            "{} within {}",
            alert.condition,
            prometheus_duration(alert.within.unwrap_or(ValueAlert::DEFAULT_INCREASE_WITHIN))
        ),
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
            (Some(number(value)), Some(holds))
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
        ValueCondition::Unchanged { .. }
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
