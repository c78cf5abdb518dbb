//! One alerting rule per `alert(...)` clause, with the probes its unit tests run.

use std::time::Duration;

use super::scenario::{
    call_value, first_replica_leaves, round_up, samples, test_step, LatencyLine, Probe, Series,
    Shape, JOB, REPLICAS,
};
use super::{AlertRule, RuleSet};
use crate::promql::{fresh_window, Function, FRESH_SCRAPES};
use crate::text::promql_string;
use botwatch_spec::model::{Alert, Attribute, Comparison, Condition, Site};
use botwatch_spec::names::{self, format_float, nanos_as_seconds_text, prometheus_duration};

/// The test data's side of a function's identity.
impl Function<'_> {
    /// The labels of one of the function's series in the generated tests: the test job,
    /// its [`identity`](Self::identity) and a value per per-call label.
    pub(crate) fn grouping(&self) -> Vec<(String, String)> {
        let mut out = vec![(names::LABEL_JOB.to_owned(), JOB.to_owned())];
        out.extend(self.identity());
        out.extend(self.call_labels.iter().map(|k| (k.clone(), call_value(k))));
        out
    }
}

pub(super) fn add_site(set: &mut RuleSet, site: &Site, scrape_interval: Duration) {
    let function = Function::of(site);
    for alert in site.attribute.alerts() {
        // Probes are built at their test step: what they call a scrape is that step.
        let scrape = test_step(scrape_interval, super::range_window(alert));
        let rule = match &site.attribute {
            Attribute::Counted(counted) => {
                let metric = counted.metric.metric_name(names::FUNCTION_CALLS_TOTAL);
                counted_alert(&function, metric, alert, scrape, scrape_interval)
            }
            Attribute::Timed(timed) => {
                let metric = timed
                    .metric
                    .metric_name(names::FUNCTION_CALLS_DURATION_SECONDS);
                latency_alert(
                    &function,
                    metric,
                    &timed.bucket_bounds_nanos(),
                    alert,
                    scrape,
                )
            }
            Attribute::CircuitBreaker(options) => {
                let name = site.breaker_name().unwrap_or_default();
                let keyed = options.per.is_some();
                breaker_alert(&name, keyed, &function, alert, scrape, scrape_interval)
            }
        };
        set.alerts.push(rule);
    }
}

/// What a condition contributes to its rule; [`rule`] adds what every alert shares.
struct Draft {
    expr: String,
    /// The labels of the tested series set, as the expression yields them.
    grouping: Vec<(String, String)>,
    /// The labels every series of the alert carries with one value, written as the rule's
    /// static labels: never a per-call label, `key` or `job`, whose values come from the
    /// series (a static `venue` would page a Kraken outage as the test's venue, and two
    /// venues at once would be one label set Prometheus refuses).
    identity: Vec<(String, String)>,
    origin: String,
    summary: String,
    description: String,
    probes: Vec<Probe>,
    latency: Option<LatencyLine>,
    /// The probes' step.
    step: Duration,
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
        identity: draft.identity,
        labels,
        annotations,
        origin: draft.origin,
        probes: draft.probes,
        latency: draft.latency,
        test_step: draft.step,
    }
}

const WHO: &str = "{{ $labels.module }}::{{ $labels.function }}";

/// Rounds away binary noise (`0.07 × 100` is `7.000000000000001`).
pub(super) fn round(value: f64) -> f64 {
    (value * 1e12).round() / 1e12
}

/// One series per replica of `metric`, with the same labels and per-replica shapes.
fn per_replica(metric: &str, labels: &[(String, String)], shapes: [Shape; 2]) -> Vec<Series> {
    REPLICAS
        .iter()
        .zip(shapes)
        .map(|(replica, shape)| Series::new(metric, labels, replica, shape))
        .collect()
}

fn with(labels: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = labels.to_vec();
    out.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    out
}

/// Calls of one replica: `ok` and `error` calls per sample for `on` samples, then none.
pub(super) fn calls(
    function: &Function<'_>,
    metric: &str,
    [a, b]: [(f64, f64); 2],
    on: Option<u64>,
) -> Vec<Series> {
    let run = |per: f64| match on {
        Some(n) => Shape::Counter(vec![(n, per)]),
        None => Shape::Counter(vec![(u64::MAX, per)]),
    };
    let mut out = Vec::new();
    for (result, pick) in [
        (
            names::RESULT_OK,
            (|p: (f64, f64)| p.0) as fn((f64, f64)) -> f64,
        ),
        (names::RESULT_ERROR, |p: (f64, f64)| p.1),
    ] {
        let labels = with(&function.grouping(), &[(names::LABEL_RESULT, result)]);
        out.extend(per_replica(metric, &labels, [run(pick(a)), run(pick(b))]));
    }
    out
}

