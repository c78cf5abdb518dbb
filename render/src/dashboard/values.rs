//! The Values row: a panel per declared metric (`#[gauge]`, `#[counter]`, `#[histogram]`)
//! with each `alert(...)`'s threshold drawn as a line, read with the alerts' own selectors.
//!
//! A gauge charts its value and, per ratio alert, the ratio; a counter its rate and, per
//! `increase`/`idle` window, its growth in that window; a histogram its quantiles. An
//! `unchanged` alert gets a panel of `changes()` over its window rather than an annotation:
//! it shows a feed slowing down before it stops, and it is a query like any other, which the
//! example's real-Prometheus test checks returns data.

use std::borrow::Cow;

use crate::promql::Metric;
use crate::rules::declared::increase_window;
use botwatch_spec::declared::{Declared, MetricKind, ValueAlert, ValueCondition};
use botwatch_spec::model::Quantile;
use botwatch_spec::names::prometheus_duration;

use super::layout::{Bot, Layout};
use super::panels::{Kind, Look, Panel};
use super::queries::{self, Query};
use super::units::grafana_unit;

/// The line of an alert's threshold, coloured by its severity.
pub(super) fn line(alert: &ValueAlert, value: f64) -> (f64, &'static str) {
    let color = match alert.value_severity() {
        "critical" => "red",
        "info" => "blue",
        _ => "orange",
    };
    (value, color)
}

/// Lines in ascending order, one per value (Grafana's threshold steps are ascending).
pub(super) fn sorted(mut lines: Vec<(f64, &'static str)>) -> Vec<(f64, &'static str)> {
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    lines.dedup_by(|a, b| a.0 == b.0);
    lines
}

/// `value < 0.5 (critical), value > 10 (warning)`: what the lines are, for the tooltip.
pub(super) fn lines_text<'a>(alerts: impl Iterator<Item = &'a ValueAlert>) -> String {
    let written: Vec<String> = alerts
        .map(|a| format!("{} ({})", a.condition, a.value_severity()))
        .collect();
    if written.is_empty() {
        String::new()
    } else {
        format!(
            " Dashed lines: the alerts' thresholds, {} (red critical, orange warning, blue info).",
            written.join(", ")
        )
    }
}

