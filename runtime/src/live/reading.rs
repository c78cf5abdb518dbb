//! One reading of every counter the page shows: calls, latency buckets and breakers.

use std::time::Instant;

use super::catalogue::Function;
use crate::breaker::{all_breakers, LiveBreaker};

/// Counters of every listed function and every breaker at one moment.
#[derive(Clone, Debug)]
pub(crate) struct Reading {
    pub(crate) at: Instant,
    /// In the catalogue's order.
    pub(crate) functions: Vec<FunctionCounts>,
    pub(crate) breakers: Vec<BreakerCounts>,
}

/// A function's totals since the process started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FunctionCounts {
    /// Calls: counted ones for a `#[counted]` function, else timed ones.
    pub(crate) calls: u64,
    /// Calls that returned an error (`#[counted]` only).
    pub(crate) error: u64,
    /// `#[timed]`: observations at or under each bound, then all of them. Dropped from
    /// samples older than the latency window, which never need it again.
    pub(crate) durations: Option<Box<[u64]>>,
}

/// A breaker's totals, told apart by name and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BreakerCounts {
    pub(crate) name: &'static str,
    pub(crate) key: Option<String>,
    pub(crate) opened: u64,
    pub(crate) rejected: u64,
}

impl BreakerCounts {
    pub(crate) fn of(breaker: &LiveBreaker) -> BreakerCounts {
        BreakerCounts {
            name: breaker.snapshot.name,
            key: breaker.snapshot.key.clone(),
            opened: breaker.opened,
            rejected: breaker.snapshot.rejected,
        }
    }
}

/// Reads `functions` and every breaker now.
pub(crate) fn read(functions: &[Function], at: Instant) -> (Reading, Vec<LiveBreaker>) {
    let functions = functions
        .iter()
        .map(|f| {
            let durations: Option<Box<[u64]>> = f.timed.map(|t| {
                let histogram = t.snapshot();
                let mut buckets = histogram.cumulative;
                buckets.push(histogram.count);
                buckets.into_boxed_slice()
            });
            let timed_calls = durations.as_ref().and_then(|d| d.last().copied());
            match f.counted {
                Some(counted) => {
                    let error = counted.error_count();
                    FunctionCounts {
                        calls: counted.ok_count() + error,
                        error,
                        durations,
                    }
                }
                None => FunctionCounts {
                    calls: timed_calls.unwrap_or(0),
                    error: 0,
                    durations,
                },
            }
        })
        .collect();
    let live: Vec<LiveBreaker> = all_breakers().map(|b| b.live()).collect();
    let reading = Reading {
        at,
        functions,
        breakers: live.iter().map(BreakerCounts::of).collect(),
    };
    (reading, live)
}
