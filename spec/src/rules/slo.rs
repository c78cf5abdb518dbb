//! `slo(...)`: recording rules of the bad-event ratio over the SRE workbook's windows, and
//! its multi-window, multi-burn-rate alerts for a 30-day objective.

use std::time::Duration;

use super::alerts::{calls, histogram, round, Function};
use super::scenario::{round_up, Probe, Series};
use super::text::{promql_string, regex_escape};
use super::{AlertRule, RecordingRule, RuleSet};
use crate::model::{Attribute, Site, Slo};
use crate::names::{
    self, format_float, nanos_as_seconds_text, prometheus_duration, upper_camel_case,
};

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;

/// Every window the burn-rate alerts read.
const WINDOWS: [Duration; 7] = [
    Duration::from_secs(5 * MINUTE),
    Duration::from_secs(30 * MINUTE),
    Duration::from_secs(HOUR),
    Duration::from_secs(2 * HOUR),
    Duration::from_secs(6 * HOUR),
    Duration::from_secs(24 * HOUR),
    Duration::from_secs(72 * HOUR),
];

/// The shortest window the burn-rate alerts read.
pub(super) const SHORTEST_WINDOW: Duration = WINDOWS[0];

/// (long window, short window, burn rate) pairs; either pair firing fires the alert.
struct Policy {
    severity: &'static str,
    for_: Duration,
    pairs: [(Duration, Duration, f64); 2],
}

const PAGE: Policy = Policy {
    severity: "critical",
    for_: Duration::from_secs(2 * MINUTE),
    pairs: [
        (
            Duration::from_secs(HOUR),
            Duration::from_secs(5 * MINUTE),
            14.4,
        ),
        (
            Duration::from_secs(6 * HOUR),
            Duration::from_secs(30 * MINUTE),
            6.0,
        ),
    ],
};

const TICKET: Policy = Policy {
    severity: "warning",
    for_: Duration::from_secs(15 * MINUTE),
    pairs: [
        (
            Duration::from_secs(24 * HOUR),
            Duration::from_secs(2 * HOUR),
            3.0,
        ),
        (
            Duration::from_secs(72 * HOUR),
            Duration::from_secs(6 * HOUR),
            1.0,
        ),
    ],
};

/// What an SLO of one site counts as bad, and how its tests produce bad and good calls.
struct Objective<'a> {
    function: Function<'a>,
    /// `function_module:<metric>:error_ratio_rate` or `..:slow_ratio_rate`.
    record_prefix: String,
    /// The latency threshold, in seconds as `le` writes it (latency SLOs only).
    threshold: Option<String>,
    alert_name: String,
    kind: &'static str,
    objective: f64,
    /// Series with this share of bad calls, on both replicas.
    calls: Box<dyn Fn(f64) -> Vec<Series> + 'a>,
}

/// The interval of the recording group: a 3-day ratio need not be recomputed every 15 s.
pub(super) const RECORDING_INTERVAL: Duration = Duration::from_secs(MINUTE);

pub(super) fn add_site(set: &mut RuleSet, site: &Site, scrape: Duration) {
    for slo in site.attribute.slos() {
        let objective = match &site.attribute {
            Attribute::Counted(counted) => {
                let metric = counted.metric.metric_name(names::FUNCTION_CALLS_TOTAL);
                let f = Function::of(site);
                let ok = f.selector(metric, "");
                let bad = f.selector(metric, ", result=\"error\"");
                let by = f.by();
                let base = metric.strip_suffix("_total").unwrap_or(metric);
                let objective = Objective {
                    record_prefix: format!("function_module:{base}:error_ratio_rate"),
                    threshold: None,
                    alert_name: format!("{}ErrorBudgetBurn", upper_camel_case(&site.function)),
                    kind: "error",
                    objective: slo.objective,
                    calls: Box::new(move |share| {
                        let f = Function::of(site);
                        calls(&f, metric, [(60.0 * (1.0 - share), 60.0 * share); 2], None)
                    }),
                    function: f,
                };
                record(set, &objective, |w| {
                    format!("sum by ({by}) (rate({bad}[{w}])) / sum by ({by}) (rate({ok}[{w}]))")
                });
                objective
            }
            Attribute::Timed(timed) => {
                let metric = timed
                    .metric
                    .metric_name(names::FUNCTION_CALLS_DURATION_SECONDS);
                let threshold = latency_nanos(slo);
                let le = le_regex(threshold);
                let f = Function::of(site);
                let by = f.by();
                let good = f.selector(
                    &format!("{metric}_bucket"),
                    &format!(", le=~{}", promql_string(&le)),
                );
                let total = f.selector(&format!("{metric}_count"), "");
                let bounds = timed.bucket_bounds_nanos();
                let above = bounds
                    .iter()
                    .copied()
                    .find(|b| *b > threshold)
                    .unwrap_or(u64::MAX);
                let objective = Objective {
                    record_prefix: format!("function_module:{metric}:slow_ratio_rate"),
                    threshold: Some(nanos_as_seconds_text(threshold)),
                    alert_name: format!("{}LatencyBudgetBurn", upper_camel_case(&site.function)),
                    kind: "latency",
                    objective: slo.objective,
                    calls: Box::new(move |share| {
                        let f = Function::of(site);
                        let calls = vec![(threshold, 60.0 * (1.0 - share)), (above, 60.0 * share)];
                        histogram(&f, metric, &bounds, [calls.clone(), calls], None)
                    }),
                    function: f,
                };
                record(set, &objective, |w| {
                    format!(
                        "1 - (sum by ({by}) (rate({good}[{w}])) / sum by ({by}) (rate({total}[{w}])))"
                    )
                });
                objective
            }
            Attribute::CircuitBreaker(_) => continue,
        };
        let page = burn_alert(&objective, &PAGE);
        let mut ticket = burn_alert(&objective, &TICKET);
        let mut page = page;
        page.probes = probes(&objective, scrape);
        ticket.probes.clear();
        set.alerts.push(page);
        set.alerts.push(ticket);
    }
}

