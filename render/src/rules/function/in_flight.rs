//! `in_flight > N` and `oldest > 10m` on `#[counted]` or `#[timed]`: calls entered and not
//! yet returned (a transaction not mined, an order not filled, a call hung on a dead
//! socket). `in_flight` sums the fleet's gauges; `oldest` is `time()` minus the earliest
//! start any replica holds, replicas with nothing in flight (which export 0) left out.

use std::time::Duration;

use super::shared::WHO;
use crate::promql::{fresh_window, Function};
use crate::rules::draft::Draft;
use crate::rules::scenario::data::per_replica;
use crate::rules::scenario::{first_replica_leaves, round_up, samples, Probe, Shape};
use botwatch_spec::model::Alert;
use botwatch_spec::names::{self, prometheus_duration};

/// The grouping of the in-flight gauges: `job`, `function`, `module` and the static labels
/// (per-call labels are not on them).
fn by(function: &Function<'_>) -> String {
    let mut by = format!("{}, function, module", names::LABEL_JOB);
    for (k, _) in &function.labels {
        by.push_str(", ");
        by.push_str(k);
    }
    by
}

/// The labels of the gauges in the probes' data.
fn gauge_labels(function: &Function<'_>) -> Vec<(String, String)> {
    function
        .grouping()
        .into_iter()
        .filter(|(k, _)| !function.call_labels.contains(k))
        .collect()
}

/// The draft of `in_flight > above`: the fleet's calls in flight, each replica's last
/// value over the last few scrapes (one failed scrape ends no `for`).
pub(super) fn in_flight_draft(
    function: &Function<'_>,
    alert: &Alert,
    above: u32,
    step: Duration,
    scrape: Duration,
) -> Draft {
    let metric = names::FUNCTION_CALLS_IN_FLIGHT;
    let expr = format!(
        "sum by ({}) (last_over_time({}[{}])) > {above}",
        by(function),
        function.selector(metric, ""),
        fresh_window(scrape)
    );
    let for_ = alert.for_duration();
    let severity = alert.severity();
    let labels = gauge_labels(function);
    let n = f64::from(above);
    // Split so that neither replica alone is over the line.
    let halves = |total: f64| [(total / 2.0).ceil(), (total / 2.0).floor()];
    let gauges = |values: [f64; 2]| {
        per_replica(
            metric,
            &labels,
            values.map(|v| Shape::Gauge(vec![(u64::MAX, v)])),
        )
    };
    let over = halves(n + 1.0);
    let fires_at = round_up(for_, step);
    let gone = fires_at + 2 * step;
    let probes = vec![
        Probe::new("one call more than the line in flight across the fleet")
            .for_edge(Duration::ZERO, for_, step, severity, n + 1.0)
            .with(gauges(over)),
        Probe::new("exactly the line in flight across the fleet")
            .silent(fires_at + step)
            .with(gauges(halves(n))),
        // A deleted pod's calls in flight leave with it (after its last few scrapes).
        Probe::new("the replica holding calls in flight leaves")
            .for_edge(Duration::ZERO, for_, step, severity, n + 1.0)
            .silent(gone + step * (crate::promql::FRESH_SCRAPES + 1))
            .with(first_replica_leaves(
                gauges([n + 1.0, 0.0]),
                samples(gone, step) + 1,
            )),
    ];
    Draft::new(
        expr,
        format!("{{{{ $labels.function }}}} has more than {above} calls in flight"),
        format!(
            "{{{{ $value }}}} calls to {WHO} are in flight across the fleet; the line is {above}."
        ),
        probes,
    )
}

/// The draft of `oldest > limit`: the call in flight longest, on any replica.
pub(super) fn oldest_draft(
    function: &Function<'_>,
    alert: &Alert,
    limit: Duration,
    step: Duration,
    scrape: Duration,
) -> Draft {
    let metric = names::FUNCTION_CALLS_OLDEST_IN_FLIGHT;
    let w = prometheus_duration(limit);
    let expr = format!(
        "time() - min by ({}) (last_over_time({}[{}]) > 0) > {}",
        by(function),
        function.selector(metric, ""),
        fresh_window(scrape),
        limit.as_secs_f64()
    );
    let for_ = alert.for_duration();
    let severity = alert.severity();
    let labels = gauge_labels(function);
    let secs = step.as_secs_f64();
    // Replica a's call enters at one step (Unix time = seconds into the test) and stays;
    // replica b has nothing in flight (it exports 0, which must not read as 1970).
    let start = step;
    // The steps within the line, and the first step past it.
    let within = (limit.as_millis() / step.as_millis().max(1)) as u32;
    let onset = start + step * (within + 1);
    let fires_at = onset + round_up(for_, step);
    let returns = fires_at + 2 * step;
    let age = |at: Duration| (at - start).as_secs_f64();
    let stuck = Probe::new("a call in flight past the line, then it returns")
        .for_edge(onset, for_, step, severity, age(fires_at))
        .fires(returns - step, severity, age(returns - step))
        .silent(returns)
        .with(per_replica(
            metric,
            &labels,
            [
                Shape::Gauge(vec![
                    (1, 0.0),
                    (samples(returns - start, step), secs),
                    (u64::MAX, 0.0),
                ]),
                Shape::Gauge(vec![(u64::MAX, 0.0)]),
            ],
        ));
    // A call in flight for exactly the line returns: never over it. Replica b's calls
    // return as they enter (its oldest start is always now).
    let back = start + step * within;
    let on_time = Probe::new("a call in flight for as long as the line returns")
        .silent(back)
        .silent(back + round_up(for_, step) + step)
        .with(per_replica(
            metric,
            &labels,
            [
                Shape::Gauge(vec![
                    (1, 0.0),
                    (u64::from(within) + 1, secs),
                    (u64::MAX, 0.0),
                ]),
                Shape::Counter(vec![(u64::MAX, secs)]),
            ],
        ));
    // The same stuck call while the other replica's calls keep entering and returning: its
    // recent start must not hide the old one.
    let beside_fresh =
        Probe::new("a call in flight past the line beside another replica's fresh calls")
            .for_edge(onset, for_, step, severity, age(fires_at))
            .with(per_replica(
                metric,
                &labels,
                [
                    Shape::Gauge(vec![(1, 0.0), (u64::MAX, secs)]),
                    Shape::Counter(vec![(u64::MAX, secs)]),
                ],
            ));
    // The replica holding the stuck call is deleted: its last start counts for its last few
    // scrapes, then it is gone.
    let gone = fires_at + 2 * step;
    let leaves = Probe::new("the replica holding a stuck call leaves")
        .for_edge(onset, for_, step, severity, age(fires_at))
        .silent(gone + step * (crate::promql::FRESH_SCRAPES + 1))
        .with(first_replica_leaves(
            per_replica(
                metric,
                &labels,
                [
                    Shape::Gauge(vec![(1, 0.0), (u64::MAX, secs)]),
                    Shape::Gauge(vec![(u64::MAX, 0.0)]),
                ],
            ),
            samples(gone, step) + 1,
        ));
    Draft::new(
        expr,
        format!("{{{{ $labels.function }}}} has a call in flight for over {w}"),
        format!(
            "A call to {WHO} has been in flight for {{{{ $value | humanizeDuration }}}} on some replica; the line is {w}: it may be stuck."
        ),
        vec![stuck, on_time, beside_fresh, leaves],
    )
}
