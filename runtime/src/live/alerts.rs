//! An alert as the page shows it: the condition as written, and whether it holds in this
//! process over the history the page has.
//!
//! The page judges the condition, not the alert: it does not wait for `for`, and it sees one
//! replica where Prometheus aggregates all of them. It says so next to the list.

use std::time::Duration;

use botwatch_spec::model::{Alert, Comparison, Condition};
use botwatch_spec::names::prometheus_duration;
use botwatch_spec::written::rate_unit;

/// One alert of a function or breaker.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AlertView {
    /// The alert's name (`SubmitBundleErrorRateHigh`).
    pub(crate) name: String,
    /// The condition as written (`error_rate > 20%`).
    pub(crate) condition: String,
    pub(crate) severity: String,
    /// `for`, as written in the rules (`5m`).
    pub(crate) for_: String,
    /// What the page measured (`12.5%`), when it could.
    pub(crate) value: Option<String>,
    /// Whether the condition holds now; `None` while the page has too little history.
    pub(crate) holds: Option<bool>,
}

/// What a function's alerts are judged on, over the page's recent span.
#[derive(Clone, Copy, Default)]
pub(crate) struct FunctionNow<'a> {
    /// Whether the page has an earlier reading to compare with; without one, rates and
    /// percentiles are unknown rather than zero.
    pub(crate) has_history: bool,
    /// Calls per second.
    pub(crate) rate: Option<f64>,
    /// Errors per call.
    pub(crate) error_share: Option<f64>,
    /// A quantile of the latency in seconds, by fraction.
    pub(crate) quantile: Option<&'a dyn Fn(f64) -> Option<f64>>,
    /// Calls within a span: `(calls, span covered)` for the oldest kept reading in it.
    pub(crate) calls_within: Option<&'a dyn Fn(Duration) -> Option<(u64, Duration)>>,
    /// Calls in flight now, and how long the oldest has been (none: `None`).
    pub(crate) in_flight: Option<(u64, Option<f64>)>,
}

/// What a breaker's alerts are judged on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BreakerNow {
    pub(crate) closed: bool,
    /// Openings counted, and over how long.
    pub(crate) opened: u64,
    pub(crate) opened_over: Duration,
}

/// The alert of function `function` judged on `now`.
pub(crate) fn function_alert(alert: &Alert, function: &str, now: &FunctionNow<'_>) -> AlertView {
    let (value, holds) = match &alert.condition {
        Condition::ErrorRate { .. } | Condition::Latency { .. } | Condition::Rate { .. }
            if !now.has_history =>
        {
            (None, None)
        }
        Condition::ErrorRate { above } => match now.error_share {
            Some(share) => (Some(percent(share)), Some(share > *above)),
            None => (Some("no calls".to_owned()), Some(false)),
        },
        Condition::Latency {
            quantile,
            threshold,
        } => match now.quantile.and_then(|q| q(quantile.fraction())) {
            Some(seconds) => (
                Some(seconds_text(seconds)),
                Some(seconds > threshold.as_secs_f64()),
            ),
            None => (Some("no calls".to_owned()), Some(false)),
        },
        Condition::Idle { window } => match now.calls_within.and_then(|c| c(*window)) {
            Some((0, covered)) if covered >= *window => (Some("no calls".to_owned()), Some(true)),
            Some((0, covered)) => (
                Some(format!(
                    "no calls in {}",
                    seconds_text(covered.as_secs_f64())
                )),
                None,
            ),
            Some((calls, covered)) => (
                Some(format!(
                    "{calls} calls in {}",
                    seconds_text(covered.as_secs_f64())
                )),
                Some(false),
            ),
            None => (None, None),
        },
        Condition::Rate {
            comparison,
            calls,
            per,
        } => match now.rate {
            Some(rate) => {
                let written = rate * per.as_secs_f64();
                let holds = match comparison {
                    Comparison::Below => written < *calls,
                    Comparison::Above => written > *calls,
                };
                (
                    Some(format!("{}/{}", number(written), rate_unit(*per))),
                    Some(holds),
                )
            }
            None => (None, None),
        },
        // An exact count across replicas over `within`: judged by Prometheus only.
        Condition::Errors { .. } => (None, None),
        // Two functions' calls summed over the fleet within an hour: Prometheus' to judge.
        Condition::CallsRatio { .. } => (None, None),
        // This replica's calls in flight (the alert sums the fleet's).
        Condition::InFlight { above } => match now.in_flight {
            Some((count, _)) => (
                Some(format!("{count} in flight")),
                Some(count > u64::from(*above)),
            ),
            None => (None, None),
        },
        Condition::Oldest { limit } => match now.in_flight {
            Some((_, Some(age))) => (
                Some(format!("oldest entered {} ago", seconds_text(age))),
                Some(age > limit.as_secs_f64()),
            ),
            Some((_, None)) => (Some("none in flight".to_owned()), Some(false)),
            None => (None, None),
        },
        // Judged by breaker_alert; a function never carries these.
        Condition::Open | Condition::Flapping { .. } => (None, None),
    };
    view(alert, function, value, holds)
}

