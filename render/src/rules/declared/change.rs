//! `increase > N` (within a window) and `rate < N/m` on a counter: how fast it grows on
//! the slowest or fastest replica.

use std::time::Duration;

use super::shared::{aggregate, VALUE};
use crate::promql::Metric;
use crate::rules::draft::Draft;
use crate::rules::scenario::{round_up, samples, Probe, Shape};
use botwatch_spec::declared::{ValueAlert, ValueComparison};
use botwatch_spec::model::Comparison;
use botwatch_spec::names::{format_float, prometheus_duration};

/// `increase` and `rate` of a counter: `line` is per `window` for `increase` and per
/// second for `rate` (`per_line` = the window in seconds turns a rate into the increase
/// the data must show).
pub(super) fn change_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    line: f64,
    window: Duration,
    per_line: f64,
    scrape: Duration,
) -> Draft {
    let value_comparison = ValueComparison::from(comparison);
    let w = prometheus_duration(window);
    let is_rate = per_line != 1.0;
    let function = if is_rate { "rate" } else { "increase" };
    let expr = format!(
        "{} {} {}",
        metric.aggregate(
            aggregate(value_comparison),
            &metric.on_live_replicas(&format!("{function}({}[{w}])", metric.selector("")), &w)
        ),
        value_comparison.symbol(),
        format_float(line)
    );
    let probes = change_probes(
        metric,
        alert,
        comparison,
        line * per_line,
        window,
        per_line,
        scrape,
    );
    let (word, unit) = if is_rate {
        ("grows at", "/s")
    } else {
        ("grew by", "")
    };
    let side = if comparison == Comparison::Below {
        "below"
    } else {
        "above"
    };
    Draft::new(
        expr,
        format!("{} {word} {side} {}{unit}", metric.name, format_float(line)),
        format!(
            "{} {word} {VALUE}{unit} over the last {w} on the {} replica; the line is {}{unit}.",
            metric.name,
            if comparison == Comparison::Below {
                "slowest"
            } else {
                "fastest"
            },
            format_float(line)
        ),
        probes,
    )
}

/// Replica a changes pace after one window: from `before` to `after` per window (the line
/// is `a`, the increase per window). The condition starts to hold part-way into the next
/// window, where the blend crosses the line; probes check two scrapes either side of that,
/// and the value once the window holds only the new pace. Replica b keeps the old pace, on
/// the safe side of the line.
fn change_probes(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    a: f64,
    window: Duration,
    per_line: f64,
    scrape: Duration,
) -> Vec<Probe> {
    if a <= 0.0 && comparison == Comparison::Below {
        return Vec::new(); // a counter cannot grow by less than nothing
    }
    let n = samples(round_up(window, scrape), scrape).max(1);
    let w = scrape * n as u32;
    // Paces per sample are whole multiples of a power of two near a 10th of the line's
    // pace, so every sum promtool makes is exact, however small the line.
    let unit = if a > 0.0 {
        2f64.powf((a / n as f64).log2().floor() - 3.0)
    } else {
        1.0
    };
    let line_units = a / (n as f64 * unit); // in [8, 16) for a > 0
    let (before_units, after_units) = match comparison {
        Comparison::Below => ((2.0 * line_units).round(), (0.75 * line_units).round()),
        Comparison::Above if a > 0.0 => ((0.5 * line_units).round(), (2.0 * line_units).round()),
        Comparison::Above => (0.0, 1.0),
    };
    let safe_units = match comparison {
        Comparison::Below => (1.25 * line_units).round(),
        Comparison::Above => (0.75 * line_units).round(),
    };
    let per_window = |units: f64| units * unit * n as f64;
    let (before, after) = (per_window(before_units), per_window(after_units));
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    // One window of the old pace first (a counter's first window reads a partial increase,
    // which may fire a `<` alert early; it has resolved long before the checks).
    let switch = w;
    // Where the blend of the two paces crosses the line: `x` into the new pace.
    let crossing = w.mul_f64(((a - before) / (after - before)).clamp(0.0, 1.0));
    let onset = round_up(switch + crossing, scrape);
    let f = round_up(for_, scrape);
    let margin = 2 * scrape;
    let settled = (onset + f + margin).max(switch + w + scrape);
    let shapes = [
        Shape::ExactCounter(vec![
            (n, before_units * unit),
            (u64::MAX, after_units * unit),
        ]),
        Shape::ExactCounter(vec![(u64::MAX, before_units * unit)]),
    ];
    let mut probe = Probe::new("one replica changes pace across the line");
    if onset + f > switch + margin {
        probe = probe.silent(onset + f - margin);
    }
    probe = probe
        .fires(settled, severity, after / per_line)
        .with(metric.series("", &[], shapes));
    // The `for` edge, exactly: replica a at the new pace from the start, judged from its
    // first whole window on (a new replica's partial window is no verdict). A counter
    // starting at zero reads its real increase (no extrapolation past the zero), so each
    // evaluation's value is known: `k` steps after `k` scrapes.
    let step = after_units * unit;
    let first = match comparison {
        // Two samples give the first increase: one step, already under the line.
        Comparison::Below => 1,
        // The first scrape whose increase is over the line.
        Comparison::Above => ((a / step).floor() as u64 + 1).max(1),
    };
    // A replica is judged once it has a whole window of data: never before `w`.
    let onset_new = (scrape * first as u32).max(w);
    let fires_new = onset_new + f;
    let steps_at = |t: Duration| (samples(t, scrape)).min(n) as f64 * step;
    let mut probes = vec![probe];
    probes.push(
        Probe::new("one replica at the new pace from the start, the other on the safe side")
            .for_edge(
                onset_new,
                for_,
                scrape,
                severity,
                steps_at(fires_new) / per_line,
            )
            .with(metric.series(
                "",
                &[],
                [
                    Shape::ExactCounter(vec![(u64::MAX, step)]),
                    Shape::ExactCounter(vec![(u64::MAX, before_units * unit)]),
                ],
            )),
    );
    // Both replicas a quarter of the way past the line on the safe side: silent.
    if safe_units > 0.0 {
        let safe = || Shape::ExactCounter(vec![(u64::MAX, safe_units * unit)]);
        probes.push(
            Probe::new("both replicas on the safe side of the line")
                .silent(w + 2 * scrape)
                .with(metric.series("", &[], [safe(), safe()])),
        );
    }
    probes
}
