//! The route tree: the dead-man's switch first, then the page (`severity="critical"`),
//! then one route per team (`team="<team>"`), and the root's receiver (the tickets) for
//! the rest. Under each, a leaf per alert name that needs one: each alert is grouped by
//! its own grouping labels (one notification per function, per breaker, per label set,
//! not one per alert name across the bot), and an alert with `during` is delivered only
//! inside its time interval. Which route an alert reaches is known here from its labels,
//! so its leaf sits under exactly that route.

use std::fmt::Write as _;
use std::time::Duration;

use super::routing::{Routing, DEAD_MANS_SWITCH_RECEIVER};
use crate::rules::{AlertRule, RuleSet, WATCHDOG};
use crate::text::{promql_string, yaml_quoted};
use botwatch_spec::names::{prometheus_duration, LABEL_JOB};

/// The labels every group is keyed by, unless a leaf says more.
const ROOT_GROUP_BY: &[&str] = &["alertname", LABEL_JOB];

/// The label whose value picks a team's route.
const TEAM: &str = "team";

/// Which of the routes under the root an alert reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Destination {
    Page,
    Team(String),
    Root,
}

/// Where `alert` goes: the page when critical (and a pager is set), its team's route
/// when it has one, else the root's receiver — the order of the routes in the tree.
fn destination(routing: &Routing, alert: &AlertRule) -> Destination {
    let label = |key: &str| {
        alert
            .labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    if routing.page.is_some() && label("severity") == Some("critical") {
        return Destination::Page;
    }
    if let Some(team) = label(TEAM) {
        if routing.teams.iter().any(|(t, _)| t == team) {
            return Destination::Team(team.to_owned());
        }
    }
    Destination::Root
}

/// One leaf: the alerts it matches, how they are grouped, when they are delivered.
struct Leaf {
    matchers: Vec<String>,
    group_by: Vec<String>,
    during: Option<String>,
}

/// The `group_by` of an alert: its name, then its grouping and identity labels.
fn group_by(alert: &AlertRule) -> Vec<String> {
    let mut by: Vec<String> = ROOT_GROUP_BY.iter().map(|s| (*s).to_owned()).collect();
    for (key, _) in alert.grouping.iter().chain(&alert.identity) {
        if !by.contains(key) {
            by.push(key.clone());
        }
    }
    by
}

/// The leaves of the alerts reaching `destination`: one per alert name when every alert of
/// that name is grouped and timed alike, else one per alert matched on its identity too.
/// An alert grouped like the root and always delivered needs none.
fn leaves(alerts: &[&AlertRule], routing: &Routing, destination: &Destination) -> Vec<Leaf> {
    let mine: Vec<&AlertRule> = alerts
        .iter()
        .copied()
        .filter(|a| destination_of(routing, a).as_ref() == Some(destination))
        .collect();
    let mut leaves = Vec::new();
    let mut names: Vec<&str> = mine.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let same_name: Vec<&AlertRule> = mine.iter().copied().filter(|a| a.name == name).collect();
        let shapes: Vec<(Vec<String>, Option<String>)> = same_name
            .iter()
            .map(|a| (group_by(a), a.during.clone()))
            .collect();
        let alike = shapes.windows(2).all(|w| w[0] == w[1]);
        let by_name = format!("alertname={}", promql_string(name));
        if alike {
            let (group_by, during) = shapes.into_iter().next().expect("one alert at least");
            if group_by != ROOT_GROUP_BY || during.is_some() {
                leaves.push(Leaf {
                    matchers: vec![by_name],
                    group_by,
                    during,
                });
            }
            continue;
        }
        for (alert, (group_by, during)) in same_name.iter().zip(shapes) {
            let mut matchers = vec![by_name.clone()];
            matchers.extend(
                alert
                    .identity
                    .iter()
                    .filter(|(k, _)| k != LABEL_JOB)
                    .map(|(k, v)| format!("{k}={}", promql_string(v))),
            );
            leaves.push(Leaf {
                matchers,
                group_by,
                during,
            });
        }
    }
    leaves
}