/// For each per-call label of a function, another label set differing in that label alone
/// (`other_<key>`), calling without errors on both replicas: each stays silent, and a rule
/// that dropped that label from its `by` would merge it into the firing set.
fn quiet_sets(function: &Function<'_>, metric: &str, ok_per_sample: f64) -> Vec<Series> {
    let mut out = Vec::new();
    for label in &function.call_labels {
        let mut grouping = function.grouping();
        for (key, value) in grouping.iter_mut() {
            if key == label {
                *value = format!("other_{key}");
            }
        }
        for (result, per) in [
            (names::RESULT_OK, ok_per_sample),
            (names::RESULT_ERROR, 0.0),
        ] {
            let labels = with(&grouping, &[(names::LABEL_RESULT, result)]);
            let run = || Shape::Counter(vec![(u64::MAX, per)]);
            out.extend(per_replica(metric, &labels, [run(), run()]));
        }
    }
    out
}

/// A latency histogram of one replica: calls per sample in the bucket ending at each
/// bound (`u64::MAX` for `+Inf`).
pub(super) fn histogram(
    function: &Function<'_>,
    metric: &str,
    bounds: &[u64],
    per_replica_calls: [Vec<(u64, f64)>; 2],
    on: Option<u64>,
) -> Vec<Series> {
    let run = |per: f64| match on {
        Some(n) => Shape::Counter(vec![(n, per)]),
        None => Shape::Counter(vec![(u64::MAX, per)]),
    };
    let grouping = function.grouping();
    let mut out = Vec::new();
    let cumulative = |calls: &[(u64, f64)], le: u64| -> f64 {
        calls.iter().filter(|(b, _)| *b <= le).map(|(_, n)| n).sum()
    };
    let mut les: Vec<(String, u64)> = bounds
        .iter()
        .map(|b| (nanos_as_seconds_text(*b), *b))
        .collect();
    les.push(("+Inf".to_owned(), u64::MAX));
    for (text, le) in &les {
        let labels = with(&grouping, &[("le", text)]);
        out.extend(per_replica(
            &format!("{metric}_bucket"),
            &labels,
            [
                run(cumulative(&per_replica_calls[0], *le)),
                run(cumulative(&per_replica_calls[1], *le)),
            ],
        ));
    }
    let total = |calls: &[(u64, f64)]| calls.iter().map(|(_, n)| n).sum::<f64>();
    let sum = |calls: &[(u64, f64)]| {
        calls
            .iter()
            .map(|(b, n)| n * (*b).min(bounds.last().copied().unwrap_or(0) * 2) as f64 / 1e9)
            .sum::<f64>()
    };
    out.extend(per_replica(
        &format!("{metric}_count"),
        &grouping,
        [
            run(total(&per_replica_calls[0])),
            run(total(&per_replica_calls[1])),
        ],
    ));
    out.extend(per_replica(
        &format!("{metric}_sum"),
        &grouping,
        [
            run(sum(&per_replica_calls[0])),
            run(sum(&per_replica_calls[1])),
        ],
    ));
    out
}

fn latency_alert(
    function: &Function<'_>,
    metric: &str,
    bounds: &[u64],
    alert: &Alert,
    scrape: Duration,
) -> AlertRule {
    let Condition::Latency {
        quantile,
        threshold,
    } = &alert.condition
    else {
        unreachable!("the grammar puts only latency conditions on #[timed]")
    };
    let rate_window = alert.window_duration();
    let window = prometheus_duration(rate_window);
    let threshold_text = prometheus_duration(*threshold);
    let by = function.alert_by();
    let mut expr = format!(
        "histogram_quantile({}, sum by ({by}, le) (rate({}[{window}]))) > {}",
        format_float(quantile.fraction()),
        function.selector(&format!("{metric}_bucket"), ""),
        format_float(threshold.as_secs_f64()),
    );
    if let Some(m) = alert.min_rate {
        // One slow call at night is not a page.
        expr.push_str(&format!(
            " and sum by ({by}) (rate({}[{window}])) >= {}",
            function.selector(&format!("{metric}_count"), ""),
            format_float(m)
        ));
    }
    let q = quantile.keyword();
    let probes = latency_probes(function, metric, bounds, alert, scrape);
    let draft = Draft {
        expr,
        grouping: function.grouping(),
        identity: function.identity(),
        origin: function.origin(),
        summary: format!("{q} latency of {{{{ $labels.function }}}} above {threshold_text}"),
        description: format!(
            "The {q} latency of {WHO} is {{{{ $value | humanizeDuration }}}} over the last {window}; the threshold is {threshold_text}."
        ),
        probes,
        latency: Some(LatencyLine {
            quantile: quantile.fraction(),
            threshold: threshold.as_secs_f64(),
            window: rate_window,
            for_: alert.for_duration(),
            min_rate: alert.min_rate,
        }),
        step: scrape,
    };
    rule(alert, function.name, draft)
}

