//! The probes of an SLO's burn-rate alerts: hours of calls whose share of bad ones follows
//! a shape (a steady burn, a burst, errors that stopped), and what each policy's alert does
//! on it, predicted from the shape rather than from the rule.

use std::time::Duration;

use super::policy::{Objective, Policy, LONG, MINUTE, PAGE, TICKET, WINDOWS};
use crate::rules::scenario::{day_step, round_up, samples, Probe, Series, Shape, REPLICAS};
use crate::rules::set::LONG_RECORDING_INTERVAL;
use botwatch_spec::names::{self, prometheus_duration};

/// A probe's name, its bad calls as `(minutes, share in budgets)`, and the minute checked.
type BurnShape = (&'static str, &'static [(u64, f64)], u64);

/// Series whose share of bad calls follows `segments` (`(minutes, share)`, then held),
/// built from the all-good and all-bad series (every increment is linear in the share).
fn segmented(objective: &Objective<'_>, segments: &[(u64, f64)], scrape: Duration) -> Vec<Series> {
    let samples_in = |minutes: u64| samples(Duration::from_secs(minutes * MINUTE), scrape);
    let good = (objective.calls)(0.0);
    let bad = (objective.calls)(1.0);
    let increment = |series: &Series| match &series.shape {
        Shape::Counter(runs) | Shape::ExactCounter(runs) => runs.first().map_or(0.0, |r| r.1),
        Shape::Gauge(_) => 0.0,
    };
    good.iter()
        .zip(&bad)
        .map(|(g, b)| {
            let (g, b) = (increment(g), increment(b));
            let mut runs: Vec<(u64, f64)> = segments
                .iter()
                // Whole calls: counters that add fractions drift, and a drift down reads
                // as a counter reset.
                .map(|(minutes, share)| {
                    (
                        samples_in(*minutes),
                        ((1.0 - share) * g + share * b).round(),
                    )
                })
                .collect();
            if let Some(last) = runs.last_mut() {
                last.0 = u64::MAX;
            }
            Series {
                shape: Shape::Counter(runs),
                ..good_template(g, b)
            }
        })
        .zip(&good)
        .map(|(mut s, template)| {
            s.name.clone_from(&template.name);
            s.labels.clone_from(&template.labels);
            s
        })
        .collect()
}

fn good_template(_: f64, _: f64) -> Series {
    Series {
        leaves_after: None,
        arrives_after: 0,
        name: String::new(),
        labels: Vec::new(),
        shape: Shape::Counter(Vec::new()),
    }
}

/// The bad share over the `window` seconds before second `t` of data shaped by `segments`
/// (`(minutes, share)`, constant traffic); `None` without calls.
fn share_at(segments: &[(u64, f64)], t: u64, window: u64) -> Option<f64> {
    let (from, mut bad, mut all) = (t.saturating_sub(window), 0.0, 0.0);
    let mut start = 0;
    for (i, (minutes, share)) in segments.iter().enumerate() {
        let end = if i + 1 == segments.len() {
            u64::MAX
        } else {
            start + minutes * MINUTE
        };
        let overlap = end.min(t).saturating_sub(start.max(from));
        bad += overlap as f64 * share;
        all += overlap as f64;
        start = end;
        if start >= t {
            break;
        }
    }
    (all > 0.0).then(|| bad / all)
}

/// [`share_at`] in minutes.
fn share(segments: &[(u64, f64)], t: u64, window: u64) -> Option<f64> {
    share_at(segments, t * MINUTE, window * MINUTE)
}

/// Whether `policy` holds at minute `t`: `Some(true)` with every ratio of a firing pair 10 %
/// above its threshold, `Some(false)` with a ratio of every pair 10 % under it, `None` in
/// between (too close to call, given how Prometheus extrapolates at segment edges). A
/// day-long ratio may be up to one long recording interval old.
fn holds(policy: &Policy, budget: f64, segments: &[(u64, f64)], t: u64) -> Option<bool> {
    let stale = LONG_RECORDING_INTERVAL.as_secs() / MINUTE;
    let mut all_false = true;
    for (long, short, burn) in policy.pairs {
        let threshold = burn * budget;
        let (mut above, mut below) = (true, false);
        for window in [long, short] {
            let from = if window >= LONG {
                t.saturating_sub(stale)
            } else {
                t
            };
            let ratios: Vec<f64> = (from..=t)
                .map(|at| share(segments, at, window.as_secs() / MINUTE).unwrap_or(0.0))
                .collect();
            above &= ratios.iter().all(|r| *r > 1.1 * threshold);
            below |= ratios.iter().all(|r| *r < 0.9 * threshold);
        }
        if above {
            return Some(true);
        }
        all_false &= below;
    }
    all_false.then_some(false)
}

