//! Alert and recording rules rendered from the attributes' model.
//!
//! One canonical [`RuleSet`] is built from the [`Site`]s (what the macros registered in the
//! binary, or what the build helper found in the source), then rendered per target: a
//! Prometheus rule file, a Kubernetes `PrometheusRule`, a mimirtool rules file, and a
//! promtool unit-test file that proves every alert fires on synthetic data and stays
//! silent otherwise. Everything is sorted, so the same attributes always give the same
//! bytes, whether rendered at build time or at run time.

mod alerts;
mod bot;
pub(crate) mod declared;
mod fleet;
mod render;
mod scenario;
pub(crate) mod slo;
mod unit_tests;

use std::fmt;
use std::time::Duration;

use botwatch_spec::declared::Declared;
use botwatch_spec::model::{Comparison, Condition, Site};
use botwatch_spec::names::prometheus_duration;

pub use render::PrometheusRuleMeta;

/// The group holding the SLO recording rules.
pub const RECORDING_GROUP: &str = "botwatch.recording";
/// The group holding the SLO recording rules of the day-long windows, evaluated every
/// [`LONG_RECORDING_INTERVAL`].
pub const LONG_RECORDING_GROUP: &str = "botwatch.recording.long";
/// How often the day-long ratios are recomputed: a 3-day ratio need not be every 15 s, but
/// more often than Prometheus' 5-minute lookback, so one late evaluation does not leave the
/// ratio absent (and reset the ticket's `for`).
pub const LONG_RECORDING_INTERVAL: Duration = Duration::from_secs(120);
/// The group holding every alert.
pub const ALERT_GROUP: &str = "botwatch.alerts";

/// The group holding the bot-level alerts of [`RuleOptions::job`].
pub const BOT_GROUP: &str = "botwatch.bot";

/// The fewest scrapes a rule's range window may hold.
pub const MIN_SCRAPES_PER_WINDOW: u32 = 4;

/// What the rules depend on besides the attributes: how Prometheus scrapes the bot.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleOptions {
    /// How often Prometheus scrapes the bot (default 15 s). Every range window must hold
    /// at least [`MIN_SCRAPES_PER_WINDOW`] scrapes; the unit tests sample and evaluate at
    /// this interval.
    pub scrape_interval: Duration,
    /// The Prometheus job scraping the bot: adds `BotDown` and `BotRestarting`.
    pub job: Option<String>,
}

impl RuleOptions {
    /// The default scrape interval.
    pub const DEFAULT_SCRAPE_INTERVAL: Duration = crate::promql::DEFAULT_SCRAPE_INTERVAL;
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            scrape_interval: Self::DEFAULT_SCRAPE_INTERVAL,
            job: None,
        }
    }
}

/// A recording rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingRule {
    /// The recorded series' name, `level:metric:operations`.
    pub record: String,
    /// Its PromQL.
    pub expr: String,
    /// Labels added to the recorded series.
    pub labels: Vec<(String, String)>,
    /// A day-long window: recorded in [`LONG_RECORDING_GROUP`].
    pub long: bool,
}

/// An alerting rule, with what its unit test needs.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    /// The alert's name.
    pub name: String,
    /// Its PromQL.
    pub expr: String,
    /// How long the condition must hold.
    pub for_: Duration,
    /// The labels the expression yields for the generated tests' series set (`job`,
    /// `function`, `module`, per-call labels; or `job`, `breaker`, `key`) with their values.
    pub grouping: Vec<(String, String)>,
    /// The labels every series of the alert carries with one value (`function`, `module`,
    /// static labels, `breaker`), written as the rule's static labels. Never a per-call
    /// label, a breaker's `key` or `job` (but for the build helper's own job alerts): their
    /// values come from the series.
    pub identity: Vec<(String, String)>,
    /// Rule labels: `severity`, then the user's, as literal text.
    pub labels: Vec<(String, String)>,
    /// Annotations as the user wrote them (template actions included): `summary`,
    /// `description`, and `runbook_url` when given.
    pub annotations: Vec<(String, String)>,
    /// Where it comes from, `module::function`, for error messages.
    pub origin: String,
    /// Synthetic data and what the alert must do on it, for the unit tests.
    pub(crate) probes: Vec<scenario::Probe>,
    /// A latency alert's line, to predict it on the probes of alerts sharing its name.
    pub(crate) latency: Option<scenario::LatencyLine>,
    /// The sample and evaluation interval of its probes: the scrape interval, or
    /// [`scenario::LONG_STEP`] for alerts reading hours.
    pub(crate) test_step: Duration,
}

