//! Alerting rules of declared metrics (`#[gauge]`, `#[counter]`, `#[histogram]` on a
//! `static`), with the probes their unit tests run.
//!
//! Every alert aggregates across replicas into one alert per label set of the metric:
//! `min` for a `<` line and `max` for a `>` line, so `$value` is the worst replica's value;
//! a histogram's quantile is taken over the buckets of every replica together, like a
//! function's latency.

use std::time::Duration;

use super::alerts::round;
use super::scenario::{
    call_value, first_replica_leaves, round_up, samples, test_step, Probe, Series, Shape, JOB,
    REPLICAS,
};
use super::{AlertRule, RuleSet, RulesError};
use crate::promql::{Metric, FRESH_SCRAPES};
use botwatch_spec::model::Alert;

/// Rate windows of declared metrics: 5 minutes, like a function alert without `window`.
const RATE_WINDOW: Duration = Alert::DEFAULT_WINDOW;
use botwatch_spec::declared::{Declared, MetricKind, ValueAlert, ValueComparison, ValueCondition};
use botwatch_spec::model::Comparison;
use botwatch_spec::names::{format_float, prometheus_duration, LABEL_JOB};

/// The test data's side of a declared metric's identity.
impl Metric<'_> {
    /// The labels of the test data's series set: the test job, the static labels and a
    /// value per family key.
    fn grouping(&self) -> Vec<(String, String)> {
        let mut out = vec![(LABEL_JOB.to_owned(), JOB.to_owned())];
        out.extend(self.labels.iter().cloned());
        out.extend(self.keys.iter().map(|k| (k.clone(), call_value(k))));
        out
    }

    fn series(&self, suffix: &str, extra: &[(&str, String)], shapes: [Shape; 2]) -> Vec<Series> {
        let mut labels = self.grouping();
        labels.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        REPLICAS
            .iter()
            .zip(shapes)
            .map(|(replica, shape)| {
                Series::new(&format!("{}{suffix}", self.name), &labels, replica, shape)
            })
            .collect()
    }
}

/// Adds the alerts of every declared metric; `all` is every declared metric of the build,
/// which a ratio's denominator is resolved in.
pub(super) fn add_declared(
    set: &mut RuleSet,
    all: &[Declared],
    scrape: Duration,
) -> Result<(), RulesError> {
    for declared in all {
        let metric = Metric::of(declared).scraped_every(scrape);
        for alert in declared.alerts.iter() {
            // Probes are built at their test step: what they call a scrape is that step (the
            // rule's own reads of the scrape interval come from `metric`).
            let step = test_step(scrape, window(alert));
            set.alerts.push(rule(&metric, all, alert, step)?);
        }
    }
    Ok(())
}

/// Two declarations of one metric name are an error naming both.
pub(super) fn check_names(all: &[Declared]) -> Result<(), RulesError> {
    let mut sorted: Vec<&Declared> = all.iter().collect();
    sorted.sort_by(|a, b| Declared::order(a, b));
    for pair in sorted.windows(2) {
        if pair[0].metric_name() == pair[1].metric_name() {
            return Err(RulesError::DuplicateMetric {
                name: pair[0].metric_name().into_owned(),
                first: pair[0].origin(),
                second: pair[1].origin(),
            });
        }
    }
    Ok(())
}

/// The range window a declared alert reads, if any, for the scrape-interval check.
pub(super) fn window(alert: &ValueAlert) -> Option<Duration> {
    match &alert.condition {
        ValueCondition::Value { .. } | ValueCondition::Ratio { .. } => None,
        ValueCondition::Unchanged { window } | ValueCondition::Idle { window } => Some(*window),
        ValueCondition::Increase { .. } => Some(increase_window(alert)),
        ValueCondition::Rate { per, .. } => Some(RATE_WINDOW.max(*per)),
        ValueCondition::Quantile { .. } => Some(RATE_WINDOW),
    }
}

