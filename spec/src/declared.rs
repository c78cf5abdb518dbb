//! The model of declared metrics: `#[gauge]`, `#[counter]` and `#[histogram]` on a `static`,
//! the bot's own values (a wallet balance, the daily volume, a simulation score), with their
//! alerts.
//!
//! Like [`crate::model`], every type can be built in a `static`, so the macro embeds what it
//! parsed and the runtime renders `/metrics` and `/rules` from it; the build helper parses
//! the same source into the same model.

use std::borrow::Cow;
use std::time::Duration;

use crate::guard::Guard;
use crate::model::{Alert, Comparison, Label, List, Quantile, Text};
use crate::names::upper_camel_case;

/// Which of the three declarations a metric comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricKind {
    /// `#[gauge]` on a `botwatch::Gauge`: a value that goes up and down.
    Gauge,
    /// `#[counter]` on a `botwatch::Counter`: a total that only grows.
    Counter,
    /// `#[histogram]` on a `botwatch::Histogram`: a distribution of values.
    Histogram,
}

impl MetricKind {
    /// The three declarations.
    pub const ALL: [MetricKind; 3] = [
        MetricKind::Gauge,
        MetricKind::Counter,
        MetricKind::Histogram,
    ];

    /// The declaration written `#[name]`, if `name` is one.
    pub fn from_name(name: &str) -> Option<MetricKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.attribute_name() == name)
    }

    /// The attribute as the user writes it (`gauge`).
    pub const fn attribute_name(self) -> &'static str {
        match self {
            MetricKind::Gauge => "gauge",
            MetricKind::Counter => "counter",
            MetricKind::Histogram => "histogram",
        }
    }

    /// The type the `static` must have (`Gauge`).
    pub const fn type_name(self) -> &'static str {
        match self {
            MetricKind::Gauge => "Gauge",
            MetricKind::Counter => "Counter",
            MetricKind::Histogram => "Histogram",
        }
    }

    /// The Prometheus metric type (`# TYPE`).
    pub const fn prometheus_type(self) -> &'static str {
        match self {
            MetricKind::Gauge => "gauge",
            MetricKind::Counter => "counter",
            MetricKind::Histogram => "histogram",
        }
    }
}

/// `<`, `>`, `==` or `!=` in a `value` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueComparison {
    /// `<`
    Below,
    /// `>`
    Above,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl ValueComparison {
    /// The operator as written and in PromQL.
    pub const fn symbol(self) -> &'static str {
        match self {
            ValueComparison::Below => "<",
            ValueComparison::Above => ">",
            ValueComparison::Equal => "==",
            ValueComparison::NotEqual => "!=",
        }
    }
}

impl From<Comparison> for ValueComparison {
    fn from(comparison: Comparison) -> Self {
        match comparison {
            Comparison::Below => ValueComparison::Below,
            Comparison::Above => ValueComparison::Above,
        }
    }
}

