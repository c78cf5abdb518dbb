//! The PromQL of every panel, built with the rules' own selectors ([`Function`]) and metric
//! names ([`names`]), so a panel reads exactly the series an alert reads. Every range is
//! Grafana's `$__rate_interval` (never shorter than four scrapes, whatever the zoom), except
//! the error budget's, which is the SLO's 30-day period by definition, and the window a
//! declared metric's `increase`, `idle` or `unchanged` alert names. Every selector is
//! narrowed by the dashboard's variables: `$job`, `$instance` and a function's per-call
//! labels. Declared metrics' panels read the selectors and groupings of their alerts
//! ([`DeclaredMetric`]), one line per replica where an alert compares each replica.

use std::borrow::Cow;

use crate::promql::{le_regex, regex_escape, Function, Metric as DeclaredMetric};
use crate::text::promql_string;
use botwatch_spec::model::{Attribute, Site, Slo};
use botwatch_spec::names::{self, format_float, nanos_as_seconds_text};

/// Grafana's rate interval: at least four scrapes, whatever the dashboard's zoom.
pub(crate) const RATE_INTERVAL: &str = "$__rate_interval";

/// The period the error budget is counted over, as the SLO alerts' burn rates assume.
pub(crate) const SLO_PERIOD: &str = "30d";

/// One query of a panel: its PromQL and its legend.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Query {
    /// The PromQL, with Grafana's variables in it.
    pub(crate) expr: String,
    /// The legend format (`{{result}}`).
    pub(crate) legend: String,
}

impl Query {
    fn new(expr: String, legend: impl Into<String>) -> Query {
        Query {
            expr,
            legend: legend.into(),
        }
    }
}

/// `, job=~"$job", instance=~"$instance"`: the matchers every selector carries.
pub(crate) const SCOPE: &str = ", job=~\"$job\", instance=~\"$instance\"";

/// The variable named after a per-call label: `$venue`.
pub(crate) fn call_label_variable(key: &str) -> String {
    format!("${key}")
}

