//! The `breaker` label on the alerts of a function guarded by a breaker: when its breaker
//! opens, the function's error rate and latency alerts fire too, and only this label lets
//! an Alertmanager inhibition (`CircuitBreakerOpen{breaker="X"}` silences `{breaker="X"}`)
//! keep that storm to the one page that says why. The model knows which functions a
//! `#[circuit_breaker]` guards; Prometheus does not, so the label is a static rule label.

use std::collections::BTreeMap;

use super::set::AlertRule;
use botwatch_spec::model::Site;
use botwatch_spec::names::{LABEL_BREAKER, LABEL_FUNCTION, LABEL_MODULE};

/// The breaker guarding each `(module, function)` of the sites.
pub(super) struct Guards(BTreeMap<(String, String), String>);

impl Guards {
    pub(super) fn of(sites: &[Site]) -> Guards {
        Guards(
            sites
                .iter()
                .filter_map(|site| {
                    let breaker = site.breaker_name()?.into_owned();
                    Some((
                        (site.module.to_string(), site.function.to_string()),
                        breaker,
                    ))
                })
                .collect(),
        )
    }

    /// Adds `breaker="<name>"` to each alert of a guarded function (its own conditions, its
    /// SLO burns, its label overflow), after the user's labels. A breaker's own alerts carry
    /// `breaker` already (as identity), and a user's own `breaker` label is kept as written.
    pub(super) fn label(&self, alerts: &mut [AlertRule]) {
        for alert in alerts {
            // A breaker's own alerts have no `function`, and are skipped below.
            if alert.labels.iter().any(|(k, _)| k == LABEL_BREAKER) {
                continue;
            }
            let value = |key: &str| {
                alert
                    .identity
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            };
            let (Some(module), Some(function)) = (value(LABEL_MODULE), value(LABEL_FUNCTION))
            else {
                continue;
            };
            if let Some(breaker) = self.0.get(&(module, function)) {
                alert
                    .labels
                    .push((LABEL_BREAKER.to_owned(), breaker.clone()));
            }
        }
    }
}
