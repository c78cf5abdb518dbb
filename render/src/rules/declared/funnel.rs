//! `increase / OTHER_COUNTER < 20%` on a counter: a funnel's ratio (bundles included over
//! bundles submitted, fills over orders). Both counters' increases are summed over the
//! fleet within `within`, per label set the two share (a per-builder ratio when both carry
//! `builder`), and the alert stays silent while the other counter grows slower than
//! `min_rate`: two bundles submitted at night, none included, is not a broken relay.

use std::time::Duration;

use crate::promql::Metric;
use crate::rules::draft::Draft;
use crate::rules::scenario::ratio::{RatioLine, GRID};
use crate::rules::scenario::{round_up, samples, Probe, Shape};
use botwatch_spec::declared::{ValueAlert, ValueComparison};
use botwatch_spec::model::Comparison;
use botwatch_spec::names::{format_float, format_percent, prometheus_duration, LABEL_JOB};

/// The two counters of a funnel and the labels their ratio is taken per.
pub(super) struct Funnel<'a> {
    /// The counter the alert is declared on (included bundles).
    pub(super) numerator: &'a Metric<'a>,
    /// The other counter (submitted bundles).
    pub(super) denominator: &'a Metric<'a>,
}

impl Funnel<'_> {
    /// The label names both counters carry, static labels with one value or family keys,
    /// in the numerator's order: the ratio is taken per value of these.
    pub(super) fn shared(&self) -> Vec<String> {
        let static_value = |m: &Metric<'_>, key: &str| {
            m.labels
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let carries = |m: &Metric<'_>, key: &str| {
            static_value(m, key).is_some() || m.keys.iter().any(|k| k == key)
        };
        let (num, den) = (self.numerator, self.denominator);
        num.labels
            .iter()
            .map(|(k, _)| k)
            .chain(&num.keys)
            .filter(|key| carries(den, key))
            // A static label whose values differ would match nothing: it is not shared.
            .filter(
                |key| match (static_value(num, key), static_value(den, key)) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                },
            )
            .cloned()
            .collect()
    }

    /// `job` and the shared labels, for `by (...)`.
    pub(super) fn by(&self) -> String {
        let mut by = vec![LABEL_JOB.to_owned()];
        by.extend(self.shared());
        by.join(", ")
    }

    /// A counter's increase within `window`, summed over the fleet per shared label set.
    fn increase(&self, metric: &Metric<'_>, window: &str) -> String {
        format!(
            "sum by ({}) (increase({}[{window}]))",
            self.by(),
            metric.selector("")
        )
    }

    /// The ratio as the alert and the dashboard read it: a label set the other counter has
    /// and this one has never seen (a builder that never included a bundle) is 0, not
    /// absent; a set whose other counter did not grow has no ratio.
    pub(super) fn ratio(&self, window: &str, comparison: Comparison) -> String {
        let den = self.increase(self.denominator, window);
        let num = self.increase(self.numerator, window);
        match comparison {
            Comparison::Below => format!("({num} or {den} * 0) / ({den} > 0)"),
            // A set never seen here is 0, never above a line: it needs no stand-in.
            Comparison::Above => format!("{num} / ({den} > 0)"),
        }
    }
}

/// Grid units far on the safe side of a line at `at_line` units: twice it plus 8 under a
/// `<` line, half of it less 8 (at least 0) over a `>` line.
pub(crate) fn far_side(comparison: Comparison, at_line: f64) -> f64 {
    match comparison {
        Comparison::Below => 2.0 * at_line + 8.0,
        Comparison::Above => (at_line / 2.0 - 8.0).max(0.0).floor(),
    }
}

/// The draft of `increase / OTHER < r` (or `>`) within `window`.
pub(super) fn funnel_draft(
    funnel: &Funnel<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    r: f64,
    window: Duration,
    step: Duration,
) -> Draft {
    let side = ValueComparison::from(comparison);
    let w = prometheus_duration(window);
    let mut expr = format!(
        "{} {} {}",
        funnel.ratio(&w, comparison),
        side.symbol(),
        format_float(r)
    );
    if let Some(m) = alert.min_rate {
        expr.push_str(&format!(
            " and sum by ({}) (rate({}[{w}])) >= {}",
            funnel.by(),
            funnel.denominator.selector(""),
            format_float(m)
        ));
    }
    let (num, den) = (&funnel.numerator.name, &funnel.denominator.name);
    let word = match comparison {
        Comparison::Above => "above",
        Comparison::Below => "below",
    };
    Draft::new(
        expr,
        format!("{num} at {{{{ $value | humanizePercentage }}}} of {den}"),
        format!(
            "{num} grew by {{{{ $value | humanizePercentage }}}} of what {den} grew by over the last {w}, summed over the fleet, {word} the line of {}.",
            format_percent(r)
        ),
        funnel_probes(funnel, alert, comparison, r, window, step),
    )
}