pub(crate) fn increase_window(alert: &ValueAlert) -> Duration {
    alert.within.unwrap_or(ValueAlert::DEFAULT_INCREASE_WITHIN)
}

/// The condition as written, for messages.
pub(crate) fn written(condition: &ValueCondition) -> String {
    let side = |c: &Comparison| if *c == Comparison::Below { "<" } else { ">" };
    match condition {
        ValueCondition::Value {
            comparison,
            threshold,
        } => {
            format!("value {} {}", comparison.symbol(), format_float(*threshold))
        }
        ValueCondition::Ratio {
            denominator,
            comparison,
            threshold,
        } => format!(
            "value / {denominator} {} {}%",
            side(comparison),
            format_float(round(threshold * 100.0))
        ),
        ValueCondition::Unchanged { window } => {
            format!("unchanged > {}", prometheus_duration(*window))
        }
        ValueCondition::Increase { comparison, amount } => {
            format!("increase {} {}", side(comparison), format_float(*amount))
        }
        ValueCondition::Rate {
            comparison,
            amount,
            per,
        } => format!(
            "rate {} {}/{}",
            side(comparison),
            format_float(*amount),
            prometheus_duration(*per).trim_start_matches('1')
        ),
        ValueCondition::Idle { window } => format!("idle > {}", prometheus_duration(*window)),
        ValueCondition::Quantile {
            quantile,
            comparison,
            threshold,
        } => {
            format!(
                "{} {} {}",
                quantile.keyword(),
                side(comparison),
                format_float(*threshold)
            )
        }
    }
}

/// What a condition contributes; [`rule`] adds what every alert shares.
struct Draft {
    expr: String,
    summary: String,
    description: String,
    probes: Vec<Probe>,
}

/// `$value` as an annotation shows it: four significant digits, no SI prefix.
const VALUE: &str = "{{ $value | printf \"%.4g\" }}";

fn rule(
    metric: &Metric<'_>,
    all: &[Declared],
    alert: &ValueAlert,
    scrape: Duration,
) -> Result<AlertRule, RulesError> {
    let declared = metric.declared;
    let draft = match &alert.condition {
        ValueCondition::Value {
            comparison,
            threshold,
        } => value_draft(metric, alert, *comparison, *threshold, scrape),
        ValueCondition::Ratio {
            denominator,
            comparison,
            threshold,
        } => {
            let Some(other) = Declared::resolve(all, declared, denominator) else {
                return Err(RulesError::UnknownRatio {
                    origin: declared.origin(),
                    denominator: denominator.to_string(),
                });
            };
            if !other.label_keys.is_empty() || other.kind != MetricKind::Gauge {
                return Err(RulesError::UnknownRatio {
                    origin: declared.origin(),
                    denominator: format!(
                        "{denominator} (a ratio's denominator must be an unlabelled #[gauge])"
                    ),
                });
            }
            ratio_draft(
                metric,
                &Metric::of(other),
                alert,
                *comparison,
                *threshold,
                scrape,
            )
        }
        ValueCondition::Unchanged { window } => unchanged_draft(metric, alert, *window, scrape),
        ValueCondition::Increase { comparison, amount } => {
            let window = increase_window(alert);
            change_draft(metric, alert, *comparison, *amount, window, 1.0, scrape)
        }
        ValueCondition::Rate {
            comparison,
            amount,
            per,
        } => {
            let per_second = amount / per.as_secs_f64();
            change_draft(
                metric,
                alert,
                *comparison,
                per_second,
                RATE_WINDOW.max(*per),
                RATE_WINDOW.max(*per).as_secs_f64(),
                scrape,
            )
        }
        ValueCondition::Idle { window } => idle_draft(metric, alert, *window, scrape),
        ValueCondition::Quantile {
            quantile,
            comparison,
            threshold,
        } => quantile_draft(
            metric,
            alert,
            quantile.fraction(),
            quantile.keyword(),
            *comparison,
            *threshold,
            scrape,
        ),
    };
    let mut labels = vec![("severity".to_owned(), alert.value_severity().to_owned())];
    labels.extend(
        alert
            .labels
            .iter()
            .map(|l| (l.key.to_string(), l.value.to_string())),
    );
    let pick = |own: &Option<botwatch_spec::model::Text>, default: String| {
        own.as_deref().map_or(default, str::to_owned)
    };
    let mut annotations = vec![
        ("summary".to_owned(), pick(&alert.summary, draft.summary)),
        (
            "description".to_owned(),
            pick(&alert.description, draft.description),
        ),
    ];
    if let Some(runbook) = &alert.runbook {
        annotations.push(("runbook_url".to_owned(), runbook.to_string()));
    }
    Ok(AlertRule {
        name: alert.value_alert_name(&declared.static_name),
        expr: draft.expr,
        for_: alert.value_for(),
        grouping: metric.grouping(),
        identity: metric.labels.clone(),
        labels,
        annotations,
        origin: declared.origin(),
        probes: draft.probes,
        latency: None,
        test_step: scrape,
    })
}

