//! `<Static>GuardEngaged` for every `guard(...)` on a declared metric: critical, `for: 0s`,
//! firing while `botwatch_guard_engaged` is 1 on any replica. The process judged the
//! condition itself and already holds its breakers open; the alert tells a human it did.
//! One alert per guard and job (not per breaker: the breakers are named in the text, and a
//! `breaker` label would let an open breaker's inhibition silence the page that explains
//! why it is open).

use std::time::Duration;

use crate::promql::{fresh_window, FRESH_SCRAPES};
use crate::rules::draft::{Draft, Subject};
use crate::rules::scenario::data::per_replica;
use crate::rules::scenario::{first_replica_leaves, round_up, samples, Probe, Shape, JOB};
use crate::rules::set::AlertRule;
use crate::text::promql_string;
use botwatch_spec::declared::Declared;
use botwatch_spec::guard::Guard;
use botwatch_spec::model::Alert;
use botwatch_spec::names;

/// The guard's severity: it halted (part of) the bot.
const SEVERITY: &str = "critical";

/// The rule of the guard on `declared`.
pub(super) fn guard_rule(declared: &Declared, guard: &Guard, scrape: Duration) -> AlertRule {
    let name = Guard::guard_name(&declared.static_name);
    let breaker = guard.open.first().map_or("", |b| b);
    let labels = vec![
        (names::LABEL_JOB.to_owned(), JOB.to_owned()),
        (names::LABEL_GUARD.to_owned(), name.clone()),
        (names::LABEL_BREAKER.to_owned(), breaker.to_owned()),
    ];
    let engaged = |runs: Vec<(u64, f64)>| Shape::Gauge(runs);
    let onset = scrape * 2;
    let clears = onset + scrape * 3;
    let one = Probe::new("engaged on one replica, then cleared")
        .for_edge(onset, Duration::ZERO, scrape, SEVERITY, 1.0)
        .fires(clears - scrape, SEVERITY, 1.0)
        .silent(clears)
        .silent(clears + scrape)
        .with(per_replica(
            names::BOTWATCH_GUARD_ENGAGED,
            &labels,
            [
                engaged(vec![(samples(onset, scrape), 0.0), (3, 1.0), (1, 0.0)]),
                engaged(vec![(1, 0.0)]),
            ],
        ));
    // The engaged replica leaves (a crash while halted): its last value counts for the last
    // few scrapes, then it is gone.
    let gone = round_up(onset, scrape) + scrape * 2;
    let leaves = Probe::new("engaged on one replica, then it leaves")
        .fires(gone, SEVERITY, 1.0)
        .silent(gone + scrape * (FRESH_SCRAPES + 1))
        .with(first_replica_leaves(
            per_replica(
                names::BOTWATCH_GUARD_ENGAGED,
                &labels,
                [
                    engaged(vec![(samples(onset, scrape), 0.0), (1, 1.0)]),
                    engaged(vec![(1, 0.0)]),
                ],
            ),
            samples(gone, scrape) + 1,
        ));
    let never = Probe::new("never engaged")
        .silent(onset + scrape * 4)
        .with(per_replica(
            names::BOTWATCH_GUARD_ENGAGED,
            &labels,
            [engaged(vec![(1, 0.0)]), engaged(vec![(1, 0.0)])],
        ));
    let expr = format!(
        "max by (job, guard) (last_over_time({}{{guard={}}}[{}])) > 0",
        names::BOTWATCH_GUARD_ENGAGED,
        promql_string(&name),
        fresh_window(scrape)
    );
    let holds = if guard.open.is_empty() {
        "It opens no breaker: the bot is marked degraded (/health answers 503) and keeps running."
            .to_owned()
    } else {
        let quoted: Vec<String> = guard.open.iter().map(|b| format!("\"{b}\"")).collect();
        format!(
            "It holds circuit breaker(s) {} open with reason guard:{name}: calls through them are rejected{}.",
            quoted.join(", "),
            if guard.latch {
                " until an operator calls reset() (it latches)"
            } else {
                " until it clears"
            }
        )
    };
    let draft = Draft::new(
        expr,
        format!("Guard {name} engaged: {}", guard.condition),
        format!(
            "The guard on {} ({}) is engaged on a replica of {{{{ $labels.job }}}}. {holds}",
            declared.metric_name(),
            guard.condition
        ),
        vec![one, leaves, never],
    );
    let subject = Subject {
        grouping: labels[..2].to_vec(),
        identity: vec![(names::LABEL_GUARD.to_owned(), name)],
        origin: declared.origin(),
        step: scrape,
    };
    draft.finish(
        subject,
        &Alert::new(()),
        Guard::alert_name(&declared.static_name),
        SEVERITY,
        Duration::ZERO,
    )
}