/// Calls one bucket either side of the threshold. Above: just enough calls in the bucket
/// over the threshold that the quantile lands there, a little above the threshold (under
/// twice it, and under where the next lower quantile would read). Below: the quantile in the
/// threshold's own bucket, with some calls above it on a replica that alone would fire.
fn latency_probes(
    function: &Function<'_>,
    metric: &str,
    bounds: &[u64],
    alert: &Alert,
    scrape: Duration,
) -> Vec<Probe> {
    let Condition::Latency {
        quantile,
        threshold,
    } = &alert.condition
    else {
        unreachable!()
    };
    let rate_window = alert.window_duration();
    let q = quantile.fraction();
    let t = names::duration_nanos(*threshold);
    let above = bounds.iter().copied().find(|b| *b > t);
    let severity = alert.severity();
    let for_ = alert.for_duration();
    let onset = scrape;
    let mut probes = Vec::new();
    // Below: (1 + q) / 2 of the calls at the threshold's bucket, the rest above it, all on
    // replica b; replica a has only the calls above.
    let upper = above.unwrap_or(u64::MAX);
    let below_calls = [
        vec![(upper, (50_000.0 * (1.0 - q)).round())],
        vec![(t, (50_000.0 * (1.0 + q)).round())],
    ];
    probes.push(
        Probe::new("just below the threshold, one replica alone above")
            .silent(round_up(onset + for_ + rate_window, scrape))
            .with(histogram(function, metric, bounds, below_calls, None)),
    );
    let Some(u) = above else {
        return probes;
    };
    let (t_s, u_s) = (t as f64 / 1e9, u as f64 / 1e9);
    let share = t_s / (2.0 * (u_s - t_s));
    let m = if share >= 1.0 / 3.0 {
        0.5
    } else {
        share / (1.0 - share)
    };
    let b = q - m * (1.0 - q);
    // Whole calls per replica and sample, so the counters add up exactly.
    let below = (50_000.0 * b).round();
    let inside = 50_000.0 - below;
    let per_replica_calls = [vec![(t, below), (u, inside)], vec![(t, below), (u, inside)]];
    // histogram_quantile: the bucket's start plus its width times the rank's share in it.
    let value = t_s + (u_s - t_s) * (q * 100_000.0 - 2.0 * below) / (2.0 * inside);
    let stop = round_up(onset + for_ + rate_window, scrape);
    probes.push(
        Probe::new("just above the threshold, then no calls")
            .for_edge(onset, for_, scrape, severity, value)
            .fires(stop + rate_window / 2, severity, value)
            .silent(stop + rate_window + Duration::from_secs(60))
            .with(histogram(
                function,
                metric,
                bounds,
                per_replica_calls,
                Some(samples(stop, scrape)),
            )),
    );
    // One replica fast, the other slow: the quantile of the fleet's calls together (the
    // buckets summed over replicas), which neither replica's alone shows.
    let apart = [vec![(t, 50_000.0)], vec![(u, 50_000.0)]];
    let series = histogram(function, metric, bounds, apart, None);
    let line = LatencyLine {
        quantile: q,
        threshold: t_s,
        window: rate_window,
        for_,
        min_rate: None,
    };
    let fires_at = onset + round_up(for_, scrape);
    if let Some(Some(value)) = line.fires(&series, fires_at, scrape) {
        probes.push(
            Probe::new("one replica fast, the other slow: the fleet's quantile")
                .for_edge(onset, for_, scrape, severity, value)
                .with(series),
        );
    }
    if let Some(m) = alert.min_rate {
        // Every call over the threshold, on half the minimum traffic (a quarter on each
        // replica): silent.
        let per_sample = m / 4.0 * scrape.as_secs_f64();
        probes.push(
            Probe::new("every call over the threshold on half the minimum traffic")
                .silent(round_up(onset + for_ + rate_window, scrape))
                .with(histogram(
                    function,
                    metric,
                    bounds,
                    [vec![(u, per_sample)], vec![(u, per_sample)]],
                    None,
                )),
        );
    }
    probes
}

