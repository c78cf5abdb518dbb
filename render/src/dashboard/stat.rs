//! At a glance: each declared gauge's value now, as one big number (a `stat`) or, for a
//! share (`unit = "percent"` or `"ratio"`), a dial (`gauge`) between 0 and 100 % — the
//! first line of the Values row, above the histories.
//!
//! The colours are the alerts' lines: every `value < X` / `value > X` alert colours the
//! values where it fires by its severity (red critical, orange warning, blue info; green
//! where none fires), so the number turns red at the line that pages. A gauge's
//! `states(...)` name its values (`3` reads `halted`), each in the colour of the alert that
//! names that state (`state == "halted"`, `value == 3`), or of its band.

use botwatch_spec::declared::{Declared, MetricKind, ValueAlert, ValueComparison, ValueCondition};
use botwatch_spec::names::format_float;

use super::panels::{Kind, Look, Mapping, Panel};
use super::queries;
use super::units::{dial_range, grafana_unit};
use super::values::line;
use crate::promql::Metric;

/// How loud a colour is: the severest alert firing at a value decides its colour.
fn loudness(color: &str) -> u8 {
    match color {
        "red" => 3,
        "orange" => 2,
        "blue" => 1,
        _ => 0,
    }
}

/// A `value < X` or `value > X` alert's line, side and colour.
fn value_lines(alerts: &[ValueAlert]) -> Vec<(ValueComparison, f64, &'static str)> {
    alerts
        .iter()
        .filter_map(|a| match a.condition {
            ValueCondition::Value {
                comparison: comparison @ (ValueComparison::Below | ValueComparison::Above),
                threshold,
            } => Some((comparison, threshold, line(a, threshold).1)),
            _ => None,
        })
        .collect()
}

