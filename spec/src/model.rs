//! The plain model of botwatch's three attributes.
//!
//! Every type here can be built in a `static` (strings and lists are `Cow<'static, _>`), so
//! the macros embed exactly the model they parsed into the user's binary, and the runtime
//! renders alert rules from it without compiling a parser. The build helper parses the same
//! source with the same parser into the same model, so names and thresholds agree by
//! construction.

use std::borrow::Cow;
use std::time::Duration;

/// A string that is either borrowed from the binary or owned after parsing.
pub type Text = Cow<'static, str>;

/// A list that is either a `'static` slice in the binary or owned after parsing.
pub type List<T> = Cow<'static, [T]>;

/// One `key = "value"` pair of a `labels(...)` option.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Label name, a valid Prometheus label name.
    pub key: Text,
    /// Label value, any string.
    pub value: Text,
}

/// Which of the three attributes a [`Site`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttributeKind {
    /// `#[counted]`
    Counted,
    /// `#[timed]`
    Timed,
    /// `#[circuit_breaker]`
    CircuitBreaker,
}

impl AttributeKind {
    /// The three attributes.
    pub const ALL: [AttributeKind; 3] = [
        AttributeKind::Counted,
        AttributeKind::Timed,
        AttributeKind::CircuitBreaker,
    ];

    /// The attribute written `#[name]`, if `name` is one of botwatch's.
    pub fn from_name(name: &str) -> Option<AttributeKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.attribute_name() == name)
    }

    /// The attribute as the user writes it.
    pub const fn attribute_name(self) -> &'static str {
        match self {
            AttributeKind::Counted => "counted",
            AttributeKind::Timed => "timed",
            AttributeKind::CircuitBreaker => "circuit_breaker",
        }
    }
}

/// The options `counted` and `timed` share: `name`, `help`, `labels(...)`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MetricOptions {
    /// `name = "..."`: a metric of the user's own instead of the shared one.
    pub name: Option<Text>,
    /// `help = "..."`: the HELP text.
    pub help: Option<Text>,
    /// `labels(...)`: extra static labels (string literals).
    pub labels: List<Label>,
    /// The keys of per-call labels (`labels(venue = venue.name())`), in the order written:
    /// their values are taken at each call.
    pub call_labels: List<Text>,
    /// `max_series = N`: the most distinct per-call label sets; `None` for the default.
    pub max_series: Option<u32>,
    /// `label_idle = 1h`: a per-call label set with no call for this long is evicted;
    /// `None` for the default.
    pub label_idle: Option<Duration>,
    /// `in_flight`: export the calls in flight and the oldest one's start.
    pub in_flight: bool,
}

impl MetricOptions {
    /// Default `max_series`.
    pub const DEFAULT_MAX_SERIES: u32 = 100;

    /// Default `label_idle`.
    pub const DEFAULT_LABEL_IDLE: Duration = Duration::from_secs(3600);

    /// The `label_idle` in force: as written, else the default, and never less than
    /// `floor` (twice the window of the function's `idle` and `rate <` alerts).
    pub fn label_idle_or(&self, floor: Duration) -> Duration {
        self.label_idle
            .unwrap_or(Self::DEFAULT_LABEL_IDLE)
            .max(floor)
    }

    /// The `max_series` in force.
    pub fn series_bound(&self) -> u32 {
        self.max_series.unwrap_or(Self::DEFAULT_MAX_SERIES)
    }
}

/// The arguments of `#[counted(...)]`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Counted {
    /// Metric name, help and labels.
    pub metric: MetricOptions,
    /// `alert(...)` clauses.
    pub alerts: List<Alert>,
    /// `slo(...)` clauses.
    pub slos: List<Slo>,
    /// `error_if = path`: the predicate's path as written; returns it flags count as errors.
    pub error_if: Option<Text>,
    /// `ok_if = path`: the predicate's path as written (a `fn(&E) -> bool`); `Err`s it
    /// flags count as `ok` (an expected outcome, like a post-only order that would cross).
    pub ok_if: Option<Text>,
}

impl Counted {
    /// The shortest `label_idle` this function allows: twice the window of its `idle` and
    /// `rate <` alerts, which the eviction of an idle label set would otherwise mask.
    pub fn label_idle_floor(&self) -> Duration {
        self.alerts
            .iter()
            .filter_map(|alert| match alert.condition {
                Condition::Idle { window } => Some(window),
                Condition::Rate {
                    comparison: Comparison::Below,
                    ..
                } => Some(alert.window_duration()),
                _ => None,
            })
            .max()
            .map_or(Duration::ZERO, |window| window * 2)
    }