/// An error share just above `r`: the smallest power of two over it (at most `2r`), so the
/// ratio Prometheus computes is exact (both rates scale by a power of two) and an
/// annotation's raw `{{ $value }}` reads as predicted.
fn just_above(r: f64) -> f64 {
    let mut h = 1.0;
    while h / 2.0 > r {
        h /= 2.0;
    }
    h
}

fn counted_alert(
    function: &Function<'_>,
    metric: &str,
    alert: &Alert,
    scrape: Duration,
    scrape_interval: Duration,
) -> AlertRule {
    let all = |extra: &str| function.selector(metric, extra);
    let by = function.alert_by();
    let rate =
        |selector: String, window: &str| format!("sum by ({by}) (rate({selector}[{window}]))");
    let rate_window = alert.window_duration();
    let window = prometheus_duration(rate_window);
    let severity = alert.severity();
    let for_ = alert.for_duration();
    let minute = Duration::from_secs(60);
    let (expr, summary, description, probes) = match &alert.condition {
        Condition::ErrorRate { above } => {
            let r = *above;
            let threshold = format!("{}%", format_float(round(r * 100.0)));
            let min_rate = alert.min_rate;
            // With `min_rate`, the probes that must fire (or that a wrong rule would fire)
            // carry enough traffic from their first evaluation on, while the rate still
            // ramps up over its window: calls scaled by a power of two keep ratios exact.
            let scaled = |per_sample: f64, needed: f64| {
                let mut k = 1.0;
                while per_sample * k < needed {
                    k *= 2.0;
                }
                k
            };
            let mut probes = Vec::new();
            if r < 1.0 {
                let h = just_above(r);
                let unit = rate_window.as_secs_f64();
                // Twice the minimum at the first evaluation, a scrape into the window.
                let k = min_rate.map_or(1.0, |m| scaled(1.0, m * h));
                let onset = scrape;
                let stop = round_up(onset + for_ + rate_window, scrape);
                probes.push(
                    Probe::new("error share just above the threshold, then no calls")
                        .for_edge(onset, for_, scrape, severity, h)
                        .fires(stop + round_up(rate_window / 2, scrape), severity, h)
                        .silent(stop + rate_window + minute)
                        .with(calls(
                            function,
                            metric,
                            // Whole multiples of the window in seconds: every rate is an
                            // integer, so the ratio is exact.
                            [(k * unit * (1.0 / h - 1.0), k * unit); 2],
                            Some(samples(stop, scrape)),
                        ))
                        // With per-call labels, label sets with no errors stay silent: one
                        // alert per set, not one for the function.
                        .with(quiet_sets(function, metric, k * unit)),
                );
                if let Some(m) = min_rate {
                    // Half the minimum traffic, every replica failing at the same share.
                    let per_sample = m / 4.0 * scrape.as_secs_f64();
                    probes.push(
                        Probe::new("error share above the threshold on half the minimum traffic")
                            .silent(round_up(scrape + for_ + rate_window, scrape))
                            .with(calls(
                                function,
                                metric,
                                [(per_sample * (1.0 - h), per_sample * h); 2],
                                None,
                            )),
                    );
                }
            }
            // Aggregate share 0.75 r; replica a alone is above r with a few calls, replica b
            // makes the aggregate.
            let low = 0.75 * r;
            let a = (1.0 + r) / 2.0;
            let n = (2.0 * a / low).ceil().max(10.0);
            let b = (low * (1.0 + n) - a) / n;
            let k = min_rate.map_or(1.0, |m| scaled((1.0 + n) / scrape.as_secs_f64(), 2.0 * m));
            probes.push(
                Probe::new("error share just below the threshold, one replica alone above")
                    .silent(round_up(scrape + for_ + rate_window, scrape))
                    .with(calls(
                        function,
                        metric,
                        [(k * (1.0 - a), k * a), (k * n * (1.0 - b), k * n * b)],
                        None,
                    )),
            );
            let mut expr = format!(
                "{} / {} > {}",
                rate(all(", result=\"error\""), &window),
                rate(all(""), &window),
                format_float(r)
            );
            if let Some(m) = min_rate {
                // Too little traffic to judge: one failed call in two is not an outage.
                expr.push_str(&format!(
                    " and {} >= {}",
                    rate(all(""), &window),
                    format_float(m)
                ));
            }
            (
                expr,
                format!("{{{{ $labels.function }}}} error rate above {threshold}"),
                format!(
                    "{{{{ $value | humanizePercentage }}}} of calls to {WHO} returned an error over the last {window}; the threshold is {threshold}."
                ),
                probes,
            )
        }
        Condition::Idle { window: idle } => {
            let idle_text = prometheus_duration(*idle);
            let idle_r = round_up(*idle, scrape);
            let stop = idle_r;
            // The increase is zero from the first evaluation whose range holds no sample
            // before the last call: `stop + idle - scrape` (Prometheus 3 ranges are
            // left-open) or one evaluation later (Prometheus 2).
            let earliest = stop + idle_r - scrape;
            let mut both = Probe::new("both replicas stop calling").with(calls(
                function,
                metric,
                [(1.0, 0.0); 2],
                Some(samples(stop, scrape)),
            ));
            if !for_.is_zero() {
                both = both.silent(earliest + round_up(for_, scrape) - scrape);
            }
            both = both.fires(earliest + scrape + round_up(for_, scrape), severity, 0.0);
            let one = Probe::new("one replica stops calling, the other goes on")
                .silent(stop + idle_r + round_up(for_, scrape) + scrape)
                .with({
                    let mut s = calls(
                        function,
                        metric,
                        [(1.0, 0.0); 2],
                        Some(samples(stop, scrape)),
                    );
                    let busy = calls(function, metric, [(1.0, 0.0); 2], None);
                    // replica b keeps calling: take its series from `busy`.
                    for (i, series) in s.iter_mut().enumerate() {
                        if i % 2 == 1 {
                            *series = busy[i].clone();
                        }
                    }
                    s
                });
            let absent = Probe::new("no series at all: never started")
                .for_edge(Duration::ZERO, for_, scrape, severity, 0.0)
                .without_job();
            (
                // No rise within the window (a new label set's first call is one); or a
                // label set, or a whole job, whose series vanished for the whole window
                // (stale since a restart); or no series at all for the whole window (never
                // started). Absent for the whole window, not just now: after a restart a
                // labelled function has no series until its first call, which is no silence.
                format!(
                    "sum by ({by}) ({}) == 0 or {} or absent_over_time({}[{}]) * 0",
                    counted_within(&all(""), *idle, scrape_interval),
                    vanished(&all(""), &by, *idle),
                    all(""),
                    prometheus_duration(*idle * 2)
                ),
                format!("{{{{ $labels.function }}}} not called for {idle_text}"),
                format!("No call of {WHO} in the last {idle_text}."),
                vec![both, one, absent],
            )
        }
        Condition::Rate {
            comparison,
            calls: n,
            per,
        } => {
            let p = n / per.as_secs_f64();
            let written = format!("{}/{}", format_float(*n), unit(*per));
            let rate_window = alert.window_duration();
            let rate_window_text = prometheus_duration(rate_window);
            let per_sample = |per_second: f64| per_second * scrape.as_secs_f64();
            // A rate ramps up from the first call: `R × t / window` until the range is full.
            let ramp = |total: f64, t: Duration| {
                total * t.as_secs_f64().min(rate_window.as_secs_f64()) / rate_window.as_secs_f64()
            };
            let settled = round_up(rate_window + for_, scrape) + scrape;
            let (symbol, word, probes) = match comparison {
                Comparison::Below => {
                    let mut probes = Vec::new();
                    if p > 0.0 {
                        let low = 0.75 * p;
                        let onset = scrape;
                        let fires_at = onset + round_up(for_, scrape);
                        probes.push(
                            Probe::new("rate just below the threshold")
                                .for_edge(onset, for_, scrape, severity, ramp(low, fires_at))
                                .with(calls(
                                    function,
                                    metric,
                                    [(per_sample(low / 2.0), 0.0); 2],
                                    None,
                                )),
                        );
                        probes.push(
                            Probe::new("no series at all: never started")
                                .for_edge(Duration::ZERO, for_, scrape, severity, 0.0)
                                .without_job(),
                        );
                    }
                    probes.push(
                        Probe::new("rate above the threshold, one replica alone below")
                            .silent(settled)
                            .with(calls(
                                function,
                                metric,
                                [(per_sample(0.1 * p), 0.0), (per_sample(1.4 * p), 0.0)],
                                None,
                            )),
                    );
                    ("<", "less", probes)
                }
                Comparison::Above => {
                    let high = 1.5 * p;
                    // The ramp crosses p after two thirds of the window.
                    let crossing = rate_window * 2 / 3;
                    let first = round_up(crossing + Duration::from_millis(1), scrape);
                    let mut probe =
                        Probe::new("rate just above the threshold, neither replica alone").with(
                            calls(function, metric, [(per_sample(high / 2.0), 0.0); 2], None),
                        );
                    if first < crossing + for_ {
                        probe = probe.silent(first);
                    }
                    let fires_at = first + round_up(for_, scrape);
                    probe = probe.fires(fires_at, severity, ramp(high, fires_at));
                    let below = Probe::new("rate just below the threshold")
                        .silent(settled)
                        .with(calls(
                            function,
                            metric,
                            [(per_sample(0.375 * p), 0.0); 2],
                            None,
                        ));
                    (">", "more", vec![probe, below])
                }
            };
            let mut expr = format!(
                "{} {symbol} {}",
                rate(all(""), &rate_window_text),
                format_float(p)
            );
            if *comparison == Comparison::Below {
                expr.push_str(&format!(
                    " or {} or absent_over_time({}[{}]) * 0",
                    vanished(&all(""), &by, rate_window),
                    all(""),
                    prometheus_duration(rate_window * 2)
                ));
            }
            (
                expr,
                format!("{{{{ $labels.function }}}} called {word} than {written}"),
                format!(
                    "{WHO} is called {{{{ $value | humanize }}}} times a second over the last {rate_window_text}; the threshold is {written}."
                ),
                probes,
            )
        }
        Condition::Errors { more_than } => {
            let n = f64::from(*more_than);
            let within = alert.within_duration();
            let within_text = prometheus_duration(within);
            let errors = all(", result=\"error\"");
            let error_labels = with(
                &function.grouping(),
                &[(names::LABEL_RESULT, names::RESULT_ERROR)],
            );
            let ok_labels = with(
                &function.grouping(),
                &[(names::LABEL_RESULT, names::RESULT_OK)],
            );
            let jump = |count: f64| Shape::Counter(vec![(1, 0.0), (1, count)]);
            // Errors on both replicas, and many more successful calls: only errors count.
            let series = |a: f64, b: f64| {
                let mut out = per_replica(metric, &error_labels, [jump(a), jump(b)]);
                out.extend(per_replica(
                    metric,
                    &ok_labels,
                    [jump(10.0 * (n + 1.0)), jump(10.0 * (n + 1.0))],
                ));
                out
            };
            let onset = scrape * 2;
            let split = |total: f64| ((total / 2.0).ceil(), (total / 2.0).floor());
            let (a, b) = split(n);
            let mut probes = vec![Probe::new("exactly the threshold across the replicas")
                .silent(onset + round_up(for_, scrape) + scrape)
                .with(series(a, b))];
            let fires_at = onset + round_up(for_, scrape);
            // The errors leave the range once it no longer holds the sample before them.
            let gone = scrape + round_up(within, scrape) + scrape;
            if fires_at < gone {
                let (a, b) = split(n + 1.0);
                probes.push(
                    Probe::new(
                        "one more than the threshold, split across the replicas, then the window moves on",
                    )
                    .for_edge(onset, for_, scrape, severity, n + 1.0)
                    .silent(gone)
                    .with(series(a, b)),
                );
            }
            // A restart between two bursts: the counter falls back to zero, and the errors
            // before it still count. The second burst comes three scrapes after the first.
            let second = onset + scrape * 3;
            if second + round_up(for_, scrape) < gone {
                let (before, after) = split(n + 1.0);
                let restarted =
                    Shape::Gauge(vec![(2, 0.0), (2, before), (1, 0.0), (u64::MAX, after)]);
                let mut series = per_replica(
                    metric,
                    &error_labels,
                    [restarted, Shape::Counter(vec![(u64::MAX, 0.0)])],
                );
                series.extend(per_replica(
                    metric,
                    &ok_labels,
                    [jump(10.0 * (n + 1.0)), jump(10.0 * (n + 1.0))],
                ));
                probes.push(
                    Probe::new("one more than the threshold on one replica, a restart between")
                        .for_edge(second, for_, scrape, severity, n + 1.0)
                        .with(series),
                );
            }
            (
                // The errors between the range's first sample and now, exactly (increase()
                // would extrapolate), summed over instances. A restart forgets earlier
                // errors.
                format!(
                    "sum by ({by}) ({}) > {more_than}",
                    counted_within(&errors, within, scrape_interval)
                ),
                format!("{{{{ $labels.function }}}} failed more than {more_than} times in {within_text}"),
                format!(
                    "{{{{ $value | humanize }}}} calls to {WHO} returned an error in the last {within_text} (more than {more_than})."
                ),
                probes,
            )
        }
        _ => unreachable!("the grammar puts only call conditions on #[counted]"),
    };
    let draft = Draft {
        expr,
        grouping: function.grouping(),
        identity: function.identity(),
        origin: function.origin(),
        summary,
        description,
        probes,
        latency: None,
        step: scrape,
    };
    rule(alert, function.name, draft)
}

