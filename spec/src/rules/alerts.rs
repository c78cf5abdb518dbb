//! One alerting rule per `alert(...)` clause.

use std::time::Duration;

use super::scenario::{Scenario, Series};
use super::text::promql_string;
use super::{AlertRule, RuleSet, RATE_WINDOW};
use crate::model::{Alert, Attribute, Comparison, Condition, Site};
use crate::names::{self, format_float, nanos_as_seconds_text, prometheus_duration};

/// A function's identity in PromQL and in alert labels.
pub(super) struct Function<'a> {
    pub(super) name: &'a str,
    pub(super) module: &'a str,
}

impl Function<'_> {
    /// `metric{function="f", module="m"}` plus extra matchers.
    pub(super) fn selector(&self, metric: &str, extra: &str) -> String {
        format!(
            "{metric}{{function={}, module={}{extra}}}",
            promql_string(self.name),
            promql_string(self.module)
        )
    }

    pub(super) fn grouping(&self) -> Vec<(String, String)> {
        vec![
            (names::LABEL_FUNCTION.to_owned(), self.name.to_owned()),
            (names::LABEL_MODULE.to_owned(), self.module.to_owned()),
        ]
    }

    pub(super) fn series_labels(&self) -> Vec<(&str, &str)> {
        vec![
            (names::LABEL_FUNCTION, self.name),
            (names::LABEL_MODULE, self.module),
        ]
    }

    pub(super) fn origin(&self) -> String {
        format!("{}::{}", self.module, self.name)
    }
}

pub(super) fn add_site(set: &mut RuleSet, site: &Site) {
    let function = Function {
        name: &site.function,
        module: &site.module,
    };
    for alert in site.attribute.alerts() {
        let rule = match &site.attribute {
            Attribute::Counted(counted) => {
                let metric = counted.metric.metric_name(names::FUNCTION_CALLS_TOTAL);
                counted_alert(&function, metric, alert)
            }
            Attribute::Timed(timed) => {
                let metric = timed
                    .metric
                    .metric_name(names::FUNCTION_CALLS_DURATION_SECONDS);
                latency_alert(&function, metric, &timed.bucket_bounds_nanos(), alert)
            }
            Attribute::CircuitBreaker(_) => {
                let name = site.breaker_name().unwrap_or_default();
                breaker_alert(&name, &function, alert)
            }
        };
        set.alerts.push(rule);
    }
}

/// What a condition contributes to its rule; [`rule`] adds what every alert shares.
struct Draft {
    expr: String,
    grouping: Vec<(String, String)>,
    origin: String,
    summary: String,
    description: String,
    scenario: Scenario,
}

/// The rule of `alert` on `function_name`: name, `for`, labels, annotations.
fn rule(alert: &Alert, function_name: &str, draft: Draft) -> AlertRule {
    let mut labels = vec![("severity".to_owned(), alert.severity().to_owned())];
    labels.extend(
        alert
            .labels
            .iter()
            .map(|l| (l.key.to_string(), l.value.to_string())),
    );
    let mut annotations = vec![
        (
            "summary".to_owned(),
            alert
                .summary
                .as_deref()
                .map_or(draft.summary, str::to_owned),
        ),
        (
            "description".to_owned(),
            alert
                .description
                .as_deref()
                .map_or(draft.description, str::to_owned),
        ),
    ];
    if let Some(runbook) = &alert.runbook {
        annotations.push(("runbook_url".to_owned(), runbook.to_string()));
    }
    AlertRule {
        name: alert.alert_name(function_name),
        expr: draft.expr,
        for_: alert.for_duration(),
        grouping: draft.grouping,
        labels,
        annotations,
        origin: draft.origin,
        scenario: draft.scenario,
    }
}

const WHO: &str = "{{ $labels.module }}::{{ $labels.function }}";

fn latency_alert(
    function: &Function<'_>,
    metric: &str,
    bounds: &[u64],
    alert: &Alert,
) -> AlertRule {
    let Condition::Latency {
        quantile,
        threshold,
    } = &alert.condition
    else {
        unreachable!("the grammar puts only latency conditions on #[timed]")
    };
    let window = prometheus_duration(RATE_WINDOW);
    let threshold_text = prometheus_duration(*threshold);
    let expr = format!(
        "histogram_quantile({}, sum by (function, module, le) (rate({}[{window}]))) > {}",
        format_float(quantile.fraction()),
        function.selector(&format!("{metric}_bucket"), ""),
        format_float(threshold.as_secs_f64()),
    );
    let q = quantile.keyword();
    let largest = bounds.last().copied().unwrap_or(0);
    let scenario = Scenario {
        firing: histogram_series(function, metric, bounds, HistogramShape::AllAboveEveryBound),
        silent: histogram_series(function, metric, bounds, HistogramShape::AllInFirstBucket),
        // With every call above the largest bound, the quantile is that bound.
        firing_value: largest as f64 / 1e9,
        can_fire: names::duration_nanos(*threshold) < largest,
        warm_up: RATE_WINDOW,
    };
    let draft = Draft {
        expr,
        grouping: function.grouping(),
        origin: function.origin(),
        summary: format!("{q} latency of {{{{ $labels.function }}}} above {threshold_text}"),
        description: format!(
            "The {q} latency of {WHO} is {{{{ $value | humanizeDuration }}}} over the last {window}; the threshold is {threshold_text}."
        ),
        scenario,
    };
    rule(alert, function.name, draft)
}

