//! The PromQL vocabulary every rendering shares: how a function's and a declared metric's
//! series are selected, grouped and read, how a label value is matched by a regex, and
//! which `le` spellings a bucket bound has.
//!
//! The alert rules and the dashboard both build their queries from these, so a panel selects
//! exactly the series an alert reads. This is a floor: it uses the model and [`crate::text`]
//! and nothing above it.

use std::time::Duration;

use crate::text::{go_float, promql_string, push_promql_string};
use botwatch_spec::declared::Declared;
use botwatch_spec::model::{Attribute, Site};
use botwatch_spec::names::{
    self, format_float, nanos_as_seconds_text, prometheus_duration, LABEL_JOB,
};

/// How far back an alert reads a series' last value: a failed scrape (which stale-marks
/// every series of the target) must not end a `for`, and a replica that is gone (stale, no
/// longer scraped) drops out after this many scrapes.
pub(crate) const FRESH_SCRAPES: u32 = 3;

/// The scrape interval assumed where none is given (the rules' default, and the dashboard).
pub(crate) const DEFAULT_SCRAPE_INTERVAL: Duration = Duration::from_secs(15);

/// The range of an alert's "last value" read, `last_over_time(x[...])`.
pub(crate) fn fresh_window(scrape: Duration) -> String {
    prometheus_duration(scrape * FRESH_SCRAPES)
}

/// Escapes regex metacharacters for a PromQL (RE2) regex.
pub(crate) fn regex_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(
            ch,
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Matches the `le` of the threshold's bucket as botwatch writes it (`1`, `0.25`) and as
/// Prometheus 3 normalises it (`1.0`, `1e-05`).
pub(crate) fn le_regex(nanos: u64) -> String {
    let seconds = nanos as f64 / 1e9;
    let mut forms = vec![nanos_as_seconds_text(nanos), go_float(seconds, None)];
    if seconds.fract() == 0.0 {
        forms.push(format!("{}.0", nanos_as_seconds_text(nanos)));
    }
    forms.sort();
    forms.dedup();
    forms
        .iter()
        .map(|f| regex_escape(f))
        .collect::<Vec<_>>()
        .join("|")
}

/// A function's identity in PromQL and in alert labels: `function`, `module` and the
/// metric's static labels (two functions of one name told apart by `labels(kind = ...)`
/// are two series sets, so two alerts).
pub(crate) struct Function<'a> {
    pub(crate) name: &'a str,
    pub(crate) module: &'a str,
    pub(crate) labels: Vec<(String, String)>,
    /// Per-call label keys: every value is a series set of its own, so alerts group by
    /// them too (one alert per venue).
    pub(crate) call_labels: Vec<String>,
}

impl<'a> Function<'a> {
    pub(crate) fn of(site: &'a Site) -> Function<'a> {
        let (labels, call_labels) = match &site.attribute {
            Attribute::Counted(c) => (&c.metric.labels[..], &c.metric.call_labels[..]),
            Attribute::Timed(t) => (&t.metric.labels[..], &t.metric.call_labels[..]),
            Attribute::CircuitBreaker(_) => (&[][..], &[][..]),
        };
        Function {
            name: &site.function,
            module: &site.module,
            labels: labels
                .iter()
                .map(|l| (l.key.to_string(), l.value.to_string()))
                .collect(),
            call_labels: call_labels.iter().map(ToString::to_string).collect(),
        }
    }

    /// `metric{function="f", module="m", static="v"}` plus extra matchers.
    pub(crate) fn selector(&self, metric: &str, extra: &str) -> String {
        // Pieces pushed onto one string: the dashboard builds thousands of these, and
        // `format!` of `format!`s was a tenth of its rendering.
        let mut out = String::with_capacity(metric.len() + extra.len() + 64);
        out.push_str(metric);
        out.push_str("{function=");
        push_promql_string(&mut out, self.name);
        out.push_str(", module=");
        push_promql_string(&mut out, self.module);
        for (k, v) in &self.labels {
            out.push_str(", ");
            out.push_str(k);
            out.push('=');
            push_promql_string(&mut out, v);
        }
        out.push_str(extra);
        out.push('}');
        out
    }

    /// The grouping label names, for `by (...)`.
    pub(crate) fn by(&self) -> String {
        let mut by = String::from("function, module");
        for k in self.labels.iter().map(|(k, _)| k).chain(&self.call_labels) {
            by.push_str(", ");
            by.push_str(k);
        }
        by
    }

    /// The labels every series of the function carries with the same value: `function`,
    /// `module` and its static labels (not its per-call labels, whose values vary by call).
    pub(crate) fn identity(&self) -> Vec<(String, String)> {
        let mut out = vec![
            (names::LABEL_FUNCTION.to_owned(), self.name.to_owned()),
            (names::LABEL_MODULE.to_owned(), self.module.to_owned()),
        ];
        out.extend(self.labels.iter().cloned());
        out
    }

    /// The grouping label names of its alerts and recording rules, for `by (...)`: `job`
    /// first, so two deployments of one code base on one Prometheus stay apart.
    pub(crate) fn alert_by(&self) -> String {
        format!("{}, {}", names::LABEL_JOB, self.by())
    }

    pub(crate) fn origin(&self) -> String {
        format!("{}::{}", self.module, self.name)
    }
}

/// A declared metric's identity in PromQL: its name, its static labels, and the keys of a
/// labelled family (one alert per label set). The dashboard's Values row reads it too, so a
/// panel selects exactly the series an alert reads.
pub(crate) struct Metric<'a> {
    pub(crate) declared: &'a Declared,
    pub(crate) name: String,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) keys: Vec<String>,
    /// The range of a last-value read (`last_over_time`), from the scrape interval.
    fresh: String,
}