/// `0` for each `by` group whose series were there a window before the window and have no
/// sample in it: a label set, or a whole job, gone silent since a restart (its series
/// stale), which `absent_over_time` cannot tell while another job still has them. Two
/// windows after the last sample, `absent_over_time` over two windows takes over (without
/// labels: nothing is left to name them), so the two never page for one silence together.
fn vanished(selector: &str, by: &str, window: Duration) -> String {
    format!(
        "(group by ({by}) (last_over_time({selector}[{}])) unless group by ({by}) (last_over_time({selector}[{}]))) * 0",
        prometheus_duration(window * 2),
        prometheus_duration(window)
    )
}

/// What the counter `selector` counted within `within`, exactly, per series: every step's
/// rise, where a series that has just appeared (a new label set, a first call after a
/// restart) or that restarted from zero counts its whole value, and a failed scrape's
/// stale marker skips nothing (the step after it compares with the value before it).
/// `increase()` would extrapolate (3 errors read as 3.02) and miss a new series' first
/// sample; `x - min_over_time(x[w])` misses both that and the count before a restart.
fn counted_within(selector: &str, within: Duration, scrape: Duration) -> String {
    let step = prometheus_duration(scrape);
    // The rises at the points in `(now - within, now]`: a subquery's range holds its first
    // point too, so it reaches one step less far back.
    let within = prometheus_duration(within.saturating_sub(scrape));
    let previous = format!(
        "last_over_time({selector}[{}] offset {step})",
        fresh_window(scrape)
    );
    // `+ 0` drops the metric name, as the difference does: the subquery's points must be
    // one series, whichever side of `or` each came from.
    format!(
        "sum_over_time(((({selector} - {previous}) >= 0) or ({selector} + 0))[{within}:{step}])"
    )
}

