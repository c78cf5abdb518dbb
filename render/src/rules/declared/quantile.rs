//! `p99 > x` on a declared histogram: the quantile over every replica's buckets together.

use std::time::Duration;

use super::shared::{RATE_WINDOW, VALUE};
use crate::promql::Metric;
use crate::rules::draft::Draft;
use crate::rules::scenario::data::histogram_series;
use crate::rules::scenario::{round_up, samples, Probe, Series};
use botwatch_spec::declared::{ValueAlert, ValueComparison};
use botwatch_spec::model::Comparison;
use botwatch_spec::names::{format_float, prometheus_duration, LABEL_JOB};

/// The draft of `pNN < x` or `pNN > x` on a declared histogram.
pub(super) fn quantile_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    q: f64,
    keyword: &str,
    comparison: Comparison,
    x: f64,
    scrape: Duration,
) -> Draft {
    let window = prometheus_duration(RATE_WINDOW);
    let side = ValueComparison::from(comparison).symbol();
    let expr = format!(
        "{} {side} {}",
        metric.quantile_by(&[LABEL_JOB], q, &window, &[]),
        format_float(x)
    );
    let bounds = metric.declared.bucket_bounds();
    let position = bounds.iter().position(|b| *b == x).unwrap_or(0);
    let below = (position > 0).then(|| bounds[position - 1]);
    let above = bounds.get(position + 1).copied();
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let onset = scrape;
    let stop = round_up(onset + for_ + RATE_WINDOW, scrape);
    // Every observation in one bucket: the quantile is that bucket's start plus q of its
    // width. `None` as the bucket's end is `+Inf` (the quantile reads as the last bound).
    let in_bucket = |end: Option<f64>| -> Vec<Series> {
        histogram_series(metric, &bounds, end, Some(samples(stop, scrape)))
    };
    let (firing_bucket, silent_bucket) = match comparison {
        Comparison::Below => (Some(x), above.or(None)),
        Comparison::Above => (above, Some(x)),
    };
    let mut probes = Vec::new();
    // Above the last bound, `histogram_quantile` reads the last bound: a `>` alert at the
    // last bound cannot fire.
    if !(comparison == Comparison::Above && above.is_none()) {
        let end = firing_bucket.expect("a firing bucket exists");
        let start = if end == x { below.unwrap_or(0.0) } else { x };
        let value = start + (end - start) * q;
        probes.push(
            Probe::new(format!(
                "every observation in the bucket {} the line",
                if comparison == Comparison::Below {
                    "under"
                } else {
                    "over"
                }
            ))
            .for_edge(onset, for_, scrape, severity, value)
            .silent(stop + RATE_WINDOW + Duration::from_secs(60))
            .with(in_bucket(Some(end))),
        );
    }
    probes.push(
        Probe::new(format!(
            "every observation in the bucket {} the line",
            if comparison == Comparison::Below {
                "over"
            } else {
                "under"
            }
        ))
        .silent(round_up(onset + for_ + RATE_WINDOW, scrape))
        .with(histogram_series(metric, &bounds, silent_bucket, None)),
    );
    let word = if comparison == Comparison::Below {
        "below"
    } else {
        "above"
    };
    Draft::new(
        expr,
        format!("{keyword} of {} {word} {}", metric.name, format_float(x)),
        format!(
            "The {keyword} of {} over the last {window} is {VALUE} across replicas; the line is {}.",
            metric.name,
            format_float(x)
        ),
        probes,
    )
}
