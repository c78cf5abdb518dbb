//! Rates and percentiles from two readings of cumulative counters.

use std::time::Duration;

/// `later - earlier` per second over `span`; `None` without a span to divide by.
pub(crate) fn per_second(later: u64, earlier: u64, span: Duration) -> Option<f64> {
    let seconds = span.as_secs_f64();
    (seconds > 0.0).then(|| later.saturating_sub(earlier) as f64 / seconds)
}

/// The `q` quantile (0..1) in seconds of the observations between two readings of one
/// histogram, as Prometheus' `histogram_quantile` estimates it: linear within the bucket
/// the rank falls in; the largest finite bound when it falls in `+Inf`.
///
/// `bounds` are the finite upper bounds in nanoseconds; `later` and `earlier` hold the
/// cumulative count at each bound, then the count of all observations. `None` when no
/// call was observed in between or the readings do not fit the bounds.
pub(crate) fn quantile(bounds: &[u64], later: &[u64], earlier: &[u64], q: f64) -> Option<f64> {
    if later.len() != bounds.len() + 1 || earlier.len() != later.len() {
        return None;
    }
    let delta = |i: usize| later[i].saturating_sub(earlier[i]);
    let total = delta(bounds.len());
    if total == 0 {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * total as f64;
    let mut below = 0u64;
    let mut lower = 0u64;
    for (i, &upper) in bounds.iter().enumerate() {
        let at_or_under = delta(i);
        if at_or_under as f64 >= rank && at_or_under > below {
            let share = (rank - below as f64) / (at_or_under - below) as f64;
            let nanos = lower as f64 + (upper - lower) as f64 * share;
            return Some(nanos / 1e9);
        }
        below = at_or_under;
        lower = upper;
    }
    bounds.last().map(|&b| b as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn quantiles_interpolate_within_the_bucket_like_prometheus() {
        let bounds = [10 * MS, 100 * MS, 1000 * MS];
        // 100 calls: 90 at or under 10 ms, 9 more under 100 ms, 1 more under 1 s.
        let later = [90, 99, 100, 100];
        let zero = [0; 4];
        let p50 = quantile(&bounds, &later, &zero, 0.5).unwrap();
        assert!((p50 - 0.010 * 50.0 / 90.0).abs() < 1e-9, "p50 {p50}");
        let p99 = quantile(&bounds, &later, &zero, 0.99).unwrap();
        assert!((p99 - 0.100).abs() < 1e-9, "p99 {p99}");
        let p999 = quantile(&bounds, &later, &zero, 0.999).unwrap();
        assert!((p999 - (0.100 + 0.9 * 0.9)).abs() < 1e-9, "p999 {p999}");
    }

    #[test]
    fn only_the_calls_between_the_readings_count() {
        let bounds = [10 * MS, 100 * MS];
        // Earlier: 1000 fast calls. Since: 10 slow ones.
        let earlier = [1000, 1000, 1000];
        let later = [1000, 1000, 1010];
        let p50 = quantile(&bounds, &later, &earlier, 0.5).unwrap();
        assert!((p50 - 0.100).abs() < 1e-9, "slow calls land in +Inf: {p50}");
        assert_eq!(quantile(&bounds, &earlier, &earlier, 0.5), None);
        assert_eq!(quantile(&bounds, &[1, 2], &[0, 0], 0.5), None);
    }

    #[test]
    fn rates_divide_by_the_span() {
        assert_eq!(per_second(30, 10, Duration::from_secs(10)), Some(2.0));
        assert_eq!(per_second(30, 10, Duration::ZERO), None);
        assert_eq!(per_second(5, 10, Duration::from_secs(1)), Some(0.0));
    }
}
