//! Alert and recording rules rendered from the attributes' model.
//!
//! One canonical [`RuleSet`] is built from the [`Site`]s (what the macros registered in the
//! binary, or what the build helper found in the source), then rendered per target: a
//! Prometheus rule file, a Kubernetes `PrometheusRule`, a mimirtool rules file, and a
//! promtool unit-test file that proves every alert fires on synthetic data and stays
//! silent otherwise. Everything is sorted, so the same attributes always give the same
//! bytes, whether rendered at build time or at run time.
//!
//! The files, from the bottom floor up:
//! - `scenario/`: the synthetic fleet the unit tests run (series, probes, and the
//!   builders of a function's calls and histograms and a declared metric's values);
//! - `set.rs` and `error.rs`: the rule set and why it cannot be built;
//! - `draft.rs`: the one finisher every alert goes through (name, `for`, severity,
//!   labels, annotations);
//! - `guarded.rs`: the `breaker` label on the alerts of a guarded function;
//! - one room per condition: `function/{error_rate, errors, idle, rate, latency,
//!   breaker}.rs`, `declared/{value, change, still, quantile}.rs`, `slo/`, `bot.rs`
//!   (with `bot_options.rs`) for the build helper's job alerts and `watchdog.rs` for the
//!   dead-man's switch's;
//! - the outputs: `files.rs` (Prometheus, `PrometheusRule`, mimirtool) and
//!   `promtool_tests.rs` with `fleet.rs` (each probe among copies of its series),
//!   `reads.rs` (which series a rule reads) and `packing.rs` (probes that cannot see each
//!   other share a test group).
//!
//! Adding a condition is adding a room and its arm in `function/mod.rs` or
//! `declared/mod.rs`; no file reaches back up to the one that calls it.

mod bot;
mod bot_options;
pub(crate) mod declared;
mod draft;
mod error;
mod files;
mod fleet;
mod function;
mod guarded;
mod overflow;
mod packing;
mod promtool_tests;
mod reads;
mod scenario;
mod set;
pub(crate) mod slo;
mod watchdog;

pub use bot_options::{BotDown, BotRestarting};
pub use error::RulesError;
pub use files::PrometheusRuleMeta;
pub use promtool_tests::UnitTestFile;
pub use set::{
    AlertRule, RecordingRule, RuleOptions, RuleSet, ALERT_GROUP, BOT_GROUP, LONG_RECORDING_GROUP,
    LONG_RECORDING_INTERVAL, MIN_SCRAPES_PER_WINDOW, RECORDING_GROUP,
};
pub use watchdog::{WATCHDOG, WATCHDOG_SEVERITY};

use botwatch_spec::declared::Declared;
use botwatch_spec::model::Site;

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
            function::check_windows(site, scrape)?;
            function::add_site(&mut set, sites, site, scrape)?;
            slo::add_site(&mut set, site, scrape);
        }
        declared::check_names(declared)?;
        for metric in declared {
            declared::check_windows(metric, scrape)?;
        }
        declared::add_declared(&mut set, declared, scrape)?;
        overflow::add(&mut set, sites, declared, scrape);
        guarded::Guards::of(sites).label(&mut set.alerts);
        if let Some(job) = &options.job {
            set.bot = bot::alerts(job, options, scrape)?;
        }
        if options.watchdog {
            set.bot.push(watchdog::alert(scrape));
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
        if let Some(base) = &options.grafana_url {
            link_panels(&mut set, sites, declared, base);
        }
        Ok(set)
    }

    /// The annotation naming the panel an alert opens.
    pub const DASHBOARD_URL: &'static str = "dashboard_url";

    /// The Prometheus rule file (`groups:`).
    pub fn prometheus_yaml(&self) -> String {
        files::prometheus_file(self)
    }

    /// A Kubernetes `PrometheusRule` (`monitoring.coreos.com/v1`) holding the same groups.
    pub fn prometheus_rule_yaml(&self, meta: &PrometheusRuleMeta) -> String {
        files::prometheus_rule(self, meta)
    }

    /// A mimirtool rules file: `namespace:` and the same groups.
    pub fn mimir_yaml(&self, namespace: &str) -> String {
        files::mimir(self, namespace, None)
    }

    /// A mimirtool rules file whose group names start with `crate_name`
    /// (`trading_bot.botwatch.alerts`), so two bots' rules in one namespace do not replace
    /// each other's groups.
    pub fn mimir_yaml_for(&self, namespace: &str, crate_name: &str) -> String {
        files::mimir(self, namespace, Some(crate_name))
    }

    /// The promtool unit-test files for the rule file named `rule_file`, proving that every
    /// alert fires on synthetic data from two replicas and stays silent on data that must
    /// not trigger it: the first evaluated at the scrape interval, then (when the scrape
    /// interval is under a minute) one evaluated every minute for the alerts that read hours
    /// (SLOs). Name them with [`UnitTestFile::path`].
    pub fn unit_tests(&self, rule_file: &str) -> Vec<UnitTestFile> {
        promtool_tests::render(self, rule_file)
    }
}

/// The Prometheus rule file of `sites`.
pub fn prometheus_yaml(sites: &[Site]) -> Result<String, RulesError> {
    RuleSet::build(sites).map(|set| set.prometheus_yaml())
}

/// Gives every alert of `set` a `dashboard_url` opening its own panel of the dashboard of
/// the same sites under `base`.
fn link_panels(set: &mut RuleSet, sites: &[Site], declared: &[Declared], base: &str) {
    let panels = crate::dashboard::alert_panels(sites, declared);
    for alert in set.alerts.iter_mut().chain(set.bot.iter_mut()) {
        if let Some(id) = panels.panel(&alert.name, &alert.origin, &alert.expr) {
            alert
                .annotations
                .push((RuleSet::DASHBOARD_URL.to_owned(), panels.url(base, id)));
        }
    }
}
