//! `value < x`, `value == x` and `value / OTHER > 80%` on a gauge: its last value on each
//! replica (or its ratio to its own denominator), the worst replica's deciding.

use std::time::Duration;

use super::shared::{aggregate, VALUE};
use crate::promql::{Metric, FRESH_SCRAPES};
use crate::rules::draft::Draft;
use crate::rules::scenario::{first_replica_leaves, for_step, round_up, samples, Probe, Shape};
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
    // The line and `for` alone: every minute under a `for` of half an hour or more (see
    // `for_step`).
    let coarse = for_step(scrape, for_);
    let recover = round_up(for_, coarse) + 2 * coarse;
    let firing_probe = Probe::new("one replica over the line, then back")
        .at_step(coarse)
        .for_edge(Duration::ZERO, for_, coarse, severity, firing)
        .fires(recover - coarse, severity, firing)
        .silent(recover + coarse)
        .with(metric.series(
            "",
            &[],
            [
                Shape::Gauge(vec![(samples(recover, coarse), firing), (u64::MAX, other)]),
                Shape::Gauge(vec![(u64::MAX, other)]),
            ],
        ));
    // Freshness, in one probe at the scrape interval: one failed scrape while replica a is
    // over the line (Prometheus stale-marks its series) and `for` goes on, it fires when it
    // would have; then replica a leaves (a deleted pod): its last value still counts for
    // the last few scrapes (one failed scrape is no verdict), then it is gone.
    let half = samples(fires_at, scrape) / 2;
    let (name, over_the_line) = if half >= 1 {
        (
            "one failed scrape while a replica is over the line, then it leaves",
            vec![(half, firing), (1, f64::NAN), (u64::MAX, firing)],
        )
    } else {
        ("the replica over the line leaves", vec![(u64::MAX, firing)])
    };
    let gone = fires_at + 2 * scrape;
    let freshness_probe = Probe::new(name)
        .for_edge(Duration::ZERO, for_, scrape, severity, firing)
        .fires(gone, severity, firing)
        .silent(gone + scrape * (FRESH_SCRAPES + 1))
        .with(first_replica_leaves(
            metric.series(
                "",
                &[],
                [
                    Shape::Gauge(over_the_line),
                    Shape::Gauge(vec![(u64::MAX, other)]),
                ],
            ),
            samples(gone, scrape) + 1,
        ));
    let edge_probe = Probe::new("both replicas at the line, not over it")
        .at_step(coarse)
        .silent(round_up(for_, coarse) + coarse)
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
    Draft::new(
        expr,
        summary,
        description,
        vec![firing_probe, freshness_probe, edge_probe],
    )
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

#[cfg(test)]
mod tests {
    use crate::rules::{RuleOptions, RuleSet};
    use botwatch_spec::declared::MetricKind;
    use botwatch_spec::parse::parse_declared;
    use std::time::Duration;

    /// Under an hour's `for`, the probes of the line and `for` are built every minute (60
    /// steps, not 240), while the one of a failed scrape and a replica leaving stays at the
    /// scrape interval: at a minute, one missed scrape would empty the 45 s freshness window
    /// and a freshness window four times too long would pass.
    #[test]
    fn an_hours_for_shows_its_line_every_minute_and_freshness_every_scrape() {
        let steps = |tokens: &str| {
            let declared = [parse_declared(
                MetricKind::Gauge,
                tokens.parse().unwrap(),
                "QUEUE",
                "bot",
                None,
            )
            .unwrap()
            .spec];
            let set = RuleSet::build_all(&[], &declared, &RuleOptions::default()).unwrap();
            let alert = &set.alerts[0];
            alert
                .probes
                .iter()
                .map(|p| (p.name.clone(), p.step.unwrap_or(alert.test_step)))
                .collect::<Vec<_>>()
        };
        let (scrape, minute) = (Duration::from_secs(15), Duration::from_secs(60));
        let long = steps("alert(value != 0, for = 1h)");
        let expected = [
            ("one replica over the line, then back", minute),
            (
                "one failed scrape while a replica is over the line, then it leaves",
                scrape,
            ),
            ("both replicas at the line, not over it", minute),
        ];
        let expected: Vec<(String, Duration)> = expected
            .iter()
            .map(|(n, s)| ((*n).to_owned(), *s))
            .collect();
        assert_eq!(long, expected);
        // A shorter `for`: every probe at the scrape interval.
        let short = steps("alert(value != 0, for = 10m)");
        assert!(short.iter().all(|(_, s)| *s == scrape), "{short:?}");
    }
}