/// The colour of `value`: the severest line it is over, green under none.
fn color_at(lines: &[(ValueComparison, f64, &'static str)], value: f64) -> &'static str {
    lines
        .iter()
        .filter(|(side, x, _)| match side {
            ValueComparison::Below => value < *x,
            ValueComparison::Above => value > *x,
            _ => false,
        })
        .map(|(_, _, color)| *color)
        .max_by_key(|c| loudness(c))
        .unwrap_or("green")
}

/// Grafana's threshold steps for the alerts' lines: the colour below the lowest line, then
/// each line where the colour changes (a value at or above a step takes its colour).
pub(crate) fn bands(alerts: &[ValueAlert]) -> (&'static str, Vec<(f64, &'static str)>) {
    let lines = value_lines(alerts);
    let mut points: Vec<f64> = lines.iter().map(|(_, x, _)| *x).collect();
    points.sort_by(f64::total_cmp);
    points.dedup();
    let Some(first) = points.first() else {
        return ("green", Vec::new());
    };
    // A value inside each band: below the first line, between two, above the last.
    let beyond = |x: f64| x.abs().max(1.0);
    let base = color_at(&lines, first - beyond(*first));
    let mut steps = Vec::new();
    let mut current = base;
    for (i, x) in points.iter().enumerate() {
        let inside = match points.get(i + 1) {
            Some(next) => x + (next - x) / 2.0,
            None => x + beyond(*x),
        };
        let color = color_at(&lines, inside);
        if color != current {
            steps.push((*x, color));
            current = color;
        }
    }
    (base, steps)
}

/// The names and colours of single values: each of `states(...)`, and the value of every
/// `value == X` or `state == "..."` alert, coloured by the severest alert naming it.
pub(crate) fn named_values(declared: &Declared) -> Vec<Mapping> {
    let lines = value_lines(&declared.alerts);
    let equal_color = |value: f64| {
        declared
            .alerts
            .iter()
            .filter_map(|a| match a.condition {
                ValueCondition::Value {
                    comparison: ValueComparison::Equal,
                    threshold,
                } if threshold == value => Some(line(a, value).1),
                ValueCondition::State { value: v, .. } if v == value => Some(line(a, value).1),
                _ => None,
            })
            .max_by_key(|c| loudness(c))
    };
    let mut out: Vec<Mapping> = declared
        .states
        .iter()
        .map(|state| Mapping {
            value: format_float(state.value),
            text: state.name.to_string(),
            color: equal_color(state.value).unwrap_or_else(|| color_at(&lines, state.value)),
        })
        .collect();
    for alert in declared.alerts.iter() {
        if let ValueCondition::Value {
            comparison: ValueComparison::Equal,
            threshold,
        } = alert.condition
        {
            let value = format_float(threshold);
            if !out.iter().any(|m| m.value == value) {
                out.push(Mapping {
                    text: value.clone(),
                    value,
                    color: equal_color(threshold).unwrap_or("green"),
                });
            }
        }
    }
    out
}

/// The value-now panel of a declared gauge (none for counters and histograms, whose value
/// now says little: their rate and quantiles do).
pub(super) fn glance(metric: &Metric<'_>) -> Option<Panel> {
    let declared = metric.declared;
    if declared.kind != MetricKind::Gauge {
        return None;
    }
    let unit = declared.unit.as_deref();
    let (base, thresholds) = bands(&declared.alerts);
    let mappings = named_values(declared);
    let range = dial_range(unit).filter(|_| mappings.is_empty());
    let kind = if range.is_some() {
        Kind::Gauge
    } else {
        Kind::Stat
    };
    let shown = match (kind, mappings.is_empty()) {
        (Kind::Gauge, _) => "A dial of its value now",
        (_, false) => "Its value now, by name",
        _ => "Its value now",
    };
    let keys: String = metric.keys.iter().map(|k| format!(" and {k}")).collect();
    let coloring: Vec<String> = declared
        .alerts
        .iter()
        .filter(|a| {
            matches!(
                a.condition,
                ValueCondition::Value { .. } | ValueCondition::State { .. }
            )
        })
        .map(|a| format!("{} ({})", a.condition, a.value_severity()))
        .collect();
    let colors = if coloring.is_empty() {
        String::new()
    } else {
        format!(
            " Coloured where its alerts fire, {}: red critical, orange warning, blue info, green none.",
            coloring.join(", ")
        )
    };
    Some(Panel {
        key: format!("values/{}/now", metric.name),
        title: format!("{}: now", metric.name),
        description: format!("{shown}: one per instance{keys}.{colors}"),
        queries: vec![queries::gauge_value(metric)],
        kind,
        unit: grafana_unit(unit),
        thresholds,
        size: (4, 5),
        look: Look {
            base: Some(base).filter(|b| *b != "green"),
            mappings,
            range,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use botwatch_spec::declared::StateName;
    use std::borrow::Cow;

    fn alert(comparison: ValueComparison, threshold: f64, severity: &'static str) -> ValueAlert {
        ValueAlert {
            severity: Some(Cow::Borrowed(severity)),
            ..ValueAlert::new(ValueCondition::Value {
                comparison,
                threshold,
            })
        }
    }

    #[test]
    fn bands_colour_where_each_alert_fires() {
        use ValueComparison::{Above, Below};
        assert_eq!(bands(&[]), ("green", vec![]));
        // A balance paging below 0.5: red under the line, green above.
        assert_eq!(
            bands(&[alert(Below, 0.5, "critical")]),
            ("red", vec![(0.5, "green")])
        );
        // A position with an info line below and a warning above.
        assert_eq!(
            bands(&[alert(Above, 10.0, "warning"), alert(Below, -10.0, "info")]),
            ("blue", vec![(-10.0, "green"), (10.0, "orange")])
        );
        // A warning and a critical line on one side: the louder one wins past both.
        assert_eq!(
            bands(&[alert(Above, 0.2, "critical"), alert(Above, 0.1, "warning")]),
            ("green", vec![(0.1, "orange"), (0.2, "red")])
        );
        // Overlapping sides: between the lines both fire, the severer decides.
        assert_eq!(
            bands(&[alert(Below, 5.0, "warning"), alert(Above, 1.0, "critical")]),
            ("orange", vec![(1.0, "red")])
        );
    }

    #[test]
    fn states_are_named_in_their_alerts_colours() {
        let mut d = Declared::new(MetricKind::Gauge, "BOT_STATE", "bot");
        d.states = Cow::Owned(vec![
            StateName {
                value: 0.0,
                name: "running".into(),
            },
            StateName {
                value: 3.0,
                name: "halted".into(),
            },
        ]);
        d.alerts = Cow::Owned(vec![ValueAlert {
            severity: Some(Cow::Borrowed("critical")),
            ..ValueAlert::new(ValueCondition::State {
                name: "halted".into(),
                value: 3.0,
            })
        }]);
        let named: Vec<(String, String, &str)> = named_values(&d)
            .into_iter()
            .map(|m| (m.value, m.text, m.color))
            .collect();
        assert_eq!(
            named,
            [
                ("0".to_owned(), "running".to_owned(), "green"),
                ("3".to_owned(), "halted".to_owned(), "red")
            ]
        );
    }
}
