//! Builders of the probes' series: a function's calls and latency histogram, a declared
//! metric's values, counters and buckets, per replica. The conditions describe a scenario
//! (calls per sample, a replica that stops); these write it as series.

use super::{call_value, Series, Shape, JOB, REPLICAS};
use crate::promql::{Function, Metric};
use botwatch_spec::names::{self, format_float, nanos_as_seconds_text, LABEL_JOB};

/// The test data's side of a function's identity.
impl Function<'_> {
    /// The labels of one of the function's series in the generated tests: the test job,
    /// its [`identity`](Self::identity) and a value per per-call label.
    pub(crate) fn grouping(&self) -> Vec<(String, String)> {
        let mut out = vec![(names::LABEL_JOB.to_owned(), JOB.to_owned())];
        out.extend(self.identity());
        out.extend(self.call_labels.iter().map(|k| (k.clone(), call_value(k))));
        out
    }
}

/// The test data's side of a declared metric's identity.
impl Metric<'_> {
    /// The labels of the test data's series set: the test job, the static labels and a
    /// value per family key.
    pub(crate) fn grouping(&self) -> Vec<(String, String)> {
        let mut out = vec![(LABEL_JOB.to_owned(), JOB.to_owned())];
        out.extend(self.labels.iter().cloned());
        out.extend(self.keys.iter().map(|k| (k.clone(), call_value(k))));
        out
    }

    pub(crate) fn series(
        &self,
        suffix: &str,
        extra: &[(&str, String)],
        shapes: [Shape; 2],
    ) -> Vec<Series> {
        let mut labels = self.grouping();
        labels.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        REPLICAS
            .iter()
            .zip(shapes)
            .map(|(replica, shape)| {
                Series::new(&format!("{}{suffix}", self.name), &labels, replica, shape)
            })
            .collect()
    }
}

impl Metric<'_> {
    /// The unlabelled series of a denominator, one per replica.
    pub(crate) fn series_of_replicas(&self, shapes: [Shape; 2]) -> Vec<Series> {
        REPLICAS
            .iter()
            .zip(shapes)
            .map(|(replica, shape)| {
                let mut labels = vec![(LABEL_JOB.to_owned(), JOB.to_owned())];
                labels.extend(self.labels.iter().cloned());
                Series::new(&self.name, &labels, replica, shape)
            })
            .collect()
    }
}

/// One series per replica of `metric`, with the same labels and per-replica shapes.
pub(crate) fn per_replica(
    metric: &str,
    labels: &[(String, String)],
    shapes: [Shape; 2],
) -> Vec<Series> {
    REPLICAS
        .iter()
        .zip(shapes)
        .map(|(replica, shape)| Series::new(metric, labels, replica, shape))
        .collect()
}

/// `labels` with `extra` pairs after them.
pub(crate) fn with(labels: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = labels.to_vec();
    out.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    out
}

/// Calls of one replica: `ok` and `error` calls per sample for `on` samples, then none.
pub(crate) fn calls(
    function: &Function<'_>,
    metric: &str,
    [a, b]: [(f64, f64); 2],
    on: Option<u64>,
) -> Vec<Series> {
    let run = |per: f64| match on {
        Some(n) => Shape::Counter(vec![(n, per)]),
        None => Shape::Counter(vec![(u64::MAX, per)]),
    };
    let mut out = Vec::new();
    for (result, pick) in [
        (
            names::RESULT_OK,
            (|p: (f64, f64)| p.0) as fn((f64, f64)) -> f64,
        ),
        (names::RESULT_ERROR, |p: (f64, f64)| p.1),
    ] {
        let labels = with(&function.grouping(), &[(names::LABEL_RESULT, result)]);
        out.extend(per_replica(metric, &labels, [run(pick(a)), run(pick(b))]));
    }
    out
}

/// For each per-call label of a function, another label set differing in that label alone
/// (`other_<key>`), calling without errors on both replicas: each stays silent, and a rule
/// that dropped that label from its `by` would merge it into the firing set.
pub(crate) fn quiet_sets(function: &Function<'_>, metric: &str, ok_per_sample: f64) -> Vec<Series> {
    let mut out = Vec::new();
    for label in &function.call_labels {
        let mut grouping = function.grouping();
        for (key, value) in grouping.iter_mut() {
            if key == label {
                *value = format!("other_{key}");
            }
        }
        for (result, per) in [
            (names::RESULT_OK, ok_per_sample),
            (names::RESULT_ERROR, 0.0),
        ] {
            let labels = with(&grouping, &[(names::LABEL_RESULT, result)]);
            let run = || Shape::Counter(vec![(u64::MAX, per)]);
            out.extend(per_replica(metric, &labels, [run(), run()]));
        }
    }
    out
}

