//! Bot-level alerts of the build helper's `.job(...)`: the bot is down (or was never
//! scraped), or it keeps restarting. No attribute can say these: when the bot is down none
//! of its own series exist. Their names, `for`, severities and restart limit come from
//! `RuleOptions` (`bot_options.rs`).

use std::time::Duration;

use super::bot_options::{BotDown, BotRestarting};
use super::error::RulesError;
use super::scenario::{round_up, Expect, Probe, Series, Shape, REPLICAS};
use super::set::{AlertRule, RuleOptions};
use crate::text::promql_string;

use botwatch_spec::names::{prometheus_duration, LABEL_JOB};

/// The job's alerts as `options` set them; an error when `BotRestarting` could never fire
/// (its `for` outlasts the window a restart stays counted in) or when a name is not a
/// Prometheus alert name.
pub(super) fn alerts(
    job: &str,
    options: &RuleOptions,
    scrape: Duration,
) -> Result<Vec<AlertRule>, RulesError> {
    let (down, restarting) = (&options.bot_down, &options.bot_restarting);
    for name in [&down.name, &restarting.name] {
        if !is_alert_name(name) {
            return Err(RulesError::BotAlert {
                name: name.clone(),
                reason: "is not an alert name ([a-zA-Z_][a-zA-Z0-9_]*)".to_owned(),
            });
        }
    }
    // The generated test shows each process for two scrapes: the count is above the limit
    // from the last restart until the first one leaves the window, and `for` must pass
    // within that time, or the alert could not be proven to fire.
    let shortest = round_up(restarting.for_, scrape) + scrape * 2 * restarting.restarts;
    if shortest >= restarting.within {
        return Err(RulesError::BotAlert {
            name: restarting.name.clone(),
            reason: format!(
                "counts restarts within {}, but {} restarts two scrapes of {} apart and then for = {} need more than {}; make `within` longer",
                prometheus_duration(restarting.within),
                restarting.restarts + 1,
                prometheus_duration(scrape),
                prometheus_duration(restarting.for_),
                prometheus_duration(shortest),
            ),
        });
    }
    Ok(vec![
        bot_down(job, down, scrape),
        bot_restarting(job, restarting, scrape),
    ])
}

fn is_alert_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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

fn bot_down(job: &str, options: &BotDown, scrape: Duration) -> AlertRule {
    let (down_for, severity) = (options.for_, options.severity.as_str());
    let up_selector = selector("up", job);
    let onset = scrape * 2;
    let down = Probe::new("one target down")
        .with(vec![
            up(job, REPLICAS[0], vec![(2, 1.0), (1, 0.0)]),
            up(job, REPLICAS[1], vec![(1, 1.0)]),
        ])
        .silent(onset + round_up(down_for, scrape) - scrape)
        .fires_on(
            onset + round_up(down_for, scrape),
            severity,
            0.0,
            &[("instance", REPLICAS[0])],
        );
    let missing =
        Probe::new("no target at all").for_edge(Duration::ZERO, down_for, scrape, severity, 1.0);
    // Every target down: one alert per target, and one for the job without `instance`
    // (the one an inhibition of the job's other alerts keys on).
    let everywhere = Probe::new("every target down")
        .with(vec![
            up(job, REPLICAS[0], vec![(2, 1.0), (1, 0.0)]),
            up(job, REPLICAS[1], vec![(2, 1.0), (1, 0.0)]),
        ])
        .silent(onset + round_up(down_for, scrape) - scrape)
        .check(
            onset + round_up(down_for, scrape),
            REPLICAS
                .iter()
                .map(|replica| Expect {
                    severity: severity.to_owned(),
                    value: 0.0,
                    labels: vec![("instance".to_owned(), (*replica).to_owned())],
                })
                .chain(std::iter::once(Expect {
                    severity: severity.to_owned(),
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
        .silent(round_up(down_for, scrape) + scrape * 2);
    AlertRule {
        name: options.name.clone(),
        expr: format!(
            "{up_selector} == 0 or sum by (job) ({up_selector}) == 0 or absent({up_selector})"
        ),
        for_: down_for,
        grouping: vec![(LABEL_JOB.to_owned(), job.to_owned())],
        identity: vec![(LABEL_JOB.to_owned(), job.to_owned())],
        labels: vec![("severity".to_owned(), severity.to_owned())],
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
        during: None,
        probes: vec![down, everywhere, missing, running],
        latency: None,
        test_step: scrape,
    }
}

fn bot_restarting(job: &str, options: &BotRestarting, scrape: Duration) -> AlertRule {
    let (restarts_allowed, severity) = (options.restarts, options.severity.as_str());
    let start = selector("process_start_time_seconds", job);
    let window = prometheus_duration(options.within);
    // Each run is one process: its start time, for two scrapes.
    let restarts = |n: u32| -> Vec<(u64, f64)> {
        (0..=n)
            .map(|i| (2, 1000.0 + 100.0 * f64::from(i)))
            .collect()
    };
    let last_restart = scrape * 2 * (restarts_allowed + 1);
    let more =
        Probe::new("one more restart than allowed on one instance, then the window moves on")
            .with(vec![
                start_series(job, REPLICAS[0], restarts(restarts_allowed + 1)),
                // The other replica restarts too, within what is allowed.
                start_series(job, REPLICAS[1], restarts(restarts_allowed.min(1))),
            ])
            .silent(last_restart - scrape)
            .for_edge_on(
                last_restart,
                options.for_,
                scrape,
                severity,
                f64::from(restarts_allowed + 1),
                &[("instance", REPLICAS[0])],
            )
            .silent(last_restart + round_up(options.within, scrape) + scrape);
    let exactly = Probe::new("exactly the allowed restarts on each instance")
        .with(vec![
            start_series(job, REPLICAS[0], restarts(restarts_allowed)),
            start_series(job, REPLICAS[1], restarts(restarts_allowed)),
        ])
        .silent(last_restart + scrape);
    AlertRule {
        name: options.name.clone(),
        expr: format!("changes({start}[{window}]) > {restarts_allowed}"),
        for_: options.for_,
        grouping: vec![(LABEL_JOB.to_owned(), job.to_owned())],
        identity: vec![(LABEL_JOB.to_owned(), job.to_owned())],
        labels: vec![("severity".to_owned(), severity.to_owned())],
        annotations: vec![
            (
                "summary".to_owned(),
                "{{ $labels.job }} {{ $labels.instance }} keeps restarting".to_owned(),
            ),
            (
                "description".to_owned(),
                format!("{{{{ $labels.job }}}} {{{{ $labels.instance }}}} restarted {{{{ $value }}}} times in the last {window} (more than {restarts_allowed})."),
            ),
        ],
        origin: format!("Rules::job({job:?})"),
        during: None,
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