    /// The `label_idle` in force.
    pub fn label_idle(&self) -> Duration {
        self.metric.label_idle_or(self.label_idle_floor())
    }

    /// Whether its calls in flight are tracked: `in_flight`, or an alert reading them.
    pub fn tracks_in_flight(&self) -> bool {
        self.metric.in_flight || reads_in_flight(&self.alerts)
    }
}

/// Whether any of `alerts` reads the calls in flight (`in_flight > N`, `oldest > D`).
fn reads_in_flight(alerts: &[Alert]) -> bool {
    alerts.iter().any(|a| {
        matches!(
            a.condition,
            Condition::InFlight { .. } | Condition::Oldest { .. }
        )
    })
}

/// The arguments of `#[timed(...)]`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Timed {
    /// Metric name, help and labels.
    pub metric: MetricOptions,
    /// `buckets = [...]` in seconds, as written; `None` for the defaults.
    pub buckets: Option<List<f64>>,
    /// `alert(...)` clauses.
    pub alerts: List<Alert>,
    /// `slo(...)` clauses.
    pub slos: List<Slo>,
    /// `quantiles(0.5, 0.95, 0.99)`: the quantile lines its dashboard panel draws; `None`
    /// for p50, p90 and p99. The quantiles its alerts name are drawn either way.
    pub quantiles: Option<List<Quantile>>,
}

impl Timed {
    /// The quantiles drawn: those of `quantiles(...)` (or p50, p90, p99) and every quantile
    /// an alert names, ascending, each once.
    pub fn drawn_quantiles(&self) -> Vec<Quantile> {
        let mut out: Vec<Quantile> = match &self.quantiles {
            Some(chosen) => chosen.to_vec(),
            None => vec![Quantile::P50, Quantile::P90, Quantile::P99],
        };
        for alert in self.alerts.iter() {
            if let Condition::Latency { quantile, .. } = alert.condition {
                out.push(quantile);
            }
        }
        out.sort_by(|a, b| a.fraction().total_cmp(&b.fraction()));
        out.dedup();
        out
    }
}

impl Timed {
    /// Whether its calls in flight are tracked: `in_flight`, or an alert reading them.
    pub fn tracks_in_flight(&self) -> bool {
        self.metric.in_flight || reads_in_flight(&self.alerts)
    }
}

/// The arguments of `#[circuit_breaker(...)]`, with defaults filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct CircuitBreaker {
    /// `name = "..."`; `None` means the function's name.
    pub name: Option<Text>,
    /// `failures = N`: consecutive failures that open the breaker.
    pub failures: Option<u32>,
    /// `failure_rate = 50%`: failure share of the last `window` calls that opens it.
    pub failure_rate: Option<f64>,
    /// `window = N`: calls the failure rate is taken over.
    pub window: u32,
    /// `min_calls = N`: calls seen before the failure rate counts.
    pub min_calls: u32,
    /// `slow = 2s`: a call slower than this counts as a failure.
    pub slow: Option<Duration>,
    /// `reset = 30s`: how long the breaker stays open before admitting probes.
    pub reset: Duration,
    /// `backoff = 2.0`: factor applied to `reset` after each failed probe.
    pub backoff: Option<f64>,
    /// `max_reset = 5m`: cap of the backed-off reset.
    pub max_reset: Option<Duration>,
    /// `half_open = N`: probes admitted at once while half-open.
    pub half_open: u32,
    /// `successes = N`: successful probes that close the breaker.
    pub successes: u32,
    /// `failure_if = path`: the predicate's path as written.
    pub failure_if: Option<Text>,
    /// `ignore_if = path`: the predicate's path as written.
    pub ignore_if: Option<Text>,
    /// `success_if = path`: the predicate's path as written.
    pub success_if: Option<Text>,
    /// `probe_timeout = 1m`: a half-open probe running longer frees its slot and fails.
    pub probe_timeout: Duration,
    /// `latency = false` turns off `circuit_breaker_latency_seconds`.
    pub latency: bool,
    /// `per = EXPR`: one breaker per value of the expression, as written.
    pub per: Option<Text>,
    /// `max_keys = N`: the most keys a `per` breaker keeps.
    pub max_keys: u32,
    /// `alert(...)` clauses.
    pub alerts: List<Alert>,
}