fn unit(per: Duration) -> &'static str {
    match per.as_secs() {
        1 => "s",
        60 => "m",
        _ => "h",
    }
}

/// A breaker's alert; a per-key breaker's (`keyed`) fires per key: `key` joins `breaker`
/// in the grouping, and the generated tests use a sample key.
fn breaker_alert(
    breaker: &str,
    keyed: bool,
    function: &Function<'_>,
    alert: &Alert,
    scrape: Duration,
    scrape_interval: Duration,
) -> AlertRule {
    let selector = |metric: &str, extra: &str| {
        format!("{metric}{{breaker={}{extra}}}", promql_string(breaker))
    };
    let identity = vec![(names::LABEL_BREAKER.to_owned(), breaker.to_owned())];
    let mut labels = vec![(names::LABEL_JOB.to_owned(), JOB.to_owned())];
    labels.extend(identity.iter().cloned());
    if keyed {
        labels.push((names::LABEL_KEY.to_owned(), call_value(names::LABEL_KEY)));
    }
    let by = if keyed {
        "job, breaker, key"
    } else {
        "job, breaker"
    };
    let which = if keyed {
        "{{ $labels.breaker }} ({{ $labels.key }})"
    } else {
        "{{ $labels.breaker }}"
    };
    let for_ = alert.for_duration();
    let for_text = prometheus_duration(for_);
    let severity = alert.severity();
    let (expr, summary, description, probes) = match &alert.condition {
        Condition::Open => {
            let state = |runs: Vec<(u64, f64)>| Shape::Gauge(runs);
            let onset = scrape * 2;
            let closes = round_up(onset + for_, scrape) + scrape * 2;
            let held = samples(closes, scrape) - 2;
            // Replica a alternates open and half-open (probes failing): never closed.
            let probing: Vec<(u64, f64)> = std::iter::once((2, 0.0))
                .chain((0..held).map(|i| (1, if i % 2 == 0 { 1.0 } else { 2.0 })))
                .chain(std::iter::once((1, 0.0)))
                .collect();
            let one = Probe::new("one replica open or probing, never closed")
                .for_edge(onset, for_, scrape, severity, 1.0)
                .silent(closes)
                .with(per_replica(
                    names::CIRCUIT_BREAKER_STATE,
                    &labels,
                    [state(probing), state(vec![(1, 0.0)])],
                ));
            // The open replica leaves (a deleted pod): its last state counts for the last
            // few scrapes, then it is gone.
            let gone = round_up(onset + for_, scrape) + scrape * 2;
            let leaves = Probe::new("one replica open, then it leaves")
                .for_edge(onset, for_, scrape, severity, 1.0)
                .fires(gone, severity, 1.0)
                .silent(gone + scrape * (FRESH_SCRAPES + 1))
                .with(first_replica_leaves(
                    per_replica(
                        names::CIRCUIT_BREAKER_STATE,
                        &labels,
                        [state(vec![(2, 0.0), (1, 1.0)]), state(vec![(1, 0.0)])],
                    ),
                    samples(gone, scrape) + 1,
                ));
            // One failed scrape (stale markers) while a replica is open: `for` goes on.
            let half = samples(for_, scrape) / 2;
            let gap = (half >= 1).then(|| {
                Probe::new("one failed scrape while a replica is open")
                    .for_edge(onset, for_, scrape, severity, 1.0)
                    .with(per_replica(
                        names::CIRCUIT_BREAKER_STATE,
                        &labels,
                        [
                            state(vec![(2, 0.0), (half, 1.0), (1, f64::NAN), (1, 1.0)]),
                            state(vec![(1, 0.0)]),
                        ],
                    ))
            });
            let both = Probe::new("both replicas open: one alert")
                .for_edge(onset, for_, scrape, severity, 2.0)
                .with(per_replica(
                    names::CIRCUIT_BREAKER_STATE,
                    &labels,
                    [
                        state(vec![(2, 0.0), (1, 1.0)]),
                        state(vec![(2, 0.0), (1, 1.0)]),
                    ],
                ));
            (
                // Not closed: half-open (2) is still an outage whose probes fail. The last
                // state of the last few scrapes: one failed scrape does not end `for`.
                format!(
                    "count by ({by}) (last_over_time({}[{}]) > 0)",
                    selector(names::CIRCUIT_BREAKER_STATE, ""),
                    fresh_window(scrape)
                ),
                format!("Circuit breaker {which} is open"),
                format!(
                    "Circuit breaker {which} has not been closed for {for_text} on {{{{ $value }}}} instance(s); calls through it are rejected."
                ),
                [Some(one), Some(leaves), gap, Some(both)].into_iter().flatten().collect(),
            )
        }
        Condition::Flapping { more_than } => {
            let n = f64::from(*more_than);
            let within = alert.within.unwrap_or(Alert::DEFAULT_WITHIN);
            let within_text = prometheus_duration(within);
            let trips = |from: &str, to: &str| {
                with(&labels, &[(names::LABEL_FROM, from), (names::LABEL_TO, to)])
            };
            let jump = |count: f64| Shape::Counter(vec![(1, 0.0), (1, count)]);
            let series = |a: f64, b: f64| {
                let mut out = per_replica(
                    names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
                    &trips("closed", "open"),
                    [jump(a), jump(b)],
                );
                // Failed probes re-open a breaker without closing it: not flapping.
                out.extend(per_replica(
                    names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
                    &trips("half_open", "open"),
                    [jump(10.0 * (n + 1.0)), jump(10.0 * (n + 1.0))],
                ));
                out
            };
            let onset = scrape * 2;
            let mut probes = vec![Probe::new("exactly the threshold on each replica")
                .silent(onset + round_up(for_, scrape) + scrape)
                .with(series(n, n))];
            let fires_at = onset + round_up(for_, scrape);
            // The trips leave the range once it no longer holds the sample before them.
            let gone = scrape + round_up(within, scrape) + scrape;
            if fires_at < gone {
                probes.push(
                    Probe::new(
                        "one more than the threshold on one replica, then the window moves on",
                    )
                    .for_edge(onset, for_, scrape, severity, n + 1.0)
                    .silent(gone)
                    .with(series(n + 1.0, 0.0)),
                );
            }
            let trips_selector = selector(
                names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
                ", from=\"closed\", to=\"open\"",
            );
            (
                // The trips between the range's first sample and now, exactly (increase()
                // would extrapolate 3 trips to 3.02); the max over instances, since
                // replicas tripping once each is not flapping. A restart forgets earlier
                // trips.
                format!(
                    "max by ({by}) ({}) > {more_than}",
                    counted_within(&trips_selector, within, scrape_interval)
                ),
                format!("Circuit breaker {which} is flapping"),
                format!(
                    "Circuit breaker {which} tripped from closed to open {{{{ $value | humanize }}}} times in the last {within_text} on one instance (more than {more_than})."
                ),
                probes,
            )
        }
        _ => unreachable!("the grammar puts only breaker conditions on #[circuit_breaker]"),
    };
    let draft = Draft {
        expr,
        grouping: labels,
        identity,
        origin: format!("{} (breaker {breaker})", function.origin()),
        summary,
        description,
        probes,
        latency: None,
        step: scrape,
    };
    rule(alert, function.name, draft)
}
