//! The inhibitions only the code knows, each keyed on labels the generated alerts carry:
//! - the whole job down (`BotDown` without `instance`) silences the job's other alerts: none
//!   of them can say anything new while nothing is scraped (also those of this bot's modules
//!   that fire from `absent(...)` without a `job`);
//! - an open breaker (`CircuitBreakerOpen{breaker="relay"}`, or the name its `open` alert
//!   was given) silences the alerts of the functions it guards (`{breaker="relay",
//!   function=...}`): the outage is one page, not one per function behind the breaker —
//!   and nothing else (the breaker's own alerts, other breakers' functions, other jobs);
//! - a critical alert silences the warning of the same name and labels (an SLO's fast
//!   burn and its slow burn, one condition written twice with two severities).
//!
//! Every rule also requires the routing's `distinct_by` labels (and but for the absent
//! series' rule, `job`) to be equal, so
//! two bots (or a bot and its paper twin) on one Alertmanager never silence each other.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::routing::Routing;
use crate::rules::{RuleSet, WATCHDOG};
use crate::text::{promql_string, yaml_quoted};
use botwatch_spec::model::{Condition, Site};
use botwatch_spec::names::{LABEL_BREAKER, LABEL_FUNCTION, LABEL_JOB, LABEL_MODULE};

/// One `inhibit_rules` item.
struct Inhibition {
    why: &'static str,
    source: Vec<String>,
    target: Vec<String>,
    equal: Vec<String>,
}

/// The names of the breakers' `open` alerts among `sites`.
fn open_alert_names(sites: &[Site]) -> BTreeSet<String> {
    sites
        .iter()
        .filter(|site| site.breaker_name().is_some())
        .flat_map(|site| {
            site.attribute
                .alerts()
                .iter()
                .filter(|a| matches!(a.condition, Condition::Open))
                .map(|a| a.alert_name(&site.function))
        })
        .collect()
}

fn equal(first: &[&str], routing: &Routing) -> Vec<String> {
    let mut labels: Vec<String> = first.iter().map(|s| (*s).to_owned()).collect();
    for label in &routing.distinct_by {
        if !labels.contains(label) {
            labels.push(label.clone());
        }
    }
    labels
}

fn inhibitions(set: &RuleSet, sites: &[Site], routing: &Routing) -> Vec<Inhibition> {
    let mut rules = Vec::new();
    if set.options.job.is_some() {
        let down = &set.options.bot_down.name;
        rules.push(Inhibition {
            why: "The whole job is down (no instance): its other alerts say nothing new. One replica down silences nothing.",
            source: vec![
                format!("alertname={}", promql_string(down)),
                "instance=\"\"".to_owned(),
            ],
            target: vec![format!("alertname!={}", promql_string(down))],
            equal: equal(&[LABEL_JOB], routing),
        });
        // Two windows after the series vanish, `idle` and `rate <` alerts fire from
        // `absent(...)`, which cannot know the job: matched on this bot's own modules.
        let mut crates: Vec<&str> = sites
            .iter()
            .map(|site| site.module.split("::").next().unwrap_or_default())
            .collect();
        crates.sort_unstable();
        crates.dedup();
        if !crates.is_empty() {
            let modules: Vec<String> = crates.iter().map(|c| format!("{c}(::.*)?")).collect();
            rules.push(Inhibition {
                why: "The same, for this bot's alerts that fire from absent series and so carry no job.",
                source: vec![
                    format!("alertname={}", promql_string(down)),
                    "instance=\"\"".to_owned(),
                ],
                target: vec![
                    format!("{LABEL_JOB}=\"\""),
                    format!("{LABEL_MODULE}=~{}", promql_string(&modules.join("|"))),
                ],
                equal: equal(&[], routing),
            });
        }
    }
    let open = open_alert_names(sites);
    let guarded = set
        .alerts
        .iter()
        .any(|a| a.labels.iter().any(|(k, _)| k == LABEL_BREAKER));
    if !open.is_empty() && guarded {
        let names: Vec<&str> = open.iter().map(String::as_str).collect();
        rules.push(Inhibition {
            why: "An open breaker silences the alerts of the functions it guards (they carry its name as `breaker`), and only those.",
            source: vec![if names.len() == 1 {
                format!("alertname={}", promql_string(names[0]))
            } else {
                format!("alertname=~{}", promql_string(&names.join("|")))
            }],
            target: vec![
                format!("{LABEL_FUNCTION}=~\".+\""),
                format!("{LABEL_BREAKER}=~\".+\""),
            ],
            equal: equal(&[LABEL_JOB, LABEL_BREAKER], routing),
        });
    }
    // Every label a generated alert can carry besides its severity: equal on all of them
    // is "the same alert" (a label absent on both sides is equal).
    let mut labels: BTreeSet<String> = BTreeSet::new();
    for alert in set.alerts.iter().chain(&set.bot) {
        if alert.name == WATCHDOG {
            continue;
        }
        let keys = alert
            .grouping
            .iter()
            .chain(&alert.identity)
            .chain(&alert.labels)
            .map(|(k, _)| k.clone());
        labels.extend(keys);
    }
    labels.remove("severity");
    labels.insert("instance".to_owned());
    let mut same: Vec<&str> = vec!["alertname"];
    same.extend(labels.iter().map(String::as_str));
    rules.push(Inhibition {
        why: "A critical alert silences the warning of the same name and labels.",
        source: vec!["severity=\"critical\"".to_owned()],
        target: vec!["severity=\"warning\"".to_owned()],
        equal: equal(&same, routing),
    });
    rules
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|m| yaml_quoted(m)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The `inhibit_rules:` section.
pub(super) fn render(out: &mut String, set: &RuleSet, sites: &[Site], routing: &Routing) {
    out.push_str("\ninhibit_rules:\n");
    for rule in inhibitions(set, sites, routing) {
        let _ = writeln!(out, "  # {}", rule.why);
        let _ = writeln!(out, "  - source_matchers: {}", list(&rule.source));
        let _ = writeln!(out, "    target_matchers: {}", list(&rule.target));
        if !rule.equal.is_empty() {
            let _ = writeln!(out, "    equal: {}", list(&rule.equal));
        }
    }
}