impl CircuitBreaker {
    /// Consecutive failures that open a breaker when neither `failures` nor `failure_rate`
    /// is given.
    pub const DEFAULT_FAILURES: u32 = 5;
    /// Default `window`.
    pub const DEFAULT_WINDOW: u32 = 20;
    /// Default `min_calls`.
    pub const DEFAULT_MIN_CALLS: u32 = 10;
    /// Default `reset`.
    pub const DEFAULT_RESET: Duration = Duration::from_secs(30);
    /// Default `max_keys`.
    pub const DEFAULT_MAX_KEYS: u32 = 64;
    /// Default `probe_timeout`.
    pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(60);

    /// Why `name` cannot name a breaker, if it cannot: it becomes the `breaker` label of
    /// every breaker series and a string in the generated PromQL.
    pub fn check_name(name: &str) -> Result<(), &'static str> {
        if name.trim().is_empty() {
            Err("a breaker's name must not be empty")
        } else if name.chars().count() > 128 {
            Err("a breaker's name must be at most 128 characters")
        } else if name
            .chars()
            .any(|c| c.is_control() || c == char::REPLACEMENT_CHARACTER)
        {
            // Prometheus re-quotes U+FFFD in a way its own parser then refuses.
            Err("a breaker's name must not contain control characters or U+FFFD")
        } else {
            Ok(())
        }
    }

    /// The consecutive-failure threshold in force: the one written, or the default when no
    /// `failure_rate` is given either.
    pub fn consecutive_failures(&self) -> Option<u32> {
        match (self.failures, self.failure_rate) {
            (Some(n), _) => Some(n),
            (None, None) => Some(Self::DEFAULT_FAILURES),
            (None, Some(_)) => None,
        }
    }
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        CircuitBreaker {
            name: None,
            failures: None,
            failure_rate: None,
            window: Self::DEFAULT_WINDOW,
            min_calls: Self::DEFAULT_MIN_CALLS,
            slow: None,
            reset: Self::DEFAULT_RESET,
            backoff: None,
            max_reset: None,
            half_open: 1,
            successes: 1,
            failure_if: None,
            ignore_if: None,
            success_if: None,
            probe_timeout: Self::DEFAULT_PROBE_TIMEOUT,
            latency: true,
            per: None,
            max_keys: Self::DEFAULT_MAX_KEYS,
            alerts: Cow::Borrowed(&[]),
        }
    }
}

/// One of the three attributes with its arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Attribute {
    /// `#[counted(...)]`
    Counted(Counted),
    /// `#[timed(...)]`
    Timed(Timed),
    /// `#[circuit_breaker(...)]`
    CircuitBreaker(CircuitBreaker),
}

impl Attribute {
    /// Which attribute this is.
    pub fn kind(&self) -> AttributeKind {
        match self {
            Attribute::Counted(_) => AttributeKind::Counted,
            Attribute::Timed(_) => AttributeKind::Timed,
            Attribute::CircuitBreaker(_) => AttributeKind::CircuitBreaker,
        }
    }

    /// The attribute's `alert(...)` clauses.
    pub fn alerts(&self) -> &[Alert] {
        match self {
            Attribute::Counted(c) => &c.alerts,
            Attribute::Timed(t) => &t.alerts,
            Attribute::CircuitBreaker(b) => &b.alerts,
        }
    }

    /// The attribute's `slo(...)` clauses (none on a breaker).
    pub fn slos(&self) -> &[Slo] {
        match self {
            Attribute::Counted(c) => &c.slos,
            Attribute::Timed(t) => &t.slos,
            Attribute::CircuitBreaker(_) => &[],
        }
    }
}

/// An annotated function and one of its attributes: what the registry holds and what the
/// rules are rendered from.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    /// The function's name as written (`submit_bundle`).
    pub function: Text,
    /// `module_path!()` at the function.
    pub module: Text,
    /// The attribute and its arguments.
    pub attribute: Attribute,
}