/// A step away from `x` that shows in four significant digits and is exact in binary.
fn nudge(x: f64) -> f64 {
    if x == 0.0 {
        return 0.125;
    }
    let magnitude = x.abs().log2().floor();
    2f64.powf(magnitude - 3.0)
}

fn aggregate(comparison: ValueComparison) -> &'static str {
    match comparison {
        ValueComparison::Below => "min",
        _ => "max",
    }
}

fn value_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    comparison: ValueComparison,
    x: f64,
    scrape: Duration,
) -> Draft {
    let selector = metric.last_value(&metric.selector(""));
    let line = format_float(x);
    let op = comparison.symbol();
    let expr = match comparison {
        ValueComparison::Below | ValueComparison::Above => {
            format!(
                "{} {op} {line}",
                metric.aggregate(aggregate(comparison), &selector)
            )
        }
        // The replicas at (or off) the value, each alone: any one of them fires it.
        ValueComparison::Equal | ValueComparison::NotEqual => {
            metric.aggregate("max", &format!("{selector} {op} {line}"))
        }
    };
    let d = nudge(x);
    // The firing replica's value, and the other replica's (on the safe side).
    let (firing, other, edge_values) = match comparison {
        ValueComparison::Below => (x - d, x + d, [x, x]),
        ValueComparison::Above => (x + d, x - d, [x, x]),
        ValueComparison::Equal => (x, x + d, [x - d, x + d]),
        ValueComparison::NotEqual => (x + d, x, [x, x]),
    };
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let fires_at = round_up(for_, scrape);
    let recover = fires_at + 2 * scrape;
    let firing_probe = Probe::new("one replica over the line, then back")
        .for_edge(Duration::ZERO, for_, scrape, severity, firing)
        .fires(recover - scrape, severity, firing)
        .silent(recover + scrape)
        .with(metric.series(
            "",
            &[],
            [
                Shape::Gauge(vec![(samples(recover, scrape), firing), (u64::MAX, other)]),
                Shape::Gauge(vec![(u64::MAX, other)]),
            ],
        ));
    // One failed scrape while replica a is over the line (Prometheus stale-marks its
    // series): `for` goes on, it fires when it would have.
    let mut probes = vec![firing_probe];
    let half = samples(fires_at, scrape) / 2;
    if half >= 1 {
        probes.push(
            Probe::new("one failed scrape while a replica is over the line")
                .for_edge(Duration::ZERO, for_, scrape, severity, firing)
                .with(metric.series(
                    "",
                    &[],
                    [
                        Shape::Gauge(vec![(half, firing), (1, f64::NAN), (u64::MAX, firing)]),
                        Shape::Gauge(vec![(u64::MAX, other)]),
                    ],
                )),
        );
    }
    // The replica over the line leaves (a deleted pod): its last value still counts for the
    // last few scrapes (one failed scrape is no verdict), then it is gone.
    let gone = recover;
    let leaving_probe = Probe::new("the replica over the line leaves")
        .for_edge(Duration::ZERO, for_, scrape, severity, firing)
        .fires(gone, severity, firing)
        .silent(gone + scrape * (FRESH_SCRAPES + 1))
        .with(first_replica_leaves(
            metric.series(
                "",
                &[],
                [
                    Shape::Gauge(vec![(u64::MAX, firing)]),
                    Shape::Gauge(vec![(u64::MAX, other)]),
                ],
            ),
            samples(gone, scrape) + 1,
        ));
    let edge_probe = Probe::new("both replicas at the line, not over it")
        .silent(fires_at + scrape)
        .with(metric.series(
            "",
            &[],
            [
                Shape::Gauge(vec![(u64::MAX, edge_values[0])]),
                Shape::Gauge(vec![(u64::MAX, edge_values[1])]),
            ],
        ));
    let (summary, description) = match comparison {
        ValueComparison::Below => (
            format!("{} below {line}", metric.name),
            format!(
                "{} is {VALUE} on the lowest replica; the threshold is {line}.",
                metric.name
            ),
        ),
        ValueComparison::Above => (
            format!("{} above {line}", metric.name),
            format!(
                "{} is {VALUE} on the highest replica; the threshold is {line}.",
                metric.name
            ),
        ),
        ValueComparison::Equal => (
            format!("{} is {line}", metric.name),
            format!("{} is {VALUE} on at least one replica.", metric.name),
        ),
        ValueComparison::NotEqual => (
            format!("{} is not {line}", metric.name),
            format!(
                "{} is {VALUE} on at least one replica; it should be {line}.",
                metric.name
            ),
        ),
    };
    probes.extend([leaving_probe, edge_probe]);
    Draft {
        expr,
        summary,
        description,
        probes,
    }
}