/// What `policy`'s alert does at minute `at`, evaluated every `step` minutes: firing when
/// its condition held clearly since before `for` (rounded up to a step, and a recording
/// interval), silent when it clearly did not hold over the last recording interval, `None`
/// when too close to call.
fn expected(
    policy: &Policy,
    budget: f64,
    segments: &[(u64, f64)],
    at: u64,
    step: u64,
) -> Option<bool> {
    let for_minutes = policy.for_.as_secs().div_ceil(MINUTE).div_ceil(step) * step;
    let recent: Vec<Option<bool>> = (at.saturating_sub(1)..=at)
        .map(|t| holds(policy, budget, segments, t))
        .collect();
    if recent.iter().all(|h| *h == Some(false)) {
        return Some(false);
    }
    let since = at.checked_sub(for_minutes + 2)?;
    (since..=at)
        .all(|t| holds(policy, budget, segments, t) == Some(true))
        .then_some(true)
}

// (name, segments as (minutes, share in budgets), check at minute)
#[rustfmt::skip]
const SHAPES: [BurnShape; 15] = [
    ("a steady burn between the page's two burn rates", &[(26, 9.0)], 26),
    ("a steady burn under the page, over the slowest ticket rate", &[(26, 2.0)], 26),
    ("a heavy half hour, a quiet one, then a short burst", &[(30, 30.0), (21, 0.0), (9, 17.0)], 60),
    ("a heavy half hour, then a quiet one", &[(30, 34.0), (30, 0.0)], 60),
    ("a burst that stopped before the last half hour", &[(45, 12.0), (31, 0.0)], 76),
    ("errors that started half an hour ago", &[(30, 0.0), (35, 9.0)], 65),
    ("errors that stopped a quarter of an hour ago", &[(45, 9.0), (15, 0.0)], 60),
    ("a lighter half hour, a quiet one, then a short burst", &[(30, 16.0), (21, 0.0), (9, 17.0)], 60),
    ("a heavy half hour, a quiet one, then a lighter burst", &[(30, 32.0), (21, 0.0), (9, 10.0)], 60),
    // Hours of data: the ticket's pairs and the page's hour window. The ticket's first
    // pair implies its second (1d > 3b makes 3d > b; 2h > 3b makes 6h > b), so it shows
    // only in `$value`: these make the two pairs' short windows read apart.
    ("a heavy hour after three quiet ones", &[(180, 0.0), (60, 20.0)], 240),
    ("a ticket-rate burn, then two heavier hours", &[(120, 2.5), (120, 5.0)], 240),
    ("a heavier burn, then two lighter hours", &[(120, 5.0), (120, 2.0)], 240),
    ("a light burn, then two heavier hours", &[(120, 1.0), (120, 4.0)], 240),
    ("a heavier hour, then a trickle for six", &[(60, 5.0), (360, 0.7)], 420),
    ("three quiet hours, then a steady burn for six", &[(180, 0.0), (360, 1.2)], 540),
];