impl Site {
    /// The breaker a `#[circuit_breaker]` site uses: the `name` written, or else the
    /// function's own breaker, `module::function` (what `module_path!()` and the build
    /// helper's scan agree on), so same-named functions in two modules never share one.
    /// `None` for the other attributes.
    pub fn breaker_name(&self) -> Option<Cow<'_, str>> {
        let Attribute::CircuitBreaker(breaker) = &self.attribute else {
            return None;
        };
        Some(match breaker.name.as_deref() {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(format!("{}::{}", self.module, self.function)),
        })
    }

    /// The `#[counted]` function a ratio's `other` (a path as written in `from`'s module)
    /// names: the last segment is the function's name; earlier segments, if any, must end
    /// its module path (`relay::submit` from `bot` names `bot::relay::submit` or any module
    /// ending in `relay`), or, less one segment, name the type of a method
    /// (`Relay::submit` in `bot::relay`). The same module wins, as Rust's name resolution
    /// would. The one rule the build helper and the runtime share, so both resolve a ratio
    /// to the same `function` and `module` labels.
    pub fn resolve_counted<'a>(all: &'a [Site], from: &Site, other: &str) -> Option<&'a Site> {
        let path: Vec<&str> = other
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "self" && *s != "crate" && *s != "super")
            .collect();
        let (last, modules) = path.split_last()?;
        let counted = || {
            all.iter().filter(move |s| {
                s.function == *last && matches!(s.attribute, Attribute::Counted(_))
            })
        };
        let ends_with = |module: &str, wanted: &[&str]| {
            let wanted = wanted.join("::");
            wanted.is_empty() || module == wanted || module.ends_with(&format!("::{wanted}"))
        };
        let in_modules = |wanted: &[&str]| -> Option<&'a Site> {
            let candidates: Vec<&Site> =
                counted().filter(|s| ends_with(&s.module, wanted)).collect();
            candidates
                .iter()
                .find(|s| s.module == from.module)
                .or_else(|| candidates.first())
                .copied()
        };
        in_modules(modules).or_else(|| match modules.split_last() {
            // `Type::method`: the type (UpperCamelCase, by convention) is no module.
            Some((ty, outer)) if ty.starts_with(|c: char| c.is_ascii_uppercase()) => {
                in_modules(outer)
            }
            _ => None,
        })
    }

    /// The order rules are rendered in: by module, function, then attribute. The runtime
    /// and the build helper both sort with it, so they render the same bytes.
    pub fn order(a: &Site, b: &Site) -> std::cmp::Ordering {
        (&a.module, &a.function, a.attribute.kind()).cmp(&(
            &b.module,
            &b.function,
            b.attribute.kind(),
        ))
    }
}

/// A latency quantile an alert can watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quantile {
    /// `p50`
    P50,
    /// `p90`
    P90,
    /// `p95`
    P95,
    /// `p99`
    P99,
    /// `p999`
    P999,
}

impl Quantile {
    /// Every quantile, in the order the grammar lists them.
    pub const ALL: [Quantile; 5] = [
        Quantile::P50,
        Quantile::P90,
        Quantile::P95,
        Quantile::P99,
        Quantile::P999,
    ];

    /// The quantile as written (`p99`).
    pub const fn keyword(self) -> &'static str {
        match self {
            Quantile::P50 => "p50",
            Quantile::P90 => "p90",
            Quantile::P95 => "p95",
            Quantile::P99 => "p99",
            Quantile::P999 => "p999",
        }
    }

    /// The quantile as a fraction (`0.99`).
    pub const fn fraction(self) -> f64 {
        match self {
            Quantile::P50 => 0.5,
            Quantile::P90 => 0.9,
            Quantile::P95 => 0.95,
            Quantile::P99 => 0.99,
            Quantile::P999 => 0.999,
        }
    }

    /// Parses `p50` ... `p999`.
    pub fn from_keyword(word: &str) -> Option<Quantile> {
        Quantile::ALL.into_iter().find(|q| q.keyword() == word)
    }
}

/// `<` or `>` in a `rate` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `<`
    Below,
    /// `>`
    Above,
}

