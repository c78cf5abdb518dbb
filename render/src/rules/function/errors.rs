//! `errors > N` on `#[counted]`: more than N failed calls within `within`, counted exactly
//! across replicas and restarts.

use std::time::Duration;

use super::shared::{counted_within, CallsCounter, WHO};
use crate::promql::Function;
use crate::rules::draft::Draft;
use crate::rules::scenario::data::{per_replica, with};
use crate::rules::scenario::{round_up, Probe, Shape};
use botwatch_spec::model::Alert;
use botwatch_spec::names::{self, prometheus_duration};

/// The draft of `errors > more_than`: failed calls counted exactly within `within`, summed
/// over replicas.
pub(super) fn draft(
    function: &Function<'_>,
    metric: &str,
    alert: &Alert,
    more_than: u32,
    scrape: Duration,
    scrape_interval: Duration,
) -> Draft {
    let counter = CallsCounter::new(function, metric);
    let by = &counter.by;
    let severity = alert.severity();
    let for_ = alert.for_duration();
    let n = f64::from(more_than);
    let within = alert.within_duration();
    let within_text = prometheus_duration(within);
    let errors = counter.selector(", result=\"error\"");
    let error_labels = with(
        &function.grouping(),
        &[(names::LABEL_RESULT, names::RESULT_ERROR)],
    );
    let ok_labels = with(
        &function.grouping(),
        &[(names::LABEL_RESULT, names::RESULT_OK)],
    );
    let jump = |count: f64| Shape::Counter(vec![(1, 0.0), (1, count)]);
    // Errors on both replicas, and many more successful calls: only errors count.
    let series = |a: f64, b: f64| {
        let mut out = per_replica(metric, &error_labels, [jump(a), jump(b)]);
        out.extend(per_replica(
            metric,
            &ok_labels,
            [jump(10.0 * (n + 1.0)), jump(10.0 * (n + 1.0))],
        ));
        out
    };
    let onset = scrape * 2;
    let split = |total: f64| ((total / 2.0).ceil(), (total / 2.0).floor());
    let (a, b) = split(n);
    let mut probes = vec![Probe::new("exactly the threshold across the replicas")
        .silent(onset + round_up(for_, scrape) + scrape)
        .with(series(a, b))];
    let fires_at = onset + round_up(for_, scrape);
    // The errors leave the range once it no longer holds the sample before them.
    let gone = scrape + round_up(within, scrape) + scrape;
    if fires_at < gone {
        let (a, b) = split(n + 1.0);
        probes.push(
            Probe::new(
                "one more than the threshold, split across the replicas, then the window moves on",
            )
            .for_edge(onset, for_, scrape, severity, n + 1.0)
            .silent(gone)
            .with(series(a, b)),
        );
    }
    // A restart between two bursts: the counter falls back to zero, and the errors
    // before it still count. The second burst comes three scrapes after the first.
    let second = onset + scrape * 3;
    if second + round_up(for_, scrape) < gone {
        let (before, after) = split(n + 1.0);
        let restarted = Shape::Gauge(vec![(2, 0.0), (2, before), (1, 0.0), (u64::MAX, after)]);
        let mut series = per_replica(
            metric,
            &error_labels,
            [restarted, Shape::Counter(vec![(u64::MAX, 0.0)])],
        );
        series.extend(per_replica(
            metric,
            &ok_labels,
            [jump(10.0 * (n + 1.0)), jump(10.0 * (n + 1.0))],
        ));
        probes.push(
            Probe::new("one more than the threshold on one replica, a restart between")
                .for_edge(second, for_, scrape, severity, n + 1.0)
                .with(series),
        );
    }
    Draft::new(
        // The errors between the range's first sample and now, exactly (increase()
        // would extrapolate), summed over instances. A restart forgets earlier
        // errors.
        format!(
            "sum by ({by}) ({}) > {more_than}",
            counted_within(&errors, within, scrape_interval)
        ),
        format!("{{{{ $labels.function }}}} failed more than {more_than} times in {within_text}"),
        format!(
            "{{{{ $value | humanize }}}} calls to {WHO} returned an error in the last {within_text} (more than {more_than})."
        ),
        probes,
    )
}
