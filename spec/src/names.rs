//! Every metric name, label name and default text botwatch exports, in one place.

use std::time::Duration;

use crate::model::{Alert, Condition, MetricOptions, Timed};

/// `#[counted]`'s shared counter.
pub const FUNCTION_CALLS_TOTAL: &str = "function_calls_total";
/// `#[timed]`'s shared histogram.
pub const FUNCTION_CALLS_DURATION_SECONDS: &str = "function_calls_duration_seconds";
/// Gauge of a function's calls entered and not yet returned (`in_flight`).
pub const FUNCTION_CALLS_IN_FLIGHT: &str = "function_calls_in_flight";
/// Gauge of the Unix time the oldest call still in flight entered; 0 while none is.
pub const FUNCTION_CALLS_OLDEST_IN_FLIGHT: &str =
    "function_calls_oldest_in_flight_timestamp_seconds";
/// Breaker state gauge: 0 closed, 1 open, 2 half-open.
pub const CIRCUIT_BREAKER_STATE: &str = "circuit_breaker_state";
/// The bot's build: `version` and `commit` labels, value 1.
pub const BOTWATCH_BUILD_INFO: &str = "botwatch_build_info";
/// When the process started, in Unix seconds (the standard process metric).
pub const PROCESS_START_TIME_SECONDS: &str = "process_start_time_seconds";
/// Label sets evicted after `label_idle` without a call or update, per function or labelled
/// declared metric.
pub const BOTWATCH_LABEL_EVICTIONS_TOTAL: &str = "botwatch_label_evictions_total";
/// HELP of [`BOTWATCH_LABEL_EVICTIONS_TOTAL`].
pub const HELP_LABEL_EVICTIONS: &str =
    "Label sets (per-call labels, labelled declared metrics) evicted after label_idle without a call or update; their places went to new sets.";
/// Calls of a function with per-call labels recorded in its `__overflow__` series.
pub const BOTWATCH_LABEL_OVERFLOW_TOTAL: &str = "botwatch_label_overflow_total";
/// HELP of [`BOTWATCH_LABEL_OVERFLOW_TOTAL`].
pub const HELP_LABEL_OVERFLOW: &str =
    "Calls recorded in the __overflow__ series: the function saw more label sets than its max_series.";
/// 1 while a guard (`guard(...)` on a declared metric) is engaged, per breaker it holds
/// (`breaker=""` for a watchdog that opens none).
pub const BOTWATCH_GUARD_ENGAGED: &str = "botwatch_guard_engaged";
/// HELP of [`BOTWATCH_GUARD_ENGAGED`].
pub const HELP_GUARD_ENGAGED: &str =
    "1 while the guard is engaged (its condition held for its for, or it latched), per breaker it holds open.";
/// Label: a guard's name, the static's name in UpperCamelCase.
pub const LABEL_GUARD: &str = "guard";
/// Breaker transitions by `from` and `to`.
pub const CIRCUIT_BREAKER_TRANSITIONS_TOTAL: &str = "circuit_breaker_transitions_total";
/// Calls a breaker counted as successes.
pub const CIRCUIT_BREAKER_SUCCESSES_TOTAL: &str = "circuit_breaker_successes_total";
/// Calls a breaker counted as failures.
pub const CIRCUIT_BREAKER_FAILURES_TOTAL: &str = "circuit_breaker_failures_total";
/// Calls a breaker rejected while open.
pub const CIRCUIT_BREAKER_REJECTED_TOTAL: &str = "circuit_breaker_rejected_total";
/// Latency of calls a breaker let through.
pub const CIRCUIT_BREAKER_LATENCY_SECONDS: &str = "circuit_breaker_latency_seconds";

/// Label: the function's name.
pub const LABEL_FUNCTION: &str = "function";
/// Label: the function's `module_path!()`.
pub const LABEL_MODULE: &str = "module";
/// Label: `ok` or `error`.
pub const LABEL_RESULT: &str = "result";
/// Label: the breaker's name.
pub const LABEL_BREAKER: &str = "breaker";
/// The key label of a per-key breaker's series (`per = ...`).
pub const LABEL_KEY: &str = "key";
/// The Prometheus job label: every alert groups by it.
pub const LABEL_JOB: &str = "job";
/// The label naming a declared metric in [`BOTWATCH_LABEL_OVERFLOW_TOTAL`].
pub const LABEL_METRIC: &str = "metric";
/// `result` value of a call that returned anything but `Err(_)`.
pub const RESULT_OK: &str = "ok";
/// `result` value of a call that returned `Err(_)` or panicked.
pub const RESULT_ERROR: &str = "error";