/// The scope matchers plus one per per-call label of `function` (borrowed when it has none:
/// most functions, and the dashboard builds thousands of selectors).
pub(crate) fn scope(function: &Function<'_>) -> Cow<'static, str> {
    if function.call_labels.is_empty() {
        return Cow::Borrowed(SCOPE);
    }
    let mut out = SCOPE.to_owned();
    for key in &function.call_labels {
        out.push_str(&format!(", {key}=~\"{}\"", call_label_variable(key)));
    }
    Cow::Owned(out)
}

/// ` {{venue}} {{side}}`: the legend part telling per-call label sets apart.
fn call_legend(function: &Function<'_>) -> String {
    function
        .call_labels
        .iter()
        .map(|k| format!(" {{{{{k}}}}}"))
        .collect()
}

/// `sum by (<call labels>, extra)` without a trailing comma when either is empty.
fn by_call_labels(function: &Function<'_>, extra: &[&str]) -> String {
    let labels: Vec<&str> = extra
        .iter()
        .copied()
        .chain(function.call_labels.iter().map(String::as_str))
        .collect();
    labels.join(", ")
}

fn rate(selector: &str) -> String {
    // `concat` sizes the text once; `format!` grows it as it goes, and the dashboard builds
    // thousands of these.
    ["rate(", selector, "[", RATE_INTERVAL, "])"].concat()
}

/// The metric a counted or timed site records into.
pub(crate) fn metric(site: &Site) -> Option<&str> {
    match &site.attribute {
        Attribute::Counted(c) => Some(c.metric.metric_name(names::FUNCTION_CALLS_TOTAL)),
        Attribute::Timed(t) => Some(t.metric.metric_name(names::FUNCTION_CALLS_DURATION_SECONDS)),
        Attribute::CircuitBreaker(_) => None,
    }
}

/// Calls per second of a `#[counted]` function, by result (and per-call labels).
pub(crate) fn calls_by_result(site: &Site, metric: &str) -> Query {
    let f = Function::of(site);
    let by = by_call_labels(&f, &[names::LABEL_RESULT]);
    let selector = f.selector(metric, &scope(&f));
    Query::new(
        format!("sum by ({by}) ({})", rate(&selector)),
        format!("{{{{{}}}}}{}", names::LABEL_RESULT, call_legend(&f)),
    )
}

/// The share of a `#[counted]` function's calls that returned an error, grouped like its
/// `error_rate` alert.
pub(crate) fn error_ratio(site: &Site, metric: &str) -> Query {
    let f = Function::of(site);
    let by = f.by();
    let scope = scope(&f);
    let errors = f.selector(
        metric,
        &format!(
            ", {}=\"{}\"{scope}",
            names::LABEL_RESULT,
            names::RESULT_ERROR,
        ),
    );
    let all = f.selector(metric, &scope);
    Query::new(
        format!(
            "sum by ({by}) ({}) / sum by ({by}) ({})",
            rate(&errors),
            rate(&all)
        ),
        format!("errors{}", call_legend(&f)),
    )
}

/// Latency quantiles of a `#[timed]` function, grouped like its latency alerts: a query
/// per quantile, the selector built once for them all.
pub(crate) fn latency(
    site: &Site,
    metric: &str,
    quantiles: &[botwatch_spec::model::Quantile],
) -> Vec<Query> {
    let f = Function::of(site);
    let by = f.by();
    let buckets = rate(&f.selector(&format!("{metric}_bucket"), &scope(&f)));
    let sum = format!("sum by ({by}, le) ({buckets})");
    let legend = call_legend(&f);
    quantiles
        .iter()
        .map(|quantile| {
            let fraction = format_float(quantile.fraction());
            Query::new(
                ["histogram_quantile(", &fraction, ", ", &sum, ")"].concat(),
                [quantile.keyword(), &legend].concat(),
            )
        })
        .collect()
}

/// The bad share of an SLO's calls over `window`: errors for `#[counted]`, calls slower
/// than the objective's latency for `#[timed]` (the bucket the threshold ends, as the
/// recording rules read it).
pub(crate) fn bad_ratio(site: &Site, metric: &str, slo: &Slo, window: &str) -> String {
    let f = Function::of(site);
    let by = f.by();
    let range = |selector: String| format!("sum by ({by}) (rate({selector}[{window}]))");
    match slo.latency {
        None => format!(
            "{} / {}",
            range(f.selector(
                metric,
                &format!(
                    ", {}=\"{}\"{}",
                    names::LABEL_RESULT,
                    names::RESULT_ERROR,
                    scope(&f)
                )
            )),
            range(f.selector(metric, &scope(&f)))
        ),
        Some(latency) => {
            let le = le_regex(names::duration_nanos(latency));
            let good = f.selector(
                &format!("{metric}_bucket"),
                &format!(", le=~{}{}", promql_string(&le), scope(&f)),
            );
            format!(
                "(1 - {} / {})",
                range(good),
                range(f.selector(&format!("{metric}_count"), &scope(&f)))
            )
        }
    }
}

/// How fast an SLO's error budget burns: its bad share over the rate interval divided by
/// the budget (1 means the budget lasts exactly the period).
pub(crate) fn burn_rate(site: &Site, metric: &str, slo: &Slo) -> Query {
    let f = Function::of(site);
    Query::new(
        format!(
            "{} / {}",
            bad_ratio(site, metric, slo, RATE_INTERVAL),
            format_float(budget(slo))
        ),
        format!("burn rate{}", call_legend(&f)),
    )
}

/// The share of an SLO's 30-day error budget not yet spent.
pub(crate) fn budget_left(site: &Site, metric: &str, slo: &Slo) -> Query {
    let f = Function::of(site);
    Query::new(
        format!(
            "1 - ({}) / {}",
            bad_ratio(site, metric, slo, SLO_PERIOD),
            format_float(budget(slo))
        ),
        format!("budget left{}", call_legend(&f)),
    )
}

/// `1 - objective`, without binary noise (`1 - 0.999` is `0.0010000000000000009`).
pub(crate) fn budget(slo: &Slo) -> f64 {
    ((1.0 - slo.objective) * 1e12).round() / 1e12
}

/// The latency an SLO calls good, in seconds as Prometheus prints it.
pub(crate) fn slo_latency_text(slo: &Slo) -> Option<String> {
    slo.latency
        .map(|l| nanos_as_seconds_text(names::duration_nanos(l)))
}

/// `metric{breaker="relay", job=~"$job", instance=~"$instance"}`.
fn breaker_selector(metric: &str, breaker: &str) -> String {
    format!(
        "{metric}{{{}={}{SCOPE}}}",
        names::LABEL_BREAKER,
        promql_string(breaker)
    )
}

/// The label a per-key breaker's series are told apart by, in legends and `by`.
fn key_legend(keyed: bool) -> &'static str {
    if keyed {
        " {{key}}"
    } else {
        ""
    }
}