impl AlertRule {
    /// Name and labels: what makes two alerts the same alert in Prometheus.
    fn identity(&self) -> (String, Vec<(String, String)>) {
        let mut labels = self.grouping.clone();
        labels.extend(self.labels.iter().cloned());
        labels.sort();
        (self.name.clone(), labels)
    }
}

/// Every rule of a set of sites.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSet {
    /// Recording rules, sorted, without duplicates.
    pub recording: Vec<RecordingRule>,
    /// Alerting rules, sorted by (name, labels).
    pub alerts: Vec<AlertRule>,
    /// Bot-level alerts (`BotDown`, `BotRestarting`), in their own group.
    pub bot: Vec<AlertRule>,
    /// What the set was built with.
    pub options: RuleOptions,
}

/// One promtool unit-test file: the tests evaluated at one interval.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitTestFile {
    /// Its `evaluation_interval`.
    pub interval: Duration,
    /// The file.
    pub yaml: String,
}

impl UnitTestFile {
    /// Where this file goes when the first file goes to `first` (`alerts.test.yml`): there,
    /// or beside it with the interval before `.test.yml` (`alerts.1m.test.yml`), so
    /// `promtool test rules alerts*.test.yml` runs them all.
    pub fn path(&self, first: &std::path::Path, scrape_interval: Duration) -> std::path::PathBuf {
        if self.interval == scrape_interval {
            return first.to_path_buf();
        }
        let name = first
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let interval = prometheus_duration(self.interval);
        let renamed = match name
            .strip_suffix(".test.yml")
            .map(|stem| (stem, ".test.yml"))
            .or_else(|| {
                name.rsplit_once('.')
                    .map(|(stem, _)| (stem, &name[stem.len()..]))
            }) {
            Some((stem, ext)) => format!("{stem}.{interval}{ext}"),
            None => format!("{name}.{interval}"),
        };
        first.with_file_name(renamed)
    }
}

/// Why a rule set cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RulesError {
    /// Two different alerts share a name and labels, so Prometheus could not tell them
    /// apart.
    DuplicateAlert {
        /// The alert's name.
        name: String,
        /// Where the first one comes from.
        first: String,
        /// Where the second one comes from.
        second: String,
    },
    /// A range window holds fewer than [`MIN_SCRAPES_PER_WINDOW`] scrapes.
    WindowTooShort {
        /// The alert as written (`alert(idle > 1m)`) and where it comes from.
        alert: String,
        /// Where it comes from, `module::function`.
        origin: String,
        /// The window.
        window: Duration,
        /// The scrape interval in force.
        scrape_interval: Duration,
    },
    /// Two declared metrics share one metric name.
    DuplicateMetric {
        /// The metric name.
        name: String,
        /// The first declaration, `module::STATIC`.
        first: String,
        /// The second declaration.
        second: String,
    },
    /// A ratio's denominator (`value / OTHER > 80%`) is not a declared, unlabelled gauge.
    UnknownRatio {
        /// The declaration with the ratio, `module::STATIC`.
        origin: String,
        /// The denominator as written.
        denominator: String,
    },
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesError::DuplicateAlert { name, first, second } => write!(
                f,
                "two different alerts named {name} with the same labels, from {first} and from {second}; \
                 give one of them another name (alert(..., name = \"...\")) or different labels"
            ),
            RulesError::WindowTooShort {
                alert,
                origin,
                window,
                scrape_interval,
            } => {
                let interval = prometheus_duration(*scrape_interval);
                write!(
                    f,
                    "{alert} on {origin} reads a {} window, which holds fewer than {MIN_SCRAPES_PER_WINDOW} scrapes at the \
                     scrape interval of {interval} (.scrape_interval({interval})); make the window at least {}, or scrape more often",
                    prometheus_duration(*window),
                    prometheus_duration(*scrape_interval * MIN_SCRAPES_PER_WINDOW),
                )
            }
            RulesError::DuplicateMetric { name, first, second } => write!(
                f,
                "two declared metrics named {name}, {first} and {second}; give one of them another name (name = \"...\")"
            ),
            RulesError::UnknownRatio { origin, denominator } => write!(
                f,
                "{origin} has an alert on a ratio to {denominator}, which is not a metric declared with #[botwatch::gauge]; declare it, or name the static of one"
            ),
        }
    }
}

