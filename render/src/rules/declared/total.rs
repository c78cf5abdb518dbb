//! `total > X` / `total < X` on a labelled family: the sum over its label sets on one
//! replica (a market maker's net inventory across venues), the worst replica deciding.
//! The alert is one per job (and static labels), not per label set.

use std::time::Duration;

use super::shared::{aggregate, VALUE};
use super::value::nudge;
use crate::promql::{Metric, FRESH_SCRAPES};
use crate::rules::draft::Draft;
use crate::rules::scenario::{
    call_value, first_replica_leaves, round_up, samples, Probe, Series, Shape, REPLICAS,
};
use botwatch_spec::declared::{ValueAlert, ValueComparison};
use botwatch_spec::model::Comparison;
use botwatch_spec::names::format_float;

/// The labels a total keeps: the job and the static labels, not the family's keys.
fn kept(metric: &Metric<'_>, first: &[&str]) -> String {
    first
        .iter()
        .copied()
        .chain(metric.labels.iter().map(|(k, _)| k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The draft of `total > x` (or `<`).
pub(super) fn total_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    x: f64,
    step: Duration,
) -> Draft {
    let side = ValueComparison::from(comparison);
    let per_replica = format!(
        "sum by ({}) ({})",
        kept(metric, &["instance", "job"]),
        metric.last_value(&metric.selector(""))
    );
    let line = format_float(x);
    let expr = format!(
        "{} by ({}) ({per_replica}) {} {line}",
        aggregate(side),
        kept(metric, &["job"]),
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
    let back = fires_at + 2 * step;
    // Each replica's total split over two label sets: neither half crosses the line alone
    // where the sum does.
    let halves = |a: Shape, b: Shape| two_sets(metric, [a, b]);
    let half =
        |runs: Vec<(u64, f64)>| Shape::Gauge(runs.into_iter().map(|(n, v)| (n, v / 2.0)).collect());
    let one = Probe::new("one replica's total over the line, then back")
        .for_edge(Duration::ZERO, for_, step, severity, firing)
        .fires(back - step, severity, firing)
        .silent(back)
        .with(halves(
            half(vec![(samples(back, step), firing), (u64::MAX, safe)]),
            half(vec![(u64::MAX, safe)]),
        ));
    let edge = Probe::new("both replicas' totals exactly at the line")
        .silent(fires_at + step)
        .with(halves(half(vec![(u64::MAX, x)]), half(vec![(u64::MAX, x)])));
    let gone = fires_at + step;
    let leaving = Probe::new("the replica over the line leaves")
        .for_edge(Duration::ZERO, for_, step, severity, firing)
        .silent(gone + step * (FRESH_SCRAPES + 1))
        .with(first_replica_leaves(
            halves(half(vec![(u64::MAX, firing)]), half(vec![(u64::MAX, safe)])),
            samples(gone, step) + 1,
        ));
    let word = match comparison {
        Comparison::Above => "above",
        Comparison::Below => "below",
    };
    Draft::new(
        expr,
        format!("{} total {word} {line}", metric.name),
        format!(
            "{} summed over its label sets is {VALUE} on the worst replica; the line is {line}.",
            metric.name
        ),
        vec![one, edge, leaving],
    )
}

/// Two label sets of the family (every key at its first value, then at a second), each
/// replica's two sets shaped alike.
fn two_sets(metric: &Metric<'_>, shapes: [Shape; 2]) -> Vec<Series> {
    let mut out = metric.series("", &[], shapes.clone());
    let second: Vec<(String, String)> = metric
        .grouping()
        .into_iter()
        .map(|(k, v)| {
            if metric.keys.contains(&k) {
                let value = format!("{}-2", v.strip_suffix("-1").unwrap_or(&v));
                debug_assert_ne!(value, call_value(&k));
                (k, value)
            } else {
                (k, v)
            }
        })
        .collect();
    out.extend(
        REPLICAS
            .iter()
            .zip(shapes)
            .map(|(replica, shape)| Series::new(&metric.name, &second, replica, shape)),
    );
    out
}