fn ratio_draft(
    metric: &Metric<'_>,
    other: &Metric<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    r: f64,
    scrape: Duration,
) -> Draft {
    let value_comparison = ValueComparison::from(comparison);
    let line = format_float(r);
    let percent = format!("{}%", format_float(round(r * 100.0)));
    // Each replica's ratio to its own denominator (same target), then the worst replica.
    let ratio = metric.last_ratio(other);
    let expr = format!(
        "{} {} {line}",
        metric.aggregate(aggregate(value_comparison), &ratio),
        value_comparison.symbol(),
    );
    // Ratios on a 1/1024 grid are exact: one step either side of the line.
    let denominator = 1024.0;
    let step = 1.0 / denominator;
    let at_line = (r * denominator).round() / denominator;
    let (firing, other_side) = match comparison {
        Comparison::Above => (at_line + 2.0 * step, at_line - 2.0 * step),
        Comparison::Below => (at_line - 2.0 * step, at_line + 2.0 * step),
    };
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let fires_at = round_up(for_, scrape);
    let denominators = |probe: Probe| {
        probe.with(other.series_of_replicas([
            Shape::Gauge(vec![(u64::MAX, denominator)]),
            Shape::Gauge(vec![(u64::MAX, denominator)]),
        ]))
    };
    let firing_probe = denominators(
        Probe::new("one replica's ratio over the line")
            .for_edge(Duration::ZERO, for_, scrape, severity, firing)
            .with(metric.series(
                "",
                &[],
                [
                    Shape::Gauge(vec![(u64::MAX, firing * denominator)]),
                    Shape::Gauge(vec![(u64::MAX, other_side * denominator)]),
                ],
            )),
    );
    // The replica over the line leaves, its denominator with it.
    let gone = fires_at + 2 * scrape;
    let leaving_probe = Probe::new("the replica over the line leaves")
        .for_edge(Duration::ZERO, for_, scrape, severity, firing)
        .fires(gone, severity, firing)
        .silent(gone + scrape * (FRESH_SCRAPES + 1))
        .with(first_replica_leaves(
            other.series_of_replicas([
                Shape::Gauge(vec![(u64::MAX, denominator)]),
                Shape::Gauge(vec![(u64::MAX, denominator)]),
            ]),
            samples(gone, scrape) + 1,
        ))
        .with(first_replica_leaves(
            metric.series(
                "",
                &[],
                [
                    Shape::Gauge(vec![(u64::MAX, firing * denominator)]),
                    Shape::Gauge(vec![(u64::MAX, other_side * denominator)]),
                ],
            ),
            samples(gone, scrape) + 1,
        ));
    let silent_probe = denominators(
        Probe::new("both replicas' ratios on the safe side of the line")
            .silent(fires_at + scrape)
            .with(metric.series(
                "",
                &[],
                [
                    Shape::Gauge(vec![(u64::MAX, other_side * denominator)]),
                    Shape::Gauge(vec![(u64::MAX, other_side * denominator)]),
                ],
            )),
    );
    let word = if comparison == Comparison::Above {
        "above"
    } else {
        "below"
    };
    Draft {
        expr,
        summary: format!("{} at {{{{ $value | humanizePercentage }}}} of {}", metric.name, other.name),
        description: format!(
            "{} is {{{{ $value | humanizePercentage }}}} of {} on the worst replica, {word} the line of {percent}.",
            metric.name, other.name
        ),
        probes: vec![firing_probe, leaving_probe, silent_probe],
    }
}

