//! Panels of funnels and stuck work: a function's calls over another's (`calls / other_fn`)
//! and a counter's increase over another's (`increase / OTHER`), each as the two counts and
//! the ratio with its alert's line; and a function's calls in flight and the age of the
//! oldest one, with the `in_flight`/`oldest` alerts' lines. Queries sum the fleet within the
//! alert's window, as the alerts do, narrowed by the dashboard's `$job`/`$instance`.

use crate::promql::{Function, Metric};
use crate::rules::declared::increase_window;
use botwatch_spec::declared::{Declared, ValueCondition};
use botwatch_spec::model::{Attribute, Condition, Site};
use botwatch_spec::names::{self, prometheus_duration};

use super::panels::{Kind, Look, Panel};
use super::queries::{self, Query, SCOPE, SCOPE_MATCHERS};

fn panel(
    key: String,
    title: String,
    description: String,
    queries: Vec<Query>,
    unit: &'static str,
    mut thresholds: Vec<(f64, &'static str)>,
) -> Panel {
    thresholds.sort_by(|a, b| a.0.total_cmp(&b.0));
    thresholds.dedup_by(|a, b| a.0 == b.0);
    Panel {
        key,
        title,
        description,
        queries,
        kind: Kind::TimeSeries,
        unit: unit.into(),
        thresholds,
        size: (8, 8),
        look: Look::default(),
    }
}

fn colour(severity: &str) -> &'static str {
    match severity {
        "critical" => "red",
        "info" => "blue",
        _ => "orange",
    }
}

/// `sum by (labels) (inner)`, or `sum(inner)` without labels.
fn sum_by(labels: &[String], inner: &str) -> String {
    if labels.is_empty() {
        format!("sum({inner})")
    } else {
        format!("sum by ({}) ({inner})", labels.join(", "))
    }
}

/// The funnel panels of `site`'s `calls / other_fn` alerts (the other resolved in `all`),
/// and its in-flight panels when `first_tracking` (the first of its sites tracking them).
pub(super) fn function_panels(
    all: &[Site],
    site: &Site,
    key: &str,
    who: &str,
    first_tracking: bool,
) -> Vec<Panel> {
    let mut out = Vec::new();
    let function = Function::of(site);
    if let Attribute::Counted(counted) = &site.attribute {
        let metric = counted.metric.metric_name(names::FUNCTION_CALLS_TOTAL);
        for alert in counted.alerts.iter() {
            let Condition::CallsRatio {
                other, threshold, ..
            } = &alert.condition
            else {
                continue;
            };
            let Some(other_site) = Site::resolve_counted(all, site, other) else {
                continue;
            };
            let Some(other_metric) = queries::metric(other_site) else {
                continue;
            };
            let other_function = Function::of(other_site);
            let w = prometheus_duration(alert.window_duration());
            let by = &function.call_labels;
            let num = sum_by(
                by,
                &format!("increase({}[{w}])", function.selector(metric, SCOPE)),
            );
            let den = sum_by(
                by,
                &format!(
                    "increase({}[{w}])",
                    other_function.selector(other_metric, SCOPE)
                ),
            );
            let legend: String = by.iter().map(|k| format!(" {{{{{k}}}}}")).collect();
            let other_name = format!("{}::{}", other_site.module, other_site.function);
            out.push(panel(
                format!("{key}/funnel/{other_name}"),
                format!("{who} / {}: calls in {w}", other_site.function),
                format!(
                    "Calls of {}::{} and of {other_name} within the last {w}, summed over the fleet: the two steps of the funnel.",
                    site.module, site.function
                ),
                vec![
                    Query {
                        expr: num.clone(),
                        legend: format!("{}{legend}", site.function),
                    },
                    Query {
                        expr: den.clone(),
                        legend: format!("{}{legend}", other_site.function),
                    },
                ],
                "short",
                Vec::new(),
            ));
            out.push(panel(
                format!("{key}/ratio/{other_name}"),
                format!("{who} / {}: ratio over {w}", other_site.function),
                format!(
                    "Calls of {}::{} as a share of calls of {other_name} within the last {w}, summed over the fleet; the dashed line is the alert's ({}).",
                    site.module, site.function, alert.condition
                ),
                vec![Query {
                    expr: format!("{num} / {den}"),
                    legend: format!("ratio{legend}"),
                }],
                "percentunit",
                vec![(*threshold, colour(alert.severity()))],
            ));
        }
    }
    if first_tracking {
        let alerts = site.attribute.alerts();
        let lines = |pick: fn(&Condition) -> Option<f64>| -> Vec<(f64, &'static str)> {
            alerts
                .iter()
                .filter_map(|a| pick(&a.condition).map(|v| (v, colour(a.severity()))))
                .collect()
        };
        let count = function.selector(names::FUNCTION_CALLS_IN_FLIGHT, SCOPE);
        let oldest = function.selector(names::FUNCTION_CALLS_OLDEST_IN_FLIGHT, SCOPE);
        out.push(panel(
            format!("{key}/in_flight"),
            format!("{who}: calls in flight"),
            format!(
                "Calls of {}::{} entered and not yet returned, per instance and across the fleet; the dashed line is the in_flight alert's, which reads the fleet's sum.",
                site.module, site.function
            ),
            vec![
                Query {
                    expr: format!("sum by (instance) ({count})"),
                    legend: "{{instance}}".to_owned(),
                },
                Query {
                    expr: format!("sum({count})"),
                    legend: "fleet".to_owned(),
                },
            ],
            "short",
            lines(|c| match c {
                Condition::InFlight { above } => Some(f64::from(*above)),
                _ => None,
            }),
        ));
        out.push(panel(
            format!("{key}/oldest"),
            format!("{who}: oldest call in flight"),
            format!(
                "How long the oldest call of {}::{} still in flight has been, per instance (0 while nothing is in flight); the dashed line is the oldest alert's.",
                site.module, site.function
            ),
            vec![Query {
                // 0 while nothing is in flight, rather than no line at all.
                expr: format!(
                    "(time() - max by (instance) ({oldest} > 0)) or max by (instance) ({oldest}) * 0"
                ),
                legend: "{{instance}}".to_owned(),
            }],
            "s",
            lines(|c| match c {
                Condition::Oldest { limit } => Some(limit.as_secs_f64()),
                _ => None,
            }),
        ));
    }
    out
}