/// Where a generated alert goes; the Watchdog has a route of its own.
fn destination_of(routing: &Routing, alert: &AlertRule) -> Option<Destination> {
    (alert.name != WATCHDOG).then(|| destination(routing, alert))
}

fn matchers(matchers: &[String]) -> String {
    let quoted: Vec<String> = matchers.iter().map(|m| yaml_quoted(m)).collect();
    format!("[{}]", quoted.join(", "))
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|m| yaml_quoted(m)).collect();
    format!("[{}]", quoted.join(", "))
}

fn write_leaves(out: &mut String, pad: &str, leaves: &[Leaf]) {
    if leaves.is_empty() {
        return;
    }
    let _ = writeln!(out, "{pad}routes:");
    for leaf in leaves {
        let _ = writeln!(out, "{pad}  - matchers: {}", matchers(&leaf.matchers));
        let _ = writeln!(out, "{pad}    group_by: {}", list(&leaf.group_by));
        if let Some(during) = &leaf.during {
            let _ = writeln!(
                out,
                "{pad}    active_time_intervals: [{}]",
                yaml_quoted(during)
            );
        }
    }
}

fn duration(d: Duration) -> String {
    prometheus_duration(d)
}

/// The `route:` section.
pub(super) fn render(out: &mut String, set: &RuleSet, routing: &Routing) {
    let alerts: Vec<&AlertRule> = set.alerts.iter().chain(&set.bot).collect();
    out.push_str("route:\n");
    let root = routing.root().map(|r| r.name()).unwrap_or_default();
    let _ = writeln!(out, "  receiver: {}", yaml_quoted(root));
    let root_group_by: Vec<String> = ROOT_GROUP_BY.iter().map(|s| (*s).to_owned()).collect();
    let _ = writeln!(out, "  group_by: {}", list(&root_group_by));
    let _ = writeln!(out, "  group_wait: {}", duration(routing.group_wait));
    let _ = writeln!(
        out,
        "  group_interval: {}",
        duration(routing.group_interval)
    );
    let _ = writeln!(
        out,
        "  repeat_interval: {}",
        duration(routing.repeat_interval)
    );
    let routes_start = out.len();
    if let Some((_, every)) = &routing.dead_mans_switch {
        out.push_str("    # The Watchdog always fires: its repeats are the heartbeat.\n");
        let _ = writeln!(
            out,
            "    - matchers: {}\n      receiver: {}\n      group_wait: 0s\n      group_interval: {}\n      repeat_interval: {}",
            matchers(&[format!("alertname={}", promql_string(WATCHDOG))]),
            yaml_quoted(DEAD_MANS_SWITCH_RECEIVER),
            duration(*every),
            duration(*every),
        );
    }
    if let Some(page) = &routing.page {
        out.push_str("    # Critical alerts page, whichever team they belong to.\n");
        let _ = writeln!(
            out,
            "    - matchers: {}\n      receiver: {}",
            matchers(&["severity=\"critical\"".to_owned()]),
            yaml_quoted(page.name())
        );
        write_leaves(out, "      ", &leaves(&alerts, routing, &Destination::Page));
    }
    for (team, receiver) in &routing.teams {
        let _ = writeln!(
            out,
            "    - matchers: {}\n      receiver: {}",
            matchers(&[format!("{TEAM}={}", promql_string(team))]),
            yaml_quoted(receiver.name())
        );
        write_leaves(
            out,
            "      ",
            &leaves(&alerts, routing, &Destination::Team(team.clone())),
        );
    }
    // The rest stays with the root's receiver; their leaves come last, after every route
    // that could take an alert first.
    let rest = leaves(&alerts, routing, &Destination::Root);
    for leaf in &rest {
        let _ = writeln!(out, "    - matchers: {}", matchers(&leaf.matchers));
        let _ = writeln!(out, "      group_by: {}", list(&leaf.group_by));
        if let Some(during) = &leaf.during {
            let _ = writeln!(
                out,
                "      active_time_intervals: [{}]",
                yaml_quoted(during)
            );
        }
    }
    if out.len() > routes_start {
        out.insert_str(routes_start, "  routes:\n");
    }
}
