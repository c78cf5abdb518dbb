//! `error_rate > x%` on `#[counted]`: the share of calls that returned an error over the
//! window, with `min_rate` as a traffic floor.

use std::time::Duration;

use super::shared::{CallsCounter, WHO};
use crate::promql::Function;
use crate::rules::draft::Draft;
use crate::rules::scenario::data::{calls, quiet_sets};
use crate::rules::scenario::{round_up, samples, Probe};
use botwatch_spec::model::Alert;
use botwatch_spec::names::{format_float, format_percent, prometheus_duration};

/// An error share just above `r`: the smallest power of two over it (at most `2r`), so the
/// ratio Prometheus computes is exact (both rates scale by a power of two) and an
/// annotation's raw `{{ $value }}` reads as predicted.
fn just_above(r: f64) -> f64 {
    let mut h = 1.0;
    while h / 2.0 > r {
        h /= 2.0;
    }
    h
}

/// The draft of `error_rate > above`: errors over all calls, summed per label set, with
/// probes just above and just below the line.
pub(super) fn draft(
    function: &Function<'_>,
    metric: &str,
    alert: &Alert,
    above: f64,
    scrape: Duration,
) -> Draft {
    let counter = CallsCounter::new(function, metric);
    let rate_window = alert.window_duration();
    let window = prometheus_duration(rate_window);
    let severity = alert.severity();
    let for_ = alert.for_duration();
    let minute = Duration::from_secs(60);
    let r = above;
    let threshold = format_percent(r);
    let min_rate = alert.min_rate;
    // With `min_rate`, the probes that must fire (or that a wrong rule would fire)
    // carry enough traffic from their first evaluation on, while the rate still
    // ramps up over its window: calls scaled by a power of two keep ratios exact.
    let scaled = |per_sample: f64, needed: f64| {
        let mut k = 1.0;
        while per_sample * k < needed {
            k *= 2.0;
        }
        k
    };
    let mut probes = Vec::new();
    if r < 1.0 {
        let h = just_above(r);
        let unit = rate_window.as_secs_f64();
        // Twice the minimum at the first evaluation, a scrape into the window.
        let k = min_rate.map_or(1.0, |m| scaled(1.0, m * h));
        let onset = scrape;
        let stop = round_up(onset + for_ + rate_window, scrape);
        probes.push(
            Probe::new("error share just above the threshold, then no calls")
                .for_edge(onset, for_, scrape, severity, h)
                .fires(stop + round_up(rate_window / 2, scrape), severity, h)
                .silent(stop + rate_window + minute)
                .with(calls(
                    function,
                    metric,
                    // Whole multiples of the window in seconds: every rate is an
                    // integer, so the ratio is exact.
                    [(k * unit * (1.0 / h - 1.0), k * unit); 2],
                    Some(samples(stop, scrape)),
                ))
                // With per-call labels, label sets with no errors stay silent: one
                // alert per set, not one for the function.
                .with(quiet_sets(function, metric, k * unit)),
        );
        if let Some(m) = min_rate {
            // Half the minimum traffic, every replica failing at the same share.
            let per_sample = m / 4.0 * scrape.as_secs_f64();
            probes.push(
                Probe::new("error share above the threshold on half the minimum traffic")
                    .silent(round_up(scrape + for_ + rate_window, scrape))
                    .with(calls(
                        function,
                        metric,
                        [(per_sample * (1.0 - h), per_sample * h); 2],
                        None,
                    )),
            );
        }
    }
    // Aggregate share 0.75 r; replica a alone is above r with a few calls, replica b
    // makes the aggregate.
    let low = 0.75 * r;
    let a = (1.0 + r) / 2.0;
    let n = (2.0 * a / low).ceil().max(10.0);
    let b = (low * (1.0 + n) - a) / n;
    let k = min_rate.map_or(1.0, |m| scaled((1.0 + n) / scrape.as_secs_f64(), 2.0 * m));
    probes.push(
        Probe::new("error share just below the threshold, one replica alone above")
            .silent(round_up(scrape + for_ + rate_window, scrape))
            .with(calls(
                function,
                metric,
                [(k * (1.0 - a), k * a), (k * n * (1.0 - b), k * n * b)],
                None,
            )),
    );
    let mut expr = format!(
        "{} / {} > {}",
        counter.rate(", result=\"error\"", &window),
        counter.rate("", &window),
        format_float(r)
    );
    if let Some(m) = min_rate {
        // Too little traffic to judge: one failed call in two is not an outage.
        expr.push_str(&format!(
            " and {} >= {}",
            counter.rate("", &window),
            format_float(m)
        ));
    }
    Draft::new(
        expr,
        format!("{{{{ $labels.function }}}} error rate above {threshold}"),
        format!(
            "{{{{ $value | humanizePercentage }}}} of calls to {WHO} returned an error over the last {window}; the threshold is {threshold}."
        ),
        probes,
    )
}