/// The alert of a breaker judged on `now`.
pub(crate) fn breaker_alert(alert: &Alert, now: &BreakerNow) -> AlertView {
    let (value, holds) = match &alert.condition {
        Condition::Open => (None, Some(!now.closed)),
        Condition::Flapping { more_than } => {
            let within = alert.within_duration();
            let value = format!(
                "{} in {}",
                now.opened,
                seconds_text(now.opened_over.as_secs_f64())
            );
            let holds = if now.opened > u64::from(*more_than) {
                Some(true)
            } else if now.opened_over >= within {
                Some(false)
            } else {
                None
            };
            (Some(value), holds)
        }
        _ => (None, None),
    };
    view(alert, "", value, holds)
}

fn view(alert: &Alert, function: &str, value: Option<String>, holds: Option<bool>) -> AlertView {
    AlertView {
        name: alert.alert_name(function),
        condition: condition_text(alert),
        severity: alert.severity().to_owned(),
        for_: prometheus_duration(alert.for_duration()),
        value,
        holds,
    }
}

/// The condition as the user wrote it (the model's `Display`), with the window a count
/// is taken over.
pub(crate) fn condition_text(alert: &Alert) -> String {
    match alert.condition {
        Condition::Flapping { .. } | Condition::Errors { .. } => format!(
            "{} within {}",
            alert.condition,
            prometheus_duration(alert.within_duration())
        ),
        _ => alert.condition.to_string(),
    }
}

/// `0.125` → `12.5%`.
pub(crate) fn percent(fraction: f64) -> String {
    format!("{}%", number(fraction * 100.0))
}