/// Every call bad: the page fires `for` after the first recorded ratio, the ticket later.
/// Then shapes of bad calls (shares of the error budget over minutes) that put each burn
/// pair's ratios just either side of their thresholds, so one pair decides: a steady burn
/// between the page's two rates, a burst after hours of good calls, errors that stopped,
/// errors that started recently.
pub(super) fn probes(objective: &Objective<'_>, scrape: Duration) -> Vec<Probe> {
    let budget = 1.0 - objective.objective;
    // The long group starts at an offset of its own (a hash of its name and file), so the
    // ticket's day-long ratios are first recorded up to one long interval after the first
    // scrape; the page reads ratios recorded at every evaluation.
    let earliest = scrape;
    let page_latest = scrape * 2;
    let latest = scrape + LONG_RECORDING_INTERVAL;
    let mut probes = Vec::new();
    let can = |policy: &Policy| policy.pairs.iter().any(|(_, _, burn)| burn * budget < 1.0);
    let firing = |policy: &Policy| crate::rules::scenario::Expect {
        severity: policy.severity.to_owned(),
        value: 1.0,
        labels: Vec::new(),
    };
    let page: Vec<_> = if can(&PAGE) {
        vec![firing(&PAGE)]
    } else {
        vec![]
    };
    let both: Vec<_> = [&PAGE, &TICKET]
        .into_iter()
        .filter(|p| can(p))
        .map(firing)
        .collect();
    let all_bad = Probe::new("every call bad")
        .with((objective.calls)(1.0))
        .check(earliest + PAGE.for_ - scrape, vec![])
        .check(round_up(page_latest + PAGE.for_, scrape), page.clone())
        .check(earliest + TICKET.for_ - scrape, page)
        .check(round_up(latest + TICKET.for_, scrape), both);
    probes.push(all_bad);
    if let Some((m, _)) = &objective.min_rate {
        // Every call bad, on half the minimum traffic (a quarter on each replica).
        let per_sample = m / 4.0 * scrape.as_secs_f64();
        let quiet = (objective.calls)(1.0)
            .into_iter()
            .map(|mut series| {
                if let Shape::Counter(runs) = &mut series.shape {
                    let busiest = runs.iter().map(|r| r.1).fold(0.0, f64::max);
                    for run in runs.iter_mut() {
                        run.1 = run.1 / busiest.max(1.0) * per_sample;
                    }
                }
                series
            })
            .collect();
        probes.push(
            Probe::new("every call bad on half the minimum traffic")
                .with(quiet)
                .silent(round_up(latest + TICKET.for_, scrape) + scrape),
        );
    }
    let smallest = PAGE
        .pairs
        .iter()
        .chain(&TICKET.pairs)
        .map(|p| p.2)
        .fold(f64::INFINITY, f64::min);
    // Past the page's `for`: a mutant counting good calls as bad pages by then.
    let page_at = round_up(page_latest + PAGE.for_, scrape);
    probes.push(
        Probe::new("bad calls at 3/4 of the slowest burn rate")
            .with((objective.calls)(0.75 * smallest * budget))
            .silent(page_at + scrape * 4),
    );

    // The deploy that added the threshold's bucket: an old replica has calls but no such
    // bucket. Every call fast: it must not read as slow.
    if let Some(le) = &objective.threshold {
        let old_replica_lacks = |series: &Series| {
            let has =
                |key: &str, value: &str| series.labels.iter().any(|(k, v)| k == key && v == value);
            has("le", le) && has("instance", REPLICAS[1])
        };
        probes.push(
            Probe::new("an old replica without the threshold's bucket, every call fast")
                .with(
                    (objective.calls)(0.0)
                        .into_iter()
                        .filter(|s| !old_replica_lacks(s))
                        .collect(),
                )
                .silent(round_up(latest + TICKET.for_, scrape) + scrape),
        );
    }
    // Another function's SLO beside it, burning: its recorded ratios are not this alert's,
    // neither the page's nor (past its `for`) the ticket's. Named as the fleet's decoys
    // are, so the decoys' calls are its traffic.
    let mut beside =
        Probe::new("bad calls at 1/4 of the slowest burn rate, another SLO burning beside it")
            .with((objective.calls)(0.25 * smallest * budget))
            .silent(round_up(latest + TICKET.for_, scrape) + scrape);
    for (key, _) in objective.function.identity() {
        for window in WINDOWS {
            let mut labels = objective.function.grouping();
            for (k, v) in labels.iter_mut() {
                if *k == key {
                    v.push_str("_decoy");
                }
            }
            // As a recording rule writes it: no `instance`.
            beside = beside.with(vec![Series {
                name: format!("{}{}", objective.record_prefix, prometheus_duration(window)),
                labels,
                shape: Shape::Gauge(vec![(u64::MAX, 1.0)]),
                leaves_after: None,
                arrives_after: 0,
            }]);
        }
    }
    probes.push(beside);

    // The shapes share one test: each is a job of its own, so they cannot meet in any
    // aggregation, and each arrives late enough to end with the longest, so all are checked
    // at one minute and promtool steps through the hours once for all. A shape arrives a
    // whole number of long recording intervals late, so the day-long ratios are recorded at
    // the same minutes of its data as when alone: shapes checked at other minutes of that
    // interval go to a test of their own. The shapes of hours are sampled every 5 minutes
    // (`shape_step`): a fifth of the steps. Their segments and every window are whole
    // steps and their counters' steps exact, so each ratio still reads exactly its share
    // (the page's 5-minute window from its two samples, as Prometheus 2's closed ranges
    // hold them); the shorter shapes show the page's windows to the minute.
    let mut decided: Vec<Decided<'_>> = Vec::new();
    for (name, shape, at) in SHAPES {
        let segments: Vec<(u64, f64)> = shape.iter().map(|(m, x)| (*m, x * budget)).collect();
        if segments.iter().any(|(_, share)| *share > 1.0) {
            continue;
        }
        let step = shape_step(at, &segments, scrape);
        let step_minutes = (step.as_secs() / MINUTE).max(1);
        let outcome: Option<Vec<_>> = [&PAGE, &TICKET]
            .into_iter()
            .map(|p| expected(p, budget, &segments, at, step_minutes).map(|fires| (p, fires)))
            .collect();
        let Some(outcome) = outcome else { continue };
        let firing: Vec<_> = outcome
            .iter()
            .filter(|(_, fires)| *fires)
            .map(|(p, _)| crate::rules::scenario::Expect {
                severity: p.severity.to_owned(),
                // `$value` is the short window's ratio of the first pair that holds.
                value: p
                    .pairs
                    .iter()
                    .find(|pair| {
                        let t = pair.2 * budget;
                        [pair.0, pair.1]
                            .iter()
                            .all(|w| share(&segments, at, w.as_secs() / MINUTE).unwrap_or(0.0) > t)
                    })
                    .and_then(|pair| share(&segments, at, pair.1.as_secs() / MINUTE))
                    .unwrap_or(0.0),
                labels: Vec::new(),
            })
            .collect();
        let series = with_old_replica(objective, segmented(objective, &segments, step));
        decided.push(Decided {
            name,
            at,
            step,
            series,
            firing,
        });
    }
    let interval = (LONG_RECORDING_INTERVAL.as_secs() / MINUTE).max(1);
    let mut tests: Vec<(Duration, u64)> =
        decided.iter().map(|d| (d.step, d.at % interval)).collect();
    tests.sort_unstable();
    tests.dedup();
    for (step, phase) in tests {
        let together: Vec<&Decided<'_>> = decided
            .iter()
            .filter(|d| d.step == step && d.at % interval == phase)
            .collect();
        probes.push(match together[..] {
            [one] => Probe::new(one.name)
                .with(one.series.clone())
                .check(Duration::from_secs(one.at * MINUTE), one.firing.clone())
                .at_step(step),
            _ => together_in_one_test(&together, step),
        });
    }
    probes
}

