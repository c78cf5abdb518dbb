//! `stale > D` on any declared metric: no update (`set`, `add`, `sub`, `increment`,
//! `record`) on some replica for that long, whatever the value. It reads the metric's
//! `<name>_last_update_timestamp_seconds`, so a feed whose updater died while its value
//! stayed put fires, and a constant value that is still being written does not.

use std::time::Duration;

use super::since::{since_draft, since_expr, since_probes, written};
use crate::promql::Metric;
use crate::rules::draft::Draft;
use crate::rules::scenario::Shape;
use botwatch_spec::declared::ValueAlert;

/// The draft of `stale > after`.
pub(super) fn stale_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    after: Duration,
    step: Duration,
) -> Draft {
    let suffix = "_last_update_timestamp_seconds";
    let expr = since_expr(metric, &metric.selector(suffix), after);
    // The value itself is constant on both replicas in every probe: only the update
    // times decide.
    let probes = since_probes(alert, after, step, |times| {
        let mut series = metric.series(suffix, &[], times);
        series.extend(metric.series(
            "",
            &[],
            [
                Shape::Gauge(vec![(u64::MAX, 1.0)]),
                Shape::Gauge(vec![(u64::MAX, 1.0)]),
            ],
        ));
        series
    });
    let w = written(after);
    since_draft(
        expr,
        (
            format!("{} not updated for {w}", metric.name),
            format!(
                "{} has not been updated for {{{{ $value | humanizeDuration }}}} on the replica updated longest ago (the line is {w}): whatever updates it has stopped, even if its value looks fine.",
                metric.name
            ),
        ),
        probes,
    )
}
