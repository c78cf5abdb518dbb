//! Which panel each generated alert opens: `dashboard_url` =
//! `<base>/d/<uid>?viewPanel=<id>`, the panel that charts the alert's own metric with its
//! line (an `error_rate` alert its function's error ratio, a `p99` alert its latency, a
//! `stale` alert the seconds since update, `BotDown` the bot's `up`, `BotRestarting` its
//! uptime). The id is the one
//! the dashboard gives that panel, a hash of what the panel charts: the link holds across
//! builds while the code does not change.

use std::collections::BTreeMap;

use crate::promql::Metric;
use crate::rules::declared::increase_window;
use crate::rules::slo::burn_alert_name;
use botwatch_spec::declared::{Declared, ValueCondition};
use botwatch_spec::model::{Attribute, Condition, Site};
use botwatch_spec::names::{self, prometheus_duration, upper_camel_case};

/// One alert and the key of the panel it opens.
struct Link {
    alert: String,
    origin: String,
    key: String,
}

/// The alerts of `sites` and `declared` with their panels' keys.
fn links(sites: &[&Site], declared: &[Declared]) -> Vec<Link> {
    let mut out = Vec::new();
    let mut link =
        |alert: String, origin: String, key: String| out.push(Link { alert, origin, key });
    // A ratio's other function is resolved the way the funnel panel resolves it.
    let all: Vec<Site> = sites.iter().map(|s| (*s).clone()).collect();
    for site in sites {
        let origin = format!("{}::{}", site.module, site.function);
        let base = format!("{}::{}", site.module, super::who(site));
        for alert in site.attribute.alerts() {
            let key = match (&alert.condition, site.breaker_name()) {
                (Condition::Open, Some(breaker)) => format!("breaker/{breaker}/state"),
                (Condition::Flapping { .. }, Some(breaker)) => {
                    format!("breaker/{breaker}/transitions")
                }
                (Condition::ErrorRate { .. }, _) => format!("{base}/errors"),
                (Condition::Latency { .. }, _) => format!("{base}/latency"),
                (Condition::InFlight { .. }, _) => format!("{base}/in_flight"),
                (Condition::Oldest { .. }, _) => format!("{base}/oldest"),
                (Condition::CallsRatio { other, .. }, _) => {
                    match Site::resolve_counted(&all, site, other) {
                        Some(o) => format!("{base}/ratio/{}::{}", o.module, o.function),
                        None => format!("{base}/calls"),
                    }
                }
                _ => format!("{base}/calls"),
            };
            let origin = match site.breaker_name() {
                Some(breaker) => format!("{origin} (breaker {breaker})"),
                None => origin.clone(),
            };
            link(alert.alert_name(&site.function), origin, key);
        }
        for (i, slo) in site.attribute.slos().iter().enumerate() {
            link(
                burn_alert_name(&site.function, slo),
                origin.clone(),
                format!("{base}/slo{i}/burn"),
            );
        }
        let labelled = match &site.attribute {
            Attribute::Counted(c) => !c.metric.call_labels.is_empty(),
            Attribute::Timed(t) => !t.metric.call_labels.is_empty(),
            Attribute::CircuitBreaker(_) => false,
        };
        if labelled {
            link(
                format!("{}LabelOverflow", upper_camel_case(&site.function)),
                origin.clone(),
                "overview/label-overflow".to_owned(),
            );
        }
    }
    for d in declared {
        let metric = Metric::of(d);
        let name = &metric.name;
        for alert in d.alerts.iter() {
            let what = match &alert.condition {
                ValueCondition::Value { .. } | ValueCondition::State { .. } => "value".to_owned(),
                ValueCondition::Ratio { denominator, .. } => {
                    match Declared::resolve(declared, d, denominator) {
                        Some(other) => format!("ratio/{}", other.metric_name()),
                        None => "value".to_owned(),
                    }
                }
                ValueCondition::Gap { reference, .. } => {
                    match Declared::resolve(declared, d, reference) {
                        Some(other) => format!("gap/{}", other.metric_name()),
                        None => "value".to_owned(),
                    }
                }
                ValueCondition::Unchanged { window } => {
                    format!("changes/{}", prometheus_duration(*window))
                }
                ValueCondition::Stale { .. } => "since-update".to_owned(),
                ValueCondition::Age { .. } => "age".to_owned(),
                ValueCondition::Lag { .. } => "lag".to_owned(),
                ValueCondition::Total { .. } => "total".to_owned(),
                ValueCondition::Increase { .. } => {
                    format!("increase/{}", prometheus_duration(increase_window(alert)))
                }
                ValueCondition::IncreaseRatio { denominator, .. } => {
                    match Declared::resolve(declared, d, denominator) {
                        Some(other) => format!("funnel-ratio/{}", other.metric_name()),
                        None => "value".to_owned(),
                    }
                }
                ValueCondition::Idle { window } => {
                    format!("increase/{}", prometheus_duration(*window))
                }
                ValueCondition::Rate { .. } => "rate".to_owned(),
                ValueCondition::Quantile { .. } => "quantiles".to_owned(),
            };
            link(
                alert.value_alert_name(&d.static_name),
                d.origin(),
                format!("values/{name}/{what}"),
            );
        }
        if !d.label_keys.is_empty() {
            link(
                format!(
                    "{}LabelOverflow",
                    upper_camel_case(&d.static_name.to_lowercase())
                ),
                d.origin(),
                "overview/label-overflow".to_owned(),
            );
        }
    }
    out
}