/// A breaker's state per instance (and key): 0 closed, 1 open, 2 half-open.
pub(crate) fn breaker_state(breaker: &str, keyed: bool) -> Query {
    let by = if keyed { "instance, key" } else { "instance" };
    Query::new(
        format!(
            "max by ({by}) ({})",
            breaker_selector(names::CIRCUIT_BREAKER_STATE, breaker)
        ),
        format!("{{{{instance}}}}{}", key_legend(keyed)),
    )
}

/// A breaker's state changes, by `from` and `to`.
pub(crate) fn breaker_transitions(breaker: &str) -> Query {
    Query::new(
        format!(
            "sum by ({}, {}) (increase({}[{RATE_INTERVAL}]))",
            names::LABEL_FROM,
            names::LABEL_TO,
            breaker_selector(names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL, breaker)
        ),
        "{{from}} → {{to}}",
    )
}

/// Calls per second a breaker counted as successes, as failures, and rejected.
pub(crate) fn breaker_calls(breaker: &str, keyed: bool) -> Vec<Query> {
    let by = if keyed { "sum by (key) " } else { "sum " };
    [
        (names::CIRCUIT_BREAKER_REJECTED_TOTAL, "rejected"),
        (names::CIRCUIT_BREAKER_FAILURES_TOTAL, "failures"),
        (names::CIRCUIT_BREAKER_SUCCESSES_TOTAL, "successes"),
    ]
    .into_iter()
    .map(|(metric, legend)| {
        Query::new(
            format!("{by}({})", rate(&breaker_selector(metric, breaker))),
            format!("{legend}{}", key_legend(keyed)),
        )
    })
    .collect()
}

/// The p99 of calls a breaker let through.
pub(crate) fn breaker_latency(breaker: &str, keyed: bool) -> Query {
    let by = if keyed { "key, le" } else { "le" };
    Query::new(
        format!(
            "histogram_quantile(0.99, sum by ({by}) ({}))",
            rate(&breaker_selector(
                &format!("{}_bucket", names::CIRCUIT_BREAKER_LATENCY_SECONDS),
                breaker
            ))
        ),
        format!("p99{}", key_legend(keyed)),
    )
}

/// `botwatch_guard_engaged` of the guard `guard`, per instance and breaker.
pub(crate) fn guard_engaged(guard: &str) -> Query {
    Query::new(
        format!(
            "max by (instance, {}) ({}{{{}={}{SCOPE}}})",
            names::LABEL_BREAKER,
            names::BOTWATCH_GUARD_ENGAGED,
            names::LABEL_GUARD,
            promql_string(guard)
        ),
        "{{instance}} {{breaker}}",
    )
}