/// Default HELP of [`FUNCTION_CALLS_TOTAL`].
pub const HELP_CALLS: &str = "Calls of functions annotated with #[counted], by result.";
/// Default HELP of [`FUNCTION_CALLS_DURATION_SECONDS`].
pub const HELP_DURATION: &str = "Duration of calls of functions annotated with #[timed].";
/// HELP of `function_calls_in_flight`.
pub const HELP_IN_FLIGHT: &str =
    "Calls entered and not yet returned, of functions tracking in_flight.";
/// HELP of `function_calls_oldest_in_flight_timestamp_seconds`.
pub const HELP_OLDEST_IN_FLIGHT: &str =
    "Unix time at which the oldest call still in flight entered; 0 while none is.";

/// HELP of [`CIRCUIT_BREAKER_STATE`].
pub const HELP_BREAKER_STATE: &str = "State of the circuit breaker: 0 closed, 1 open, 2 half-open.";
/// HELP of [`CIRCUIT_BREAKER_TRANSITIONS_TOTAL`].
pub const HELP_BREAKER_TRANSITIONS: &str =
    "State changes of the circuit breaker, by from and to state.";
/// HELP of [`CIRCUIT_BREAKER_SUCCESSES_TOTAL`].
pub const HELP_BREAKER_SUCCESSES: &str = "Calls the circuit breaker counted as successes.";
/// HELP of [`CIRCUIT_BREAKER_FAILURES_TOTAL`].
pub const HELP_BREAKER_FAILURES: &str =
    "Calls the circuit breaker counted as failures (errors, slow calls, panics).";
/// HELP of [`CIRCUIT_BREAKER_REJECTED_TOTAL`].
pub const HELP_BREAKER_REJECTED: &str = "Calls the circuit breaker rejected without running them.";
/// HELP of [`CIRCUIT_BREAKER_LATENCY_SECONDS`].
pub const HELP_BREAKER_LATENCY: &str = "Duration of calls the circuit breaker let through.";
/// Label: a transition's previous state.
pub const LABEL_FROM: &str = "from";
/// Label: a transition's new state.
pub const LABEL_TO: &str = "to";

/// Default histogram buckets in seconds: from 100µs to 10s, the range a bot's hot paths,
/// RPC calls and relay submissions fall in.
pub const DEFAULT_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

impl MetricOptions {
    /// The metric name in force for an attribute whose shared metric is `shared`.
    pub fn metric_name<'a>(&'a self, shared: &'a str) -> &'a str {
        self.name.as_deref().unwrap_or(shared)
    }

    /// The HELP text in force, given the shared metric's default.
    pub fn help_text<'a>(&'a self, default: &'a str) -> &'a str {
        self.help.as_deref().unwrap_or(default)
    }
}

impl Timed {
    /// The histogram's bucket bounds in nanoseconds, sorted and without duplicates: the
    /// written buckets (or the defaults) plus every alert and SLO latency threshold, so that
    /// the share of calls under a threshold is exact.
    pub fn bucket_bounds_nanos(&self) -> Vec<u64> {
        let written = self.buckets.as_deref().unwrap_or(&DEFAULT_BUCKETS);
        let mut bounds: Vec<u64> = written.iter().map(|&s| seconds_to_nanos(s)).collect();
        let thresholds: Vec<u64> = self.latency_thresholds().map(duration_nanos).collect();
        bounds.extend(&thresholds);
        bounds.sort_unstable();
        bounds.dedup();
        // A quantile can only read above a threshold if some bucket lies above it.
        if let Some(&highest) = thresholds.iter().max() {
            if bounds.last() == Some(&highest) {
                bounds.push(highest.saturating_mul(2));
            }
        }
        bounds
    }

    /// Every latency threshold of this attribute's alerts and SLOs.
    pub fn latency_thresholds(&self) -> impl Iterator<Item = Duration> + '_ {
        let alerts = self.alerts.iter().filter_map(|a| match a.condition {
            Condition::Latency { threshold, .. } => Some(threshold),
            _ => None,
        });
        alerts.chain(self.slos.iter().filter_map(|s| s.latency))
    }
}

/// The longest label value botwatch accepts, in bytes: every series carries its labels on
/// every scrape.
pub const MAX_LABEL_VALUE: usize = 1024;

/// Letters, digits and `_`, not starting with a digit: alert names, template label
/// references.
pub fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()))
}

/// A Prometheus label name: an identifier not starting with `__` (reserved).
pub fn is_label_name(name: &str) -> bool {
    is_identifier(name) && !name.starts_with("__")
}

/// Seconds as whole nanoseconds, rounded to the nearest.
pub fn seconds_to_nanos(seconds: f64) -> u64 {
    (seconds * 1e9).round() as u64
}