/// What an `alert(...)` on a declared metric watches.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueCondition {
    /// `value < 0.5`, `value > X`, `value == X`, `value != X` (gauges).
    Value {
        /// The comparison.
        comparison: ValueComparison,
        /// The line.
        threshold: f64,
    },
    /// `value / DAILY_LIMIT_USD > 80%` (gauges): a ratio to another declared metric.
    Ratio {
        /// The other metric's `static`, as written (`DAILY_LIMIT_USD`, `limits::DAILY`).
        denominator: Text,
        /// Below or above.
        comparison: Comparison,
        /// The line, as a fraction.
        threshold: f64,
    },
    /// `increase / BUNDLES_SUBMITTED < 20%` (counters): the counter's increase over another
    /// counter's, both summed over the fleet within `within`, per label set both share; an
    /// inclusion rate, a fill rate.
    IncreaseRatio {
        /// The other counter's `static`, as written (`SUBMITTED`, `relay::SUBMITTED`).
        denominator: Text,
        /// Below or above.
        comparison: Comparison,
        /// The line, as a fraction.
        threshold: f64,
    },
    /// `unchanged > 10m` (gauges): the value did not change in that window.
    Unchanged {
        /// The window.
        window: Duration,
    },
    /// `increase < 0.01`, `increase > X` within `within` (counters).
    Increase {
        /// Below or above.
        comparison: Comparison,
        /// The line.
        amount: f64,
    },
    /// `rate < 1/s`, `rate > 100/m` (counters).
    Rate {
        /// Below or above.
        comparison: Comparison,
        /// Units per `per`.
        amount: f64,
        /// The unit of time the rate is written in.
        per: Duration,
    },
    /// `idle > 10m` (counters): no increase at all in that window.
    Idle {
        /// The window.
        window: Duration,
    },
    /// `stale > 60s` (any declared metric): no update on a replica for that long, whatever
    /// the value; the metric also exports `<name>_last_update_timestamp_seconds`.
    Stale {
        /// How long without an update.
        after: Duration,
    },
    /// `age > 30s` (gauges holding a Unix time in seconds): that time is older than this.
    Age {
        /// The oldest the held time may be.
        limit: Duration,
    },
    /// `value - NODE_HEAD > 5` (gauges): the gap to a reference gauge on the same replica.
    Gap {
        /// The reference's `static`, as written.
        reference: Text,
        /// Below or above.
        comparison: Comparison,
        /// The line, in the metric's unit.
        threshold: f64,
    },
    /// `lag > 5` (gauges, counters): a replica more than this below the best replica.
    Lag {
        /// How far below the best replica.
        threshold: f64,
    },
    /// `total > X`, `total < X` on a labelled family: the sum over its label sets on one
    /// replica.
    Total {
        /// Below or above.
        comparison: Comparison,
        /// The line.
        threshold: f64,
    },
    /// `state == "halted"` (gauges with `states(...)`): the value a state is named by.
    State {
        /// The state's name, as written in `states(...)`.
        name: Text,
        /// The value `states(...)` gives it.
        value: f64,
    },
    /// `p50 < 0.8`, `p99 > 2.5` (histograms).
    Quantile {
        /// Which quantile.
        quantile: Quantile,
        /// Below or above.
        comparison: Comparison,
        /// The line, in the metric's unit.
        threshold: f64,
    },
}

impl ValueCondition {
    /// The declarations this condition applies to.
    pub fn applies_to(&self) -> &'static [MetricKind] {
        match self {
            ValueCondition::Value { .. }
            | ValueCondition::Ratio { .. }
            | ValueCondition::Unchanged { .. }
            | ValueCondition::Age { .. }
            | ValueCondition::Gap { .. }
            | ValueCondition::State { .. } => &[MetricKind::Gauge],
            ValueCondition::Stale { .. } => &MetricKind::ALL,
            ValueCondition::Lag { .. } | ValueCondition::Total { .. } => {
                &[MetricKind::Gauge, MetricKind::Counter]
            }
            ValueCondition::Increase { .. }
            | ValueCondition::IncreaseRatio { .. }
            | ValueCondition::Rate { .. }
            | ValueCondition::Idle { .. } => &[MetricKind::Counter],
            ValueCondition::Quantile { .. } => &[MetricKind::Histogram],
        }
    }

    /// The suffix of the default alert name (`Low`, `RatioHigh`, `Stale`).
    fn name_suffix(&self) -> String {
        let side = |c: Comparison| match c {
            Comparison::Below => "Low",
            Comparison::Above => "High",
        };
        match self {
            ValueCondition::Value { comparison, .. } => match comparison {
                ValueComparison::Below => "Low".to_owned(),
                ValueComparison::Above => "High".to_owned(),
                ValueComparison::Equal => "Equal".to_owned(),
                ValueComparison::NotEqual => "NotEqual".to_owned(),
            },
            ValueCondition::Ratio { comparison, .. }
            | ValueCondition::IncreaseRatio { comparison, .. } => {
                format!("Ratio{}", side(*comparison))
            }
            ValueCondition::Unchanged { .. } => "Stale".to_owned(),
            ValueCondition::Stale { .. } => "NotUpdated".to_owned(),
            ValueCondition::Age { .. } => "TooOld".to_owned(),
            ValueCondition::Gap { comparison, .. } => format!("Gap{}", side(*comparison)),
            ValueCondition::Lag { .. } => "Lagging".to_owned(),
            ValueCondition::Total { comparison, .. } => format!("Total{}", side(*comparison)),
            ValueCondition::Increase { comparison, .. } => format!("Increase{}", side(*comparison)),
            ValueCondition::Rate { comparison, .. } => format!("Rate{}", side(*comparison)),
            ValueCondition::Idle { .. } => "Idle".to_owned(),
            ValueCondition::State { name, .. } => state_camel_case(name),
            ValueCondition::Quantile {
                quantile,
                comparison,
                ..
            } => format!(
                "{}{}",
                upper_camel_case(quantile.keyword()),
                side(*comparison)
            ),
        }
    }
}