/// Whether each scraped instance of the bot is up.
pub(crate) fn up() -> Query {
    Query::new(
        "up{job=~\"$job\", instance=~\"$instance\"}".to_owned(),
        "{{instance}}",
    )
}

/// How long each instance has run.
pub(crate) fn uptime() -> Query {
    Query::new(
        format!(
            "time() - max by (instance) ({}{{{}}})",
            names::PROCESS_START_TIME_SECONDS,
            &SCOPE[2..]
        ),
        "{{instance}}",
    )
}

/// How many breaker series (instance × breaker × key) are not closed; 0 when all are.
pub(crate) fn breakers_not_closed() -> Query {
    Query::new(
        format!(
            "count({} > 0) or vector(0)",
            format_args!("{}{{{}}}", names::CIRCUIT_BREAKER_STATE, &SCOPE[2..])
        ),
        "not closed",
    )
}

/// Alerts of this bot firing now: its own by name (they aggregate away `job`), plus any
/// carrying the job (`BotDown`, `BotRestarting`); 0 when none.
pub(crate) fn alerts_firing(alert_names: &[String]) -> Query {
    let mut parts = Vec::new();
    if !alert_names.is_empty() {
        let names: Vec<String> = alert_names.iter().map(|n| regex_escape(n)).collect();
        parts.push(format!(
            "ALERTS{{alertstate=\"firing\", alertname=~{}}}",
            promql_string(&names.join("|"))
        ));
    }
    parts.push("ALERTS{alertstate=\"firing\", job=~\"$job\"}".to_owned());
    Query::new(
        format!("count({}) or vector(0)", parts.join(" or ")),
        "firing",
    )
}

/// Alerts of this bot firing or pending now, as series (a table's rows): its own by name
/// and any carrying its job.
pub(crate) fn alerts_now(alert_names: &[String]) -> Query {
    let mut parts = Vec::new();
    if !alert_names.is_empty() {
        let names: Vec<String> = alert_names.iter().map(|n| regex_escape(n)).collect();
        parts.push(format!(
            "ALERTS{{alertname=~{}}}",
            promql_string(&names.join("|"))
        ));
    }
    parts.push("ALERTS{job=~\"$job\"}".to_owned());
    Query::new(parts.join(" or "), "{{alertname}}")
}

/// Calls per second of the whole bot into `metric`.
pub(crate) fn bot_calls(metric: &str) -> Query {
    Query::new(
        format!("sum({})", rate(&format!("{metric}{{{}}}", &SCOPE[2..]))),
        format!("calls/s ({metric})"),
    )
}

/// The error share of the whole bot's calls into `metric`.
pub(crate) fn bot_errors(metric: &str) -> Query {
    let errors = format!(
        "{metric}{{{}=\"{}\"{SCOPE}}}",
        names::LABEL_RESULT,
        names::RESULT_ERROR
    );
    Query::new(
        format!(
            "sum({}) / sum({})",
            rate(&errors),
            rate(&format!("{metric}{{{}}}", &SCOPE[2..]))
        ),
        format!("errors ({metric})"),
    )
}

/// Calls recorded in the overflow series of functions with per-call labels and of labelled
/// declared families (their `metric` label): label sets beyond their `max_series`.
pub(crate) fn label_overflow() -> Query {
    Query::new(
        format!(
            "sum by (function, module, metric) ({})",
            rate(&format!(
                "{}{{{}}}",
                names::BOTWATCH_LABEL_OVERFLOW_TOTAL,
                &SCOPE[2..]
            ))
        ),
        "{{module}}::{{function}}{{metric}}",
    )
}

/// Label sets evicted after `label_idle` without a call: the churn of a rotating universe,
/// which makes room for new sets instead of `__overflow__`.
pub(crate) fn label_evictions() -> Query {
    Query::new(
        format!(
            "sum by (function, module, metric) ({})",
            rate(&format!(
                "{}{{{}}}",
                names::BOTWATCH_LABEL_EVICTIONS_TOTAL,
                &SCOPE[2..]
            ))
        ),
        "{{module}}::{{function}}{{metric}} evicted",
    )
}

