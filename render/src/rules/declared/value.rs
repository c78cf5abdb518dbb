//! `value < x`, `value == x` and `value / OTHER > 80%` on a gauge: its last value on each
//! replica (or its ratio to its own denominator), the worst replica's deciding.

use std::time::Duration;

use super::shared::{aggregate, VALUE};
use crate::promql::{Metric, FRESH_SCRAPES};
use crate::rules::draft::Draft;
use crate::rules::scenario::{first_replica_leaves, round_up, samples, Probe, Shape};
use botwatch_spec::declared::{ValueAlert, ValueComparison};
use botwatch_spec::model::Comparison;
use botwatch_spec::names::{format_float, format_percent};

/// The draft of `value < x`, `> x`, `== x` or `!= x` on a gauge's last value.
pub(super) fn value_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    comparison: ValueComparison,
    x: f64,
    scrape: Duration,
) -> Draft {
    let selector = metric.last_value(&metric.selector(""));
    let line = format_float(x);
    let op = comparison.symbol();
    let expr = match comparison {
        ValueComparison::Below | ValueComparison::Above => {
            format!(
                "{} {op} {line}",
                metric.aggregate(aggregate(comparison), &selector)
            )
        }
        // The replicas at (or off) the value, each alone: any one of them fires it.
        ValueComparison::Equal | ValueComparison::NotEqual => {
            metric.aggregate("max", &format!("{selector} {op} {line}"))
        }
    };
    let d = nudge(x);
    // The firing replica's value, and the other replica's (on the safe side).
    let (firing, other, edge_values) = match comparison {
        ValueComparison::Below => (x - d, x + d, [x, x]),
        ValueComparison::Above => (x + d, x - d, [x, x]),
        ValueComparison::Equal => (x, x + d, [x - d, x + d]),
        ValueComparison::NotEqual => (x + d, x, [x, x]),
    };
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let fires_at = round_up(for_, scrape);
    let recover = fires_at + 2 * scrape;
    let firing_probe = Probe::new("one replica over the line, then back")
        .for_edge(Duration::ZERO, for_, scrape, severity, firing)
        .fires(recover - scrape, severity, firing)
        .silent(recover + scrape)
        .with(metric.series(
            "",
            &[],
            [
                Shape::Gauge(vec![(samples(recover, scrape), firing), (u64::MAX, other)]),
                Shape::Gauge(vec![(u64::MAX, other)]),
            ],
        ));
    // One failed scrape while replica a is over the line (Prometheus stale-marks its
    // series): `for` goes on, it fires when it would have.
    let mut probes = vec![firing_probe];
    let half = samples(fires_at, scrape) / 2;
    if half >= 1 {
        probes.push(
            Probe::new("one failed scrape while a replica is over the line")
                .for_edge(Duration::ZERO, for_, scrape, severity, firing)
                .with(metric.series(
                    "",
                    &[],
                    [
                        Shape::Gauge(vec![(half, firing), (1, f64::NAN), (u64::MAX, firing)]),
                        Shape::Gauge(vec![(u64::MAX, other)]),
                    ],
                )),
        );
    }
    // The replica over the line leaves (a deleted pod): its last value still counts for the
    // last few scrapes (one failed scrape is no verdict), then it is gone.
    let gone = recover;
    let leaving_probe = Probe::new("the replica over the line leaves")
        .for_edge(Duration::ZERO, for_, scrape, severity, firing)
        .fires(gone, severity, firing)
        .silent(gone + scrape * (FRESH_SCRAPES + 1))
        .with(first_replica_leaves(
            metric.series(
                "",
                &[],
                [
                    Shape::Gauge(vec![(u64::MAX, firing)]),
                    Shape::Gauge(vec![(u64::MAX, other)]),
                ],
            ),
            samples(gone, scrape) + 1,
        ));
    let edge_probe = Probe::new("both replicas at the line, not over it")
        .silent(fires_at + scrape)
        .with(metric.series(
            "",
            &[],
            [
                Shape::Gauge(vec![(u64::MAX, edge_values[0])]),
                Shape::Gauge(vec![(u64::MAX, edge_values[1])]),
            ],
        ));
    let (summary, description) = match comparison {
        ValueComparison::Below => (
            format!("{} below {line}", metric.name),
            format!(
                "{} is {VALUE} on the lowest replica; the threshold is {line}.",
                metric.name
            ),
        ),
        ValueComparison::Above => (
            format!("{} above {line}", metric.name),
            format!(
                "{} is {VALUE} on the highest replica; the threshold is {line}.",
                metric.name
            ),
        ),
        ValueComparison::Equal => (
            format!("{} is {line}", metric.name),
            format!("{} is {VALUE} on at least one replica.", metric.name),
        ),
        ValueComparison::NotEqual => (
            format!("{} is not {line}", metric.name),
            format!(
                "{} is {VALUE} on at least one replica; it should be {line}.",
                metric.name
            ),
        ),
    };
    probes.extend([leaving_probe, edge_probe]);
    Draft::new(expr, summary, description, probes)
}