impl<'a> Metric<'a> {
    pub(crate) fn of(declared: &'a Declared) -> Metric<'a> {
        Metric {
            declared,
            name: declared.metric_name().into_owned(),
            labels: declared
                .labels
                .iter()
                .map(|l| (l.key.to_string(), l.value.to_string()))
                .collect(),
            keys: declared
                .label_keys
                .iter()
                .map(ToString::to_string)
                .collect(),
            fresh: fresh_window(DEFAULT_SCRAPE_INTERVAL),
        }
    }

    /// Its alerts' reads for a scrape interval of `scrape`.
    pub(crate) fn scraped_every(mut self, scrape: Duration) -> Self {
        self.fresh = fresh_window(scrape);
        self
    }

    /// Its last value on each replica over the last few scrapes: one failed scrape (which
    /// stale-marks the series) does not end a `for`, and a replica gone for good drops out.
    pub(crate) fn last_value(&self, selector: &str) -> String {
        format!("last_over_time({selector}[{}])", self.fresh)
    }

    /// `inner` (a range function of the metric over `window`) on the replicas that are
    /// still scraped and were already there when the window began: a deleted pod's tail
    /// and a new pod's partial window are no verdict on the feed.
    pub(crate) fn on_live_replicas(&self, inner: &str, window: &str) -> String {
        let selector = self.selector("");
        format!(
            "{inner} and {} and last_over_time({selector}[{}] offset {window})",
            self.last_value(&selector),
            self.fresh
        )
    }

    /// `name{static="v"}` with `suffix` on the name (`_bucket`).
    pub(crate) fn selector(&self, suffix: &str) -> String {
        self.selector_with(suffix, &[])
    }

    /// `name{static="v", scope...}`: the selector narrowed by `scope`'s matchers too (the
    /// dashboard's `job=~"$job"`).
    pub(crate) fn selector_with(&self, suffix: &str, scope: &[&str]) -> String {
        let matchers: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={}", promql_string(v)))
            .chain(scope.iter().map(|m| (*m).to_owned()))
            .collect();
        if matchers.is_empty() {
            format!("{}{suffix}", self.name)
        } else {
            format!("{}{suffix}{{{}}}", self.name, matchers.join(", "))
        }
    }

    /// `op by (job, labels) (inner)`: an alert's aggregation over the replicas of each job.
    pub(crate) fn aggregate(&self, op: &str, inner: &str) -> String {
        self.aggregate_with(op, &[LABEL_JOB], inner)
    }

    /// `op by (first, labels) (inner)`: the alert's grouping with `first` kept too (the
    /// dashboard keeps `instance`, one line per replica).
    pub(crate) fn aggregate_with(&self, op: &str, first: &[&str], inner: &str) -> String {
        let by = self.by_with(first, &[]);
        if by.is_empty() {
            format!("{op}({inner})")
        } else {
            format!("{op} by ({by}) ({inner})")
        }
    }

    /// The label names an alert keeps (the static labels, then the family's keys), with
    /// `first` before and `last` after.
    pub(crate) fn by_with(&self, first: &[&str], last: &[&str]) -> String {
        first
            .iter()
            .copied()
            .chain(self.labels.iter().map(|(k, _)| k.as_str()))
            .chain(self.keys.iter().map(String::as_str))
            .chain(last.iter().copied())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Each replica's value divided by its own `denominator` (same target), as a ratio
    /// alert compares it; `scope` narrows both selectors.
    pub(crate) fn ratio(&self, denominator: &Metric<'_>, scope: &[&str]) -> String {
        format!(
            "{} / on (instance, job) group_left {}",
            self.selector_with("", scope),
            denominator.selector_with("", scope)
        )
    }

    /// [`ratio`](Self::ratio) of the last values, as an alert reads it.
    pub(crate) fn last_ratio(&self, denominator: &Metric<'_>) -> String {
        format!(
            "{} / on (instance, job) group_left {}",
            self.last_value(&self.selector("")),
            self.last_value(&denominator.selector(""))
        )
    }

    /// The `q` quantile over every replica's buckets together, per label set, as a
    /// quantile alert reads it; `scope` narrows the selector.
    pub(crate) fn quantile(&self, q: f64, window: &str, scope: &[&str]) -> String {
        self.quantile_by(&[], q, window, scope)
    }

    /// [`quantile`](Self::quantile) kept apart by `first` too (an alert's `job`).
    pub(crate) fn quantile_by(
        &self,
        first: &[&str],
        q: f64,
        window: &str,
        scope: &[&str],
    ) -> String {
        format!(
            "histogram_quantile({}, sum by ({}) (rate({}[{window}])))",
            format_float(q),
            self.by_with(first, &["le"]),
            self.selector_with("_bucket", scope)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_regex_matches_both_spellings() {
        assert_eq!(le_regex(1_000_000_000), "1|1\\.0");
        assert_eq!(le_regex(250_000_000), "0\\.25");
        assert_eq!(le_regex(10_000), "0\\.00001|1e-05");
    }

    #[test]
    fn regex_metacharacters_are_escaped() {
        assert_eq!(regex_escape("0.25"), "0\\.25");
        assert_eq!(
            regex_escape(r"a\.+*?()|[]{}^$-b"),
            r"a\\\.\+\*\?\(\)\|\[\]\{\}\^\$-b"
        );
    }
}
