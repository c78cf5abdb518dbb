//! `open` and `flapping > N` on `#[circuit_breaker]`: a breaker not closed (open or
//! probing) on some replica, or tripping from closed to open too often on one. A per-key
//! breaker's alerts fire per key.

use std::time::Duration;

use super::shared::counted_within;
use crate::promql::{fresh_window, Function, FRESH_SCRAPES};
use crate::rules::draft::{Draft, Subject};
use crate::rules::scenario::data::{per_replica, with};
use crate::rules::scenario::{
    call_value, first_replica_leaves, round_up, samples, Probe, Shape, JOB,
};
use crate::text::promql_string;
use botwatch_spec::model::{Alert, Condition};
use botwatch_spec::names::{self, prometheus_duration};

/// A breaker's alert and whose it is; a per-key breaker's (`keyed`) fires per key: `key`
/// joins `breaker` in the grouping, and the generated tests use a sample key.
pub(super) fn draft(
    breaker: &str,
    keyed: bool,
    function: &Function<'_>,
    alert: &Alert,
    scrape: Duration,
    scrape_interval: Duration,
) -> (Subject, Draft) {
    let selector = |metric: &str, extra: &str| {
        format!("{metric}{{breaker={}{extra}}}", promql_string(breaker))
    };
    let identity = vec![(names::LABEL_BREAKER.to_owned(), breaker.to_owned())];
    let mut labels = vec![(names::LABEL_JOB.to_owned(), JOB.to_owned())];
    labels.extend(identity.iter().cloned());
    if keyed {
        labels.push((names::LABEL_KEY.to_owned(), call_value(names::LABEL_KEY)));
    }
    let by = if keyed {
        "job, breaker, key"
    } else {
        "job, breaker"
    };
    let which = if keyed {
        "{{ $labels.breaker }} ({{ $labels.key }})"
    } else {
        "{{ $labels.breaker }}"
    };
    let for_ = alert.for_duration();
    let for_text = prometheus_duration(for_);
    let severity = alert.severity();
    let (expr, summary, description, probes) = match &alert.condition {
        Condition::Open => {
            let state = |runs: Vec<(u64, f64)>| Shape::Gauge(runs);
            let onset = scrape * 2;
            let closes = round_up(onset + for_, scrape) + scrape * 2;
            let held = samples(closes, scrape) - 2;
            // Replica a alternates open and half-open (probes failing): never closed.
            let probing: Vec<(u64, f64)> = std::iter::once((2, 0.0))
                .chain((0..held).map(|i| (1, if i % 2 == 0 { 1.0 } else { 2.0 })))
                .chain(std::iter::once((1, 0.0)))
                .collect();
            let one = Probe::new("one replica open or probing, never closed")
                .for_edge(onset, for_, scrape, severity, 1.0)
                .silent(closes)
                .with(per_replica(
                    names::CIRCUIT_BREAKER_STATE,
                    &labels,
                    [state(probing), state(vec![(1, 0.0)])],
                ));
            // The open replica leaves (a deleted pod): its last state counts for the last
            // few scrapes, then it is gone.
            let gone = round_up(onset + for_, scrape) + scrape * 2;
            let leaves = Probe::new("one replica open, then it leaves")
                .for_edge(onset, for_, scrape, severity, 1.0)
                .fires(gone, severity, 1.0)
                .silent(gone + scrape * (FRESH_SCRAPES + 1))
                .with(first_replica_leaves(
                    per_replica(
                        names::CIRCUIT_BREAKER_STATE,
                        &labels,
                        [state(vec![(2, 0.0), (1, 1.0)]), state(vec![(1, 0.0)])],
                    ),
                    samples(gone, scrape) + 1,
                ));
            // One failed scrape (stale markers) while a replica is open: `for` goes on.
            let half = samples(for_, scrape) / 2;
            let gap = (half >= 1).then(|| {
                Probe::new("one failed scrape while a replica is open")
                    .for_edge(onset, for_, scrape, severity, 1.0)
                    .with(per_replica(
                        names::CIRCUIT_BREAKER_STATE,
                        &labels,
                        [
                            state(vec![(2, 0.0), (half, 1.0), (1, f64::NAN), (1, 1.0)]),
                            state(vec![(1, 0.0)]),
                        ],
                    ))
            });
            let both = Probe::new("both replicas open: one alert")
                .for_edge(onset, for_, scrape, severity, 2.0)
                .with(per_replica(
                    names::CIRCUIT_BREAKER_STATE,
                    &labels,
                    [
                        state(vec![(2, 0.0), (1, 1.0)]),
                        state(vec![(2, 0.0), (1, 1.0)]),
                    ],
                ));
            (
                // Not closed: half-open (2) is still an outage whose probes fail. The last
                // state of the last few scrapes: one failed scrape does not end `for`.
                format!(
                    "count by ({by}) (last_over_time({}[{}]) > 0)",
                    selector(names::CIRCUIT_BREAKER_STATE, ""),
                    fresh_window(scrape)
                ),
                format!("Circuit breaker {which} is open"),
                format!(
                    "Circuit breaker {which} has not been closed for {for_text} on {{{{ $value }}}} instance(s); calls through it are rejected."
                ),
                [Some(one), Some(leaves), gap, Some(both)].into_iter().flatten().collect(),
            )
        }
        Condition::Flapping { more_than } => {
            let n = f64::from(*more_than);
            let within = alert.within.unwrap_or(Alert::DEFAULT_WITHIN);
            let within_text = prometheus_duration(within);
            let trips = |from: &str, to: &str| {
                with(&labels, &[(names::LABEL_FROM, from), (names::LABEL_TO, to)])
            };
            let jump = |count: f64| Shape::Counter(vec![(1, 0.0), (1, count)]);
            let series = |a: f64, b: f64| {
                let mut out = per_replica(
                    names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
                    &trips("closed", "open"),
                    [jump(a), jump(b)],
                );
                // Failed probes re-open a breaker without closing it: not flapping.
                out.extend(per_replica(
                    names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
                    &trips("half_open", "open"),
                    [jump(10.0 * (n + 1.0)), jump(10.0 * (n + 1.0))],
                ));
                out
            };
            let onset = scrape * 2;
            let mut probes = vec![Probe::new("exactly the threshold on each replica")
                .silent(onset + round_up(for_, scrape) + scrape)
                .with(series(n, n))];
            let fires_at = onset + round_up(for_, scrape);
            // The trips leave the range once it no longer holds the sample before them.
            let gone = scrape + round_up(within, scrape) + scrape;
            if fires_at < gone {
                probes.push(
                    Probe::new(
                        "one more than the threshold on one replica, then the window moves on",
                    )
                    .for_edge(onset, for_, scrape, severity, n + 1.0)
                    .silent(gone)
                    .with(series(n + 1.0, 0.0)),
                );
            }
            let trips_selector = selector(
                names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
                ", from=\"closed\", to=\"open\"",
            );
            (
                // The trips between the range's first sample and now, exactly (increase()
                // would extrapolate 3 trips to 3.02); the max over instances, since
                // replicas tripping once each is not flapping. A restart forgets earlier
                // trips.
                format!(
                    "max by ({by}) ({}) > {more_than}",
                    counted_within(&trips_selector, within, scrape_interval)
                ),
                format!("Circuit breaker {which} is flapping"),
                format!(
                    "Circuit breaker {which} tripped from closed to open {{{{ $value | humanize }}}} times in the last {within_text} on one instance (more than {more_than})."
                ),
                probes,
            )
        }
        _ => unreachable!("the grammar puts only breaker conditions on #[circuit_breaker]"),
    };
    let subject = Subject {
        grouping: labels,
        identity,
        origin: format!("{} (breaker {breaker})", function.origin()),
        step: scrape,
    };
    (subject, Draft::new(expr, summary, description, probes))
}