impl Metric<'_> {
    /// The unlabelled series of a denominator, one per replica.
    fn series_of_replicas(&self, shapes: [Shape; 2]) -> Vec<Series> {
        REPLICAS
            .iter()
            .zip(shapes)
            .map(|(replica, shape)| {
                let mut labels = vec![(LABEL_JOB.to_owned(), JOB.to_owned())];
                labels.extend(self.labels.iter().cloned());
                Series::new(&self.name, &labels, replica, shape)
            })
            .collect()
    }
}

/// A replica whose value moves every scrape for `moving` scrapes, then holds at zero (a
/// value that no mistaken read of another time may take for a change).
fn moving_then_zero(moving: u64) -> Shape {
    let mut runs: Vec<(u64, f64)> = (1..=moving).map(|i| (1, i as f64)).collect();
    runs.push((u64::MAX, 0.0));
    Shape::Gauge(runs)
}

/// A replica whose value moves every scrape for `moving` scrapes, then holds.
fn moving_then_still(moving: u64) -> Shape {
    Shape::Counter(vec![(moving, 1.0), (u64::MAX, 0.0)])
}

fn unchanged_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    window: Duration,
    scrape: Duration,
) -> Draft {
    let w = prometheus_duration(window);
    let expr = format!(
        "{} == 0",
        metric.aggregate(
            "min",
            &metric.on_live_replicas(&format!("changes({}[{w}])", metric.selector("")), &w)
        )
    );
    let probes = still_probes(metric, alert, window, scrape);
    Draft {
        expr,
        summary: format!("{} has not changed for {w}", metric.name),
        description: format!(
            "{} has kept the same value for the last {w} on at least one replica: whatever updates it has stopped.",
            metric.name
        ),
        probes,
    }
}

fn idle_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    window: Duration,
    scrape: Duration,
) -> Draft {
    let w = prometheus_duration(window);
    let expr = format!(
        "{} == 0",
        metric.aggregate(
            "min",
            &metric.on_live_replicas(&format!("increase({}[{w}])", metric.selector("")), &w)
        )
    );
    let probes = still_probes(metric, alert, window, scrape);
    Draft {
        expr,
        summary: format!("{} has not grown for {w}", metric.name),
        description: format!(
            "{} has not increased in the last {w} on at least one replica.",
            metric.name
        ),
        probes,
    }
}