/// Every call bad: the page fires `for` after the first recorded ratio, the ticket later;
/// bad calls just under the smallest burn threshold: neither fires.
fn probes(objective: &Objective<'_>, scrape: Duration) -> Vec<Probe> {
    let budget = 1.0 - objective.objective;
    // Rule groups start at an offset of their own (a hash of their name and file), so
    // the first recorded ratio comes within one recording interval after the first scrape.
    let (earliest, latest) = (scrape, scrape + RECORDING_INTERVAL);
    let mut probes = Vec::new();
    let can = |policy: &Policy| policy.pairs.iter().any(|(_, _, burn)| burn * budget < 1.0);
    let firing = |policy: &Policy| super::scenario::Expect {
        severity: policy.severity.to_owned(),
        value: 1.0,
        labels: Vec::new(),
    };
    let page: Vec<_> = if can(&PAGE) {
        vec![firing(&PAGE)]
    } else {
        vec![]
    };
    let both: Vec<_> = [&PAGE, &TICKET]
        .into_iter()
        .filter(|p| can(p))
        .map(firing)
        .collect();
    let all_bad = Probe::new("every call bad")
        .with((objective.calls)(1.0))
        .check(earliest + PAGE.for_ - scrape, vec![])
        .check(round_up(latest + PAGE.for_, scrape), page.clone())
        .check(earliest + TICKET.for_ - scrape, page)
        .check(round_up(latest + TICKET.for_, scrape), both);
    let ticket_at = round_up(latest + TICKET.for_, scrape);
    probes.push(all_bad);
    let smallest = PAGE
        .pairs
        .iter()
        .chain(&TICKET.pairs)
        .map(|p| p.2)
        .fold(f64::INFINITY, f64::min);
    probes.push(
        Probe::new("bad calls at 3/4 of the slowest burn rate")
            .with((objective.calls)(0.75 * smallest * budget))
            .silent(ticket_at + scrape),
    );
    probes
}

fn latency_nanos(slo: &Slo) -> u64 {
    names::duration_nanos(
        slo.latency
            .expect("the grammar requires a latency on #[timed] SLOs"),
    )
}

/// Matches the `le` of the threshold's bucket as botwatch writes it (`1`, `0.25`) and as
/// Prometheus 3 normalises it (`1.0`, `1e-05`).
fn le_regex(nanos: u64) -> String {
    let seconds = nanos as f64 / 1e9;
    let mut forms = vec![
        nanos_as_seconds_text(nanos),
        super::text::go_float(seconds, None),
    ];
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

fn record(set: &mut RuleSet, objective: &Objective<'_>, expr: impl Fn(&str) -> String) {
    for window in WINDOWS {
        let w = prometheus_duration(window);
        set.recording.push(RecordingRule {
            record: format!("{}{w}", objective.record_prefix),
            expr: expr(&w),
            // The values the expression yields anyway: two functions' ratios are two rules.
            labels: objective.function.grouping(),
        });
    }
}

fn burn_alert(objective: &Objective<'_>, policy: &Policy) -> AlertRule {
    let budget = 1.0 - objective.objective;
    let matcher = objective.function.selector("", "");
    let ratio = |window: Duration| {
        format!(
            "{}{}{matcher}",
            objective.record_prefix,
            prometheus_duration(window)
        )
    };
    let clauses: Vec<String> = policy
        .pairs
        .iter()
        .map(|(long, short, burn)| {
            let threshold = format_float(round(burn * budget));
            format!(
                "({} > {threshold} and {} > {threshold})",
                ratio(*long),
                ratio(*short)
            )
        })
        .collect();
    let percent = format!("{}%", format_float(round(objective.objective * 100.0)));
    let slowest_burn = policy
        .pairs
        .iter()
        .map(|p| p.2)
        .fold(f64::INFINITY, f64::min);
    let who = "{{ $labels.module }}::{{ $labels.function }}";
    let (summary, description) = match objective.kind {
        "error" => (
            format!("{{{{ $labels.function }}}} is burning its error budget ({percent} objective)"),
            format!(
                "{{{{ $value | humanizePercentage }}}} of calls to {who} fail; at this rate the 30-day error budget of a {percent} objective burns at least {}x too fast.",
                format_float(slowest_burn)
            ),
        ),
        _ => (
            format!("{{{{ $labels.function }}}} is burning its latency budget ({percent} objective)"),
            format!(
                "{{{{ $value | humanizePercentage }}}} of calls to {who} are slower than {}s; at this rate the 30-day budget of a {percent} objective burns at least {}x too fast.",
                objective.threshold.as_deref().unwrap_or("?"),
                format_float(slowest_burn)
            ),
        ),
    };
    AlertRule {
        name: objective.alert_name.clone(),
        expr: clauses.join(" or "),
        for_: policy.for_,
        grouping: objective.function.grouping(),
        labels: vec![("severity".to_owned(), policy.severity.to_owned())],
        annotations: vec![
            ("summary".to_owned(), summary),
            ("description".to_owned(), description),
        ],
        origin: objective.function.origin(),
        probes: Vec::new(),
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
}
