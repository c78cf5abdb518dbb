//! The numbers the probes of ratio alerts share (a function's calls over another's, a
//! counter's increase over another's): ratios on a 1/1024 grid two steps either side of
//! the line, so the sums Prometheus divides are exact; enough traffic that the other side's
//! rate clears `min_rate` from the first evaluation; and two replicas whose shares differ,
//! so only the fleet's sum decides.

use std::time::Duration;

use botwatch_spec::model::Comparison;

/// The grid ratios sit on.
pub(crate) const GRID: f64 = 1024.0;

/// Where a ratio alert's probes sit, in grid steps, and how much traffic they carry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RatioLine {
    pub(crate) comparison: Comparison,
    /// The line itself.
    pub(crate) at_line: f64,
    /// Two steps over the line.
    pub(crate) firing: f64,
    /// Two steps on the safe side.
    pub(crate) safe: f64,
    /// The traffic scale: the other side grows by `GRID * k` per step (a power of two,
    /// which keeps the sums exact), twice `min_rate` from the first evaluation on.
    pub(crate) k: f64,
}

impl RatioLine {
    /// The probes' line for `comparison r` over `window`; `None` when the firing side
    /// would need a counter to grow by less than nothing.
    pub(crate) fn new(
        comparison: Comparison,
        r: f64,
        min_rate: Option<f64>,
        window: Duration,
    ) -> Option<RatioLine> {
        let at_line = (r * GRID).round();
        let (firing, safe) = match comparison {
            Comparison::Below => (at_line - 2.0, at_line + 2.0),
            Comparison::Above => (at_line + 2.0, at_line - 2.0),
        };
        if firing < 0.0 {
            return None;
        }
        let seconds = window.as_secs_f64();
        let mut k = 1.0;
        if let Some(m) = min_rate {
            while 2.0 * GRID * k / seconds < 2.0 * m {
                k *= 2.0;
            }
        }
        Some(RatioLine {
            comparison,
            at_line,
            firing,
            safe,
            k,
        })
    }

    /// `units` grid steps split over the two replicas, replica a's four steps further over
    /// the line than replica b's (one replica alone would be on the other side).
    pub(crate) fn spread(&self, units: f64) -> [f64; 2] {
        let spread = 4.0_f64.min(units);
        let over = match self.comparison {
            Comparison::Below => -spread,
            Comparison::Above => spread,
        };
        [units + over, units - over]
    }
}
