//! `idle > 10m` on `#[counted]`: no call within the window, a label set or job gone
//! silent since a restart, or no series at all.

use std::time::Duration;

use super::shared::{counted_within, vanished, CallsCounter, WHO};
use crate::promql::Function;
use crate::rules::draft::Draft;
use crate::rules::scenario::data::calls;
use crate::rules::scenario::{round_up, samples, Probe};
use botwatch_spec::model::Alert;
use botwatch_spec::names::prometheus_duration;

/// The draft of `idle > idle`: no call within the window, a vanished label set or job, or
/// no series at all.
pub(super) fn draft(
    function: &Function<'_>,
    metric: &str,
    alert: &Alert,
    idle: Duration,
    scrape: Duration,
    scrape_interval: Duration,
) -> Draft {
    let counter = CallsCounter::new(function, metric);
    let by = &counter.by;
    let severity = alert.severity();
    let for_ = alert.for_duration();
    let idle_text = prometheus_duration(idle);
    let idle_r = round_up(idle, scrape);
    let stop = idle_r;
    // The increase is zero from the first evaluation whose range holds no sample
    // before the last call: `stop + idle - scrape` (Prometheus 3 ranges are
    // left-open) or one evaluation later (Prometheus 2).
    let earliest = stop + idle_r - scrape;
    let mut both = Probe::new("both replicas stop calling").with(calls(
        function,
        metric,
        [(1.0, 0.0); 2],
        Some(samples(stop, scrape)),
    ));
    if !for_.is_zero() {
        both = both.silent(earliest + round_up(for_, scrape) - scrape);
    }
    both = both.fires(earliest + scrape + round_up(for_, scrape), severity, 0.0);
    let one = Probe::new("one replica stops calling, the other goes on")
        .silent(stop + idle_r + round_up(for_, scrape) + scrape)
        .with({
            let mut s = calls(
                function,
                metric,
                [(1.0, 0.0); 2],
                Some(samples(stop, scrape)),
            );
            let busy = calls(function, metric, [(1.0, 0.0); 2], None);
            // replica b keeps calling: take its series from `busy`.
            for (i, series) in s.iter_mut().enumerate() {
                if i % 2 == 1 {
                    *series = busy[i].clone();
                }
            }
            s
        });
    let absent = Probe::new("no series at all: never started")
        .for_edge(Duration::ZERO, for_, scrape, severity, 0.0)
        .without_job();
    Draft::new(
        // No rise within the window (a new label set's first call is one); or a
        // label set, or a whole job, whose series vanished for the whole window
        // (stale since a restart); or no series at all for the whole window (never
        // started). Absent for the whole window, not just now: after a restart a
        // labelled function has no series until its first call, which is no silence.
        format!(
            "sum by ({by}) ({}) == 0 or {} or absent_over_time({}[{}]) * 0",
            counted_within(&counter.selector(""), idle, scrape_interval),
            vanished(&counter.selector(""), by, idle),
            counter.selector(""),
            prometheus_duration(idle * 2)
        ),
        format!("{{{{ $labels.function }}}} not called for {idle_text}"),
        format!("No call of {WHO} in the last {idle_text}."),
        vec![both, one, absent],
    )
}
