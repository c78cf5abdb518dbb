//! Top-N bar gauges over a label: a `#[counted]` function with per-call labels gets its ten
//! busiest label sets by calls per second and its ten worst by error share (errors by
//! venue, the busiest symbols), and a labelled family its label sets by value (net
//! inventory per venue, positions per symbol). Each bar is one label set now, the
//! instances of the job together.

use std::borrow::Cow;

use crate::promql::{Function, Metric};
use botwatch_spec::declared::MetricKind;
use botwatch_spec::model::Site;
use botwatch_spec::names;

use super::panels::{Kind, Look, Panel};
use super::queries::{keys_legend, scope, Query, RATE_INTERVAL, SCOPE_MATCHERS};
use super::units::{grafana_unit, per_second};

/// How many label sets a bar gauge shows.
pub(crate) const TOP: u32 = 10;

fn bars(
    key: String,
    title: String,
    description: String,
    query: Query,
    unit: Cow<'static, str>,
) -> Panel {
    Panel {
        key,
        title,
        description,
        queries: vec![query],
        kind: Kind::BarGauge,
        unit,
        thresholds: Vec::new(),
        size: (8, 8),
        look: Look::default(),
    }
}

/// The two bar gauges of a `#[counted]` site with per-call labels, recording into
/// `metric`: top label sets by calls per second and by error share. None without labels.
pub(super) fn function_bars(site: &Site, metric: &str, key: &str, who: &str) -> Vec<Panel> {
    let f = Function::of(site);
    if f.call_labels.is_empty() {
        return Vec::new();
    }
    let by = f.call_labels.join(", ");
    let scope = scope(&f);
    let rate = |selector: String| format!("sum by ({by}) (rate({selector}[{RATE_INTERVAL}]))");
    let all = rate(f.selector(metric, &scope));
    let errors = rate(f.selector(
        metric,
        &format!(
            ", {}=\"{}\"{scope}",
            names::LABEL_RESULT,
            names::RESULT_ERROR
        ),
    ));
    let labels = f.call_labels.join(", ");
    vec![
        bars(
            format!("{key}/top-calls"),
            format!("{who}: top {labels} by calls/s"),
            format!(
                "The {TOP} label sets of {}::{} with the most calls per second now, every instance together.",
                site.module, site.function
            ),
            Query {
                expr: format!("topk({TOP}, {all})"),
                legend: keys_legend(&f.call_labels),
            },
            Cow::Borrowed("reqps"),
        ),
        bars(
            format!("{key}/top-errors"),
            format!("{who}: top {labels} by error ratio"),
            format!(
                "The {TOP} label sets of {}::{} with the highest share of calls that failed now, every instance together.",
                site.module, site.function
            ),
            Query {
                expr: format!("topk({TOP}, {errors} / {all})"),
                legend: keys_legend(&f.call_labels),
            },
            Cow::Borrowed("percentunit"),
        ),
    ]
}

/// A labelled gauge's or counter's label sets by value (a gauge's highest replica, a
/// counter's growth per second over every replica); none for an unlabelled metric or a
/// histogram.
pub(super) fn family_bars(metric: &Metric<'_>) -> Option<Panel> {
    let declared = metric.declared;
    if metric.keys.is_empty() {
        return None;
    }
    let by = metric.by_with(&[], &[]);
    let selector = metric.selector_with("", &SCOPE_MATCHERS);
    let (expr, unit, what) = match declared.kind {
        MetricKind::Gauge => (
            format!("topk({TOP}, max by ({by}) ({selector}))"),
            grafana_unit(declared.unit.as_deref()),
            "value now (the highest instance's)",
        ),
        MetricKind::Counter => (
            format!("topk({TOP}, sum by ({by}) (rate({selector}[{RATE_INTERVAL}])))"),
            per_second(declared.unit.as_deref()),
            "growth per second now, every instance together",
        ),
        MetricKind::Histogram => return None,
    };
    let keys = metric.keys.join(", ");
    Some(bars(
        format!("values/{}/by-label", metric.name),
        format!("{}: by {keys}", metric.name),
        format!(
            "The {TOP} label sets of {} with the highest {what}.",
            metric.name
        ),
        Query {
            expr,
            legend: keys_legend(&metric.keys),
        },
        unit,
    ))
}
