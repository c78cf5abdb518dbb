//! `lag > X` on a gauge or counter: a replica whose value is more than X below the best
//! replica's (a node whose head fell behind the fleet's). One alert per lagging replica,
//! carrying its `instance`; `$value` is how far behind it is.

use std::time::Duration;

use super::shared::VALUE;
use super::value::nudge;
use crate::promql::{Metric, FRESH_SCRAPES};
use crate::rules::draft::Draft;
use crate::rules::scenario::{first_replica_leaves, round_up, samples, Probe, Shape, REPLICAS};
use botwatch_spec::declared::ValueAlert;
use botwatch_spec::names::format_float;

/// The draft of `lag > x`: the best replica's last value minus each replica's own.
pub(super) fn lag_draft(metric: &Metric<'_>, alert: &ValueAlert, x: f64, step: Duration) -> Draft {
    let last = metric.last_value(&metric.selector(""));
    let by = metric.by_with(&["job"], &[]);
    let expr = format!(
        "{} - on ({by}) group_right {last} > {}",
        metric.aggregate("max", &last),
        format_float(x)
    );
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let behind = x + nudge(x);
    // The best replica sits at 0, so each gap is exact: `0 - (-g)` is `g`.
    let best = || Shape::Gauge(vec![(u64::MAX, 0.0)]);
    let fires_at = round_up(for_, step);
    let catch_up = fires_at + 2 * step;
    let a = [("instance", REPLICAS[0])];
    let one = Probe::new("one replica behind the other, then it catches up")
        .for_edge_on(Duration::ZERO, for_, step, severity, behind, &a)
        .fires_on(catch_up - step, severity, behind, &a)
        .silent(catch_up)
        .with(metric.series(
            "",
            &[],
            [
                Shape::Gauge(vec![(samples(catch_up, step), -behind), (u64::MAX, 0.0)]),
                best(),
            ],
        ));
    let edge = Probe::new("one replica exactly the line behind")
        .silent(fires_at + step)
        .with(metric.series("", &[], [Shape::Gauge(vec![(u64::MAX, -x)]), best()]));
    // The lagging replica leaves: the other has nobody to lag behind.
    let gone = fires_at + step;
    let leaving = Probe::new("the lagging replica leaves")
        .for_edge_on(Duration::ZERO, for_, step, severity, behind, &a)
        .silent(gone + step * (FRESH_SCRAPES + 1))
        .with(first_replica_leaves(
            metric.series("", &[], [Shape::Gauge(vec![(u64::MAX, -behind)]), best()]),
            samples(gone, step) + 1,
        ));
    let line = format_float(x);
    Draft::new(
        expr,
        format!("{} on {{{{ $labels.instance }}}} behind the fleet", metric.name),
        format!(
            "{} on {{{{ $labels.instance }}}} is {VALUE} below the best replica; the line is {line}.",
            metric.name
        ),
        vec![one, edge, leaving],
    )
}
