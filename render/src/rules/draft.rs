//! What every alerting rule shares, whichever condition drew it: a condition writes a
//! [`Draft`] (its expression, default annotations and probes), its family names the
//! [`Subject`] (whose series it watches), and [`Draft::finish`] adds what the user wrote in
//! `alert(...)`: the name, `for`, the severity and labels, and the annotations that replace
//! the defaults.

use std::time::Duration;

use super::scenario::latency::LatencyLine;
use super::scenario::Probe;
use super::set::AlertRule;
use botwatch_spec::model::Alert;

/// What a condition contributes to its rule.
pub(crate) struct Draft {
    expr: String,
    summary: String,
    description: String,
    probes: Vec<Probe>,
    latency: Option<LatencyLine>,
}

/// Whose alert it is: the series set it watches and where it comes from.
pub(crate) struct Subject {
    /// The labels of the tested series set, as the expression yields them.
    pub(crate) grouping: Vec<(String, String)>,
    /// The labels every series of the alert carries with one value, written as the rule's
    /// static labels: never a per-call label, `key` or `job`, whose values come from the
    /// series (a static `venue` would page a Kraken outage as the test's venue, and two
    /// venues at once would be one label set Prometheus refuses).
    pub(crate) identity: Vec<(String, String)>,
    /// `module::function` or `module::STATIC`, for error messages.
    pub(crate) origin: String,
    /// The probes' step.
    pub(crate) step: Duration,
}

impl Draft {
    /// A condition's expression, its default `summary` and `description`, and its probes.
    pub(crate) fn new(
        expr: String,
        summary: String,
        description: String,
        probes: Vec<Probe>,
    ) -> Draft {
        Draft {
            expr,
            summary,
            description,
            probes,
            latency: None,
        }
    }

    /// The same rule and probes, told in other words (a state's name for its value).
    pub(crate) fn retold(self, summary: String, description: String) -> Draft {
        Draft {
            summary,
            description,
            ..self
        }
    }

    /// A latency alert's line, to predict it on the probes of alerts sharing its name.
    pub(crate) fn with_latency(mut self, line: LatencyLine) -> Draft {
        self.latency = Some(line);
        self
    }

    /// The rule: `name`, `severity` and `for_` as the alert resolves them (function and
    /// declared alerts default them differently), then its labels after `severity`, and its
    /// own annotations in place of the draft's.
    pub(crate) fn finish<C>(
        self,
        subject: Subject,
        alert: &Alert<C>,
        name: String,
        severity: &str,
        for_: Duration,
    ) -> AlertRule {
        let mut labels = vec![("severity".to_owned(), severity.to_owned())];
        labels.extend(
            alert
                .labels
                .iter()
                .map(|l| (l.key.to_string(), l.value.to_string())),
        );
        let mut annotations = vec![
            (
                "summary".to_owned(),
                alert.summary.as_deref().map_or(self.summary, str::to_owned),
            ),
            (
                "description".to_owned(),
                alert
                    .description
                    .as_deref()
                    .map_or(self.description, str::to_owned),
            ),
        ];
        if let Some(runbook) = &alert.runbook {
            annotations.push(("runbook_url".to_owned(), runbook.to_string()));
        }
        AlertRule {
            name,
            expr: self.expr,
            for_,
            grouping: subject.grouping,
            identity: subject.identity,
            labels,
            annotations,
            origin: subject.origin,
            during: alert.during.as_deref().map(str::to_owned),
            probes: self.probes,
            latency: self.latency,
            test_step: subject.step,
        }
    }
}

/// Rounds away binary noise (`0.07 × 100` is `7.000000000000001`).
pub(crate) fn round(value: f64) -> f64 {
    (value * 1e12).round() / 1e12
}