/// Shapes checked at this minute or later are sampled every 5 minutes when their segments
/// allow (three hours and more: the ticket's windows and the page's hour).
const HOURS_SHAPE: u64 = 180;

/// The step of a shape checked at minute `at`, built at `scrape` otherwise: 5 minutes (or
/// the scrape) for the shapes of hours whose segments and check fall on whole steps.
fn shape_step(at: u64, segments: &[(u64, f64)], scrape: Duration) -> Duration {
    let coarse = day_step(scrape);
    let minutes = coarse.as_secs() / MINUTE;
    let fits = coarse.as_secs() % MINUTE == 0
        && at % minutes == 0
        && segments.iter().all(|(m, _)| m % minutes == 0);
    if at >= HOURS_SHAPE && fits {
        coarse
    } else {
        scrape
    }
}

/// A shape whose alerts are decided at minute `at`: its series at `step`, and which fire.
struct Decided<'a> {
    name: &'a str,
    at: u64,
    step: Duration,
    series: Vec<Series>,
    firing: Vec<crate::rules::scenario::Expect>,
}

/// Shapes of one step and phase in one test: each a job of its own, arriving late enough
/// to end with the longest.
fn together_in_one_test(together: &[&Decided<'_>], step: Duration) -> Probe {
    let last = together.iter().map(|d| d.at).max().unwrap_or_default();
    let mut probe = Probe::new(
        together
            .iter()
            .enumerate()
            .map(|(k, d)| format!("{} ({}, from minute {})", d.name, shape_job(k), last - d.at))
            .collect::<Vec<_>>()
            .join("; "),
    );
    let mut all_firing = Vec::new();
    for (k, d) in together.iter().enumerate() {
        let job = shape_job(k);
        let late = samples(Duration::from_secs((last - d.at) * MINUTE), step);
        probe = probe.with(
            d.series
                .iter()
                .cloned()
                .map(|mut s| {
                    for (key, value) in s.labels.iter_mut() {
                        if key == names::LABEL_JOB {
                            value.clone_from(&job);
                        }
                    }
                    s.arrives_after = late;
                    s
                })
                .collect(),
        );
        all_firing.extend(d.firing.iter().cloned().map(|mut e| {
            e.labels.push((names::LABEL_JOB.to_owned(), job.clone()));
            e
        }));
    }
    // Still a whole number of recording intervals (and steps) late, whatever the delay.
    probe
        .check(Duration::from_secs(last * MINUTE), all_firing)
        .may_start_late_by(lcm(LONG_RECORDING_INTERVAL, step))
        .at_step(step)
}

/// The least common multiple of two whole numbers of seconds.
fn lcm(a: Duration, b: Duration) -> Duration {
    let (a, b) = (a.as_secs().max(1), b.as_secs().max(1));
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    Duration::from_secs(a / x * b)
}

/// The job of the `k`th of the shapes sharing a test.
fn shape_job(k: usize) -> String {
    format!("{}-shape-{}", crate::rules::scenario::JOB, k + 1)
}

/// For a latency SLO, `series` with one more replica that predates the threshold's bucket:
/// its calls (as many as each other replica's, all fast) are in `_count` but in no bucket
/// the ratio reads, so a right ratio ignores it and the expectations stay exact, while a
/// ratio that counted it would read half the calls as slow in whichever window it did.
fn with_old_replica(objective: &Objective<'_>, mut series: Vec<Series>) -> Vec<Series> {
    if objective.threshold.is_none() {
        return series;
    }
    let old = series
        .iter()
        .find(|s| {
            s.name.ends_with("_count")
                && s.labels
                    .iter()
                    .any(|(k, v)| k == "instance" && v == REPLICAS[0])
        })
        .map(|s| {
            let mut old = s.clone();
            for (k, v) in old.labels.iter_mut() {
                if k == "instance" {
                    *v = "replica-old".to_owned();
                }
            }
            old
        });
    series.extend(old);
    series
}

#[cfg(test)]
mod shape_tests {
    use super::{expected, shape_step, HOURS_SHAPE, SHAPES};
    use crate::rules::slo::policy::{PAGE, TICKET};
    use std::time::Duration;

    /// At a 5-minute step the page's `for: 2m` takes two evaluations. A burst after a
    /// quiet half hour makes its condition hold from minute 96 (the 5-minute window is still
    /// under the line at the evaluation at 95): it pages at 105, not 100; every minute, it
    /// pages from 98, so at 100.
    #[test]
    fn for_is_counted_in_evaluations_of_the_step() {
        let budget = 0.01;
        let burst = [(65, 30.0 * budget), (28, 0.0), (60, 30.0 * budget)];
        assert_eq!(expected(&PAGE, budget, &burst, 100, 1), Some(true));
        assert_ne!(expected(&PAGE, budget, &burst, 100, 5), Some(true));
        assert_eq!(expected(&PAGE, budget, &burst, 105, 5), Some(true));
    }

    /// A shape that is too close to call is skipped silently when the tests are generated:
    /// each must decide both alerts for the usual objectives, at the step it is built at.
    /// The shapes of hours are all built every 5 minutes (a 15 s scrape's SLO probes are
    /// built every minute).
    #[test]
    fn every_shape_decides_both_alerts() {
        let minute = Duration::from_secs(60);
        for budget in [0.01, 0.005, 0.001] {
            for (name, shape, at) in SHAPES {
                let segments: Vec<(u64, f64)> =
                    shape.iter().map(|(m, x)| (*m, x * budget)).collect();
                let step = shape_step(at, &segments, minute);
                let coarse = if at >= HOURS_SHAPE { 300 } else { 60 };
                assert_eq!(step.as_secs(), coarse, "{name}");
                for policy in [&PAGE, &TICKET] {
                    assert!(
                        expected(policy, budget, &segments, at, step.as_secs() / 60).is_some(),
                        "{name}: too close to call for the {} alert at budget {budget}",
                        policy.severity
                    );
                }
            }
        }
    }
}
