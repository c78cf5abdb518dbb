//! `value - OTHER_STATIC > X` (or `< X`) on a gauge: the gap to a reference gauge on the
//! same replica (a node's head against a public RPC's head), matched `on (instance, job)`
//! like a ratio; the worst replica's gap decides.

use std::time::Duration;

use super::shared::{aggregate, VALUE};
use super::value::nudge;
use crate::promql::{Metric, FRESH_SCRAPES};
use crate::rules::draft::Draft;
use crate::rules::scenario::{first_replica_leaves, round_up, samples, Probe, Shape};
use botwatch_spec::declared::{ValueAlert, ValueComparison};
use botwatch_spec::model::Comparison;
use botwatch_spec::names::format_float;

/// The reference's value in the probes: the gap is never the value itself.
const REFERENCE: f64 = 1024.0;

/// The draft of `value - reference > x` (or `<`).
pub(super) fn gap_draft(
    metric: &Metric<'_>,
    reference: &Metric<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    x: f64,
    step: Duration,
) -> Draft {
    let side = ValueComparison::from(comparison);
    let gap = format!(
        "{} - on (instance, job) group_left {}",
        metric.last_value(&metric.selector("")),
        reference.last_value(&reference.selector(""))
    );
    let line = format_float(x);
    let expr = format!(
        "{} {} {line}",
        metric.aggregate(aggregate(side), &gap),
        side.symbol()
    );
    let d = nudge(x);
    let (firing, safe) = match comparison {
        Comparison::Above => (x + d, x - d),
        Comparison::Below => (x - d, x + d),
    };
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let fires_at = round_up(for_, step);
    let references = || {
        reference.series_of_replicas([
            Shape::Gauge(vec![(u64::MAX, REFERENCE)]),
            Shape::Gauge(vec![(u64::MAX, REFERENCE)]),
        ])
    };
    let back = fires_at + 2 * step;
    let one = Probe::new("one replica's gap over the line, then back")
        .for_edge(Duration::ZERO, for_, step, severity, firing)
        .fires(back - step, severity, firing)
        .silent(back)
        .with(references())
        .with(metric.series(
            "",
            &[],
            [
                Shape::Gauge(vec![
                    (samples(back, step), REFERENCE + firing),
                    (u64::MAX, REFERENCE + safe),
                ]),
                Shape::Gauge(vec![(u64::MAX, REFERENCE + safe)]),
            ],
        ));
    // The values alone are over the line on the other side of zero: only the gap counts.
    let both_safe = Probe::new("both replicas' gaps on the safe side")
        .silent(fires_at + step)
        .with(references())
        .with(metric.series(
            "",
            &[],
            [
                Shape::Gauge(vec![(u64::MAX, REFERENCE + safe)]),
                Shape::Gauge(vec![(u64::MAX, REFERENCE + safe)]),
            ],
        ));
    let gone = fires_at + step;
    let leaving = Probe::new("the replica over the line leaves, its reference with it")
        .for_edge(Duration::ZERO, for_, step, severity, firing)
        .silent(gone + step * (FRESH_SCRAPES + 1))
        .with(first_replica_leaves(references(), samples(gone, step) + 1))
        .with(first_replica_leaves(
            metric.series(
                "",
                &[],
                [
                    Shape::Gauge(vec![(u64::MAX, REFERENCE + firing)]),
                    Shape::Gauge(vec![(u64::MAX, REFERENCE + safe)]),
                ],
            ),
            samples(gone, step) + 1,
        ));
    let mut probes = vec![one, both_safe, leaving];
    // At the line exactly (when the sum is exact in binary): not over it.
    if (REFERENCE + x) - REFERENCE == x {
        probes.push(
            Probe::new("both replicas exactly at the line")
                .silent(fires_at + step)
                .with(references())
                .with(metric.series(
                    "",
                    &[],
                    [
                        Shape::Gauge(vec![(u64::MAX, REFERENCE + x)]),
                        Shape::Gauge(vec![(u64::MAX, REFERENCE + x)]),
                    ],
                )),
        );
    }
    let word = match comparison {
        Comparison::Above => "above",
        Comparison::Below => "below",
    };
    Draft::new(
        expr,
        format!(
            "{} - {} {} {line}",
            metric.name,
            reference.name,
            side.symbol()
        ),
        format!(
            "{} minus {} is {VALUE} on the worst replica, {word} the line of {line}.",
            metric.name, reference.name
        ),
        probes,
    )
}
