//! Alerting rules of declared metrics (`#[gauge]`, `#[counter]`, `#[histogram]` on a
//! `static`), with the probes their unit tests run.
//!
//! Every alert aggregates across replicas into one alert per label set of the metric:
//! `min` for a `<` line and `max` for a `>` line, so `$value` is the worst replica's value;
//! a histogram's quantile is taken over the buckets of every replica together, like a
//! function's latency.

mod age;
mod change;
mod funnel;
pub(crate) use funnel::far_side;
mod gap;
mod guard;
mod lag;
mod quantile;
mod shared;
mod since;
mod stale;
mod state;
mod still;
mod total;
mod value;

use std::time::Duration;

use shared::RATE_WINDOW;

use super::draft::{Draft, Subject};
use super::error::RulesError;
use super::scenario::test_step;
use super::set::{RuleSet, MIN_SCRAPES_PER_WINDOW};
use crate::promql::Metric;
use botwatch_spec::declared::{Declared, MetricKind, ValueAlert, ValueCondition};

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
            let mut grouping = metric.grouping();
            if matches!(alert.condition, ValueCondition::Total { .. }) {
                // One alert per job: the family's label sets are summed away.
                grouping.retain(|(k, _)| !metric.keys.contains(k));
            }
            if let ValueCondition::IncreaseRatio { denominator, .. } = &alert.condition {
                // One alert per label set both counters share; the rest are summed away.
                let other = Metric::of(other_counter(all, declared, denominator)?);
                let shared = funnel::Funnel {
                    numerator: &metric,
                    denominator: &other,
                }
                .shared();
                grouping.retain(|(k, _)| {
                    k == botwatch_spec::names::LABEL_JOB
                        || metric.labels.iter().any(|(l, _)| l == k)
                        || shared.contains(k)
                });
            }
            let subject = Subject {
                grouping,
                identity: metric.labels.clone(),
                origin: declared.origin(),
                step,
            };
            set.alerts.push(draft(&metric, all, alert, step)?.finish(
                subject,
                alert,
                alert.value_alert_name(&declared.static_name),
                alert.value_severity(),
                alert.value_for(),
            ));
        }
        if let Some(guard) = &declared.guard {
            set.alerts.push(guard::guard_rule(declared, guard, scrape));
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
        ValueCondition::Value { .. }
        | ValueCondition::Ratio { .. }
        | ValueCondition::State { .. } => None,
        ValueCondition::Unchanged { window } | ValueCondition::Idle { window } => Some(*window),
        // A time Prometheus reads once a scrape: a line closer than a few scrapes would
        // fire between two reads of a healthy feed.
        ValueCondition::Stale { after: window } | ValueCondition::Age { limit: window } => {
            Some(*window)
        }
        ValueCondition::Gap { .. } | ValueCondition::Lag { .. } | ValueCondition::Total { .. } => {
            None
        }
        ValueCondition::Increase { .. } | ValueCondition::IncreaseRatio { .. } => {
            Some(increase_window(alert))
        }
        ValueCondition::Rate { per, .. } => Some(RATE_WINDOW.max(*per)),
        ValueCondition::Quantile { .. } => Some(RATE_WINDOW),
    }
}

/// The window an `increase` alert reads: its `within`, or the default hour.
pub(crate) fn increase_window(alert: &ValueAlert) -> Duration {
    alert.within.unwrap_or(ValueAlert::DEFAULT_INCREASE_WITHIN)
}

/// Every range window of a declared metric's rules holds at least
/// [`MIN_SCRAPES_PER_WINDOW`] scrapes.
pub(super) fn check_windows(metric: &Declared, scrape: Duration) -> Result<(), RulesError> {
    let shortest = scrape * MIN_SCRAPES_PER_WINDOW;
    for alert in metric.alerts.iter() {
        if let Some(window) = window(alert).filter(|w| *w < shortest) {
            return Err(RulesError::WindowTooShort {
                alert: format!(
                    "#[{}(alert({}))]",
                    metric.kind.attribute_name(),
                    alert.condition
                ),
                origin: metric.origin(),
                window,
                scrape_interval: scrape,
            });
        }
    }
    Ok(())
}

