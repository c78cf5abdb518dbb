//! The fleet around each probe. A real Prometheus holds more than the one series set a
//! probe describes: other label values of the same function (two venues failing at
//! once), another deployment of the same code (a paper-trading twin scraped by the same
//! Prometheus), other functions and breakers. Every probe is rendered with such copies of
//! its series, so a rule that pins a per-call label to one value, merges two jobs, or lost
//! an identity matcher (a decoy per identity label) fails the generated tests, whatever the
//! probe itself checks.
//!
//! The copies are not predictions of the model: a copy that must alert alerts exactly as
//! the probe's own set does (its labels aside), and a decoy must never alert.

use super::scenario::{Series, JOB};
use super::set::AlertRule;
use botwatch_spec::names::LABEL_JOB;

/// The job of the twin deployment.
const TWIN_JOB: &str = "bot-paper";

/// One copy of a probe's series: each label named is given another value.
pub(super) struct Copy {
    /// `(label, value)` pairs: the series' label `label` is set to `value(old)`.
    relabel: Vec<(String, Relabel)>,
    /// Whether the copy alerts as the probe's own set does (else it is a decoy that must
    /// never alert).
    pub(super) alerts: bool,
}

#[derive(Clone, Copy)]
enum Relabel {
    /// Every value of the label gets a second value of its own (`venue-1` → `venue-2`).
    Twin,
    /// One value becomes another; series with any other value are not copied.
    Replace(&'static str, &'static str),
    /// The identity's value becomes a decoy's.
    Decoy,
}

impl Copy {
    /// The copy's value of `label`, if it changes it.
    fn value(&self, label: &str, value: &str) -> Option<String> {
        let (_, how) = self.relabel.iter().find(|(k, _)| k == label)?;
        match how {
            Relabel::Twin => Some(twin(value)),
            Relabel::Replace(from, to) => (value == *from).then(|| (*to).to_owned()),
            Relabel::Decoy => Some(format!("{value}_decoy")),
        }
    }

    /// `series` as this copy holds it; `None` when the copy does not hold it.
    pub(super) fn series(&self, series: &Series) -> Option<Series> {
        let mut copied = series.clone();
        let mut changed = false;
        for (key, value) in &mut copied.labels {
            if let Some(new) = self.value(key, value) {
                *value = new;
                changed = true;
            }
        }
        changed.then_some(copied)
    }

    /// The labels of an alert of this copy, from those of the probe's own alert.
    pub(super) fn labels(&self, labels: &[(String, String)]) -> Vec<(String, String)> {
        labels
            .iter()
            .map(|(k, v)| {
                let value = if v.is_empty() { None } else { self.value(k, v) };
                (k.clone(), value.unwrap_or_else(|| v.clone()))
            })
            .collect()
    }
}

/// A second value of a per-call label or key, distinct from every first one.
fn twin(value: &str) -> String {
    match value.strip_suffix("-1") {
        Some(stem) => format!("{stem}-2"),
        None => format!("{value}-2"),
    }
}

/// The copies every probe of `rule` is rendered with.
pub(super) fn copies(rule: &AlertRule) -> Vec<Copy> {
    let mut copies = Vec::new();
    let identity = |key: &str| rule.identity.iter().any(|(k, _)| k == key);
    // Two label sets of the function (or two keys of the breaker) at once.
    let varying: Vec<(String, Relabel)> = rule
        .grouping
        .iter()
        .filter(|(k, _)| k != LABEL_JOB && !identity(k))
        .map(|(k, _)| (k.clone(), Relabel::Twin))
        .collect();
    if !varying.is_empty() {
        copies.push(Copy {
            relabel: varying,
            alerts: true,
        });
    }
    // The same code deployed twice: each job alerts on its own.
    if rule
        .grouping
        .iter()
        .any(|(k, v)| k == LABEL_JOB && v == JOB)
    {
        copies.push(Copy {
            relabel: vec![(LABEL_JOB.to_owned(), Relabel::Replace(JOB, TWIN_JOB))],
            alerts: true,
        });
    }
    // Another function, a function of the same name in another module, another static
    // label value, breaker or job beside it: never this rule's business.
    for (key, _) in &rule.identity {
        copies.push(Copy {
            relabel: vec![(key.clone(), Relabel::Decoy)],
            alerts: false,
        });
    }
    copies
}