/// Up to three significant decimals, no trailing zeros.
pub(crate) fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Seconds in the unit a reader expects: `850µs`, `12.5ms`, `1.2s`, `3m`.
pub(crate) fn seconds_text(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{}µs", number(seconds * 1e6))
    } else if seconds < 1.0 {
        format!("{}ms", number(seconds * 1e3))
    } else if seconds < 120.0 {
        format!("{}s", number((seconds * 10.0).round() / 10.0))
    } else {
        format!("{}m", number((seconds / 6.0).round() / 10.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use botwatch_spec::model::Quantile;

    #[test]
    fn an_error_rate_alert_holds_above_its_threshold_only() {
        let alert = Alert::new(Condition::ErrorRate { above: 0.2 });
        let judge = |share| {
            function_alert(
                &alert,
                "submit_bundle",
                &FunctionNow {
                    has_history: true,
                    error_share: share,
                    ..FunctionNow::default()
                },
            )
        };
        let high = judge(Some(0.25));
        assert_eq!(high.name, "SubmitBundleErrorRateHigh");
        assert_eq!(high.condition, "error_rate > 20%");
        assert_eq!(
            (high.value.as_deref(), high.holds),
            (Some("25%"), Some(true))
        );
        assert_eq!(judge(Some(0.2)).holds, Some(false));
        assert_eq!(judge(None).holds, Some(false));
        let first_look = function_alert(&alert, "submit_bundle", &FunctionNow::default());
        assert_eq!((first_look.value, first_look.holds), (None, None));
    }

    #[test]
    fn idle_needs_the_whole_window_of_history_to_hold() {
        let alert = Alert::new(Condition::Idle {
            window: Duration::from_secs(120),
        });
        let judge = |calls: u64, covered: u64| {
            let within = move |_: Duration| Some((calls, Duration::from_secs(covered)));
            function_alert(
                &alert,
                "detect",
                &FunctionNow {
                    calls_within: Some(&within),
                    ..FunctionNow::default()
                },
            )
            .holds
        };
        assert_eq!(judge(0, 120), Some(true));
        assert_eq!(judge(0, 30), None);
        assert_eq!(judge(3, 30), Some(false));
    }

    #[test]
    fn latency_and_rate_alerts_compare_in_the_written_unit() {
        let p99 = Alert::new(Condition::Latency {
            quantile: Quantile::P99,
            threshold: Duration::from_millis(250),
        });
        let slow = |q: f64| Some(if q > 0.9 { 0.3 } else { 0.01 });
        let now = FunctionNow {
            has_history: true,
            quantile: Some(&slow),
            ..FunctionNow::default()
        };
        let judged = function_alert(&p99, "fetch", &now);
        assert_eq!(judged.condition, "p99 > 250ms");
        assert_eq!(
            (judged.value.as_deref(), judged.holds),
            (Some("300ms"), Some(true))
        );
        let rate = Alert::new(Condition::Rate {
            comparison: Comparison::Below,
            calls: 30.0,
            per: Duration::from_secs(60),
        });
        let now = FunctionNow {
            has_history: true,
            rate: Some(0.4),
            ..FunctionNow::default()
        };
        let judged = function_alert(&rate, "fetch", &now);
        assert_eq!(judged.condition, "rate < 30/m");
        assert_eq!(
            (judged.value.as_deref(), judged.holds),
            (Some("24/m"), Some(true))
        );
    }

    /// The page shows the condition the user wrote, to the digit: a line of `0.0005/s`
    /// rounded to three decimals would read as another line than the rule's.
    #[test]
    fn conditions_read_as_written_however_fine_the_line() {
        let rate = Alert::new(Condition::Rate {
            comparison: Comparison::Above,
            calls: 0.0005,
            per: Duration::from_secs(1),
        });
        let judged = function_alert(&rate, "fetch", &FunctionNow::default());
        assert_eq!(judged.condition, "rate > 0.0005/s");
        let share = Alert::new(Condition::ErrorRate { above: 0.00125 });
        let judged = function_alert(&share, "fetch", &FunctionNow::default());
        assert_eq!(judged.condition, "error_rate > 0.125%");
    }

    #[test]
    fn breaker_alerts_read_the_state_and_the_openings() {
        let open = Alert::new(Condition::Open);
        let now = |closed, opened, minutes: u64| BreakerNow {
            closed,
            opened,
            opened_over: Duration::from_secs(60 * minutes),
        };
        assert_eq!(breaker_alert(&open, &now(false, 0, 0)).holds, Some(true));
        assert_eq!(breaker_alert(&open, &now(true, 0, 0)).holds, Some(false));
        let flapping = Alert {
            within: Some(Duration::from_secs(600)),
            ..Alert::new(Condition::Flapping { more_than: 3 })
        };
        assert_eq!(breaker_alert(&flapping, &now(true, 4, 1)).holds, Some(true));
        assert_eq!(breaker_alert(&flapping, &now(true, 3, 1)).holds, None);
        assert_eq!(
            breaker_alert(&flapping, &now(true, 3, 10)).holds,
            Some(false)
        );
        assert_eq!(
            breaker_alert(&flapping, &now(true, 0, 0)).condition,
            "flapping > 3 within 10m"
        );
    }
}