/// What an `alert(...)` watches.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `p99 > 250ms` (on `timed`).
    Latency {
        /// Which quantile.
        quantile: Quantile,
        /// Fires while the quantile is above this.
        threshold: Duration,
    },
    /// `error_rate > 5%` (on `counted`): share of calls with `result="error"`.
    ErrorRate {
        /// Fires while the error share is above this fraction.
        above: f64,
    },
    /// `idle > 10m` (on `counted`): no call at all in that window.
    Idle {
        /// The window without calls.
        window: Duration,
    },
    /// `rate < 1/s`, `rate > 100/m` (on `counted`).
    Rate {
        /// Below or above.
        comparison: Comparison,
        /// Calls per `per`.
        calls: f64,
        /// The unit of time the rate is written in.
        per: Duration,
    },
    /// `open` (on `circuit_breaker`): the breaker has been open for `for`.
    Open,
    /// `flapping > N` (on `circuit_breaker`): more than N openings within `within`.
    Flapping {
        /// Fires with more openings than this.
        more_than: u32,
    },
    /// `errors > N` (on `counted`): more than N calls with `result="error"` within
    /// `within`, across instances.
    Errors {
        /// Fires with more errors than this.
        more_than: u32,
    },
    /// `in_flight > N` (on `counted` and `timed`): more than N calls in flight across the
    /// fleet.
    InFlight {
        /// Fires with more calls in flight than this.
        above: u32,
    },
    /// `oldest > 10m` (on `counted` and `timed`): a call in flight for longer than this, on
    /// any replica.
    Oldest {
        /// The longest a call may stay in flight.
        limit: Duration,
    },
    /// `calls / path::to::other_fn < 20%` (on `counted`): this function's calls over
    /// another `#[counted]` function's, both summed over the fleet within `window`, per
    /// per-call label set: an inclusion rate, a fill rate.
    CallsRatio {
        /// The other function's path, as written (`submit_bundle`, `relay::submit`).
        other: Text,
        /// Below or above.
        comparison: Comparison,
        /// The line, as a fraction.
        threshold: f64,
    },
}

impl Condition {
    /// Whether this condition may be written on `kind`.
    pub fn applies_to(&self, kind: AttributeKind) -> bool {
        match self {
            // Calls in flight are the same whichever attribute tracks them.
            Condition::InFlight { .. } | Condition::Oldest { .. } => {
                matches!(kind, AttributeKind::Counted | AttributeKind::Timed)
            }
            _ => self.attribute() == kind,
        }
    }

    /// The attribute this condition belongs on (the first of them, for one written on
    /// either `counted` or `timed`).
    pub fn attribute(&self) -> AttributeKind {
        match self {
            Condition::InFlight { .. } | Condition::Oldest { .. } => AttributeKind::Counted,
            Condition::Latency { .. } => AttributeKind::Timed,
            Condition::ErrorRate { .. }
            | Condition::Idle { .. }
            | Condition::Rate { .. }
            | Condition::Errors { .. }
            | Condition::CallsRatio { .. } => AttributeKind::Counted,
            Condition::Open | Condition::Flapping { .. } => AttributeKind::CircuitBreaker,
        }
    }
}

/// One `alert(...)` clause. Function attributes watch a [`Condition`]; declared metrics
/// (`#[gauge]`, `#[counter]`, `#[histogram]`) a [`crate::declared::ValueCondition`], with
/// the same keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert<C = Condition> {
    /// What it watches.
    pub condition: C,
    /// `for = 5m`; `None` for the default.
    pub for_: Option<Duration>,
    /// `within = 15m` (`flapping` and `errors`); `None` for the default.
    pub within: Option<Duration>,
    /// `window = 10m`: the range of `rate`/`increase` (`error_rate`, latency and `rate`
    /// alerts); `None` for the default.
    pub window: Option<Duration>,
    /// `min_rate = 0.1/s`, in calls per second: an `error_rate` alert stays silent below
    /// this traffic; `None` for no minimum.
    pub min_rate: Option<f64>,
    /// `severity = "..."`; `None` for the default.
    pub severity: Option<Text>,
    /// `name = "..."`: the alert's name instead of the default.
    pub name: Option<Text>,
    /// `summary = "..."`.
    pub summary: Option<Text>,
    /// `description = "..."`.
    pub description: Option<Text>,
    /// `runbook = "..."`.
    pub runbook: Option<Text>,
    /// `labels(...)`: extra alert labels.
    pub labels: List<Label>,
    /// `during = "us_equities"`: the named time interval (defined on the build helper's
    /// `Routing`) outside which the generated Alertmanager configuration delivers nothing.
    pub during: Option<Text>,
}

impl<C> Alert<C> {
    /// An alert on `condition` with every key left to its default.
    pub fn new(condition: C) -> Alert<C> {
        Alert {
            condition,
            for_: None,
            within: None,
            window: None,
            min_rate: None,
            severity: None,
            name: None,
            summary: None,
            description: None,
            runbook: None,
            labels: Cow::Borrowed(&[]),
            during: None,
        }
    }

