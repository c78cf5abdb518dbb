//! The alert rules of every annotated function linked into the binary, rendered by the
//! same code as the build helper's, from the specs the macros embedded.

pub use botwatch_render::rules::{PrometheusRuleMeta, RuleSet, RulesError};
use botwatch_render::rules::{RuleOptions, MIN_SCRAPES_PER_WINDOW};
use botwatch_spec::declared::Declared;
use botwatch_spec::model::Site;

use crate::registry;

/// The sites of this binary, in the order the build helper sorts them too.
fn sites() -> Vec<Site> {
    registry::sites()
        .into_iter()
        .map(|s| s.spec().clone())
        .collect()
}

/// The declared metrics of this binary, in the order the build helper sorts them too.
fn declared() -> Vec<Declared> {
    crate::declared::declared()
        .into_iter()
        .map(|(spec, _)| spec.clone())
        .collect()
}

/// Every rule of this binary; an error when two different alerts share a name and labels.
///
/// The binary cannot know how often Prometheus scrapes it: that is the build helper's
/// `.scrape_interval(..)`, which checks that every rule window holds enough scrapes. So the
/// window check is not repeated here against a guessed interval (an `idle > 30s` built for
/// a 5s scrape would lose every rule): the rules render at the default 15s, or, when a
/// window is shorter than that allows, at the longest interval every window holds.
pub fn rule_set() -> Result<RuleSet, RulesError> {
    build_at_any_interval(&sites(), &declared())
}

fn build_at_any_interval(sites: &[Site], declared: &[Declared]) -> Result<RuleSet, RulesError> {
    let mut options = RuleOptions {
        grafana_url: crate::build_info::bot_grafana_url().map(str::to_owned),
        ..RuleOptions::default()
    };
    // Each retry admits the shortest window refused so far: at most one per alert.
    loop {
        match RuleSet::build_all(sites, declared, &options) {
            Err(RulesError::WindowTooShort { window, .. }) => {
                let admitted = window / MIN_SCRAPES_PER_WINDOW;
                if admitted.is_zero() || admitted >= options.scrape_interval {
                    return RuleSet::build_all(sites, declared, &options);
                }
                options.scrape_interval = admitted;
            }
            built => return built,
        }
    }
}

/// The Prometheus rule file (`groups:`) for every annotated function in this binary, the
/// same text `GET /rules` serves and, for a bot whose annotated functions live in one
/// crate, the same bytes the build helper writes.
///
/// If two different alerts share a name and labels (which the build helper reports as an
/// error), the file holds no rules and a comment saying which.
pub fn yaml() -> String {
    match rule_set() {
        Ok(set) => set.prometheus_yaml(),
        Err(error) => format!(
            "# botwatch: no rules rendered: {}\ngroups: []\n",
            error.to_string().replace('\n', " ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::time::Duration;

    use botwatch_spec::model::{Alert, Attribute, Condition, Counted};

    use super::*;

    fn idle(function: &'static str, seconds: u64) -> Site {
        Site {
            function: Cow::Borrowed(function),
            module: Cow::Borrowed("bot"),
            attribute: Attribute::Counted(Counted {
                alerts: Cow::Owned(vec![Alert::new(Condition::Idle {
                    window: Duration::from_secs(seconds),
                })]),
                ..Counted::default()
            }),
        }
    }

    /// A bot built with `.scrape_interval(5s)` may have `idle > 30s`: its binary cannot
    /// know the interval, and must still serve its rules rather than refuse them at 15s.
    #[test]
    fn windows_shorter_than_four_default_scrapes_still_render() {
        let sites = [idle("heartbeat", 30), idle("tick", 600), idle("pulse", 20)];
        let set = build_at_any_interval(&sites, &[]).expect("rules at a shorter interval");
        let names: Vec<&str> = set.alerts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(set.prometheus_yaml().contains("HeartbeatIdle"));
    }

    #[test]
    fn rules_that_hold_at_the_default_interval_render_at_it() {
        let sites = [idle("tick", 600)];
        assert_eq!(
            build_at_any_interval(&sites, &[])
                .unwrap()
                .prometheus_yaml(),
            RuleSet::build_all(&sites, &[], &RuleOptions::default())
                .unwrap()
                .prometheus_yaml()
        );
    }
}