/// A latency histogram of one replica: calls per sample in the bucket ending at each
/// bound (`u64::MAX` for `+Inf`).
pub(crate) fn histogram(
    function: &Function<'_>,
    metric: &str,
    bounds: &[u64],
    per_replica_calls: [Vec<(u64, f64)>; 2],
    on: Option<u64>,
) -> Vec<Series> {
    let run = |per: f64| match on {
        Some(n) => Shape::Counter(vec![(n, per)]),
        None => Shape::Counter(vec![(u64::MAX, per)]),
    };
    let grouping = function.grouping();
    let mut out = Vec::new();
    let cumulative = |calls: &[(u64, f64)], le: u64| -> f64 {
        calls.iter().filter(|(b, _)| *b <= le).map(|(_, n)| n).sum()
    };
    let mut les: Vec<(String, u64)> = bounds
        .iter()
        .map(|b| (nanos_as_seconds_text(*b), *b))
        .collect();
    les.push(("+Inf".to_owned(), u64::MAX));
    for (text, le) in &les {
        let labels = with(&grouping, &[("le", text)]);
        out.extend(per_replica(
            &format!("{metric}_bucket"),
            &labels,
            [
                run(cumulative(&per_replica_calls[0], *le)),
                run(cumulative(&per_replica_calls[1], *le)),
            ],
        ));
    }
    let total = |calls: &[(u64, f64)]| calls.iter().map(|(_, n)| n).sum::<f64>();
    let sum = |calls: &[(u64, f64)]| {
        calls
            .iter()
            .map(|(b, n)| n * (*b).min(bounds.last().copied().unwrap_or(0) * 2) as f64 / 1e9)
            .sum::<f64>()
    };
    out.extend(per_replica(
        &format!("{metric}_count"),
        &grouping,
        [
            run(total(&per_replica_calls[0])),
            run(total(&per_replica_calls[1])),
        ],
    ));
    out.extend(per_replica(
        &format!("{metric}_sum"),
        &grouping,
        [
            run(sum(&per_replica_calls[0])),
            run(sum(&per_replica_calls[1])),
        ],
    ));
    out
}

/// A histogram's series on both replicas with 64 observations per scrape in the bucket
/// ending at `end` (`None`: `+Inf`), for `on` scrapes (then none).
pub(crate) fn histogram_series(
    metric: &Metric<'_>,
    bounds: &[f64],
    end: Option<f64>,
    on: Option<u64>,
) -> Vec<Series> {
    let per = 64.0;
    let run = |count: f64| match on {
        Some(n) => Shape::Counter(vec![(n, count)]),
        None => Shape::Counter(vec![(u64::MAX, count)]),
    };
    let mut out = Vec::new();
    let mut les: Vec<(String, f64)> = bounds.iter().map(|b| (format_float(*b), *b)).collect();
    les.push(("+Inf".to_owned(), f64::INFINITY));
    for (text, le) in les {
        let count = if le >= end.unwrap_or(f64::INFINITY) {
            per
        } else {
            0.0
        };
        out.extend(metric.series("_bucket", &[("le", text)], [run(count), run(count)]));
    }
    out.extend(metric.series("_count", &[], [run(per), run(per)]));
    let value = end.unwrap_or(bounds.last().copied().unwrap_or(1.0) * 2.0);
    out.extend(metric.series("_sum", &[], [run(per * value), run(per * value)]));
    out
}

/// A replica whose value moves every scrape for `moving` scrapes, then holds at zero (a
/// value that no mistaken read of another time may take for a change).
pub(crate) fn moving_then_zero(moving: u64) -> Shape {
    let mut runs: Vec<(u64, f64)> = (1..=moving).map(|i| (1, i as f64)).collect();
    runs.push((u64::MAX, 0.0));
    Shape::Gauge(runs)
}

/// A replica whose value moves every scrape for `moving` scrapes, then holds.
pub(crate) fn moving_then_still(moving: u64) -> Shape {
    Shape::Counter(vec![(moving, 1.0), (u64::MAX, 0.0)])
}
