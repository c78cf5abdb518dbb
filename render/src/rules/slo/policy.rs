//! What an SLO's alerts read and how they decide: the SRE workbook's windows, the page
//! and ticket policies (pairs of long and short windows with a burn rate each), and an
//! objective of one site with how its tests make good and bad calls.

use std::time::Duration;

use crate::promql::Function;
use crate::rules::scenario::Series;

pub(super) const MINUTE: u64 = 60;

pub(super) const HOUR: u64 = 3600;

/// Every window the burn-rate alerts read.
pub(super) const WINDOWS: [Duration; 7] = [
    Duration::from_secs(5 * MINUTE),
    Duration::from_secs(30 * MINUTE),
    Duration::from_secs(HOUR),
    Duration::from_secs(2 * HOUR),
    Duration::from_secs(6 * HOUR),
    Duration::from_secs(24 * HOUR),
    Duration::from_secs(72 * HOUR),
];

/// The shortest window the burn-rate alerts read.
pub(crate) const SHORTEST_WINDOW: Duration = WINDOWS[0];

/// (long window, short window, burn rate) pairs; either pair firing fires the alert.
pub(crate) struct Policy {
    pub(crate) severity: &'static str,
    pub(super) for_: Duration,
    pub(crate) pairs: [(Duration, Duration, f64); 2],
}

pub(crate) const PAGE: Policy = Policy {
    severity: "critical",
    for_: Duration::from_secs(2 * MINUTE),
    pairs: [
        (
            Duration::from_secs(HOUR),
            Duration::from_secs(5 * MINUTE),
            14.4,
        ),
        (
            Duration::from_secs(6 * HOUR),
            Duration::from_secs(30 * MINUTE),
            6.0,
        ),
    ],
};

pub(crate) const TICKET: Policy = Policy {
    severity: "warning",
    for_: Duration::from_secs(15 * MINUTE),
    pairs: [
        (
            Duration::from_secs(24 * HOUR),
            Duration::from_secs(2 * HOUR),
            3.0,
        ),
        (
            Duration::from_secs(72 * HOUR),
            Duration::from_secs(6 * HOUR),
            1.0,
        ),
    ],
};

/// What an SLO of one site counts as bad, and how its tests produce bad and good calls.
pub(super) struct Objective<'a> {
    pub(super) function: Function<'a>,
    /// `function_module:<metric>:error_ratio_rate` or `..:slow_ratio_rate`.
    pub(super) record_prefix: String,
    /// The latency threshold, in seconds as `le` writes it (latency SLOs only).
    pub(super) threshold: Option<String>,
    pub(super) alert_name: String,
    pub(super) kind: &'static str,
    pub(super) objective: f64,
    /// Series with this share of bad calls, on both replicas.
    pub(super) calls: Box<dyn Fn(f64) -> Vec<Series> + 'a>,
    /// `min_rate`, and the PromQL of all calls a second over a window.
    pub(super) min_rate: Option<(f64, Traffic<'a>)>,
}

/// All calls a second over a window, as PromQL.
pub(super) type Traffic<'a> = Box<dyn Fn(&str) -> String + 'a>;

/// Windows from this long on are recorded every [`LONG_RECORDING_INTERVAL`].
pub(super) const LONG: Duration = Duration::from_secs(24 * HOUR);