/// The panel of `metric` charting `what`.
fn panel(
    metric: &Metric<'_>,
    what: &str,
    title: String,
    description: String,
    queries: Vec<Query>,
    unit: impl Into<Cow<'static, str>>,
    thresholds: Vec<(f64, &'static str)>,
) -> Panel {
    Panel {
        key: format!("values/{}/{what}", metric.name),
        title,
        description,
        queries,
        kind: Kind::TimeSeries,
        unit: unit.into(),
        thresholds: sorted(thresholds),
        size: (8, 8),
        look: Look::default(),
    }
}

/// `Balance of the operator's wallet, in ETH. `: the metric's HELP, as a sentence.
fn help(declared: &Declared) -> String {
    let text = declared.help_text();
    let text = text.trim();
    if text.ends_with('.') {
        format!("{text} ")
    } else {
        format!("{text}. ")
    }
}

/// "One line per instance" and the label keys of a labelled family.
pub(super) fn per(metric: &Metric<'_>) -> String {
    if metric.keys.is_empty() {
        "One line per instance.".to_owned()
    } else {
        format!("One line per instance and {}.", metric.keys.join(", "))
    }
}

/// Adds the Values row: each declared metric's panels, in the rules' order.
pub(super) fn values(bot: &Bot<'_>, layout: &mut Layout<'_>) {
    if bot.declared.is_empty() {
        return;
    }
    layout.row("values", "Values");
    // Every gauge's value now on the first line(s), its history below.
    for declared in bot.declared {
        if let Some(panel) = super::stat::glance(&Metric::of(declared)) {
            layout.add(&panel);
        }
    }
    // Then each metric's figures of the day: a counter's 24 h total and its change, an
    // amount's change since a day ago.
    for declared in bot.declared {
        for panel in super::daily::glance_panels(&Metric::of(declared)) {
            layout.add(&panel);
        }
    }
    layout.grid.new_line();
    for declared in bot.declared {
        let metric = Metric::of(declared);
        let mut panels = match declared.kind {
            MetricKind::Gauge => gauge(bot.declared, &metric),
            MetricKind::Counter => {
                let mut panels = counter(&metric);
                panels.extend(super::funnels::counter_panels(bot.declared, &metric));
                panels
            }
            MetricKind::Histogram => {
                let mut panels = histogram(&metric);
                panels.push(super::heatmap::value_heatmap(&metric));
                panels
            }
        };
        panels.extend(super::daily::line_panels(&metric));
        panels.extend(super::top::family_bars(&metric));
        panels.extend(super::table::family_table(&metric));
        panels.extend(since_panels(&metric));
        panels.extend(super::relations::relation_panels(bot.declared, &metric));
        panels.extend(super::guards::panel(declared));
        for panel in &panels {
            layout.add(panel);
        }
    }
}

fn gauge(all: &[Declared], metric: &Metric<'_>) -> Vec<Panel> {
    let declared = metric.declared;
    let name = &metric.name;
    let alerts = &declared.alerts;
    let value_alerts = || {
        alerts
            .iter()
            .filter(|a| matches!(a.condition, ValueCondition::Value { .. }))
    };
    let lines = value_alerts()
        .filter_map(|a| match a.condition {
            ValueCondition::Value { threshold, .. } => Some(line(a, threshold)),
            _ => None,
        })
        .collect();
    let mut out = vec![panel(
        metric,
        "value",
        name.clone(),
        format!(
            "{}{}{}",
            help(declared),
            per(metric),
            lines_text(value_alerts())
        ),
        vec![queries::gauge_value(metric)],
        grafana_unit(declared.unit.as_deref()),
        lines,
    )];
    out[0].look.mappings = super::stat::named_values(declared);
    // One panel per denominator, however many alerts divide by it.
    let mut denominators: Vec<&Declared> = Vec::new();
    for alert in alerts.iter() {
        if let ValueCondition::Ratio { denominator, .. } = &alert.condition {
            match Declared::resolve(all, declared, denominator) {
                Some(other) if !denominators.iter().any(|d| d.origin() == other.origin()) => {
                    denominators.push(other)
                }
                _ => {}
            }
        }
    }
    for other in denominators {
        let of_other = |a: &&ValueAlert| match &a.condition {
            ValueCondition::Ratio { denominator, .. } => {
                Declared::resolve(all, declared, denominator)
                    .is_some_and(|d| d.origin() == other.origin())
            }
            _ => false,
        };
        let lines = alerts
            .iter()
            .filter(of_other)
            .filter_map(|a| match a.condition {
                ValueCondition::Ratio { threshold, .. } => Some(line(a, threshold)),
                _ => None,
            })
            .collect();
        let denominator = Metric::of(other);
        out.push(panel(
            metric,
            &format!("ratio/{}", denominator.name),
            format!("{name} / {}", denominator.name),
            format!(
                "{name} as a share of {} on the same instance. {}{}",
                denominator.name,
                per(metric),
                lines_text(alerts.iter().filter(of_other))
            ),
            vec![queries::gauge_ratio(metric, &denominator)],
            "percentunit",
            lines,
        ));
    }
    let mut windows: Vec<std::time::Duration> = Vec::new();
    for alert in alerts.iter() {
        if let ValueCondition::Unchanged { window } = alert.condition {
            if !windows.contains(&window) {
                windows.push(window);
            }
        }
    }
    for window in windows {
        let w = prometheus_duration(window);
        out.push(panel(
            metric,
            &format!("changes/{w}"),
            format!("{name}: changes over {w}"),
            format!(
                "How many times {name} changed in the last {w}: the unchanged > {w} alert fires where this stays 0 (whatever updates the value has stopped). {}",
                per(metric)
            ),
            vec![queries::gauge_changes(metric, &w)],
            "short",
            Vec::new(),
        ));
    }
    out
}

/// The seconds-since panels of `stale` (since the last update) and `age` (since the time
/// the gauge holds), each with its alerts' lines.
fn since_panels(metric: &Metric<'_>) -> Vec<Panel> {
    let declared = metric.declared;
    let name = &metric.name;
    let alerts = &declared.alerts;
    let mut out = Vec::new();
    let is_stale = |a: &&ValueAlert| matches!(a.condition, ValueCondition::Stale { .. });
    let is_age = |a: &&ValueAlert| matches!(a.condition, ValueCondition::Age { .. });
    let seconds = |a: &ValueAlert| match a.condition {
        ValueCondition::Stale { after: d } | ValueCondition::Age { limit: d } => {
            Some(line(a, d.as_secs_f64()))
        }
        _ => None,
    };
    if alerts.iter().any(|a| is_stale(&a)) {
        out.push(panel(
            metric,
            "since-update",
            format!("{name}: seconds since update"),
            format!(
                "How long ago {name} was last updated (set, add, increment, record), whatever its value. {}{}",
                per(metric),
                lines_text(alerts.iter().filter(is_stale))
            ),
            vec![queries::seconds_since(metric, "_last_update_timestamp_seconds")],
            "s",
            alerts.iter().filter(is_stale).filter_map(seconds).collect(),
        ));
    }
    if alerts.iter().any(|a| is_age(&a)) {
        out.push(panel(
            metric,
            "age",
            format!("{name}: age"),
            format!(
                "How old the Unix time {name} holds is. {}{}",
                per(metric),
                lines_text(alerts.iter().filter(is_age))
            ),
            vec![queries::seconds_since(metric, "")],
            "s",
            alerts.iter().filter(is_age).filter_map(seconds).collect(),
        ));
    }
    out
}

fn counter(metric: &Metric<'_>) -> Vec<Panel> {
    let declared = metric.declared;
    let name = &metric.name;
    let alerts = &declared.alerts;
    let is_rate = |a: &&ValueAlert| matches!(a.condition, ValueCondition::Rate { .. });
    let lines = alerts
        .iter()
        .filter_map(|a| match a.condition {
            ValueCondition::Rate { amount, per, .. } => Some(line(a, amount / per.as_secs_f64())),
            _ => None,
        })
        .collect();
    let mut out = vec![panel(
        metric,
        "rate",
        format!("{name}: per second"),
        format!(
            "{}How fast it grows, per second. {}{}",
            help(declared),
            per(metric),
            lines_text(alerts.iter().filter(is_rate))
        ),
        vec![queries::counter_rate(metric)],
        super::units::per_second(declared.unit.as_deref()),
        lines,
    )];
    // The windows `increase` and `idle` alerts read, each once.
    let window_of = |a: &ValueAlert| match a.condition {
        ValueCondition::Increase { .. } => Some(increase_window(a)),
        ValueCondition::Idle { window } => Some(window),
        _ => None,
    };
    let mut windows: Vec<std::time::Duration> = Vec::new();
    for window in alerts.iter().filter_map(window_of) {
        if !windows.contains(&window) {
            windows.push(window);
        }
    }
    for window in windows {
        let w = prometheus_duration(window);
        let in_window = |a: &&ValueAlert| window_of(a) == Some(window);
        let lines = alerts
            .iter()
            .filter(in_window)
            .filter_map(|a| match a.condition {
                ValueCondition::Increase { amount, .. } => Some(line(a, amount)),
                _ => None,
            })
            .collect();
        out.push(panel(
            metric,
            &format!("increase/{w}"),
            format!("{name}: increase over {w}"),
            format!(
                "How much {name} grew in the last {w}, the window its alerts read (an idle alert fires where this stays 0). {}{}",
                per(metric),
                lines_text(alerts.iter().filter(in_window))
            ),
            vec![queries::counter_increase(metric, &w)],
            grafana_unit(declared.unit.as_deref()),
            lines,
        ));
    }
    out
}

fn histogram(metric: &Metric<'_>) -> Vec<Panel> {
    let declared = metric.declared;
    let alerts = &declared.alerts;
    let mut quantiles = vec![Quantile::P50, Quantile::P90, Quantile::P99];
    let mut lines = Vec::new();
    for alert in alerts.iter() {
        if let ValueCondition::Quantile {
            quantile,
            threshold,
            ..
        } = alert.condition
        {
            if !quantiles.contains(&quantile) {
                quantiles.push(quantile);
            }
            lines.push(line(alert, threshold));
        }
    }
    quantiles.sort_by(|a, b| a.fraction().total_cmp(&b.fraction()));
    let keys = if metric.keys.is_empty() {
        String::new()
    } else {
        format!(" One line per {}.", metric.keys.join(", "))
    };
    vec![panel(
        metric,
        "quantiles",
        format!("{}: quantiles", metric.name),
        format!(
            "{}Quantiles of the values recorded, all instances together.{keys}{}",
            help(declared),
            lines_text(alerts.iter())
        ),
        quantiles
            .iter()
            .map(|q| queries::value_quantile(metric, *q))
            .collect(),
        grafana_unit(declared.unit.as_deref()),
        lines,
    )]
}