/// A duration as whole nanoseconds (saturating at about 584 years).
pub fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Nanoseconds as the seconds value Prometheus shows (`0.25`, `1`, `0.0001`).
pub fn nanos_as_seconds_text(nanos: u64) -> String {
    format_float(nanos as f64 / 1e9)
}

/// A float as Prometheus text: shortest round-trip form, never an exponent, `+Inf`/`NaN`.
pub fn format_float(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{value}")
    }
}

/// A fraction as a percentage the way a user writes it (`0.05` → `5%`), with the binary
/// noise of the multiplication rounded away (`0.07 × 100` is `7.000000000000001`).
pub fn format_percent(fraction: f64) -> String {
    format!(
        "{}%",
        format_float((fraction * 100.0 * 1e12).round() / 1e12)
    )
}

/// A duration as Prometheus writes it in `for:` and range selectors (`250ms`, `30s`, `5m`,
/// `1h`, `1d`), in the largest unit that divides it exactly.
pub fn prometheus_duration(d: Duration) -> String {
    let millis = d.as_millis();
    if millis == 0 {
        return "0s".to_owned();
    }
    const UNITS: [(u128, &str); 5] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
        (1, "ms"),
    ];
    for (size, unit) in UNITS {
        if millis % size == 0 {
            return format!("{}{unit}", millis / size);
        }
    }
    unreachable!("every whole number of milliseconds is divisible by 1")
}

/// `submit_bundle` → `SubmitBundle`, the prefix of a function's default alert names.
pub fn upper_camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper_next = true;
    for ch in snake.trim_start_matches("r#").chars() {
        if ch == '_' {
            upper_next = true;
        } else if upper_next {
            out.extend(ch.to_uppercase());
            upper_next = false;
        } else {
            out.push(ch);
        }
    }
    out
}

impl Alert {
    /// The alert's name in force for a function named `function`.
    pub fn alert_name(&self, function: &str) -> String {
        if let Some(name) = &self.name {
            return name.to_string();
        }
        let suffix = match &self.condition {
            Condition::Latency { .. } => "LatencyHigh",
            Condition::ErrorRate { .. } => "ErrorRateHigh",
            Condition::Idle { .. } => "Idle",
            Condition::Rate {
                comparison: crate::model::Comparison::Below,
                ..
            } => "RateLow",
            Condition::Rate { .. } => "RateHigh",
            Condition::Errors { .. } => "Errors",
            Condition::InFlight { .. } => "InFlightHigh",
            Condition::Oldest { .. } => "Stuck",
            Condition::CallsRatio {
                comparison: crate::model::Comparison::Below,
                ..
            } => "RatioLow",
            Condition::CallsRatio { .. } => "RatioHigh",
            Condition::Open => return "CircuitBreakerOpen".to_owned(),
            Condition::Flapping { .. } => return "CircuitBreakerFlapping".to_owned(),
        };
        format!("{}{suffix}", upper_camel_case(function))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_of_function_names() {
        assert_eq!(upper_camel_case("submit_bundle"), "SubmitBundle");
        assert_eq!(upper_camel_case("get"), "Get");
        assert_eq!(upper_camel_case("fetch_v2_quote"), "FetchV2Quote");
        assert_eq!(upper_camel_case("r#match"), "Match");
    }

    #[test]
    fn prometheus_durations_use_the_largest_exact_unit() {
        assert_eq!(prometheus_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(prometheus_duration(Duration::from_secs(90)), "90s");
        assert_eq!(prometheus_duration(Duration::from_secs(300)), "5m");
        assert_eq!(prometheus_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(prometheus_duration(Duration::from_secs(86_400)), "1d");
        assert_eq!(prometheus_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn floats_render_without_exponent() {
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(0.25), "0.25");
        assert_eq!(format_float(0.0001), "0.0001");
        assert_eq!(format_float(f64::INFINITY), "+Inf");
        assert_eq!(nanos_as_seconds_text(250_000_000), "0.25");
    }

    #[test]
    fn thresholds_join_the_buckets_exactly_once() {
        use crate::model::{Quantile, Slo};
        use std::borrow::Cow;
        let timed = Timed {
            buckets: Some(Cow::Owned(vec![0.1, 0.5, 1.0])),
            alerts: Cow::Owned(vec![Alert::new(Condition::Latency {
                quantile: Quantile::P99,
                threshold: Duration::from_millis(250),
            })]),
            slos: Cow::Owned(vec![Slo {
                objective: 0.999,
                latency: Some(Duration::from_millis(500)),
                min_rate: None,
            }]),
            ..Timed::default()
        };
        assert_eq!(
            timed.bucket_bounds_nanos(),
            vec![100_000_000, 250_000_000, 500_000_000, 1_000_000_000]
        );
    }
}
