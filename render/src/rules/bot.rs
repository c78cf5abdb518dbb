//! Bot-level alerts of the build helper's `.job(...)`: the bot is down (or was never
//! scraped), or it keeps restarting. No attribute can say these: when the bot is down none
//! of its own series exist.

use std::time::Duration;

use super::scenario::{round_up, Expect, Probe, Series, Shape, REPLICAS};
use super::set::AlertRule;
use crate::text::promql_string;

use botwatch_spec::names::LABEL_JOB;

/// Restarts within [`RESTART_WINDOW`] above which `BotRestarting` fires.
pub(super) const RESTARTS: u32 = 3;
/// The window `BotRestarting` counts restarts in.
pub(super) const RESTART_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a target must be down (or missing) before `BotDown` fires.
pub(super) const DOWN_FOR: Duration = Duration::from_secs(60);

pub(super) fn alerts(job: &str, scrape: Duration) -> Vec<AlertRule> {
    vec![bot_down(job, scrape), bot_restarting(job, scrape)]
}

fn selector(metric: &str, job: &str) -> String {
    format!("{metric}{{job={}}}", promql_string(job))
}

fn up(job: &str, instance: &str, runs: Vec<(u64, f64)>) -> Series {
    Series::new(
        "up",
        &[(LABEL_JOB.to_owned(), job.to_owned())],
        instance,
        Shape::Gauge(runs),
    )
}

fn bot_down(job: &str, scrape: Duration) -> AlertRule {
    let up_selector = selector("up", job);
    let onset = scrape * 2;
    let down = Probe::new("one target down")
        .with(vec![
            up(job, REPLICAS[0], vec![(2, 1.0), (1, 0.0)]),
            up(job, REPLICAS[1], vec![(1, 1.0)]),
        ])
        .silent(onset + round_up(DOWN_FOR, scrape) - scrape)
        .fires_on(
            onset + round_up(DOWN_FOR, scrape),
            "critical",
            0.0,
            &[("instance", REPLICAS[0])],
        );
    let missing =
        Probe::new("no target at all").for_edge(Duration::ZERO, DOWN_FOR, scrape, "critical", 1.0);
    // Every target down: one alert per target, and one for the job without `instance`
    // (the one an inhibition of the job's other alerts keys on).
    let everywhere = Probe::new("every target down")
        .with(vec![
            up(job, REPLICAS[0], vec![(2, 1.0), (1, 0.0)]),
            up(job, REPLICAS[1], vec![(2, 1.0), (1, 0.0)]),
        ])
        .silent(onset + round_up(DOWN_FOR, scrape) - scrape)
        .check(
            onset + round_up(DOWN_FOR, scrape),
            REPLICAS
                .iter()
                .map(|replica| Expect {
                    severity: "critical".to_owned(),
                    value: 0.0,
                    labels: vec![("instance".to_owned(), (*replica).to_owned())],
                })
                .chain(std::iter::once(Expect {
                    severity: "critical".to_owned(),
                    value: 0.0,
                    labels: Vec::new(),
                }))
                .collect(),
        );
    let running = Probe::new("every target up")
        .with(vec![
            up(job, REPLICAS[0], vec![(1, 1.0)]),
            up(job, REPLICAS[1], vec![(1, 1.0)]),
        ])
        .silent(round_up(DOWN_FOR, scrape) + scrape * 2);
    AlertRule {
        name: "BotDown".to_owned(),
        expr: format!(
            "{up_selector} == 0 or sum by (job) ({up_selector}) == 0 or absent({up_selector})"
        ),
        for_: DOWN_FOR,
        grouping: vec![(LABEL_JOB.to_owned(), job.to_owned())],
        identity: vec![(LABEL_JOB.to_owned(), job.to_owned())],
        labels: vec![("severity".to_owned(), "critical".to_owned())],
        annotations: vec![
            (
                "summary".to_owned(),
                "{{ $labels.job }} {{ $labels.instance }} is down".to_owned(),
            ),
            (
                "description".to_owned(),
                "Prometheus cannot scrape {{ $labels.job }} {{ $labels.instance }} (no instance: no target of the job can be scraped, or it has none); its other alerts cannot fire meanwhile.".to_owned(),
            ),
        ],
        origin: format!("Rules::job({job:?})"),
        probes: vec![down, everywhere, missing, running],
        latency: None,
        test_step: scrape,
    }
}

fn bot_restarting(job: &str, scrape: Duration) -> AlertRule {
    let start = selector("process_start_time_seconds", job);
    let window = botwatch_spec::names::prometheus_duration(RESTART_WINDOW);
    // Each run is one process: its start time, for two scrapes.
    let restarts = |n: u32| -> Vec<(u64, f64)> {
        (0..=n)
            .map(|i| (2, 1000.0 + 100.0 * f64::from(i)))
            .collect()
    };
    let last_restart = scrape * 2 * (RESTARTS + 1);
    let more =
        Probe::new("one more restart than allowed on one instance, then the window moves on")
            .with(vec![
                start_series(job, REPLICAS[0], restarts(RESTARTS + 1)),
                start_series(job, REPLICAS[1], restarts(1)),
            ])
            .silent(last_restart - scrape)
            .fires_on(
                last_restart,
                "warning",
                f64::from(RESTARTS + 1),
                &[("instance", REPLICAS[0])],
            )
            .silent(last_restart + round_up(RESTART_WINDOW, scrape) + scrape);
    let exactly = Probe::new("exactly the allowed restarts on each instance")
        .with(vec![
            start_series(job, REPLICAS[0], restarts(RESTARTS)),
            start_series(job, REPLICAS[1], restarts(RESTARTS)),
        ])
        .silent(last_restart + scrape);
    AlertRule {
        name: "BotRestarting".to_owned(),
        expr: format!("changes({start}[{window}]) > {RESTARTS}"),
        for_: Duration::ZERO,
        grouping: vec![(LABEL_JOB.to_owned(), job.to_owned())],
        identity: vec![(LABEL_JOB.to_owned(), job.to_owned())],
        labels: vec![("severity".to_owned(), "warning".to_owned())],
        annotations: vec![
            (
                "summary".to_owned(),
                "{{ $labels.job }} {{ $labels.instance }} keeps restarting".to_owned(),
            ),
            (
                "description".to_owned(),
                format!("{{{{ $labels.job }}}} {{{{ $labels.instance }}}} restarted {{{{ $value }}}} times in the last {window} (more than {RESTARTS})."),
            ),
        ],
        origin: format!("Rules::job({job:?})"),
        probes: vec![more, exactly],
        latency: None,
        test_step: scrape,
    }
}

fn start_series(job: &str, instance: &str, runs: Vec<(u64, f64)>) -> Series {
    Series::new(
        "process_start_time_seconds",
        &[(LABEL_JOB.to_owned(), job.to_owned())],
        instance,
        Shape::Gauge(runs),
    )
}
