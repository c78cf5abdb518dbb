//! What several function conditions share: how an annotation names the function, a
//! `#[counted]` function's calls counter as PromQL, and two reads of it (its exact rises
//! within a window, and a label set gone silent).

use std::time::Duration;

use crate::promql::{fresh_window, Function};
use botwatch_spec::names::prometheus_duration;

/// Who an annotation names: `module::function`.
pub(super) const WHO: &str = "{{ $labels.module }}::{{ $labels.function }}";

/// `0` for each `by` group whose series were there a window before the window and have no
/// sample in it: a label set, or a whole job, gone silent since a restart (its series
/// stale), which `absent_over_time` cannot tell while another job still has them. Two
/// windows after the last sample, `absent_over_time` over two windows takes over (without
/// labels: nothing is left to name them), so the two never page for one silence together.
pub(super) fn vanished(selector: &str, by: &str, window: Duration) -> String {
    format!(
        "(group by ({by}) (last_over_time({selector}[{}])) unless group by ({by}) (last_over_time({selector}[{}]))) * 0",
        prometheus_duration(window * 2),
        prometheus_duration(window)
    )
}

/// What the counter `selector` counted within `within`, exactly, per series: every step's
/// rise, where a series that has just appeared (a new label set, a first call after a
/// restart) or that restarted from zero counts its whole value, and a failed scrape's
/// stale marker skips nothing (the step after it compares with the value before it).
/// `increase()` would extrapolate (3 errors read as 3.02) and miss a new series' first
/// sample; `x - min_over_time(x[w])` misses both that and the count before a restart.
pub(in crate::rules) fn counted_within(
    selector: &str,
    within: Duration,
    scrape: Duration,
) -> String {
    let step = prometheus_duration(scrape);
    // The rises at the points in `(now - within, now]`: a subquery's range holds its first
    // point too, so it reaches one step less far back.
    let within = prometheus_duration(within.saturating_sub(scrape));
    let previous = format!(
        "last_over_time({selector}[{}] offset {step})",
        fresh_window(scrape)
    );
    // `+ 0` drops the metric name, as the difference does: the subquery's points must be
    // one series, whichever side of `or` each came from.
    format!(
        "sum_over_time(((({selector} - {previous}) >= 0) or ({selector} + 0))[{within}:{step}])"
    )
}

/// A `#[counted]` function's calls counter, as its conditions select and sum it.
pub(super) struct CallsCounter<'a> {
    function: &'a Function<'a>,
    metric: &'a str,
    /// The alert's grouping, for `by (...)`: `job`, the function's identity, its
    /// per-call labels.
    pub(super) by: String,
}

impl<'a> CallsCounter<'a> {
    pub(super) fn new(function: &'a Function<'a>, metric: &'a str) -> CallsCounter<'a> {
        CallsCounter {
            function,
            metric,
            by: function.alert_by(),
        }
    }

    /// Every series of the counter, narrowed by `extra` matchers (`, result="error"`).
    pub(super) fn selector(&self, extra: &str) -> String {
        self.function.selector(self.metric, extra)
    }

    /// Calls a second over `window`, summed per alert grouping, narrowed by `extra`.
    pub(super) fn rate(&self, extra: &str, window: &str) -> String {
        format!(
            "sum by ({}) (rate({}[{window}]))",
            self.by,
            self.selector(extra)
        )
    }
}