/// `{{venue}} {{side}}`: a series' name by its label values (a bar, a slice, a row).
pub(crate) fn keys_legend(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("{{{{{k}}}}}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scope matchers as a list, for the declared metrics' selectors.
pub(crate) const SCOPE_MATCHERS: [&str; 2] = ["job=~\"$job\"", "instance=~\"$instance\""];

/// `{{instance}} {{symbol}}`: one line per replica and label set of a declared metric.
fn value_legend(metric: &DeclaredMetric<'_>) -> String {
    let mut out = "{{instance}}".to_owned();
    for key in &metric.keys {
        out.push_str(&format!(" {{{{{key}}}}}"));
    }
    out
}

/// A gauge's value on each replica, per label set: the series its value alerts compare.
pub(crate) fn gauge_value(metric: &DeclaredMetric<'_>) -> Query {
    Query::new(
        metric.aggregate_with(
            "max",
            &["instance"],
            &metric.selector_with("", &SCOPE_MATCHERS),
        ),
        value_legend(metric),
    )
}

/// A gauge divided by its ratio alert's denominator, on each replica.
pub(crate) fn gauge_ratio(metric: &DeclaredMetric<'_>, denominator: &DeclaredMetric<'_>) -> Query {
    Query::new(
        metric.aggregate_with(
            "max",
            &["instance"],
            &metric.ratio(denominator, &SCOPE_MATCHERS),
        ),
        value_legend(metric),
    )
}

/// How often a gauge changed within an `unchanged` alert's window, on each replica: the
/// alert fires where this is 0.
pub(crate) fn gauge_changes(metric: &DeclaredMetric<'_>, window: &str) -> Query {
    Query::new(
        metric.aggregate_with(
            "max",
            &["instance"],
            &format!(
                "changes({}[{window}])",
                metric.selector_with("", &SCOPE_MATCHERS)
            ),
        ),
        value_legend(metric),
    )
}

/// Seconds since a time on each replica: the last update's (`stale`, `suffix`
/// `_last_update_timestamp_seconds`) or the one the gauge holds (`age`, no suffix).
pub(crate) fn seconds_since(metric: &DeclaredMetric<'_>, suffix: &str) -> Query {
    Query::new(
        format!(
            "time() - {}",
            metric.aggregate_with(
                "max",
                &["instance"],
                &metric.selector_with(suffix, &SCOPE_MATCHERS)
            )
        ),
        value_legend(metric),
    )
}

/// A counter's growth per second on each replica.
pub(crate) fn counter_rate(metric: &DeclaredMetric<'_>) -> Query {
    Query::new(
        metric.aggregate_with(
            "sum",
            &["instance"],
            &rate(&metric.selector_with("", &SCOPE_MATCHERS)),
        ),
        value_legend(metric),
    )
}

/// A counter's growth within an `increase` (or `idle`) alert's window, on each replica.
pub(crate) fn counter_increase(metric: &DeclaredMetric<'_>, window: &str) -> Query {
    Query::new(
        metric.aggregate_with(
            "sum",
            &["instance"],
            &format!(
                "increase({}[{window}])",
                metric.selector_with("", &SCOPE_MATCHERS)
            ),
        ),
        value_legend(metric),
    )
}

/// A quantile of a declared histogram over every replica's buckets, as its alerts read it.
pub(crate) fn value_quantile(
    metric: &DeclaredMetric<'_>,
    quantile: botwatch_spec::model::Quantile,
) -> Query {
    let legend: String = metric
        .keys
        .iter()
        .map(|k| format!(" {{{{{k}}}}}"))
        .collect();
    Query::new(
        metric.quantile(quantile.fraction(), RATE_INTERVAL, &SCOPE_MATCHERS),
        format!("{}{legend}", quantile.keyword()),
    )
}