/// The draft of `value / OTHER > r` (or `<`): each replica's value over its own
/// denominator.
pub(super) fn ratio_draft(
    metric: &Metric<'_>,
    other: &Metric<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    r: f64,
    scrape: Duration,
) -> Draft {
    let value_comparison = ValueComparison::from(comparison);
    let line = format_float(r);
    let percent = format_percent(r);
    // Each replica's ratio to its own denominator (same target), then the worst replica.
    let ratio = metric.last_ratio(other);
    let expr = format!(
        "{} {} {line}",
        metric.aggregate(aggregate(value_comparison), &ratio),
        value_comparison.symbol(),
    );
    // Ratios on a 1/1024 grid are exact: one step either side of the line.
    let denominator = 1024.0;
    let step = 1.0 / denominator;
    let at_line = (r * denominator).round() / denominator;
    let (firing, other_side) = match comparison {
        Comparison::Above => (at_line + 2.0 * step, at_line - 2.0 * step),
        Comparison::Below => (at_line - 2.0 * step, at_line + 2.0 * step),
    };
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let fires_at = round_up(for_, scrape);
    let denominators = |probe: Probe| {
        probe.with(other.series_of_replicas([
            Shape::Gauge(vec![(u64::MAX, denominator)]),
            Shape::Gauge(vec![(u64::MAX, denominator)]),
        ]))
    };
    let firing_probe = denominators(
        Probe::new("one replica's ratio over the line")
            .for_edge(Duration::ZERO, for_, scrape, severity, firing)
            .with(metric.series(
                "",
                &[],
                [
                    Shape::Gauge(vec![(u64::MAX, firing * denominator)]),
                    Shape::Gauge(vec![(u64::MAX, other_side * denominator)]),
                ],
            )),
    );
    // The replica over the line leaves, its denominator with it.
    let gone = fires_at + 2 * scrape;
    let leaving_probe = Probe::new("the replica over the line leaves")
        .for_edge(Duration::ZERO, for_, scrape, severity, firing)
        .fires(gone, severity, firing)
        .silent(gone + scrape * (FRESH_SCRAPES + 1))
        .with(first_replica_leaves(
            other.series_of_replicas([
                Shape::Gauge(vec![(u64::MAX, denominator)]),
                Shape::Gauge(vec![(u64::MAX, denominator)]),
            ]),
            samples(gone, scrape) + 1,
        ))
        .with(first_replica_leaves(
            metric.series(
                "",
                &[],
                [
                    Shape::Gauge(vec![(u64::MAX, firing * denominator)]),
                    Shape::Gauge(vec![(u64::MAX, other_side * denominator)]),
                ],
            ),
            samples(gone, scrape) + 1,
        ));
    let silent_probe = denominators(
        Probe::new("both replicas' ratios on the safe side of the line")
            .silent(fires_at + scrape)
            .with(metric.series(
                "",
                &[],
                [
                    Shape::Gauge(vec![(u64::MAX, other_side * denominator)]),
                    Shape::Gauge(vec![(u64::MAX, other_side * denominator)]),
                ],
            )),
    );
    let word = if comparison == Comparison::Above {
        "above"
    } else {
        "below"
    };
    Draft::new(
        expr,
        format!("{} at {{{{ $value | humanizePercentage }}}} of {}", metric.name, other.name),
        format!(
            "{} is {{{{ $value | humanizePercentage }}}} of {} on the worst replica, {word} the line of {percent}.",
            metric.name, other.name
        ),
        vec![firing_probe, leaving_probe, silent_probe],
    )
}

/// A step away from `x` that shows in four significant digits and is exact in binary.
pub(super) fn nudge(x: f64) -> f64 {
    if x == 0.0 {
        return 0.125;
    }
    let magnitude = x.abs().log2().floor();
    2f64.powf(magnitude - 3.0)
}