/// `halted` → `Halted`, `half-open` → `HalfOpen`, `on hold` → `OnHold`: a state's name as
/// the suffix of an alert's name.
fn state_camel_case(name: &str) -> String {
    upper_camel_case(&name.replace(['-', ' '], "_"))
}

/// One entry of `states(0 = "running", 3 = "halted")`: a gauge's value and its name.
#[derive(Clone, Debug, PartialEq)]
pub struct StateName {
    /// The value.
    pub value: f64,
    /// Its name (`running`).
    pub name: Text,
}

/// An `alert(...)` on a declared metric.
pub type ValueAlert = Alert<ValueCondition>;

impl ValueAlert {
    /// Default `within` of `increase`.
    pub const DEFAULT_INCREASE_WITHIN: Duration = Duration::from_secs(3600);

    /// The alert's name in force for the metric declared on `static_name`.
    pub fn value_alert_name(&self, static_name: &str) -> String {
        match &self.name {
            Some(name) => name.to_string(),
            None => format!(
                "{}{}",
                upper_camel_case(&static_name.to_lowercase()),
                self.condition.name_suffix()
            ),
        }
    }

    /// The `for` in force (5m unless written).
    pub fn value_for(&self) -> Duration {
        self.for_.unwrap_or(Alert::DEFAULT_FOR)
    }

    /// The severity in force (`warning` unless written).
    pub fn value_severity(&self) -> &str {
        self.severity.as_deref().unwrap_or("warning")
    }
}

/// A metric declared on a `static`, with its options and alerts.
#[derive(Clone, Debug, PartialEq)]
pub struct Declared {
    /// Gauge, counter or histogram.
    pub kind: MetricKind,
    /// The static's name as written (`OPERATOR_BALANCE_ETH`).
    pub static_name: Text,
    /// `module_path!()` at the static.
    pub module: Text,
    /// `name = "..."`; `None` for the static's name in lower case.
    pub name: Option<Text>,
    /// `help = "..."` or the doc comment.
    pub help: Option<Text>,
    /// `labels(k = "v")`: labels every series carries.
    pub labels: List<Label>,
    /// `labels(symbol)`: label keys whose values are given at use, in declaration order.
    pub label_keys: List<Text>,
    /// `max_series = N`: the most distinct label sets of a labelled family.
    pub max_series: Option<u32>,
    /// `buckets = [...]` of a histogram, ascending, in the metric's unit.
    pub buckets: Option<List<f64>>,
    /// `alert(...)` clauses.
    pub alerts: List<ValueAlert>,
    /// `guard(...)`: the kill switch it holds, if any (at most one per metric: the guard is
    /// named after the static).
    pub guard: Option<Guard>,
    /// `unit = "USD"`: the unit the dashboard and the live page show its values in.
    pub unit: Option<Text>,
    /// `states(0 = "running", ...)` of a gauge: the names of its values, in the order
    /// written.
    pub states: List<StateName>,
}

