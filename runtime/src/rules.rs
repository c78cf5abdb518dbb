//! The alert rules of every annotated function linked into the binary, rendered by the
//! same code as the build helper's, from the specs the macros embedded.

use botwatch_spec::declared::Declared;
use botwatch_spec::model::Site;
use botwatch_spec::rules::RuleOptions;
pub use botwatch_spec::rules::{PrometheusRuleMeta, RuleSet, RulesError};

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
pub fn rule_set() -> Result<RuleSet, RulesError> {
    RuleSet::build_all(&sites(), &declared(), &RuleOptions::default())
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