/// Replica a stops moving, replica b goes on: the alert fires once a's last change has
/// left the window and `for` has passed (and not while b alone is checked).
fn still_probes(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    window: Duration,
    scrape: Duration,
) -> Vec<Probe> {
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let moving = samples(round_up(window, scrape), scrape);
    let stop = scrape * moving as u32;
    let w = round_up(window, scrape);
    let f = round_up(for_, scrape);
    // The window holds no change from `stop + w` (left-open ranges) or one scrape later.
    let one = Probe::new("one replica stops changing, the other goes on")
        .silent(stop + w + f - scrape)
        .fires(stop + w + scrape + f, severity, 0.0)
        .with(metric.series(
            "",
            &[],
            [
                moving_then_still(moving),
                Shape::Counter(vec![(u64::MAX, 1.0)]),
            ],
        ));
    // Replica a stops changing (at zero) and leaves once its window holds no change (a
    // deleted pod): its constant tail is no verdict on the feed, which replica b keeps
    // updating.
    let left = stop + w;
    let gone = Probe::new("a replica that stopped changing leaves, the other goes on")
        .silent(left + (f + scrape).max(scrape * (FRESH_SCRAPES + 1)))
        .with(first_replica_leaves(
            metric.series(
                "",
                &[],
                [
                    moving_then_zero(moving),
                    Shape::Counter(vec![(u64::MAX, 1.0)]),
                ],
            ),
            samples(left, scrape) + 1,
        ));
    let both = Probe::new("both replicas keep changing")
        .silent(stop + w + scrape + f)
        .with(metric.series(
            "",
            &[],
            [
                Shape::Counter(vec![(u64::MAX, 1.0)]),
                Shape::Counter(vec![(u64::MAX, 1.0)]),
            ],
        ));
    vec![one, gone, both]
}

/// `increase` and `rate` of a counter: `line` is per `window` for `increase` and per
/// second for `rate` (`per_line` = the window in seconds turns a rate into the increase
/// the data must show).
fn change_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    line: f64,
    window: Duration,
    per_line: f64,
    scrape: Duration,
) -> Draft {
    let value_comparison = ValueComparison::from(comparison);
    let w = prometheus_duration(window);
    let is_rate = per_line != 1.0;
    let function = if is_rate { "rate" } else { "increase" };
    let expr = format!(
        "{} {} {}",
        metric.aggregate(
            aggregate(value_comparison),
            &metric.on_live_replicas(&format!("{function}({}[{w}])", metric.selector("")), &w)
        ),
        value_comparison.symbol(),
        format_float(line)
    );
    let probes = change_probes(
        metric,
        alert,
        comparison,
        line * per_line,
        window,
        per_line,
        scrape,
    );
    let (word, unit) = if is_rate {
        ("grows at", "/s")
    } else {
        ("grew by", "")
    };
    let side = if comparison == Comparison::Below {
        "below"
    } else {
        "above"
    };
    Draft {
        expr,
        summary: format!("{} {word} {side} {}{unit}", metric.name, format_float(line)),
        description: format!(
            "{} {word} {VALUE}{unit} over the last {w} on the {} replica; the line is {}{unit}.",
            metric.name,
            if comparison == Comparison::Below {
                "slowest"
            } else {
                "fastest"
            },
            format_float(line)
        ),
        probes,
    }
}