impl Declared {
    /// Default `max_series` of a labelled family.
    pub const DEFAULT_MAX_SERIES: u32 = 100;

    /// A declaration with no options.
    pub fn new(kind: MetricKind, static_name: &str, module: &str) -> Declared {
        Declared {
            kind,
            static_name: Cow::Owned(static_name.to_owned()),
            module: Cow::Owned(module.to_owned()),
            name: None,
            help: None,
            labels: Cow::Borrowed(&[]),
            label_keys: Cow::Borrowed(&[]),
            max_series: None,
            buckets: None,
            alerts: Cow::Borrowed(&[]),
            guard: None,
            unit: None,
            states: Cow::Borrowed(&[]),
        }
    }

    /// The name `states(...)` gives `value`, if any.
    pub fn state_name(&self, value: f64) -> Option<&str> {
        self.states
            .iter()
            .find(|s| s.value == value)
            .map(|s| &*s.name)
    }

    /// The metric's name: `name = "..."`, or the static's name in lower case.
    pub fn metric_name(&self) -> Cow<'_, str> {
        match &self.name {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(self.static_name.to_lowercase()),
        }
    }

    /// The HELP text: `help`, the doc comment, or a sentence naming the static.
    pub fn help_text(&self) -> Cow<'_, str> {
        match &self.help {
            Some(help) => Cow::Borrowed(help),
            None => Cow::Owned(format!(
                "{} declared on {}::{}",
                self.kind.attribute_name(),
                self.module,
                self.static_name
            )),
        }
    }

    /// Whether an alert or its guard reads its update times (`stale > D`): only then does each update
    /// store the time and `/metrics` serve `<name>_last_update_timestamp_seconds`.
    pub fn stamps_updates(&self) -> bool {
        self.alerts
            .iter()
            .map(|a| &a.condition)
            .chain(self.guard.as_ref().map(|g| &g.condition))
            .any(|c| matches!(c, ValueCondition::Stale { .. }))
    }

    /// The name of the series of its update times: `<name>_last_update_timestamp_seconds`.
    pub fn update_timestamp_name(&self) -> String {
        format!("{}_last_update_timestamp_seconds", self.metric_name())
    }

    /// The `max_series` in force.
    pub fn series_bound(&self) -> u32 {
        self.max_series.unwrap_or(Self::DEFAULT_MAX_SERIES)
    }

    /// How long a label set of a labelled family may go without an update before it is
    /// evicted: the default `label_idle` (1h), and never less than
    /// [`label_idle_floor`](Self::label_idle_floor).
    pub fn label_idle(&self) -> Duration {
        crate::model::MetricOptions::DEFAULT_LABEL_IDLE.max(self.label_idle_floor())
    }

    /// Twice the longest window of the alerts that fire on a label set for going quiet
    /// (`stale`, `unchanged`, `idle`, `rate <`, `increase <`): evicting the set sooner
    /// would take its series away before they could fire.
    pub fn label_idle_floor(&self) -> Duration {
        self.alerts
            .iter()
            .filter_map(|alert| match alert.condition {
                ValueCondition::Stale { after } => Some(after),
                ValueCondition::Unchanged { window } | ValueCondition::Idle { window } => {
                    Some(window)
                }
                ValueCondition::Rate {
                    comparison: Comparison::Below,
                    per,
                    ..
                } => Some(Alert::DEFAULT_WINDOW.max(per)),
                ValueCondition::Increase {
                    comparison: Comparison::Below,
                    ..
                } => Some(alert.within.unwrap_or(ValueAlert::DEFAULT_INCREASE_WITHIN)),
                _ => None,
            })
            .chain(self.guard.iter().filter_map(|guard| match guard.condition {
                ValueCondition::Stale { after } => Some(after),
                _ => None,
            }))
            .max()
            .map_or(Duration::ZERO, |window| window * 2)
    }

    /// Where it is declared, `module::STATIC`, for messages.
    pub fn origin(&self) -> String {
        format!("{}::{}", self.module, self.static_name)
    }

    /// A histogram's bucket bounds: the ones written (or the defaults) with every alert
    /// threshold added, so a quantile alert's line is a bucket bound exactly.
    pub fn bucket_bounds(&self) -> Vec<f64> {
        let mut bounds: Vec<f64> = match &self.buckets {
            Some(buckets) => buckets.to_vec(),
            None => DEFAULT_VALUE_BUCKETS.to_vec(),
        };
        let thresholds: Vec<f64> = self
            .alerts
            .iter()
            .filter_map(|alert| match alert.condition {
                ValueCondition::Quantile { threshold, .. } => Some(threshold),
                _ => None,
            })
            .filter(|t| t.is_finite())
            .collect();
        bounds.extend(&thresholds);
        bounds.retain(|b| b.is_finite());
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        // `histogram_quantile` never reads above the highest bound: a `pNN > X` at it could
        // never fire, so a bound above it is added (as `#[timed]` does).
        let highest = thresholds.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if bounds.last() == Some(&highest) {
            bounds.push(if highest > 0.0 {
                highest * 2.0
            } else {
                highest + 1.0
            });
        }
        bounds
    }

    /// The order metrics are rendered in: by metric name, then where declared. The runtime
    /// and the build helper both sort with it.
    pub fn order(a: &Declared, b: &Declared) -> std::cmp::Ordering {
        (a.metric_name(), &a.module, &a.static_name).cmp(&(
            b.metric_name(),
            &b.module,
            &b.static_name,
        ))
    }

    /// The declaration a ratio's `denominator` (a path as written in `from`'s module) names:
    /// the last segment is the static's name; earlier segments, if any, must end the module
    /// path (`limits::DAILY_LIMIT_USD` from `bot` names `bot::limits::DAILY_LIMIT_USD` or any
    /// module ending in `limits`). The one rule the build helper and the runtime share, so
    /// both resolve a ratio to the same metric name.
    pub fn resolve<'a>(
        all: &'a [Declared],
        from: &Declared,
        denominator: &str,
    ) -> Option<&'a Declared> {
        let path: Vec<&str> = denominator
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "self" && *s != "crate" && *s != "super")
            .collect();
        let (last, modules) = path.split_last()?;
        let candidates: Vec<&Declared> = all
            .iter()
            .filter(|d| d.static_name == *last)
            .filter(|d| {
                if modules.is_empty() {
                    return true;
                }
                let wanted = modules.join("::");
                d.module == wanted || d.module.ends_with(&format!("::{wanted}"))
            })
            .collect();
        // Prefer the declaration in the same module, as Rust's name resolution would.
        candidates
            .iter()
            .find(|d| modules.is_empty() && d.module == from.module)
            .or_else(|| candidates.first())
            .copied()
    }
}