    /// The same keys on another condition.
    pub fn with_condition<D>(self, condition: D) -> Alert<D> {
        Alert {
            condition,
            for_: self.for_,
            within: self.within,
            window: self.window,
            min_rate: self.min_rate,
            severity: self.severity,
            name: self.name,
            summary: self.summary,
            description: self.description,
            runbook: self.runbook,
            labels: self.labels,
            during: self.during,
        }
    }
}

impl Alert {
    /// Default `for` of most alerts.
    pub const DEFAULT_FOR: Duration = Duration::from_secs(5 * 60);
    /// Default `for` of `open`.
    pub const DEFAULT_FOR_OPEN: Duration = Duration::from_secs(60);
    /// Default `within` of `flapping`.
    pub const DEFAULT_WITHIN: Duration = Duration::from_secs(15 * 60);
    /// Default `within` of `errors`.
    pub const DEFAULT_ERRORS_WITHIN: Duration = Duration::from_secs(5 * 60);
    /// Default `window`: the range of `rate`/`increase`, 20 scrapes at 15 s.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(5 * 60);
    /// Default `window` of `calls / other_fn`: a funnel is judged over an hour.
    pub const DEFAULT_RATIO_WINDOW: Duration = Duration::from_secs(3600);

    /// The `for` in force.
    pub fn for_duration(&self) -> Duration {
        self.for_.unwrap_or(match self.condition {
            Condition::Open => Self::DEFAULT_FOR_OPEN,
            // A burst of errors pages at once: it leaves the window after `within`.
            Condition::Errors { .. } => Duration::ZERO,
            _ => Self::DEFAULT_FOR,
        })
    }

    /// The `within` in force (`flapping` and `errors`).
    pub fn within_duration(&self) -> Duration {
        self.within.unwrap_or(match self.condition {
            Condition::Errors { .. } => Self::DEFAULT_ERRORS_WITHIN,
            _ => Self::DEFAULT_WITHIN,
        })
    }

    /// The range of `rate`/`increase` in force: `window`, else 5m (for `rate < N/h`, the
    /// rate's unit when longer).
    pub fn window_duration(&self) -> Duration {
        self.window.unwrap_or(match self.condition {
            Condition::Rate { per, .. } => Self::DEFAULT_WINDOW.max(per),
            Condition::CallsRatio { .. } => Self::DEFAULT_RATIO_WINDOW,
            _ => Self::DEFAULT_WINDOW,
        })
    }

    /// The severity in force.
    pub fn severity(&self) -> &str {
        match (&self.severity, &self.condition) {
            (Some(s), _) => s,
            (None, Condition::Open) => "critical",
            (None, _) => "warning",
        }
    }
}

/// One `slo(...)` clause.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// `objective = 99.9%` as a fraction.
    pub objective: f64,
    /// `latency = 250ms` (on `timed`): calls at or under it are good.
    pub latency: Option<Duration>,
    /// `min_rate = 0.1/s`, in calls per second: the burn alerts stay silent below this
    /// traffic; `None` for no minimum.
    pub min_rate: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(function: &str, module: &str, counted: bool) -> Site {
        Site {
            function: Cow::Owned(function.to_owned()),
            module: Cow::Owned(module.to_owned()),
            attribute: if counted {
                Attribute::Counted(Counted::default())
            } else {
                Attribute::Timed(Timed::default())
            },
        }
    }

    /// Same module first, then a module path ending in the written one, then a method's
    /// type; never a function that is not `#[counted]`.
    #[test]
    fn a_ratio_resolves_the_counted_function_its_path_names() {
        let all = vec![
            site("submit", "bot::relay", true),
            site("submit", "bot::venue", true),
            site("submit", "bot::paper", false),
            site("include", "bot::venue", true),
        ];
        let from = &all[3];
        let resolve = |path: &str| Site::resolve_counted(&all, from, path).map(|s| &*s.module);
        assert_eq!(resolve("submit"), Some("bot::venue"));
        assert_eq!(resolve("relay::submit"), Some("bot::relay"));
        assert_eq!(resolve("crate::relay::submit"), Some("bot::relay"));
        assert_eq!(resolve("Relay::submit"), Some("bot::venue"));
        assert_eq!(resolve("relay::Relay::submit"), Some("bot::relay"));
        assert_eq!(resolve("paper::submit"), None);
        assert_eq!(resolve("submti"), None);
    }
}