/// Replica a changes pace after one window: from `before` to `after` per window (the line
/// is `a`, the increase per window). The condition starts to hold part-way into the next
/// window, where the blend crosses the line; probes check two scrapes either side of that,
/// and the value once the window holds only the new pace. Replica b keeps the old pace, on
/// the safe side of the line.
fn change_probes(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    comparison: Comparison,
    a: f64,
    window: Duration,
    per_line: f64,
    scrape: Duration,
) -> Vec<Probe> {
    if a <= 0.0 && comparison == Comparison::Below {
        return Vec::new(); // a counter cannot grow by less than nothing
    }
    let n = samples(round_up(window, scrape), scrape).max(1);
    let w = scrape * n as u32;
    // Paces per sample are whole multiples of a power of two near a 10th of the line's
    // pace, so every sum promtool makes is exact, however small the line.
    let unit = if a > 0.0 {
        2f64.powf((a / n as f64).log2().floor() - 3.0)
    } else {
        1.0
    };
    let line_units = a / (n as f64 * unit); // in [8, 16) for a > 0
    let (before_units, after_units) = match comparison {
        Comparison::Below => ((2.0 * line_units).round(), (0.75 * line_units).round()),
        Comparison::Above if a > 0.0 => ((0.5 * line_units).round(), (2.0 * line_units).round()),
        Comparison::Above => (0.0, 1.0),
    };
    let safe_units = match comparison {
        Comparison::Below => (1.25 * line_units).round(),
        Comparison::Above => (0.75 * line_units).round(),
    };
    let per_window = |units: f64| units * unit * n as f64;
    let (before, after) = (per_window(before_units), per_window(after_units));
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    // One window of the old pace first (a counter's first window reads a partial increase,
    // which may fire a `<` alert early; it has resolved long before the checks).
    let switch = w;
    // Where the blend of the two paces crosses the line: `x` into the new pace.
    let crossing = w.mul_f64(((a - before) / (after - before)).clamp(0.0, 1.0));
    let onset = round_up(switch + crossing, scrape);
    let f = round_up(for_, scrape);
    let margin = 2 * scrape;
    let settled = (onset + f + margin).max(switch + w + scrape);
    let shapes = [
        Shape::ExactCounter(vec![
            (n, before_units * unit),
            (u64::MAX, after_units * unit),
        ]),
        Shape::ExactCounter(vec![(u64::MAX, before_units * unit)]),
    ];
    let mut probe = Probe::new("one replica changes pace across the line");
    if onset + f > switch + margin {
        probe = probe.silent(onset + f - margin);
    }
    probe = probe
        .fires(settled, severity, after / per_line)
        .with(metric.series("", &[], shapes));
    // The `for` edge, exactly: replica a at the new pace from the start, judged from its
    // first whole window on (a new replica's partial window is no verdict). A counter
    // starting at zero reads its real increase (no extrapolation past the zero), so each
    // evaluation's value is known: `k` steps after `k` scrapes.
    let step = after_units * unit;
    let first = match comparison {
        // Two samples give the first increase: one step, already under the line.
        Comparison::Below => 1,
        // The first scrape whose increase is over the line.
        Comparison::Above => ((a / step).floor() as u64 + 1).max(1),
    };
    // A replica is judged once it has a whole window of data: never before `w`.
    let onset_new = (scrape * first as u32).max(w);
    let fires_new = onset_new + f;
    let steps_at = |t: Duration| (samples(t, scrape)).min(n) as f64 * step;
    let mut probes = vec![probe];
    probes.push(
        Probe::new("one replica at the new pace from the start, the other on the safe side")
            .for_edge(
                onset_new,
                for_,
                scrape,
                severity,
                steps_at(fires_new) / per_line,
            )
            .with(metric.series(
                "",
                &[],
                [
                    Shape::ExactCounter(vec![(u64::MAX, step)]),
                    Shape::ExactCounter(vec![(u64::MAX, before_units * unit)]),
                ],
            )),
    );
    // Both replicas a quarter of the way past the line on the safe side: silent.
    if safe_units > 0.0 {
        let safe = || Shape::ExactCounter(vec![(u64::MAX, safe_units * unit)]);
        probes.push(
            Probe::new("both replicas on the safe side of the line")
                .silent(w + 2 * scrape)
                .with(metric.series("", &[], [safe(), safe()])),
        );
    }
    probes
}

