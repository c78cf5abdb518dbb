//! Alert and recording rules rendered from the attributes' model.
//!
//! One canonical [`RuleSet`] is built from the [`Site`]s (what the macros registered in the
//! binary, or what the build helper found in the source), then rendered per target: a
//! Prometheus rule file, a Kubernetes `PrometheusRule`, a mimirtool rules file, and a
//! promtool unit-test file that proves every alert fires on synthetic data and stays
//! silent otherwise. Everything is sorted, so the same attributes always give the same
//! bytes, whether rendered at build time or at run time.

mod alerts;
mod render;
mod scenario;
mod slo;
pub mod text;
mod unit_tests;

use std::fmt;
use std::time::Duration;

use crate::model::Site;

pub use render::PrometheusRuleMeta;

/// The group holding the SLO recording rules.
pub const RECORDING_GROUP: &str = "botwatch.recording";
/// The group holding every alert.
pub const ALERT_GROUP: &str = "botwatch.alerts";

/// Rate windows are 5 minutes: 20 scrapes at 15 s, never fewer than 4.
pub(crate) const RATE_WINDOW: Duration = Duration::from_secs(300);

/// A recording rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingRule {
    /// The recorded series' name, `level:metric:operations`.
    pub record: String,
    /// Its PromQL.
    pub expr: String,
    /// Labels added to the recorded series.
    pub labels: Vec<(String, String)>,
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
    /// The labels the expression yields (`function`, `module` or `breaker`) with their
    /// values.
    pub grouping: Vec<(String, String)>,
    /// Rule labels: `severity`, then the user's, as literal text.
    pub labels: Vec<(String, String)>,
    /// Annotations as the user wrote them (template actions included): `summary`,
    /// `description`, and `runbook_url` when given.
    pub annotations: Vec<(String, String)>,
    /// Where it comes from, `module::function`, for error messages.
    pub origin: String,
    /// Synthetic data that makes it fire, and data that keeps it silent.
    pub(crate) scenario: scenario::Scenario,
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
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesError::DuplicateAlert { name, first, second } => write!(
                f,
                "two different alerts named {name} with the same labels, from {first} and from {second}; \
                 give one of them another name (alert(..., name = \"...\")) or different labels"
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
        let mut set = RuleSet::default();
        for site in sites {
            alerts::add_site(&mut set, site);
            slo::add_site(&mut set, site);
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
        render::mimir(self, namespace)
    }

    /// A promtool unit-test file for the rule file named `rule_file`, proving that every
    /// alert fires on synthetic data from two replicas and stays silent on data that must
    /// not trigger it.
    pub fn unit_tests_yaml(&self, rule_file: &str) -> String {
        unit_tests::render(self, rule_file)
    }
}

/// The Prometheus rule file of `sites`.
pub fn prometheus_yaml(sites: &[Site]) -> Result<String, RulesError> {
    RuleSet::build(sites).map(|set| set.prometheus_yaml())
}
