//! The page's content, computed once per look and then written as JSON or HTML.

use std::time::{Duration, Instant};

use super::alerts::{self, AlertView, BreakerNow, FunctionNow};
use super::catalogue::{Catalogue, Function};
use super::history::{History, OPENINGS, RECENT};
use super::reading::{self, FunctionCounts, Reading};
use super::values::{self, ValueView};
use crate::breaker::{LiveBreaker, WindowFill};
use crate::State;
use botwatch_spec::model::Quantile;

/// Everything the page shows at one moment.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) uptime: Duration,
    pub(crate) healthy: bool,
    /// The span rates, error shares and percentiles cover (at most a minute).
    pub(crate) recent: Duration,
    /// How long ago, in seconds, each sparkline point was read, oldest first; the last is 0.
    pub(crate) spark_ages: Vec<f64>,
    pub(crate) functions: Vec<FunctionView>,
    /// The quantile columns of the functions' table: every quantile a listed function
    /// shows, ascending.
    pub(crate) quantile_columns: Vec<Quantile>,
    pub(crate) breakers: Vec<BreakerView>,
    /// Declared metrics, each series on its own.
    pub(crate) values: Vec<ValueView>,
    /// Every guard, engaged or not: an engaged one is the page's banner.
    pub(crate) guards: Vec<crate::guard::GuardSnapshot>,
}

/// One function's row.
#[derive(Debug)]
pub(crate) struct FunctionView {
    pub(crate) module: &'static str,
    pub(crate) function: &'static str,
    pub(crate) counted: bool,
    pub(crate) timed: bool,
    pub(crate) breaker: Option<&'static str>,
    /// Totals since the process started.
    pub(crate) calls: u64,
    pub(crate) errors: u64,
    /// Over the recent span; `None` until the page has two readings.
    pub(crate) rate: Option<f64>,
    pub(crate) error_share: Option<f64>,
    pub(crate) p50: Option<f64>,
    pub(crate) p99: Option<f64>,
    /// `#[timed]`: each quantile it shows (its chosen ones) and its value over the span.
    pub(crate) quantiles: Vec<(Quantile, Option<f64>)>,
    /// Calls in flight and the oldest one's age in seconds, for a function tracking them.
    pub(crate) in_flight: Option<(u64, Option<f64>)>,
    /// Calls between consecutive sparkline points (one fewer than the points).
    pub(crate) spark: Vec<u64>,
    pub(crate) alerts: Vec<AlertView>,
}

/// One breaker's row (one per key of a per-key breaker).
#[derive(Debug)]
pub(crate) struct BreakerView {
    pub(crate) live: LiveBreaker,
    pub(crate) rejected_per_second: Option<f64>,
    /// Openings over `opened_over` (at most the last hour, or since the first look).
    pub(crate) opened_recently: u64,
    pub(crate) opened_over: Duration,
    pub(crate) alerts: Vec<AlertView>,
}

impl BreakerView {
    /// Failures towards opening, as a reader says it: `3 of 5 in a row`.
    pub(crate) fn window_text(&self) -> String {
        match self.live.window {
            WindowFill::Consecutive {
                failures,
                threshold,
            } => format!("{failures} of {threshold} in a row"),
            WindowFill::Rate {
                failures,
                calls,
                size,
                threshold,
                min_calls,
            } => format!(
                "{failures} of the last {calls} calls (opens above {} of {size}, from {min_calls} calls)",
                alerts::percent(threshold)
            ),
            WindowFill::None => "opens only when forced".to_owned(),
        }
    }
}