/// How synthetic calls fall into a histogram's buckets.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum HistogramShape {
    /// Every call is slower than the largest bound.
    AllAboveEveryBound,
    /// Every call is at or under the smallest bound.
    AllInFirstBucket,
}

/// `_bucket`, `_count` and `_sum` series with 10 calls a minute.
pub(super) fn histogram_series(
    function: &Function<'_>,
    metric: &str,
    bounds: &[u64],
    shape: HistogramShape,
) -> Vec<Series> {
    let labels = function.series_labels();
    let mut series = Vec::new();
    let finite_step = match shape {
        HistogramShape::AllAboveEveryBound => 0.0,
        HistogramShape::AllInFirstBucket => 10.0,
    };
    for bound in bounds {
        let le = nanos_as_seconds_text(*bound);
        let mut l = labels.clone();
        l.push(("le", &le));
        series.push(Series::new(
            &format!("{metric}_bucket"),
            &l,
            0.0,
            finite_step,
        ));
    }
    let mut l = labels.clone();
    l.push(("le", "+Inf"));
    series.push(Series::new(&format!("{metric}_bucket"), &l, 0.0, 10.0));
    series.push(Series::new(&format!("{metric}_count"), &labels, 0.0, 10.0));
    series.push(Series::new(&format!("{metric}_sum"), &labels, 0.0, 1.0));
    series
}

/// `ok` and `error` series of a `#[counted]` counter, per minute.
pub(super) fn calls_series(
    function: &Function<'_>,
    metric: &str,
    ok: f64,
    error: f64,
) -> Vec<Series> {
    let mut out = Vec::new();
    for (result, step) in [(names::RESULT_OK, ok), (names::RESULT_ERROR, error)] {
        let mut labels = function.series_labels();
        labels.push((names::LABEL_RESULT, result));
        out.push(Series::new(metric, &labels, 0.0, step));
    }
    out
}

fn counted_alert(function: &Function<'_>, metric: &str, alert: &Alert) -> AlertRule {
    let all = |extra: &str| function.selector(metric, extra);
    let rate = |selector: String, window: &str| {
        format!("sum by (function, module) (rate({selector}[{window}]))")
    };
    let window = prometheus_duration(RATE_WINDOW);
    let (expr, summary, description, scenario) = match &alert.condition {
        Condition::ErrorRate { above } => {
            let threshold = format!("{}%", format_float(above * 100.0));
            (
                format!(
                    "{} / {} > {}",
                    rate(all(", result=\"error\""), &window),
                    rate(all(""), &window),
                    format_float(*above)
                ),
                format!("{{{{ $labels.function }}}} error rate above {threshold}"),
                format!(
                    "{{{{ $value | humanizePercentage }}}} of calls to {WHO} returned an error over the last {window}; the threshold is {threshold}."
                ),
                Scenario {
                    firing: calls_series(function, metric, 0.0, 10.0),
                    silent: calls_series(function, metric, 10.0, 0.0),
                    firing_value: 1.0,
                    can_fire: *above < 1.0,
                    warm_up: RATE_WINDOW,
                },
            )
        }
        Condition::Idle { window: idle } => {
            let idle_text = prometheus_duration(*idle);
            (
                format!(
                    "sum by (function, module) (increase({}[{idle_text}])) == 0",
                    all("")
                ),
                format!("{{{{ $labels.function }}}} not called for {idle_text}"),
                format!("No call of {WHO} in the last {idle_text}."),
                Scenario {
                    firing: calls_series(function, metric, 0.0, 0.0),
                    silent: calls_series(function, metric, 1.0, 0.0),
                    firing_value: 0.0,
                    can_fire: true,
                    warm_up: *idle,
                },
            )
        }
        Condition::Rate {
            comparison,
            calls,
            per,
        } => {
            let per_second = calls / per.as_secs_f64();
            let written = format!("{}/{}", format_float(*calls), unit(*per));
            let rate_window = RATE_WINDOW.max(*per);
            let rate_window_text = prometheus_duration(rate_window);
            // Two replicas each calling `busy` times a second are well above the threshold.
            let busy = per_second.floor() + 1.0;
            let (symbol, word, firing, silent, value) = match comparison {
                Comparison::Below => ("<", "less", 0.0, busy, 0.0),
                Comparison::Above => (">", "more", busy, 0.0, 2.0 * busy),
            };
            (
                format!("{} {symbol} {}", rate(all(""), &rate_window_text), format_float(per_second)),
                format!("{{{{ $labels.function }}}} called {word} than {written}"),
                format!(
                    "{WHO} is called {{{{ $value | humanize }}}} times a second over the last {rate_window_text}; the threshold is {written}."
                ),
                Scenario {
                    firing: calls_series(function, metric, firing * 60.0, 0.0),
                    silent: calls_series(function, metric, silent * 60.0, 0.0),
                    firing_value: value,
                    can_fire: !(*comparison == Comparison::Below && per_second <= 0.0),
                    warm_up: rate_window,
                },
            )
        }
        _ => unreachable!("the grammar puts only call conditions on #[counted]"),
    };
    let draft = Draft {
        expr,
        grouping: function.grouping(),
        origin: function.origin(),
        summary,
        description,
        scenario,
    };
    rule(alert, function.name, draft)
}

