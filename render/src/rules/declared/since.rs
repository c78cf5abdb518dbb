//! What `stale > D` and `age > D` share: a series holding a Unix time per replica (the
//! last update's, or the one the gauge holds), and an alert when the oldest replica's time
//! is more than D ago. `$value` is that replica's age in seconds.

use std::time::Duration;

use crate::promql::{Metric, FRESH_SCRAPES};
use crate::rules::draft::Draft;
use crate::rules::scenario::{first_replica_leaves, round_up, samples, Probe, Series, Shape};
use botwatch_spec::declared::ValueAlert;
use botwatch_spec::names::{format_float, prometheus_duration};

/// `time() - min by (job, labels) (last_over_time(times[fresh])) > D`: the oldest time of
/// the replicas still scraped; a replica gone for good drops out after a few scrapes.
pub(super) fn since_expr(metric: &Metric<'_>, times: &str, limit: Duration) -> String {
    format!(
        "time() - {} > {}",
        metric.aggregate("min", &metric.last_value(times)),
        format_float(limit.as_secs_f64())
    )
}

/// The probes of a time that stops moving on one replica: `times(shapes)` writes the
/// time series (and whatever else the condition reads) for the two replicas.
///
/// Replica a's time follows the clock for a few samples, then stops (its feed died, the
/// value may stay put); replica b's goes on. The alert fires once a's time is more than
/// `limit` old and `for` has passed, with a's age as its value, and resolves when a's time
/// moves again (the feed resumed, or the replica restarted). Both times moving is silent
/// whatever the value does; a replica that stops and leaves (a deleted pod) is no verdict.
pub(super) fn since_probes(
    alert: &ValueAlert,
    limit: Duration,
    step: Duration,
    times: impl Fn([Shape; 2]) -> Vec<Series>,
) -> Vec<Probe> {
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let s = step.as_secs_f64();
    let moving = 4u64;
    let stop = step * moving as u32;
    // The first evaluation at which `now - stop > limit` (strictly).
    let over = (limit.as_millis() / step.as_millis().max(1)) as u32 + 1;
    let onset = stop + step * over;
    let fires_at = onset + round_up(for_, step);
    let age = |at: Duration| (at - stop).as_secs_f64();
    // a resumes (its time is the clock again) two evaluations after firing.
    let resume = fires_at + 2 * step;
    let still = samples(resume, step) - moving - 1;
    let clock = || Shape::Counter(vec![(u64::MAX, s)]);
    let one = Probe::new("one replica's time stops, the other goes on, then it resumes")
        .silent(onset - step)
        .for_edge(onset, for_, step, severity, age(fires_at))
        .fires(resume - step, severity, age(resume - step))
        .silent(resume)
        .silent(resume + step)
        .with(times([
            Shape::Counter(vec![
                (moving, s),
                (still, 0.0),
                (1, (still + 1) as f64 * s),
                (u64::MAX, s),
            ]),
            clock(),
        ]));
    let both = Probe::new("both replicas' times keep moving")
        .silent(onset)
        .silent(fires_at + step)
        .with(times([clock(), clock()]));
    // a's time stops, and a leaves (a drained pod, deleted) while its time is a few
    // scrapes short of `limit` old: its last time is read for a few scrapes more, then
    // dropped, just before it would be over the line.
    let fresh = step * FRESH_SCRAPES;
    let last = samples((stop + limit).saturating_sub(fresh), step).max(moving);
    let last = if step * last as u32 + fresh > stop + limit {
        last - 1
    } else {
        last
    };
    let gone = Probe::new("a replica whose time stopped leaves, the other goes on")
        .silent(step * (last as u32 + FRESH_SCRAPES))
        .silent(onset)
        .silent(fires_at)
        .with(first_replica_leaves(
            times([Shape::Counter(vec![(moving, s), (u64::MAX, 0.0)]), clock()]),
            last.max(moving) + 1,
        ));
    vec![one, both, gone]
}

/// The annotations of an alert on a time more than `limit` old.
pub(super) fn since_draft(
    expr: String,
    (summary, description): (String, String),
    probes: Vec<Probe>,
) -> Draft {
    Draft::new(expr, summary, description, probes)
}

/// `limit` as the annotations write it.
pub(super) fn written(limit: Duration) -> String {
    prometheus_duration(limit)
}
