//! Heatmaps of histograms: a `#[timed]` function's latency and a declared histogram's
//! values, the calls of each bucket per second over time (every instance and per-call
//! label set together), so a second mode or a slow tail shows where quantile lines
//! average it away.

use std::borrow::Cow;

use crate::promql::{Function, Metric};
use botwatch_spec::model::Site;

use super::panels::{Kind, Look, Panel};
use super::queries::{Query, RATE_INTERVAL, SCOPE, SCOPE_MATCHERS};
use super::units::grafana_unit;

/// `sum by (le) (rate(<buckets>[$__rate_interval]))`: each bucket's count per second.
fn bucket_rates(buckets: &str) -> String {
    ["sum by (le) (rate(", buckets, "[", RATE_INTERVAL, "]))"].concat()
}

fn heatmap(
    key: String,
    title: String,
    description: String,
    expr: String,
    unit: Cow<'static, str>,
) -> Panel {
    Panel {
        key,
        title,
        description,
        queries: vec![Query {
            expr,
            legend: "{{le}}".to_owned(),
        }],
        kind: Kind::Heatmap,
        unit,
        thresholds: Vec::new(),
        size: (8, 8),
        look: Look::default(),
    }
}

/// The latency heatmap of a `#[timed]` site recording into `metric`; `key` and `who` are
/// its panels' key and title prefix.
pub(super) fn function_heatmap(site: &Site, metric: &str, key: &str, who: &str) -> Panel {
    let f = Function::of(site);
    let buckets = f.selector(&format!("{metric}_bucket"), SCOPE);
    heatmap(
        format!("{key}/heatmap"),
        format!("{who}: latency heatmap"),
        format!(
            "Calls of {}::{} per second by latency bucket, every instance and label set together: a second mode or a slow tail shows here before a quantile line moves.",
            site.module, site.function
        ),
        bucket_rates(&buckets),
        Cow::Borrowed("s"),
    )
}

/// The heatmap of a declared histogram's values.
pub(super) fn value_heatmap(metric: &Metric<'_>) -> Panel {
    let buckets = metric.selector_with("_bucket", &SCOPE_MATCHERS);
    heatmap(
        format!("values/{}/heatmap", metric.name),
        format!("{}: heatmap", metric.name),
        format!(
            "Values recorded into {} per second by bucket, every instance and label set together.",
            metric.name
        ),
        bucket_rates(&buckets),
        grafana_unit(metric.declared.unit.as_deref()),
    )
}