impl std::error::Error for RulesError {}

impl RuleSet {
    /// Builds the rules of `sites`. Identical alerts (a breaker's `alert(open)` on two
    /// functions sharing the breaker) are kept once; different alerts with one name and
    /// one label set are an error naming both.
    pub fn build(sites: &[Site]) -> Result<RuleSet, RulesError> {
        RuleSet::build_with(sites, &RuleOptions::default())
    }

    /// Like [`build`](RuleSet::build), for a scrape interval and a job; an error when a
    /// rule's range window holds fewer than [`MIN_SCRAPES_PER_WINDOW`] scrapes.
    pub fn build_with(sites: &[Site], options: &RuleOptions) -> Result<RuleSet, RulesError> {
        RuleSet::build_all(sites, &[], options)
    }

    /// Like [`build_with`](RuleSet::build_with), with the alerts of declared metrics too;
    /// an error when two declarations share a metric name or a ratio names no declared
    /// gauge.
    pub fn build_all(
        sites: &[Site],
        declared: &[Declared],
        options: &RuleOptions,
    ) -> Result<RuleSet, RulesError> {
        let mut set = RuleSet {
            options: options.clone(),
            ..RuleSet::default()
        };
        let scrape = options.scrape_interval;
        for site in sites {
            check_windows(site, scrape)?;
            alerts::add_site(&mut set, site, scrape);
            slo::add_site(&mut set, site, scrape);
        }
        declared::check_names(declared)?;
        for metric in declared {
            check_declared_windows(metric, scrape)?;
        }
        declared::add_declared(&mut set, declared, scrape)?;
        if let Some(job) = &options.job {
            set.bot = bot::alerts(job, scrape);
        }
        set.recording
            .sort_by(|a, b| (&a.record, &a.labels, &a.expr).cmp(&(&b.record, &b.labels, &b.expr)));
        set.recording.dedup();
        set.alerts.sort_by_key(AlertRule::identity);
        let mut kept: Vec<AlertRule> = Vec::with_capacity(set.alerts.len());
        for alert in set.alerts {
            match kept.last() {
                Some(previous) if previous.identity() == alert.identity() => {
                    let same = previous.expr == alert.expr
                        && previous.for_ == alert.for_
                        && previous.annotations == alert.annotations;
                    if !same {
                        return Err(RulesError::DuplicateAlert {
                            name: alert.name.clone(),
                            first: previous.origin.clone(),
                            second: alert.origin.clone(),
                        });
                    }
                }
                _ => kept.push(alert),
            }
        }
        set.alerts = kept;
        Ok(set)
    }

    /// The Prometheus rule file (`groups:`).
    pub fn prometheus_yaml(&self) -> String {
        render::prometheus_file(self)
    }

    /// A Kubernetes `PrometheusRule` (`monitoring.coreos.com/v1`) holding the same groups.
    pub fn prometheus_rule_yaml(&self, meta: &PrometheusRuleMeta) -> String {
        render::prometheus_rule(self, meta)
    }

    /// A mimirtool rules file: `namespace:` and the same groups.
    pub fn mimir_yaml(&self, namespace: &str) -> String {
        render::mimir(self, namespace, None)
    }

    /// A mimirtool rules file whose group names start with `crate_name`
    /// (`trading_bot.botwatch.alerts`), so two bots' rules in one namespace do not replace
    /// each other's groups.
    pub fn mimir_yaml_for(&self, namespace: &str, crate_name: &str) -> String {
        render::mimir(self, namespace, Some(crate_name))
    }

    /// The promtool unit-test files for the rule file named `rule_file`, proving that every
    /// alert fires on synthetic data from two replicas and stays silent on data that must
    /// not trigger it: the first evaluated at the scrape interval, then (when the scrape
    /// interval is under a minute) one evaluated every minute for the alerts that read hours
    /// (SLOs). Name them with [`UnitTestFile::path`].
    pub fn unit_tests(&self, rule_file: &str) -> Vec<UnitTestFile> {
        unit_tests::render(self, rule_file)
    }
}