/// Buckets of a histogram declared without `buckets = [...]`: scores and ratios in `0..=1`
/// and small counts.
pub const DEFAULT_VALUE_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(static_name: &str, module: &str) -> Declared {
        Declared::new(MetricKind::Gauge, static_name, module)
    }

    #[test]
    fn names_come_from_the_static() {
        let d = declared("OPERATOR_BALANCE_ETH", "bot");
        assert_eq!(d.metric_name(), "operator_balance_eth");
        let mut alert = ValueAlert::new(ValueCondition::Value {
            comparison: ValueComparison::Below,
            threshold: 0.5,
        });
        assert_eq!(
            alert.value_alert_name(&d.static_name),
            "OperatorBalanceEthLow"
        );
        alert.condition = ValueCondition::Quantile {
            quantile: Quantile::P50,
            comparison: Comparison::Below,
            threshold: 0.8,
        };
        assert_eq!(
            alert.value_alert_name("SIMULATION_ACCURACY"),
            "SimulationAccuracyP50Low"
        );
        alert.condition = ValueCondition::Unchanged {
            window: Duration::from_secs(600),
        };
        assert_eq!(alert.value_alert_name("PRICE"), "PriceStale");
        let cases = [
            (
                ValueCondition::Stale {
                    after: Duration::from_secs(60),
                },
                "PriceNotUpdated",
            ),
            (
                ValueCondition::Age {
                    limit: Duration::from_secs(30),
                },
                "PriceTooOld",
            ),
            (
                ValueCondition::Gap {
                    reference: "HEAD".into(),
                    comparison: Comparison::Above,
                    threshold: 5.0,
                },
                "PriceGapHigh",
            ),
            (
                ValueCondition::Gap {
                    reference: "HEAD".into(),
                    comparison: Comparison::Below,
                    threshold: 5.0,
                },
                "PriceGapLow",
            ),
            (ValueCondition::Lag { threshold: 5.0 }, "PriceLagging"),
            (
                ValueCondition::State {
                    name: "halted".into(),
                    value: 3.0,
                },
                "PriceHalted",
            ),
            (
                ValueCondition::State {
                    name: "half-open on hold".into(),
                    value: 2.0,
                },
                "PriceHalfOpenOnHold",
            ),
            (
                ValueCondition::Total {
                    comparison: Comparison::Above,
                    threshold: 5.0,
                },
                "PriceTotalHigh",
            ),
            (
                ValueCondition::Total {
                    comparison: Comparison::Below,
                    threshold: 5.0,
                },
                "PriceTotalLow",
            ),
        ];
        for (condition, name) in cases {
            alert.condition = condition;
            assert_eq!(alert.value_alert_name("PRICE"), name);
        }
    }

    #[test]
    fn a_ratio_resolves_in_its_own_module_first() {
        let all = vec![
            declared("LIMIT", "bot::a"),
            declared("LIMIT", "bot::b"),
            declared("VOLUME", "bot::b"),
        ];
        let from = &all[2];
        assert_eq!(
            Declared::resolve(&all, from, "LIMIT").unwrap().module,
            "bot::b"
        );
        assert_eq!(
            Declared::resolve(&all, from, "crate::a::LIMIT")
                .unwrap()
                .module,
            "bot::a"
        );
        assert_eq!(
            Declared::resolve(&all, from, "super::a::LIMIT")
                .unwrap()
                .module,
            "bot::a"
        );
        assert!(Declared::resolve(&all, from, "OTHER").is_none());
        assert!(Declared::resolve(&all, from, "c::LIMIT").is_none());
    }

    #[test]
    fn quantile_thresholds_join_the_buckets() {
        let mut d = Declared::new(MetricKind::Histogram, "ACCURACY", "bot");
        d.buckets = Some(Cow::Owned(vec![0.5, 0.9]));
        d.alerts = Cow::Owned(vec![ValueAlert::new(ValueCondition::Quantile {
            quantile: Quantile::P50,
            comparison: Comparison::Below,
            threshold: 0.8,
        })]);
        assert_eq!(d.bucket_bounds(), vec![0.5, 0.8, 0.9]);
    }

    /// `p99 > 0.99` with 0.99 the highest bucket: the quantile could never read above it.
    #[test]
    fn a_bound_above_the_highest_threshold_is_added() {
        let mut d = Declared::new(MetricKind::Histogram, "ACCURACY", "bot");
        d.buckets = Some(Cow::Owned(vec![0.5, 0.99]));
        d.alerts = Cow::Owned(vec![ValueAlert::new(ValueCondition::Quantile {
            quantile: Quantile::P99,
            comparison: Comparison::Above,
            threshold: 0.99,
        })]);
        assert_eq!(d.bucket_bounds(), vec![0.5, 0.99, 1.98]);
        d.buckets = Some(Cow::Owned(vec![-2.0, -1.0]));
        d.alerts = Cow::Owned(vec![ValueAlert::new(ValueCondition::Quantile {
            quantile: Quantile::P50,
            comparison: Comparison::Above,
            threshold: -1.0,
        })]);
        assert_eq!(d.bucket_bounds(), vec![-2.0, -1.0, 0.0]);
    }
}