/// Both counters on two replicas, per step: the other counter `d` on each, this one `a`
/// and `b`. Ratios sit on a 1/1024 grid two steps either side of the line, so the sums
/// Prometheus divides are exact; the replicas' shares differ (one alone would be on the
/// other side), so only the fleet's sum decides.
fn funnel_probes(
    funnel: &Funnel<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    r: f64,
    window: Duration,
    step: Duration,
) -> Vec<Probe> {
    let Some(line) = RatioLine::new(comparison, r, alert.min_rate, window) else {
        return Vec::new(); // a counter cannot grow by less than nothing
    };
    let (grid, at_line, firing, safe, k) = (GRID, line.at_line, line.firing, line.safe, line.k);
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let d = grid * k;
    let split = |units: f64| line.spread(units).map(|share| share * k);
    let series = |numerator: [f64; 2], other: f64| {
        let counter = |per: f64| Shape::ExactCounter(vec![(u64::MAX, per)]);
        let mut out =
            funnel
                .numerator
                .series("", &[], [counter(numerator[0]), counter(numerator[1])]);
        out.extend(
            funnel
                .denominator
                .series("", &[], [counter(other), counter(other)]),
        );
        out
    };
    let judged = step + round_up(for_, step) + step;
    let mut probes = vec![
        // From the first two samples on, the ratio is the fleet's: no ramp to wait for.
        Probe::new("the fleet's ratio just over the line")
            .for_edge(step, for_, step, severity, firing / grid)
            .with(series(split(firing), d)),
        Probe::new("the fleet's ratio just on the safe side of the line")
            .silent(judged)
            .with(series(split(safe), d)),
    ];
    // A window far on the safe side, then the firing pace: judged on the window alone, it
    // fires once the window holds only the new pace (a wider window would still mix in the
    // old one and stay safe).
    let n = samples(window, step).max(1);
    let old = far_side(comparison, at_line);
    let [old_a, old_b] = split(old);
    let [new_a, new_b] = split(firing);
    let switch = step * n as u32;
    let settled = switch + round_up(window, step) + round_up(for_, step) + 2 * step;
    let two_paces = |a: f64, b: f64, c: f64, e: f64| {
        [
            Shape::ExactCounter(vec![(n, a), (u64::MAX, b)]),
            Shape::ExactCounter(vec![(n, c), (u64::MAX, e)]),
        ]
    };
    let counter = |per: f64| Shape::ExactCounter(vec![(u64::MAX, per)]);
    probes.push(
        Probe::new("a window on the safe side, then the fleet's ratio over the line")
            .silent(switch)
            .fires(settled, severity, firing / grid)
            .with(
                funnel
                    .numerator
                    .series("", &[], two_paces(old_a, new_a, old_b, new_b)),
            )
            .with(funnel.denominator.series("", &[], [counter(d), counter(d)])),
    );
    if comparison == Comparison::Above {
        // The other counter does not move: no ratio, however much this one grows.
        probes.push(
            Probe::new("this counter grows, the other does not")
                .silent(judged)
                .with(series(split(firing), 0.0)),
        );
    }
    if comparison == Comparison::Below {
        // This counter never moved for the set (a builder that never included a bundle):
        // its series may not exist at all, and the ratio is 0.
        let other = |per: f64| Shape::ExactCounter(vec![(u64::MAX, per)]);
        probes.push(
            Probe::new("the other counter grows, this one has no series")
                .for_edge(step, for_, step, severity, 0.0)
                .with(funnel.denominator.series("", &[], [other(d), other(d)])),
        );
    }
    if let Some(m) = alert.min_rate {
        // Half the minimum traffic once the window is full, the ratio past the line.
        let per = m / 4.0 * step.as_secs_f64();
        let full = round_up(window, step) + round_up(for_, step) + step;
        probes.push(
            Probe::new("the ratio over the line on half the minimum traffic")
                .silent(full)
                .with(series([firing / grid * per, firing / grid * per], per)),
        );
    }
    probes
}
