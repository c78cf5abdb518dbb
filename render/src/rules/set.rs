//! The rule set every output is rendered from: its groups, its recording and alerting
//! rules with what their unit tests need, and the options it was built with.

use std::time::Duration;

use super::bot_options::{BotDown, BotRestarting};
use super::scenario::latency::LatencyLine;
use super::scenario::Probe;

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
    /// `BotDown` of the job: its name, `for` and severity.
    pub bot_down: BotDown,
    /// `BotRestarting` of the job: its name, restart limit and window, `for` and severity.
    pub bot_restarting: BotRestarting,
    /// Adds the always-firing `Watchdog` (in the bot group) that a dead-man's switch
    /// listens for; the build helper sets it when its Alertmanager routing has one.
    pub watchdog: bool,
    /// Grafana's address (`https://grafana.example.com`): every alert then carries a
    /// `dashboard_url` annotation opening its own panel of the generated dashboard.
    pub grafana_url: Option<String>,
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
            bot_down: BotDown::new(),
            bot_restarting: BotRestarting::new(),
            watchdog: false,
            grafana_url: None,
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
    /// `during = "..."`: the named time interval its notifications are limited to (the
    /// Alertmanager configuration's business; the rule fires whenever its condition holds).
    pub during: Option<String>,
    /// Synthetic data and what the alert must do on it, for the unit tests.
    pub(crate) probes: Vec<Probe>,
    /// A latency alert's line, to predict it on the probes of alerts sharing its name.
    pub(crate) latency: Option<LatencyLine>,
    /// The sample and evaluation interval of its probes: the scrape interval, or
    /// `LONG_STEP` for alerts reading hours.
    pub(crate) test_step: Duration,
}

impl AlertRule {
    /// Name and labels: what makes two alerts the same alert in Prometheus.
    pub(super) fn identity(&self) -> (String, Vec<(String, String)>) {
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
    /// Bot-level alerts (`BotDown`, `BotRestarting`, `Watchdog`), in their own group.
    pub bot: Vec<AlertRule>,
    /// What the set was built with.
    pub options: RuleOptions,
}
