//! `unchanged > 10m` on a gauge and `idle > 10m` on a counter: a replica whose value has
//! stopped moving, judged only on replicas still scraped.

use std::time::Duration;

use crate::promql::{Metric, FRESH_SCRAPES};
use crate::rules::draft::Draft;
use crate::rules::scenario::data::{moving_then_still, moving_then_zero};
use crate::rules::scenario::{first_replica_leaves, round_up, samples, Probe, Shape};
use botwatch_spec::declared::ValueAlert;
use botwatch_spec::names::prometheus_duration;

pub(super) fn unchanged_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    window: Duration,
    scrape: Duration,
) -> Draft {
    let w = prometheus_duration(window);
    still_draft(
        metric,
        alert,
        (window, scrape),
        "changes",
        format!("{} has not changed for {w}", metric.name),
        format!(
            "{} has kept the same value for the last {w} on at least one replica: whatever updates it has stopped.",
            metric.name
        ),
    )
}

pub(super) fn idle_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    window: Duration,
    scrape: Duration,
) -> Draft {
    let w = prometheus_duration(window);
    still_draft(
        metric,
        alert,
        (window, scrape),
        "increase",
        format!("{} has not grown for {w}", metric.name),
        format!(
            "{} has not increased in the last {w} on at least one replica.",
            metric.name
        ),
    )
}

/// A value that has stopped: `read` (`changes` of a gauge, `increase` of a counter) over
/// the window is zero on some live replica.
fn still_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    (window, scrape): (Duration, Duration),
    read: &str,
    summary: String,
    description: String,
) -> Draft {
    let w = prometheus_duration(window);
    let expr = format!(
        "{} == 0",
        metric.aggregate(
            "min",
            &metric.on_live_replicas(&format!("{read}({}[{w}])", metric.selector("")), &w)
        )
    );
    let probes = still_probes(metric, alert, window, scrape);
    Draft::new(expr, summary, description, probes)
}

/// Replica a stops moving, replica b goes on: the alert fires once a's last change has
/// left the window and `for` has passed (and not while b alone is checked).
fn still_probes(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    window: Duration,
    scrape: Duration,
) -> Vec<Probe> {
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let moving = samples(round_up(window, scrape), scrape);
    let stop = scrape * moving as u32;
    let w = round_up(window, scrape);
    let f = round_up(for_, scrape);
    // The window holds no change from `stop + w` (left-open ranges) or one scrape later.
    let one = Probe::new("one replica stops changing, the other goes on")
        .silent(stop + w + f - scrape)
        .fires(stop + w + scrape + f, severity, 0.0)
        .with(metric.series(
            "",
            &[],
            [
                moving_then_still(moving),
                Shape::Counter(vec![(u64::MAX, 1.0)]),
            ],
        ));
    // Replica a stops changing (at zero) and leaves once its window holds no change (a
    // deleted pod): its constant tail is no verdict on the feed, which replica b keeps
    // updating.
    let left = stop + w;
    let gone = Probe::new("a replica that stopped changing leaves, the other goes on")
        .silent(left + (f + scrape).max(scrape * (FRESH_SCRAPES + 1)))
        .with(first_replica_leaves(
            metric.series(
                "",
                &[],
                [
                    moving_then_zero(moving),
                    Shape::Counter(vec![(u64::MAX, 1.0)]),
                ],
            ),
            samples(left, scrape) + 1,
        ));
    let both = Probe::new("both replicas keep changing")
        .silent(stop + w + scrape + f)
        .with(metric.series(
            "",
            &[],
            [
                Shape::Counter(vec![(u64::MAX, 1.0)]),
                Shape::Counter(vec![(u64::MAX, 1.0)]),
            ],
        ));
    vec![one, gone, both]
}