/// A gap's reference, resolved in `all`: a declared, unlabelled gauge.
fn reference_gauge<'a>(
    all: &'a [Declared],
    declared: &Declared,
    reference: &str,
) -> Result<&'a Declared, RulesError> {
    match Declared::resolve(all, declared, reference) {
        Some(other) if other.label_keys.is_empty() && other.kind == MetricKind::Gauge => Ok(other),
        Some(_) => Err(RulesError::UnknownRatio {
            origin: declared.origin(),
            denominator: format!("{reference} (a gap's reference must be an unlabelled #[gauge])"),
        }),
        None => Err(RulesError::UnknownRatio {
            origin: declared.origin(),
            denominator: reference.to_string(),
        }),
    }
}

/// An increase ratio's other counter, resolved in `all`: a declared counter.
fn other_counter<'a>(
    all: &'a [Declared],
    declared: &Declared,
    other: &str,
) -> Result<&'a Declared, RulesError> {
    match Declared::resolve(all, declared, other) {
        Some(counter) if counter.kind == MetricKind::Counter => Ok(counter),
        found => Err(RulesError::UnknownCounter {
            origin: declared.origin(),
            other: match found {
                Some(d) => format!("{other} (a #[{}])", d.kind.attribute_name()),
                None => other.to_owned(),
            },
        }),
    }
}

/// The draft of `alert` on `metric`: its condition's room; a ratio's denominator is
/// resolved in `all`, and must be a declared, unlabelled gauge.
fn draft(
    metric: &Metric<'_>,
    all: &[Declared],
    alert: &ValueAlert,
    scrape: Duration,
) -> Result<Draft, RulesError> {
    let declared = metric.declared;
    let draft = match &alert.condition {
        ValueCondition::Value {
            comparison,
            threshold,
        } => value::value_draft(metric, alert, *comparison, *threshold, scrape),
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
            value::ratio_draft(
                metric,
                &Metric::of(other),
                alert,
                *comparison,
                *threshold,
                scrape,
            )
        }
        ValueCondition::IncreaseRatio {
            denominator,
            comparison,
            threshold,
        } => {
            let other = Metric::of(other_counter(all, declared, denominator)?);
            let funnel = funnel::Funnel {
                numerator: metric,
                denominator: &other,
            };
            let window = increase_window(alert);
            funnel::funnel_draft(&funnel, alert, *comparison, *threshold, window, scrape)
        }
        ValueCondition::Unchanged { window } => {
            still::unchanged_draft(metric, alert, *window, scrape)
        }
        ValueCondition::Increase { comparison, amount } => {
            let window = increase_window(alert);
            change::change_draft(metric, alert, *comparison, *amount, window, 1.0, scrape)
        }
        ValueCondition::Rate {
            comparison,
            amount,
            per,
        } => {
            let per_second = amount / per.as_secs_f64();
            change::change_draft(
                metric,
                alert,
                *comparison,
                per_second,
                RATE_WINDOW.max(*per),
                RATE_WINDOW.max(*per).as_secs_f64(),
                scrape,
            )
        }
        ValueCondition::Idle { window } => still::idle_draft(metric, alert, *window, scrape),
        ValueCondition::Stale { after } => stale::stale_draft(metric, alert, *after, scrape),
        ValueCondition::Age { limit } => age::age_draft(metric, alert, *limit, scrape),
        ValueCondition::Gap {
            reference,
            comparison,
            threshold,
        } => {
            let other = reference_gauge(all, declared, reference)?;
            gap::gap_draft(
                metric,
                &Metric::of(other),
                alert,
                *comparison,
                *threshold,
                scrape,
            )
        }
        ValueCondition::Lag { threshold } => lag::lag_draft(metric, alert, *threshold, scrape),
        ValueCondition::State { name, value } => {
            state::state_draft(metric, alert, name, *value, scrape)
        }
        ValueCondition::Total {
            comparison,
            threshold,
        } => total::total_draft(metric, alert, *comparison, *threshold, scrape),
        ValueCondition::Quantile {
            quantile,
            comparison,
            threshold,
        } => quantile::quantile_draft(
            metric,
            alert,
            quantile.fraction(),
            quantile.keyword(),
            *comparison,
            *threshold,
            scrape,
        ),
    };
    Ok(draft)
}