/// The condition as the user writes it, for error messages.
fn written(condition: &Condition) -> String {
    match condition {
        Condition::Latency {
            quantile,
            threshold,
        } => format!(
            "{} > {}",
            quantile.keyword(),
            prometheus_duration(*threshold)
        ),
        Condition::ErrorRate { above } => {
            format!(
                "error_rate > {}",
                botwatch_spec::names::format_float(*above)
            )
        }
        Condition::Idle { window } => format!("idle > {}", prometheus_duration(*window)),
        Condition::Rate {
            comparison,
            calls,
            per,
        } => format!(
            "rate {} {}/{}",
            if *comparison == Comparison::Below {
                "<"
            } else {
                ">"
            },
            botwatch_spec::names::format_float(*calls),
            prometheus_duration(*per).trim_start_matches('1')
        ),
        Condition::Open => "open".to_owned(),
        Condition::Flapping { more_than } => format!("flapping > {more_than}"),
        Condition::Errors { more_than } => format!("errors > {more_than}"),
    }
}

/// The range window a function's alert reads, if any.
fn range_window(alert: &botwatch_spec::model::Alert) -> Option<Duration> {
    match &alert.condition {
        Condition::Latency { .. } | Condition::ErrorRate { .. } | Condition::Rate { .. } => {
            Some(alert.window_duration())
        }
        Condition::Idle { window } => Some(*window),
        Condition::Flapping { .. } | Condition::Errors { .. } => Some(alert.within_duration()),
        Condition::Open => None,
    }
}

/// Every range window of a site's rules holds at least [`MIN_SCRAPES_PER_WINDOW`] scrapes.
fn check_windows(site: &Site, scrape: Duration) -> Result<(), RulesError> {
    let shortest = scrape * MIN_SCRAPES_PER_WINDOW;
    let origin = format!("{}::{}", site.module, site.function);
    let attribute = site.attribute.kind().attribute_name();
    for alert in site.attribute.alerts() {
        if let Some(window) = range_window(alert).filter(|w| *w < shortest) {
            return Err(RulesError::WindowTooShort {
                alert: format!("#[{attribute}(alert({}))]", written(&alert.condition)),
                origin,
                window,
                scrape_interval: scrape,
            });
        }
    }
    if !site.attribute.slos().is_empty() && slo::SHORTEST_WINDOW < shortest {
        return Err(RulesError::WindowTooShort {
            alert: format!("#[{attribute}(slo(...))]"),
            origin,
            window: slo::SHORTEST_WINDOW,
            scrape_interval: scrape,
        });
    }
    Ok(())
}

/// Every range window of a declared metric's rules holds at least
/// [`MIN_SCRAPES_PER_WINDOW`] scrapes.
fn check_declared_windows(metric: &Declared, scrape: Duration) -> Result<(), RulesError> {
    let shortest = scrape * MIN_SCRAPES_PER_WINDOW;
    for alert in metric.alerts.iter() {
        if let Some(window) = declared::window(alert).filter(|w| *w < shortest) {
            return Err(RulesError::WindowTooShort {
                alert: format!(
                    "#[{}(alert({}))]",
                    metric.kind.attribute_name(),
                    declared::written(&alert.condition)
                ),
                origin: metric.origin(),
                window,
                scrape_interval: scrape,
            });
        }
    }
    Ok(())
}

/// The Prometheus rule file of `sites`.
pub fn prometheus_yaml(sites: &[Site]) -> Result<String, RulesError> {
    RuleSet::build(sites).map(|set| set.prometheus_yaml())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::UnitTestFile;

    /// The files of other intervals sit beside the first, named so one glob runs them all.
    #[test]
    fn unit_test_files_are_named_by_their_interval() {
        let scrape = Duration::from_secs(15);
        let file = |secs| UnitTestFile {
            interval: Duration::from_secs(secs),
            yaml: String::new(),
        };
        let first = Path::new("monitoring/alerts.test.yml");
        assert_eq!(file(15).path(first, scrape), first);
        assert_eq!(
            file(60).path(first, scrape),
            Path::new("monitoring/alerts.1m.test.yml")
        );
        assert_eq!(
            file(60).path(Path::new("ci/rules.yaml"), scrape),
            Path::new("ci/rules.1m.yaml")
        );
        assert_eq!(
            file(60).path(Path::new("tests"), scrape),
            Path::new("tests.1m")
        );
    }
}
