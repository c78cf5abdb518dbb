//! `slo(...)`: recording rules of the bad-event ratio over the SRE workbook's windows, and
//! its multi-window, multi-burn-rate alerts for a 30-day objective.

mod policy;
mod probes;

pub(crate) use policy::{PAGE, SHORTEST_WINDOW, TICKET};

use std::time::Duration;

use policy::{Objective, Policy, Traffic, LONG, WINDOWS};

use super::draft::round;
use super::scenario::data::{calls, histogram};
use super::scenario::long_step;
use super::set::{AlertRule, RecordingRule, RuleSet};
use crate::promql::{le_regex, Function};
use crate::text::promql_string;
use botwatch_spec::model::{Attribute, Site, Slo};
use botwatch_spec::names::{
    self, format_float, format_percent, nanos_as_seconds_text, prometheus_duration,
    upper_camel_case,
};

/// Calls per sample in the probes: enough that a share of the budget is whole calls.
const CALLS: f64 = 1_000_000.0;

pub(super) fn add_site(set: &mut RuleSet, site: &Site, scrape: Duration) {
    for slo in site.attribute.slos() {
        let objective = match &site.attribute {
            Attribute::Counted(counted) => {
                let metric = counted.metric.metric_name(names::FUNCTION_CALLS_TOTAL);
                let f = Function::of(site);
                let ok = f.selector(metric, "");
                let bad = f.selector(metric, ", result=\"error\"");
                let by = f.alert_by();
                let base = metric.strip_suffix("_total").unwrap_or(metric);
                let objective = Objective {
                    record_prefix: format!("function_module:{base}:error_ratio_rate"),
                    threshold: None,
                    alert_name: burn_alert_name(&site.function, slo),
                    kind: "error",
                    objective: slo.objective,
                    min_rate: slo.min_rate.map(|m| {
                        let (ok, by) = (ok.clone(), by.clone());
                        let traffic: Traffic<'_> =
                            Box::new(move |w| format!("sum by ({by}) (rate({ok}[{w}]))"));
                        (m, traffic)
                    }),
                    calls: Box::new(move |share| {
                        let f = Function::of(site);
                        calls(
                            &f,
                            metric,
                            [(CALLS * (1.0 - share), CALLS * share); 2],
                            None,
                        )
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
                let by = f.alert_by();
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
                    alert_name: burn_alert_name(&site.function, slo),
                    kind: "latency",
                    objective: slo.objective,
                    min_rate: slo.min_rate.map(|m| {
                        let (total, by) = (total.clone(), by.clone());
                        let traffic: Traffic<'_> =
                            Box::new(move |w| format!("sum by ({by}) (rate({total}[{w}]))"));
                        (m, traffic)
                    }),
                    calls: Box::new(move |share| {
                        let f = Function::of(site);
                        let calls =
                            vec![(threshold, CALLS * (1.0 - share)), (above, CALLS * share)];
                        // Hours of data: only the buckets the ratio could read, the
                        // threshold's and the next (where a wrong `le` would look).
                        let read: Vec<u64> = bounds
                            .iter()
                            .copied()
                            .filter(|b| *b == threshold || *b == above)
                            .collect();
                        histogram(&f, metric, &read, [calls.clone(), calls], None)
                    }),
                    function: f,
                };
                // Only the replicas that have the threshold's bucket count: an old replica
                // (before the deploy that added the threshold) has calls but no bucket, and
                // all of them would read as slow.
                record(set, &objective, |w| {
                    format!(
                        "1 - (sum by ({by}) (rate({good}[{w}])) / sum by ({by}) (rate({total}[{w}]) and ignoring (le) rate({good}[{w}])))"
                    )
                });
                objective
            }
            Attribute::CircuitBreaker(_) => continue,
        };
        // Hours of data: sampled and evaluated every minute.
        let step = long_step(scrape);
        let mut page = burn_alert(&objective, &PAGE, step);
        let ticket = burn_alert(&objective, &TICKET, step);
        page.probes = probes::probes(&objective, step);
        set.alerts.push(page);
        set.alerts.push(ticket);
    }
}

/// The name of the burn-rate alerts of `slo` on `function` (the dashboard lists them too).
pub(crate) fn burn_alert_name(function: &str, slo: &Slo) -> String {
    let kind = if slo.latency.is_some() {
        "Latency"
    } else {
        "Error"
    };
    format!("{}{kind}BudgetBurn", upper_camel_case(function))
}

fn latency_nanos(slo: &Slo) -> u64 {
    names::duration_nanos(
        slo.latency
            .expect("the grammar requires a latency on #[timed] SLOs"),
    )
}

fn record(set: &mut RuleSet, objective: &Objective<'_>, expr: impl Fn(&str) -> String) {
    for window in WINDOWS {
        let w = prometheus_duration(window);
        set.recording.push(RecordingRule {
            record: format!("{}{w}", objective.record_prefix),
            expr: expr(&w),
            // The values the expression yields anyway: two functions' ratios are two rules.
            // Not the per-call labels: each label set's ratio keeps its own values.
            labels: objective.function.identity(),
            long: window >= LONG,
        });
    }
}

fn burn_alert(objective: &Objective<'_>, policy: &Policy, step: Duration) -> AlertRule {
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
            // Too little traffic to judge (`min_rate`): silent.
            let traffic = objective
                .min_rate
                .as_ref()
                .map_or(String::new(), |(m, traffic)| {
                    format!(
                        " and {} >= {}",
                        traffic(&prometheus_duration(*short)),
                        format_float(*m)
                    )
                });
            format!(
                // The short window first: its ratio is `$value`, the burn now.
                "({} > {threshold} and {} > {threshold}{traffic})",
                ratio(*short),
                ratio(*long)
            )
        })
        .collect();
    let percent = format_percent(objective.objective);
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
                "{{{{ $value | humanizePercentage }}}} of calls to {who} fail; at this rate the 30-day error budget of a {percent} objective {}.",
                budget_pace(slowest_burn)
            ),
        ),
        _ => (
            format!("{{{{ $labels.function }}}} is burning its latency budget ({percent} objective)"),
            format!(
                "{{{{ $value | humanizePercentage }}}} of calls to {who} are slower than {}s; at this rate the 30-day budget of a {percent} objective {}.",
                objective.threshold.as_deref().unwrap_or("?"),
                budget_pace(slowest_burn)
            ),
        ),
    };
    AlertRule {
        name: objective.alert_name.clone(),
        expr: clauses.join(" or "),
        for_: policy.for_,
        grouping: objective.function.grouping(),
        identity: objective.function.identity(),
        labels: vec![("severity".to_owned(), policy.severity.to_owned())],
        annotations: vec![
            ("summary".to_owned(), summary),
            ("description".to_owned(), description),
        ],
        origin: objective.function.origin(),
        during: None,
        probes: Vec::new(),
        latency: None,
        test_step: step,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recording rule's labels are the same on every series it writes: the ratio of each
    /// per-call label set keeps its own `venue` (a rule label `venue="..."` would give every
    /// venue's ratio one label set, which Prometheus refuses to record).
    #[test]
    fn ratios_of_per_call_label_sets_keep_their_values() {
        let tokens = "labels(venue = venue, desk = \"mev\"), slo(objective = 99%)";
        let counted = botwatch_spec::parse::parse_counted(tokens.parse().unwrap()).unwrap();
        let site = Site {
            function: "place".into(),
            module: "bot::orders".into(),
            attribute: Attribute::Counted(counted),
        };
        let mut set = RuleSet::default();
        add_site(&mut set, &site, Duration::from_secs(15));
        assert_eq!(set.recording.len(), WINDOWS.len());
        for rule in &set.recording {
            assert!(
                rule.expr
                    .contains("by (job, function, module, desk, venue)"),
                "{}",
                rule.expr
            );
            let keys: Vec<&str> = rule.labels.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, ["function", "module", "desk"], "{}", rule.record);
        }
    }
}

/// How fast a burn rate of at least `burn` spends a 30-day budget, in words: a burn of 1 is
/// exactly the pace that spends it in 30 days ("at least 1x too fast" said nothing).
fn budget_pace(burn: f64) -> String {
    if burn <= 1.0 {
        "runs out before the 30 days are over".to_owned()
    } else {
        format!(
            "is spent at least {}x as fast as it allows (gone in {} days or less)",
            format_float(burn),
            format_float((30.0 / burn * 10.0).round() / 10.0)
        )
    }
}

#[cfg(test)]
mod pace_tests {
    use super::budget_pace;

    #[test]
    fn the_pace_reads_as_a_deadline() {
        assert_eq!(budget_pace(1.0), "runs out before the 30 days are over");
        assert_eq!(
            budget_pace(6.0),
            "is spent at least 6x as fast as it allows (gone in 5 days or less)"
        );
        assert_eq!(
            budget_pace(14.4),
            "is spent at least 14.4x as fast as it allows (gone in 2.1 days or less)"
        );
    }
}
