//! A latency alert's line, to predict it on the probes of other alerts sharing its name:
//! the quantile of a probe's histogram, as `histogram_quantile` reads it, at each
//! evaluation.

use std::time::Duration;

use super::{Series, Shape};

/// A latency alert's line, so that alerts sharing its name (`alert(p50 > 10ms)` and
/// `alert(p999 > 1s, severity = "critical")` on one function) can be predicted on each
/// other's probes: they read the same histogram.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LatencyLine {
    pub(crate) quantile: f64,
    /// In seconds.
    pub(crate) threshold: f64,
    pub(crate) window: Duration,
    pub(crate) for_: Duration,
    /// Its traffic floor: the probes of the others do not model traffic, so such a line
    /// cannot be predicted on them.
    pub(crate) min_rate: Option<f64>,
}

impl LatencyLine {
    /// Whether the alert fires at `at` on `series` (a probe's histogram, evaluated every
    /// `step`), and its `$value`; `None` when it cannot be told (Prometheus 2 and 3 range
    /// edges disagree, or the data are not a histogram whose buckets all run together).
    pub(crate) fn fires(
        &self,
        series: &[Series],
        at: Duration,
        step: Duration,
    ) -> Option<Option<f64>> {
        if self.min_rate.is_some() {
            return None;
        }
        // Per-sample increments per `le`, summed over replicas; every bucket of every
        // replica must increase for the same samples, so the quantile is the same at any
        // time the window holds an increase.
        let mut runs: Option<u64> = None;
        let mut buckets: Vec<(f64, f64)> = Vec::new();
        for s in series.iter().filter(|s| s.name.ends_with("_bucket")) {
            let le = s.labels.iter().find(|(k, _)| k == "le")?.1.as_str();
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            let Shape::Counter(shape) = &s.shape else {
                return None;
            };
            let [(n, per)] = shape[..] else {
                return None;
            };
            if *runs.get_or_insert(n) != n {
                return None;
            }
            match buckets.iter_mut().find(|(b, _)| *b == bound) {
                Some(bucket) => bucket.1 += per,
                None => buckets.push((bound, per)),
            }
        }
        let n = runs?;
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        let value = bucket_quantile(self.quantile, &buckets);
        let step_ms = step.as_millis().max(1);
        // Increments in the range ending at sample `k`: samples 1..=n increase.
        let w = (self.window.as_millis() / step_ms) as i128;
        let last = n.min(u64::MAX / 2) as i128;
        // An increase in the range at evaluation `k` needs two samples of it at or before
        // sample `n` (the last that increases): the range is `[k - w, k]` in Prometheus 2,
        // `(k - w, k]` in Prometheus 3.
        let holds = |k: i128| -> Option<bool> {
            let increase = |first: i128| first.max(0) < k.min(last);
            let (p2, p3) = (increase(k - w), increase(k - w + 1));
            if p2 != p3 {
                return None;
            }
            Some(p2 && value.is_some_and(|v| v > self.threshold))
        };
        let t = (at.as_millis() / step_ms) as i128;
        let for_steps = self.for_.as_millis().div_ceil(step_ms) as i128;
        if t < for_steps {
            return Some(None);
        }
        let mut undecided = false;
        for k in (t - for_steps)..=t {
            match holds(k) {
                Some(false) => return Some(None),
                None => undecided = true,
                Some(true) => {}
            }
        }
        if undecided {
            None
        } else {
            Some(value)
        }
    }
}

/// Prometheus' `histogram_quantile` over cumulative `(upper bound, count)` buckets, `+Inf`
/// last.
fn bucket_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let cumulative = buckets;
    let total = cumulative.last()?.1;
    if total == 0.0 || cumulative.last()?.0 != f64::INFINITY || cumulative.len() < 2 {
        return None;
    }
    let rank = q * total;
    let b = cumulative[..cumulative.len() - 1]
        .iter()
        .position(|(_, c)| *c >= rank)
        .unwrap_or(cumulative.len() - 1);
    if b == cumulative.len() - 1 {
        return Some(cumulative[cumulative.len() - 2].0);
    }
    let (start, below) = if b == 0 {
        (0.0, 0.0)
    } else {
        cumulative[b - 1]
    };
    let (end, count) = cumulative[b];
    Some(start + (end - start) * ((rank - below) / (count - below)))
}
