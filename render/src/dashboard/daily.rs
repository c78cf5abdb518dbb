//! A declared metric by the day, the way a trader reads revenue and registrations: a
//! counter's total over the last 24 h (fleet-summed per job, reset-safe through
//! `increase`), the change against the day before, and a bar per day over the last week;
//! an amount held in a gauge (a balance, a volume) its change since a day ago; and a
//! labelled counter its shares by label value over 24 h (a pie of status codes, of
//! signals, of disconnect reasons).
//!
//! The contract gives a declaration no way to ask for these, so they are chosen by kind:
//! every declared counter gets its total, its change and its bars; every gauge holding an
//! amount (a `unit` that is not `percent` or `ratio`, and no `states(...)`) its change;
//! every labelled counter its pie. Growth is a difference, never a ratio: a counter that
//! counted nothing yesterday has no ratio, and a balance crossing 0 has a meaningless one.

use botwatch_spec::declared::MetricKind;

use super::panels::{Kind, Look, Panel, DAY};
use super::queries::{keys_legend, Query, SCOPE_MATCHERS};
use super::units::grafana_unit;
use crate::promql::Metric;

/// The window of a day's total, as the panels' titles name it.
pub(crate) const DAY_WINDOW: &str = "24h";

fn stat(
    metric: &Metric<'_>,
    what: &str,
    title: String,
    description: String,
    query: Query,
) -> Panel {
    Panel {
        key: format!("values/{}/{what}", metric.name),
        title,
        description,
        queries: vec![query],
        kind: Kind::Stat,
        unit: grafana_unit(metric.declared.unit.as_deref()),
        thresholds: Vec::new(),
        size: (4, 5),
        // No alert draws a line here: the number in the text colour, not a green verdict.
        look: Look {
            base: Some("text"),
            ..Look::default()
        },
    }
}

/// `job` and the metric's static labels: a day's figure is the fleet's, per job.
fn by_job(metric: &Metric<'_>) -> String {
    std::iter::once("job")
        .chain(metric.labels.iter().map(|(k, _)| k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `sum by (job) (increase(x{...}[window] offset))`: the fleet's growth in `window`.
fn fleet_increase(metric: &Metric<'_>, window: &str, offset: &str) -> String {
    format!(
        "sum by ({}) (increase({}[{window}]{offset}))",
        by_job(metric),
        metric.selector_with("", &SCOPE_MATCHERS)
    )
}

/// The panels of `metric` that read it by the day, for the glance line (stats) and for its
/// own line (bars, pie), in that order.
pub(super) fn glance_panels(metric: &Metric<'_>) -> Vec<Panel> {
    let declared = metric.declared;
    let name = &metric.name;
    match declared.kind {
        MetricKind::Counter => vec![
            stat(
                metric,
                "day-total",
                format!("{name}: total over {DAY_WINDOW}"),
                format!(
                    "How much {name} grew over the last 24 hours, every instance of the job together (increase, so a restart does not count twice)."
                ),
                Query {
                    expr: total_query(metric),
                    legend: "{{job}}".to_owned(),
                },
            ),
            stat(
                metric,
                "day-growth",
                format!("{name}: {DAY_WINDOW} against the day before"),
                format!(
                    "The last 24 hours' total of {name} minus the 24 hours' before: above 0, more than yesterday. A job with no samples a day ago counts nothing then."
                ),
                Query {
                    expr: counter_growth_query(metric),
                    legend: "{{job}}".to_owned(),
                },
            ),
        ],
        MetricKind::Gauge if holds_amount(metric) => {
            let keys: String = metric.keys.iter().map(|k| format!(" {{{{{k}}}}}")).collect();
            vec![stat(
                metric,
                "day-change",
                format!("{name}: change over {DAY_WINDOW}"),
                format!(
                    "{name} now minus {name} a day ago, on each instance; an instance younger than a day counts from its first sample."
                ),
                Query {
                    expr: gauge_change_query(metric),
                    legend: format!("{{{{instance}}}}{keys}"),
                },
            )]
        }
        _ => Vec::new(),
    }
}

/// Whether a gauge holds an amount whose change a day says something: a unit, not a share,
/// no state names.
fn holds_amount(metric: &Metric<'_>) -> bool {
    let declared = metric.declared;
    declared.states.is_empty()
        && declared
            .unit
            .as_deref()
            .is_some_and(|u| !matches!(u, "percent" | "ratio"))
}

/// A counter's bar per day and, for a labelled family, its pie by label value.
pub(super) fn line_panels(metric: &Metric<'_>) -> Vec<Panel> {
    if metric.declared.kind != MetricKind::Counter {
        return Vec::new();
    }
    let name = &metric.name;
    let unit = grafana_unit(metric.declared.unit.as_deref());
    let mut out = vec![Panel {
        key: format!("values/{name}/per-day"),
        title: format!("{name}: per day"),
        description: format!(
            "How much {name} grew each day of the last week, every instance of the job together: one bar per day."
        ),
        queries: vec![Query {
            expr: per_day_query(metric),
            legend: "{{job}}".to_owned(),
        }],
        kind: Kind::DailyBars,
        unit: unit.clone(),
        thresholds: Vec::new(),
        size: (8, 8),
        look: Look::default(),
    }];
    if !metric.keys.is_empty() {
        let keys = metric.keys.join(", ");
        out.push(Panel {
            key: format!("values/{name}/pie"),
            title: format!("{name}: by {keys} over {DAY_WINDOW}"),
            description: format!(
                "Each {keys}'s share of {name}'s growth over the last 24 hours, every instance together."
            ),
            queries: vec![Query {
                expr: pie_query(metric),
                legend: keys_legend(&metric.keys),
            }],
            kind: Kind::Pie,
            unit,
            thresholds: Vec::new(),
            size: (8, 8),
            look: Look::default(),
        });
    }
    out
}

/// The fleet's growth of a counter over the last 24 h, per job.
pub(crate) fn total_query(metric: &Metric<'_>) -> String {
    fleet_increase(metric, DAY_WINDOW, "")
}

/// The last 24 h's total minus the 24 h's before; a job without samples a day ago counts 0
/// then (`or` today's total times 0), so a bot younger than two days still shows a number.
pub(crate) fn counter_growth_query(metric: &Metric<'_>) -> String {
    let today = fleet_increase(metric, DAY_WINDOW, "");
    let yesterday = fleet_increase(metric, DAY_WINDOW, &format!(" offset {DAY}"));
    format!("{today} - ({yesterday} or {today} * 0)")
}

/// A gauge's change over the last day on each instance (per label set): `delta` is the
/// value now minus the value a day ago, and still answers for an instance younger than a day.
pub(crate) fn gauge_change_query(metric: &Metric<'_>) -> String {
    metric.aggregate_with(
        "max",
        &["instance"],
        &format!(
            "delta({}[{DAY_WINDOW}])",
            metric.selector_with("", &SCOPE_MATCHERS)
        ),
    )
}

/// Each day's growth, every instance of a job together: read at a step of a day, each bar
/// is the 24 h before it.
pub(crate) fn per_day_query(metric: &Metric<'_>) -> String {
    fleet_increase(metric, DAY, "")
}

/// A labelled counter's growth over 24 h by label value, every instance together.
pub(crate) fn pie_query(metric: &Metric<'_>) -> String {
    format!(
        "sum by ({}) (increase({}[{DAY_WINDOW}]))",
        metric.by_with(&[], &[]),
        metric.selector_with("", &SCOPE_MATCHERS)
    )
}