/// Where each alert's panel is: the dashboard's uid and, per alert name and origin, the
/// panel id.
#[derive(Debug, Clone, Default)]
pub struct AlertPanels {
    /// The dashboard's `uid`.
    pub uid: String,
    /// `(alert name, origin, panel id)`: origin as the rules give it (`module::function`,
    /// `module::function (breaker b)`, `module::STATIC`).
    pub panels: Vec<(String, String, u32)>,
    /// The id of the overview's `up` panel, which `BotDown` opens.
    pub up: u32,
    /// The id of the overview's uptime panel, which `BotRestarting` opens.
    pub uptime: u32,
}

impl AlertPanels {
    /// The panel of the alert named `alert` from `origin` reading `expr`: the one of that
    /// name and origin, else the first of that name; for the job's own alerts the bot's
    /// uptime (restarts) or `up`.
    pub fn panel(&self, alert: &str, origin: &str, expr: &str) -> Option<u32> {
        if origin.starts_with("Rules::job(") {
            let restarts = expr.contains(names::PROCESS_START_TIME_SECONDS);
            return Some(if restarts { self.uptime } else { self.up });
        }
        self.panels
            .iter()
            .find(|(a, o, _)| a == alert && o == origin)
            .or_else(|| self.panels.iter().find(|(a, _, _)| a == alert))
            .map(|(_, _, id)| *id)
    }

    /// `<base>/d/<uid>?viewPanel=<id>`.
    pub fn url(&self, base: &str, id: u32) -> String {
        format!(
            "{}/d/{}?viewPanel={id}",
            base.trim_end_matches('/'),
            self.uid
        )
    }
}

/// The panels the alerts of `sites` and `declared` open, from the ids the dashboard of the
/// same sites gives its panels (`placed`: key → id).
pub(super) fn alert_panels(
    sites: &[&Site],
    declared: &[Declared],
    uid: String,
    placed: &BTreeMap<String, u32>,
) -> AlertPanels {
    let panels = links(sites, declared)
        .into_iter()
        .filter_map(|l| placed.get(&l.key).map(|id| (l.alert, l.origin, *id)))
        .collect();
    AlertPanels {
        uid,
        panels,
        up: placed.get("overview/up").copied().unwrap_or_default(),
        uptime: placed.get("overview/uptime").copied().unwrap_or_default(),
    }
}
