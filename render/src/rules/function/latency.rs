//! `p99 > 250ms` on `#[timed]`: a quantile of the fleet's calls together (the buckets
//! summed over replicas) above a line, with `min_rate` as a traffic floor.

use std::time::Duration;

use super::shared::WHO;
use crate::promql::Function;
use crate::rules::draft::Draft;
use crate::rules::scenario::data::histogram;
use crate::rules::scenario::latency::LatencyLine;
use crate::rules::scenario::{round_up, samples, Probe};
use botwatch_spec::model::{Alert, Condition};
use botwatch_spec::names::{self, format_float, prometheus_duration};

/// The draft of `pNN > threshold`: the quantile of the fleet's buckets together.
pub(super) fn draft(
    function: &Function<'_>,
    metric: &str,
    bounds: &[u64],
    alert: &Alert,
    scrape: Duration,
) -> Draft {
    let Condition::Latency {
        quantile,
        threshold,
    } = &alert.condition
    else {
        unreachable!("the grammar puts only latency conditions on #[timed]")
    };
    let rate_window = alert.window_duration();
    let window = prometheus_duration(rate_window);
    let threshold_text = prometheus_duration(*threshold);
    let by = function.alert_by();
    let mut expr = format!(
        "histogram_quantile({}, sum by ({by}, le) (rate({}[{window}]))) > {}",
        format_float(quantile.fraction()),
        function.selector(&format!("{metric}_bucket"), ""),
        format_float(threshold.as_secs_f64()),
    );
    if let Some(m) = alert.min_rate {
        // One slow call at night is not a page.
        expr.push_str(&format!(
            " and sum by ({by}) (rate({}[{window}])) >= {}",
            function.selector(&format!("{metric}_count"), ""),
            format_float(m)
        ));
    }
    let q = quantile.keyword();
    let probes = latency_probes(function, metric, bounds, alert, scrape);
    Draft::new(
        expr,
        format!("{q} latency of {{{{ $labels.function }}}} above {threshold_text}"),
        format!(
            "The {q} latency of {WHO} is {{{{ $value | humanizeDuration }}}} over the last {window}; the threshold is {threshold_text}."
        ),
        probes,
    )
    .with_latency(LatencyLine {
            quantile: quantile.fraction(),
            threshold: threshold.as_secs_f64(),
            window: rate_window,
            for_: alert.for_duration(),
            min_rate: alert.min_rate,
    })
}

/// Calls one bucket either side of the threshold. Above: just enough calls in the bucket
/// over the threshold that the quantile lands there, a little above the threshold (under
/// twice it, and under where the next lower quantile would read). Below: the quantile in the
/// threshold's own bucket, with some calls above it on a replica that alone would fire.
fn latency_probes(
    function: &Function<'_>,
    metric: &str,
    bounds: &[u64],
    alert: &Alert,
    scrape: Duration,
) -> Vec<Probe> {
    let Condition::Latency {
        quantile,
        threshold,
    } = &alert.condition
    else {
        unreachable!()
    };
    let rate_window = alert.window_duration();
    let q = quantile.fraction();
    let t = names::duration_nanos(*threshold);
    let above = bounds.iter().copied().find(|b| *b > t);
    let severity = alert.severity();
    let for_ = alert.for_duration();
    let onset = scrape;
    let mut probes = Vec::new();
    // Below: (1 + q) / 2 of the calls at the threshold's bucket, the rest above it, all on
    // replica b; replica a has only the calls above.
    let upper = above.unwrap_or(u64::MAX);
    let below_calls = [
        vec![(upper, (50_000.0 * (1.0 - q)).round())],
        vec![(t, (50_000.0 * (1.0 + q)).round())],
    ];
    probes.push(
        Probe::new("just below the threshold, one replica alone above")
            .silent(round_up(onset + for_ + rate_window, scrape))
            .with(histogram(function, metric, bounds, below_calls, None)),
    );
    let Some(u) = above else {
        return probes;
    };
    let (t_s, u_s) = (t as f64 / 1e9, u as f64 / 1e9);
    let share = t_s / (2.0 * (u_s - t_s));
    let m = if share >= 1.0 / 3.0 {
        0.5
    } else {
        share / (1.0 - share)
    };
    let b = q - m * (1.0 - q);
    // Whole calls per replica and sample, so the counters add up exactly.
    let below = (50_000.0 * b).round();
    let inside = 50_000.0 - below;
    let per_replica_calls = [vec![(t, below), (u, inside)], vec![(t, below), (u, inside)]];
    // histogram_quantile: the bucket's start plus its width times the rank's share in it.
    let value = t_s + (u_s - t_s) * (q * 100_000.0 - 2.0 * below) / (2.0 * inside);
    let stop = round_up(onset + for_ + rate_window, scrape);
    probes.push(
        Probe::new("just above the threshold, then no calls")
            .for_edge(onset, for_, scrape, severity, value)
            .fires(stop + rate_window / 2, severity, value)
            .silent(stop + rate_window + Duration::from_secs(60))
            .with(histogram(
                function,
                metric,
                bounds,
                per_replica_calls,
                Some(samples(stop, scrape)),
            )),
    );
    // One replica fast, the other slow: the quantile of the fleet's calls together (the
    // buckets summed over replicas), which neither replica's alone shows.
    let apart = [vec![(t, 50_000.0)], vec![(u, 50_000.0)]];
    let series = histogram(function, metric, bounds, apart, None);
    let line = LatencyLine {
        quantile: q,
        threshold: t_s,
        window: rate_window,
        for_,
        min_rate: None,
    };
    let fires_at = onset + round_up(for_, scrape);
    if let Some(Some(value)) = line.fires(&series, fires_at, scrape) {
        probes.push(
            Probe::new("one replica fast, the other slow: the fleet's quantile")
                .for_edge(onset, for_, scrape, severity, value)
                .with(series),
        );
    }
    if let Some(m) = alert.min_rate {
        // Every call over the threshold, on half the minimum traffic (a quarter on each
        // replica): silent.
        let per_sample = m / 4.0 * scrape.as_secs_f64();
        probes.push(
            Probe::new("every call over the threshold on half the minimum traffic")
                .silent(round_up(onset + for_ + rate_window, scrape))
                .with(histogram(
                    function,
                    metric,
                    bounds,
                    [vec![(u, per_sample)], vec![(u, per_sample)]],
                    None,
                )),
        );
    }
    probes
}
