//! `.grafana_url(...)`: every generated alert links to a panel of the generated dashboard
//! that exists and charts the alert's own metric, and the links hold across builds while
//! the code does not change.

use std::collections::BTreeSet;
use std::time::Duration;

use botwatch_render::rules::{RuleOptions, RuleSet};
use botwatch_spec::declared::Declared;
use botwatch_spec::model::Site;
use serde_json::Value;

use super::dashboard::{wide_bot, wide_values};

const BASE: &str = "https://grafana.example.com";

fn rules(sites: &[Site], values: &[Declared]) -> RuleSet {
    let options = RuleOptions {
        scrape_interval: Duration::from_secs(15),
        job: Some("trading-bot".to_owned()),
        grafana_url: Some(BASE.to_owned()),
        ..RuleOptions::default()
    };
    RuleSet::build_all(sites, values, &options).expect("rules")
}

/// Metric names an expression selects (`name{` or `name[`), without a histogram's
/// `_bucket`/`_count`/`_sum`, recording rules (`a:b:c`) left out.
fn metrics(expr: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, c) in expr.char_indices() {
        if c != '{' && c != '[' {
            continue;
        }
        let start = expr[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |p| p + 1);
        let name = &expr[start..i];
        if name.is_empty() || name.contains(':') || name.starts_with("__") {
            continue;
        }
        let base = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        out.insert(base.to_owned());
    }
    out
}

/// Catches an alert without a link, a link to a panel id the dashboard does not have, to
/// another dashboard (a uid of its own), or to a panel charting another metric (the
/// calls panel for a latency alert, another function's panel, another metric's values).
#[test]
fn every_alert_opens_a_panel_charting_its_own_metric() {
    let (sites, values) = (wide_bot(), wide_values());
    let set = rules(&sites, &values);
    let dashboard: Value =
        serde_json::from_str(&botwatch_render::dashboard::json(&sites, &values)).unwrap();
    let uid = dashboard["uid"].as_str().unwrap();
    let prefix = format!("{BASE}/d/{uid}?viewPanel=");
    let mut walked = 0;
    for alert in set.alerts.iter().chain(&set.bot) {
        let url = alert
            .annotations
            .iter()
            .find(|(k, _)| k == "dashboard_url")
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{} has no dashboard_url", alert.name));
        let id: u64 = url
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{}: {url} is not a panel of {uid}", alert.name))
            .parse()
            .unwrap();
        let panel = dashboard["panels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{}: no panel {id}", alert.name));
        let charted: BTreeSet<String> = panel["targets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| metrics(t["expr"].as_str().unwrap()))
            .collect();
        let own = metrics(&alert.expr);
        // SLO alerts read recording rules only: their panel reads the function's series.
        let own = if own.is_empty() {
            ["function_calls_total", "function_calls_duration_seconds"]
                .into_iter()
                .map(str::to_owned)
                .collect()
        } else {
            own
        };
        assert!(
            !own.is_disjoint(&charted),
            "{} ({}) opens panel \"{}\", which charts {charted:?}, not {own:?}",
            alert.name,
            alert.origin,
            panel["title"]
        );
        // Its own function, not another one of the same metric family (the overflow panel
        // charts every function's overflow, one line each).
        let per_function = !own.contains("botwatch_label_overflow_total");
        if let Some((_, function)) = alert
            .identity
            .iter()
            .find(|(k, _)| k == "function")
            .filter(|_| per_function)
        {
            let exprs = panel["targets"].to_string();
            assert!(
                exprs.contains(&format!("function=\\\"{function}\\\"")),
                "{} opens {}, not {function}'s panel",
                alert.name,
                panel["title"]
            );
        }
        walked += 1;
    }
    assert!(walked >= 30, "{walked} alerts walked");
}

/// Catches ids that move when the build is repeated or when an unrelated function is
/// added, which would break the links of alerts already routed.
#[test]
fn links_hold_across_builds_and_unrelated_changes() {
    let (sites, values) = (wide_bot(), wide_values());
    let links = |set: &RuleSet| -> Vec<(String, String)> {
        set.alerts
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.annotations
                        .iter()
                        .find(|(k, _)| k == "dashboard_url")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                )
            })
            .collect()
    };
    let first = links(&rules(&sites, &values));
    assert_eq!(first, links(&rules(&sites, &values)));
    let mut more = sites.clone();
    more.push(super::dashboard::site(
        "bot::relay",
        "aaa_new",
        botwatch_spec::model::AttributeKind::Counted,
        "alert(error_rate > 5%)",
    ));
    let grown = links(&rules(&more, &values));
    for link in &first {
        assert!(
            grown.contains(link),
            "{link:?} moved when a function was added"
        );
    }
}
