//! The panels of a declared metric's relations: its gap to a reference gauge
//! (`value - OTHER > X`), how far each replica lags the best one (`lag > X`) and a labelled
//! family's total (`total > X`), each with its alerts' lines and read as the alert reads it
//! (matched `on (instance, job)`, the best replica per job, the sum over the label sets on
//! one replica), one line per replica.

use crate::promql::Metric;
use botwatch_spec::declared::{Declared, ValueAlert, ValueCondition};

use super::panels::{Kind, Look, Panel};
use super::queries::{Query, SCOPE_MATCHERS};
use super::units::grafana_unit;
use super::values::{line, lines_text, per, sorted};

/// The gap, lag and total panels of `metric`, in that order; none when it declares none of
/// these alerts.
pub(super) fn relation_panels(all: &[Declared], metric: &Metric<'_>) -> Vec<Panel> {
    let mut out = gap_panels(all, metric);
    out.extend(lag_panel(metric));
    out.extend(total_panel(metric));
    out
}

fn panel(metric: &Metric<'_>, what: &str, title: String, description: String) -> Panel {
    Panel {
        key: format!("values/{}/{what}", metric.name),
        title,
        description,
        queries: Vec::new(),
        kind: Kind::TimeSeries,
        unit: grafana_unit(metric.declared.unit.as_deref()),
        thresholds: Vec::new(),
        size: (8, 8),
        look: Look::default(),
    }
}

/// One panel per reference, however many alerts compare with it.
fn gap_panels(all: &[Declared], metric: &Metric<'_>) -> Vec<Panel> {
    let declared = metric.declared;
    let mut references: Vec<&Declared> = Vec::new();
    for alert in declared.alerts.iter() {
        if let ValueCondition::Gap { reference, .. } = &alert.condition {
            match Declared::resolve(all, declared, reference) {
                Some(other) if !references.iter().any(|d| d.origin() == other.origin()) => {
                    references.push(other)
                }
                _ => {}
            }
        }
    }
    references
        .into_iter()
        .map(|other| {
            let to_other = |a: &&ValueAlert| match &a.condition {
                ValueCondition::Gap { reference, .. } => {
                    Declared::resolve(all, declared, reference)
                        .is_some_and(|d| d.origin() == other.origin())
                }
                _ => false,
            };
            let reference = Metric::of(other);
            let name = &metric.name;
            let mut p = panel(
                metric,
                &format!("gap/{}", reference.name),
                format!("{name} - {}", reference.name),
                format!(
                    "{name} minus {} on the same instance. {}{}",
                    reference.name,
                    per(metric),
                    lines_text(declared.alerts.iter().filter(to_other))
                ),
            );
            p.queries = vec![gap_query(metric, &reference)];
            p.thresholds = sorted(
                declared
                    .alerts
                    .iter()
                    .filter(to_other)
                    .filter_map(|a| match a.condition {
                        ValueCondition::Gap { threshold, .. } => Some(line(a, threshold)),
                        _ => None,
                    })
                    .collect(),
            );
            p
        })
        .collect()
}

fn lag_panel(metric: &Metric<'_>) -> Option<Panel> {
    let alerts = &metric.declared.alerts;
    let is_lag = |a: &&ValueAlert| matches!(a.condition, ValueCondition::Lag { .. });
    alerts.iter().find(is_lag)?;
    let name = &metric.name;
    let mut p = panel(
        metric,
        "lag",
        format!("{name}: behind the best replica"),
        format!(
            "How far each instance's {name} is below the highest instance's of its job (0 on the best one). {}{}",
            per(metric),
            lines_text(alerts.iter().filter(is_lag))
        ),
    );
    p.queries = vec![lag_query(metric)];
    p.thresholds = sorted(
        alerts
            .iter()
            .filter_map(|a| match a.condition {
                ValueCondition::Lag { threshold } => Some(line(a, threshold)),
                _ => None,
            })
            .collect(),
    );
    Some(p)
}

fn total_panel(metric: &Metric<'_>) -> Option<Panel> {
    let alerts = &metric.declared.alerts;
    let is_total = |a: &&ValueAlert| matches!(a.condition, ValueCondition::Total { .. });
    alerts.iter().find(is_total)?;
    let name = &metric.name;
    let over = if metric.keys.is_empty() {
        "its series".to_owned()
    } else {
        format!("every {}", metric.keys.join(", "))
    };
    let mut p = panel(
        metric,
        "total",
        format!("{name}: total"),
        format!(
            "The sum of {name} over {over} on each instance. One line per instance.{}",
            lines_text(alerts.iter().filter(is_total))
        ),
    );
    p.queries = vec![total_query(metric)];
    p.thresholds = sorted(
        alerts
            .iter()
            .filter_map(|a| match a.condition {
                ValueCondition::Total { threshold, .. } => Some(line(a, threshold)),
                _ => None,
            })
            .collect(),
    );
    Some(p)
}

/// `{{instance}} {{symbol}}`.
fn legend(metric: &Metric<'_>) -> String {
    let mut out = "{{instance}}".to_owned();
    for key in &metric.keys {
        out.push_str(&format!(" {{{{{key}}}}}"));
    }
    out
}

/// Each replica's value minus its own reference's (same target), as the gap alert reads it.
pub(crate) fn gap_query(metric: &Metric<'_>, reference: &Metric<'_>) -> Query {
    Query {
        expr: metric.aggregate_with(
            "max",
            &["instance"],
            &format!(
                "{} - on (instance, job) group_left {}",
                metric.selector_with("", &SCOPE_MATCHERS),
                reference.selector_with("", &SCOPE_MATCHERS)
            ),
        ),
        legend: legend(metric),
    }
}

/// The best replica's value of each job (per label set) minus each replica's own: 0 on the
/// best, how far behind on the others.
pub(crate) fn lag_query(metric: &Metric<'_>) -> Query {
    let selector = metric.selector_with("", &SCOPE_MATCHERS);
    let by = metric.by_with(&["job"], &[]);
    Query {
        expr: format!(
            "{} - on ({by}) group_right {selector}",
            metric.aggregate("max", &selector)
        ),
        legend: legend(metric),
    }
}

/// The sum over a family's label sets on each replica (its static labels kept).
pub(crate) fn total_query(metric: &Metric<'_>) -> Query {
    let kept: Vec<&str> = std::iter::once("instance")
        .chain(metric.labels.iter().map(|(k, _)| k.as_str()))
        .collect();
    Query {
        expr: format!(
            "sum by ({}) ({})",
            kept.join(", "),
            metric.selector_with("", &SCOPE_MATCHERS)
        ),
        legend: "{{instance}}".to_owned(),
    }
}
