//! `age > D` on a gauge holding a Unix time in seconds (a block's timestamp, the exchange
//! time of the last tick): that time is more than D ago on some replica.

use std::time::Duration;

use super::since::{since_draft, since_expr, since_probes, written};
use crate::promql::Metric;
use crate::rules::draft::Draft;
use botwatch_spec::declared::ValueAlert;

/// The draft of `age > limit`.
pub(super) fn age_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    limit: Duration,
    step: Duration,
) -> Draft {
    let expr = since_expr(metric, &metric.selector(""), limit);
    let probes = since_probes(alert, limit, step, |times| metric.series("", &[], times));
    let w = written(limit);
    since_draft(
        expr,
        (
            format!("{} older than {w}", metric.name),
            format!(
                "The time {} holds is {{{{ $value | humanizeDuration }}}} old on the oldest replica (the line is {w}).",
                metric.name
            ),
        ),
        probes,
    )
}
