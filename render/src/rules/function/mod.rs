//! Alerting rules of functions: one rule per `alert(...)` clause of `#[counted]`,
//! `#[timed]` and `#[circuit_breaker]`, each condition in a file of its own, with the
//! probes its unit tests run. Adding a condition is adding a file and an arm here.

mod breaker;
mod error_rate;
mod errors;
mod idle;
mod in_flight;
mod latency;
mod rate;
mod ratio;
pub(super) mod shared;

use std::time::Duration;

use super::draft::Subject;
use super::error::RulesError;
use super::scenario::test_step;
use super::set::{RuleSet, MIN_SCRAPES_PER_WINDOW};
use crate::promql::Function;
use botwatch_spec::model::{Alert, Attribute, Condition, Site};
use botwatch_spec::names;

/// Adds the alert of every `alert(...)` clause of `site`; `all` is every site of the
/// build, which a ratio's other function is resolved in.
pub(super) fn add_site(
    set: &mut RuleSet,
    all: &[Site],
    site: &Site,
    scrape_interval: Duration,
) -> Result<(), RulesError> {
    let function = Function::of(site);
    for alert in site.attribute.alerts() {
        // Probes are built at their test step: what they call a scrape is that step.
        let scrape = test_step(scrape_interval, range_window(alert));
        let in_flight = match &alert.condition {
            Condition::InFlight { above } => Some(in_flight::in_flight_draft(
                &function,
                alert,
                *above,
                scrape,
                scrape_interval,
            )),
            Condition::Oldest { limit } => Some(in_flight::oldest_draft(
                &function,
                alert,
                *limit,
                scrape,
                scrape_interval,
            )),
            _ => None,
        };
        let (subject, draft) = match (&site.attribute, in_flight) {
            // The gauges carry no per-call labels: one alert per function.
            (_, Some(draft)) => {
                let mut subject = function.subject(scrape);
                subject
                    .grouping
                    .retain(|(k, _)| !function.call_labels.contains(k));
                (subject, draft)
            }
            (Attribute::Counted(counted), None) => {
                let metric = counted.metric.metric_name(names::FUNCTION_CALLS_TOTAL);
                let draft = match &alert.condition {
                    Condition::ErrorRate { above } => {
                        error_rate::draft(&function, metric, alert, *above, scrape)
                    }
                    Condition::Errors { more_than } => errors::draft(
                        &function,
                        metric,
                        alert,
                        *more_than,
                        scrape,
                        scrape_interval,
                    ),
                    Condition::Idle { window } => {
                        idle::draft(&function, metric, alert, *window, scrape, scrape_interval)
                    }
                    Condition::Rate {
                        comparison,
                        calls,
                        per,
                    } => rate::draft(&function, metric, alert, *comparison, *calls, *per, scrape),
                    Condition::CallsRatio {
                        other,
                        comparison,
                        threshold,
                    } => {
                        let other_site = other_counted(all, site, &function, other)?;
                        let Attribute::Counted(other_counted) = &other_site.attribute else {
                            unreachable!("resolve_counted finds #[counted] sites only")
                        };
                        let other_function = Function::of(other_site);
                        let calls_ratio = ratio::CallsRatio {
                            numerator: (&function, metric),
                            denominator: (
                                &other_function,
                                other_counted
                                    .metric
                                    .metric_name(names::FUNCTION_CALLS_TOTAL),
                            ),
                        };
                        ratio::draft(&calls_ratio, alert, *comparison, *threshold, scrape)
                    }
                    _ => unreachable!("the grammar puts only call conditions on #[counted]"),
                };
                (function.subject(scrape), draft)
            }
            (Attribute::Timed(timed), None) => {
                let metric = timed
                    .metric
                    .metric_name(names::FUNCTION_CALLS_DURATION_SECONDS);
                let bounds = timed.bucket_bounds_nanos();
                let draft = latency::draft(&function, metric, &bounds, alert, scrape);
                (function.subject(scrape), draft)
            }
            (Attribute::CircuitBreaker(options), None) => {
                let name = site.breaker_name().unwrap_or_default();
                let keyed = options.per.is_some();
                breaker::draft(&name, keyed, &function, alert, scrape, scrape_interval)
            }
        };
        set.alerts.push(draft.finish(
            subject,
            alert,
            alert.alert_name(function.name),
            alert.severity(),
            alert.for_duration(),
        ));
    }
    Ok(())
}

/// A ratio's other function, resolved in `all`: a `#[counted]` function carrying every
/// per-call label of `function` (the ratio is taken per label set, so the other must have
/// them too).
fn other_counted<'a>(
    all: &'a [Site],
    site: &Site,
    function: &Function<'_>,
    other: &str,
) -> Result<&'a Site, RulesError> {
    let Some(found) = Site::resolve_counted(all, site, other) else {
        return Err(RulesError::UnknownFunction {
            origin: function.origin(),
            other: other.to_owned(),
        });
    };
    let found_function = Function::of(found);
    if let Some(label) = function
        .call_labels
        .iter()
        .find(|label| !found_function.call_labels.contains(label))
    {
        return Err(RulesError::LabelsNotShared {
            first: function.origin(),
            second: found_function.origin(),
            label: label.clone(),
        });
    }
    Ok(found)
}

impl Function<'_> {
    /// Whose alert it is: the function's series set, tested at `step`.
    fn subject(&self, step: Duration) -> Subject {
        Subject {
            grouping: self.grouping(),
            identity: self.identity(),
            origin: self.origin(),
            step,
        }
    }
}

/// The range window a function's alert reads, if any.
fn range_window(alert: &Alert) -> Option<Duration> {
    match &alert.condition {
        Condition::Latency { .. }
        | Condition::ErrorRate { .. }
        | Condition::Rate { .. }
        | Condition::CallsRatio { .. } => Some(alert.window_duration()),
        Condition::Idle { window } => Some(*window),
        Condition::Flapping { .. } | Condition::Errors { .. } => Some(alert.within_duration()),
        Condition::Open | Condition::InFlight { .. } | Condition::Oldest { .. } => None,
    }
}

/// Every range window of a site's rules holds at least [`MIN_SCRAPES_PER_WINDOW`] scrapes.
pub(super) fn check_windows(site: &Site, scrape: Duration) -> Result<(), RulesError> {
    let shortest = scrape * MIN_SCRAPES_PER_WINDOW;
    let origin = format!("{}::{}", site.module, site.function);
    let attribute = site.attribute.kind().attribute_name();
    for alert in site.attribute.alerts() {
        if let Some(window) = range_window(alert).filter(|w| *w < shortest) {
            return Err(RulesError::WindowTooShort {
                alert: format!("#[{attribute}(alert({}))]", alert.condition),
                origin,
                window,
                scrape_interval: scrape,
            });
        }
    }
    if !site.attribute.slos().is_empty() && super::slo::SHORTEST_WINDOW < shortest {
        return Err(RulesError::WindowTooShort {
            alert: format!("#[{attribute}(slo(...))]"),
            origin,
            window: super::slo::SHORTEST_WINDOW,
            scrape_interval: scrape,
        });
    }
    Ok(())
}