/// Reads the counters of `catalogue`'s first `limit` functions, keeps the reading in
/// `history` if due, and builds the page.
pub(crate) fn build(
    catalogue: &Catalogue,
    limit: usize,
    history: &mut History,
    labels: &[(String, String)],
    uptime: Duration,
) -> Page {
    let functions = &catalogue.functions[..limit.min(catalogue.functions.len())];
    let now = Instant::now();
    let (reading, live) = reading::read(functions, now);
    history.record(&reading);
    let history = &*history;
    let base = history.since(now, RECENT).filter(|b| b.at < now);
    let recent = base.map_or(Duration::ZERO, |b| now.duration_since(b.at));
    let points: Vec<&Reading> = history
        .readings()
        .filter(|r| r.at < now)
        .chain(std::iter::once(&reading))
        .collect();
    let spark_ages = points
        .iter()
        .map(|r| round_tenth(now.duration_since(r.at).as_secs_f64()))
        .collect();
    let quantile_columns = quantile_columns(functions);
    let functions = functions
        .iter()
        .enumerate()
        .map(|(index, function)| {
            let counts = &reading.functions[index];
            let earlier = base.map(|b| &b.functions[index]);
            function_view(
                function, counts, earlier, recent, &points, history, now, index,
            )
        })
        .collect();
    let hour_ago = history.hour_ago();
    let opened_over = hour_ago.map_or(Duration::ZERO, |(at, _)| {
        now.saturating_duration_since(*at).min(OPENINGS)
    });
    let breakers = live
        .into_iter()
        .map(|live| {
            let same = |c: &&reading::BreakerCounts| {
                c.name == live.snapshot.name && c.key == live.snapshot.key
            };
            let rejected_per_second = base
                .and_then(|b| b.breakers.iter().find(same))
                .and_then(|b| super::stats::per_second(live.snapshot.rejected, b.rejected, recent));
            let opened_recently = hour_ago
                .and_then(|(_, counts)| counts.iter().find(same))
                .map_or(0, |then| live.opened.saturating_sub(then.opened));
            let judged = BreakerNow {
                closed: live.snapshot.state == State::Closed,
                opened: opened_recently,
                opened_over,
            };
            let alerts = catalogue
                .breaker_alerts
                .get(live.snapshot.name)
                .map(|list| {
                    list.iter()
                        .map(|a| alerts::breaker_alert(a, &judged))
                        .collect()
                })
                .unwrap_or_default();
            BreakerView {
                live,
                rejected_per_second,
                opened_recently,
                opened_over,
                alerts,
            }
        })
        .collect();
    let healthy = crate::health::report(uptime).healthy;
    Page {
        labels: labels.to_vec(),
        uptime,
        healthy,
        recent,
        spark_ages,
        functions,
        quantile_columns,
        breakers,
        values: values::read(),
        guards: crate::guard::snapshots(),
    }
}

#[allow(clippy::too_many_arguments)]
fn function_view(
    function: &Function,
    counts: &FunctionCounts,
    earlier: Option<&FunctionCounts>,
    recent: Duration,
    points: &[&Reading],
    history: &History,
    now: Instant,
    index: usize,
) -> FunctionView {
    let counted = function.counted.is_some();
    let rate = earlier.and_then(|e| super::stats::per_second(counts.calls, e.calls, recent));
    let error_share = earlier.filter(|_| counted).and_then(|e| {
        let calls = counts.calls.saturating_sub(e.calls);
        (calls > 0).then(|| counts.error.saturating_sub(e.error) as f64 / calls as f64)
    });
    let quantile = |q: f64| match (
        &counts.durations,
        earlier.and_then(|e| e.durations.as_ref()),
    ) {
        (Some(later), Some(before)) => super::stats::quantile(&function.bounds, later, before, q),
        _ => None,
    };
    let calls_within = |span: Duration| {
        let from = history.since(now, span)?;
        let calls = counts.calls.saturating_sub(from.functions[index].calls);
        Some((calls, now.saturating_duration_since(from.at)))
    };
    let in_flight = function
        .in_flight
        .map(|f| (f.count(), f.oldest_age_seconds()));
    let judged = FunctionNow {
        has_history: earlier.is_some(),
        rate,
        error_share,
        quantile: Some(&quantile),
        calls_within: Some(&calls_within),
        in_flight,
    };
    let alerts = function
        .alerts
        .iter()
        .map(|a| alerts::function_alert(a, function.function, &judged))
        .collect();
    let spark = points
        .windows(2)
        .map(|pair| {
            let (a, b) = (&pair[0].functions[index], &pair[1].functions[index]);
            b.calls.saturating_sub(a.calls)
        })
        .collect();
    FunctionView {
        module: function.module,
        function: function.function,
        counted,
        timed: function.timed.is_some(),
        breaker: function.breaker,
        calls: counts.calls,
        errors: counts.error,
        rate,
        error_share,
        p50: quantile(0.5),
        p99: quantile(0.99),
        quantiles: function
            .quantiles
            .iter()
            .map(|q| (*q, quantile(q.fraction())))
            .collect(),
        in_flight,
        spark,
        alerts,
    }
}

/// Every quantile `functions` show, ascending, each once.
fn quantile_columns(functions: &[Function]) -> Vec<Quantile> {
    let mut out: Vec<Quantile> = functions
        .iter()
        .flat_map(|f| f.quantiles.iter().copied())
        .collect();
    out.sort_by(|a, b| a.fraction().total_cmp(&b.fraction()));
    out.dedup();
    out
}

fn round_tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