fn quantile_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    q: f64,
    keyword: &str,
    comparison: Comparison,
    x: f64,
    scrape: Duration,
) -> Draft {
    let window = prometheus_duration(RATE_WINDOW);
    let side = ValueComparison::from(comparison).symbol();
    let expr = format!(
        "{} {side} {}",
        metric.quantile_by(&[LABEL_JOB], q, &window, &[]),
        format_float(x)
    );
    let bounds = metric.declared.bucket_bounds();
    let position = bounds.iter().position(|b| *b == x).unwrap_or(0);
    let below = (position > 0).then(|| bounds[position - 1]);
    let above = bounds.get(position + 1).copied();
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let onset = scrape;
    let stop = round_up(onset + for_ + RATE_WINDOW, scrape);
    // Every observation in one bucket: the quantile is that bucket's start plus q of its
    // width. `None` as the bucket's end is `+Inf` (the quantile reads as the last bound).
    let in_bucket = |end: Option<f64>| -> Vec<Series> {
        histogram_series(metric, &bounds, end, Some(samples(stop, scrape)))
    };
    let (firing_bucket, silent_bucket) = match comparison {
        Comparison::Below => (Some(x), above.or(None)),
        Comparison::Above => (above, Some(x)),
    };
    let mut probes = Vec::new();
    // Above the last bound, `histogram_quantile` reads the last bound: a `>` alert at the
    // last bound cannot fire.
    if !(comparison == Comparison::Above && above.is_none()) {
        let end = firing_bucket.expect("a firing bucket exists");
        let start = if end == x { below.unwrap_or(0.0) } else { x };
        let value = start + (end - start) * q;
        probes.push(
            Probe::new(format!(
                "every observation in the bucket {} the line",
                if comparison == Comparison::Below {
                    "under"
                } else {
                    "over"
                }
            ))
            .for_edge(onset, for_, scrape, severity, value)
            .silent(stop + RATE_WINDOW + Duration::from_secs(60))
            .with(in_bucket(Some(end))),
        );
    }
    probes.push(
        Probe::new(format!(
            "every observation in the bucket {} the line",
            if comparison == Comparison::Below {
                "over"
            } else {
                "under"
            }
        ))
        .silent(round_up(onset + for_ + RATE_WINDOW, scrape))
        .with(histogram_series(metric, &bounds, silent_bucket, None)),
    );
    let word = if comparison == Comparison::Below {
        "below"
    } else {
        "above"
    };
    Draft {
        expr,
        summary: format!("{keyword} of {} {word} {}", metric.name, format_float(x)),
        description: format!(
            "The {keyword} of {} over the last {window} is {VALUE} across replicas; the line is {}.",
            metric.name,
            format_float(x)
        ),
        probes,
    }
}

/// A histogram's series on both replicas with 64 observations per scrape in the bucket
/// ending at `end` (`None`: `+Inf`), for `on` scrapes (then none).
fn histogram_series(
    metric: &Metric<'_>,
    bounds: &[f64],
    end: Option<f64>,
    on: Option<u64>,
) -> Vec<Series> {
    let per = 64.0;
    let run = |count: f64| match on {
        Some(n) => Shape::Counter(vec![(n, count)]),
        None => Shape::Counter(vec![(u64::MAX, count)]),
    };
    let mut out = Vec::new();
    let mut les: Vec<(String, f64)> = bounds.iter().map(|b| (format_float(*b), *b)).collect();
    les.push(("+Inf".to_owned(), f64::INFINITY));
    for (text, le) in les {
        let count = if le >= end.unwrap_or(f64::INFINITY) {
            per
        } else {
            0.0
        };
        out.extend(metric.series("_bucket", &[("le", text)], [run(count), run(count)]));
    }
    out.extend(metric.series("_count", &[], [run(per), run(per)]));
    let value = end.unwrap_or(bounds.last().copied().unwrap_or(1.0) * 2.0);
    out.extend(metric.series("_sum", &[], [run(per * value), run(per * value)]));
    out
}