fn unit(per: Duration) -> &'static str {
    match per.as_secs() {
        1 => "s",
        60 => "m",
        _ => "h",
    }
}

fn breaker_alert(breaker: &str, function: &Function<'_>, alert: &Alert) -> AlertRule {
    let selector = |metric: &str, extra: &str| {
        format!("{metric}{{breaker={}{extra}}}", promql_string(breaker))
    };
    let labels = [(names::LABEL_BREAKER, breaker)];
    let grouping = vec![(names::LABEL_BREAKER.to_owned(), breaker.to_owned())];
    let for_text = prometheus_duration(alert.for_duration());
    let (expr, summary, description, scenario) = match &alert.condition {
        Condition::Open => (
            // `== 1`, not max(): half-open is 2 and must not count as open.
            format!("count by (breaker) ({} == 1)", selector(names::CIRCUIT_BREAKER_STATE, "")),
            "Circuit breaker {{ $labels.breaker }} is open".to_owned(),
            format!(
                "Circuit breaker {{{{ $labels.breaker }}}} has been open for {for_text} on {{{{ $value }}}} instance(s); calls through it are rejected."
            ),
            Scenario {
                firing: vec![Series::new(names::CIRCUIT_BREAKER_STATE, &labels, 1.0, 0.0)],
                silent: vec![Series::new(names::CIRCUIT_BREAKER_STATE, &labels, 2.0, 0.0)],
                firing_value: 2.0,
                can_fire: true,
                warm_up: Duration::ZERO,
            },
        ),
        Condition::Flapping { more_than } => {
            let within = alert.within.unwrap_or(Alert::DEFAULT_WITHIN);
            let within_text = prometheus_duration(within);
            let minutes = (within.as_secs() / 60).max(1) as f64;
            // Openings per minute per replica so that two replicas exceed the threshold.
            let per_minute = (f64::from(*more_than) / (2.0 * minutes)).floor() + 1.0;
            let opened = [(names::LABEL_BREAKER, breaker), ("from", "closed"), ("to", "open")];
            (
                // increase() catches openings shorter than a scrape, which the state gauge
                // never shows.
                format!(
                    "sum by (breaker) (increase({}[{within_text}])) > {more_than}",
                    selector(names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL, ", to=\"open\"")
                ),
                "Circuit breaker {{ $labels.breaker }} is flapping".to_owned(),
                format!(
                    "Circuit breaker {{{{ $labels.breaker }}}} opened {{{{ $value | humanize }}}} times in the last {within_text} (more than {more_than})."
                ),
                Scenario {
                    firing: vec![Series::new(names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL, &opened, 0.0, per_minute)],
                    silent: vec![Series::new(names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL, &opened, 0.0, 0.0)],
                    firing_value: 2.0 * per_minute * minutes,
                    can_fire: true,
                    warm_up: within,
                },
            )
        }
        _ => unreachable!("the grammar puts only breaker conditions on #[circuit_breaker]"),
    };
    let draft = Draft {
        expr,
        grouping,
        origin: format!("{} (breaker {breaker})", function.origin()),
        summary,
        description,
        scenario,
    };
    rule(alert, function.name, draft)
}