/// Whether a site tracks its function's calls in flight.
pub(super) fn tracks_in_flight(site: &Site) -> bool {
    match &site.attribute {
        Attribute::Counted(c) => c.tracks_in_flight(),
        Attribute::Timed(t) => t.tracks_in_flight(),
        Attribute::CircuitBreaker(_) => false,
    }
}

/// The funnel panels of a declared counter's `increase / OTHER` alerts.
pub(super) fn counter_panels(all: &[Declared], metric: &Metric<'_>) -> Vec<Panel> {
    let declared = metric.declared;
    let mut out = Vec::new();
    for alert in declared.alerts.iter() {
        let ValueCondition::IncreaseRatio {
            denominator,
            threshold,
            ..
        } = &alert.condition
        else {
            continue;
        };
        let Some(other) = Declared::resolve(all, declared, denominator) else {
            continue;
        };
        let other = Metric::of(other);
        let w = prometheus_duration(increase_window(alert));
        let shared: Vec<String> = metric
            .keys
            .iter()
            .filter(|k| other.keys.contains(k))
            .cloned()
            .collect();
        let increase = |m: &Metric<'_>| {
            sum_by(
                &shared,
                &format!("increase({}[{w}])", m.selector_with("", &SCOPE_MATCHERS)),
            )
        };
        let (num, den) = (increase(metric), increase(&other));
        let legend: String = shared.iter().map(|k| format!(" {{{{{k}}}}}")).collect();
        out.push(panel(
            format!("values/{}/funnel/{}", metric.name, other.name),
            format!("{} and {}: increase over {w}", metric.name, other.name),
            format!(
                "How much {} and {} grew within the last {w}, summed over the fleet: the two steps of the funnel.",
                metric.name, other.name
            ),
            vec![
                Query {
                    expr: num.clone(),
                    legend: format!("{}{legend}", metric.name),
                },
                Query {
                    expr: den.clone(),
                    legend: format!("{}{legend}", other.name),
                },
            ],
            "short",
            Vec::new(),
        ));
        out.push(panel(
            format!("values/{}/funnel-ratio/{}", metric.name, other.name),
            format!("{} / {}: ratio over {w}", metric.name, other.name),
            format!(
                "{}'s increase as a share of {}'s within the last {w}, summed over the fleet; the dashed line is the alert's ({}).",
                metric.name, other.name, alert.condition
            ),
            vec![Query {
                expr: format!("{num} / {den}"),
                legend: format!("ratio{legend}"),
            }],
            "percentunit",
            vec![(*threshold, colour(alert.value_severity()))],
        ));
    }
    out
}
