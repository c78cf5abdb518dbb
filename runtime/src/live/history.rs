//! The live page's memory: a small, bounded ring of earlier readings, fed only by looks.
//!
//! Nothing samples in the background. Each look at the page (`GET /` or a poll of
//! `/snapshot.json`) takes one reading, which it needs anyway, and keeps it if the newest
//! kept reading is old enough; rates, percentiles and sparklines compare the reading now
//! with the kept ones. So a bot nobody watches pays nothing, and history starts with the
//! first look. Readings are kept every 5 s for the last minute and every 15 s up to five
//! minutes; a breaker's open count is kept every minute for an hour. Memory is bounded by
//! those counts times the number of functions, however many tabs poll.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::reading::{BreakerCounts, Reading};

/// Rates, error shares and percentiles cover this much history at most.
pub(crate) const RECENT: Duration = Duration::from_secs(60);
/// Sparklines reach this far back.
pub(crate) const SPARKLINE: Duration = Duration::from_secs(5 * 60);
/// Breaker openings are counted over this much history at most.
pub(crate) const OPENINGS: Duration = Duration::from_secs(3600);

/// Readings newer than this are kept at [`FINE`] spacing, with their latency buckets.
const FINE_SPAN: Duration = Duration::from_secs(75);
const FINE: Duration = Duration::from_secs(5);
const COARSE: Duration = Duration::from_secs(15);
const HOURLY: Duration = Duration::from_secs(60);

/// Kept readings, oldest first.
#[derive(Debug)]
pub(crate) struct History {
    readings: VecDeque<Reading>,
    /// Breaker totals once a minute, for the openings of the last hour.
    hourly: VecDeque<(Instant, Vec<BreakerCounts>)>,
}

impl Default for History {
    fn default() -> Self {
        History::new()
    }
}

impl History {
    /// An empty history, for a `static`.
    pub(crate) const fn new() -> History {
        History {
            readings: VecDeque::new(),
            hourly: VecDeque::new(),
        }
    }

    /// Keeps `now` if the newest kept reading is [`FINE`] old, and forgets what has aged
    /// out. A reading with a different list of functions than the kept ones starts over.
    pub(crate) fn record(&mut self, now: &Reading) {
        if self
            .readings
            .back()
            .is_some_and(|r| r.functions.len() != now.functions.len() || r.at > now.at)
        {
            self.readings.clear();
        }
        if self
            .readings
            .back()
            .is_none_or(|r| now.at.saturating_duration_since(r.at) >= FINE)
        {
            self.readings.push_back(now.clone());
        }
        if self
            .hourly
            .back()
            .is_none_or(|(at, _)| now.at.saturating_duration_since(*at) >= HOURLY)
        {
            self.hourly.push_back((now.at, now.breakers.clone()));
        }
        self.prune(now.at);
    }

    fn prune(&mut self, now: Instant) {
        let age = |at: Instant| now.saturating_duration_since(at);
        while self.readings.front().is_some_and(|r| age(r.at) > SPARKLINE) {
            self.readings.pop_front();
        }
        while self
            .hourly
            .front()
            .is_some_and(|(at, _)| age(*at) > OPENINGS)
        {
            self.hourly.pop_front();
        }
        // Past the fine span, keep one reading per COARSE and drop latency buckets.
        let mut kept: Option<Instant> = None;
        self.readings.retain_mut(|r| {
            if age(r.at) <= FINE_SPAN {
                return true;
            }
            if kept.is_some_and(|k| r.at.saturating_duration_since(k) < COARSE) {
                return false;
            }
            kept = Some(r.at);
            for f in &mut r.functions {
                f.durations = None;
            }
            true
        });
    }

    /// The oldest kept reading at most `span` before `now`: where rates start.
    pub(crate) fn since(&self, now: Instant, span: Duration) -> Option<&Reading> {
        self.readings
            .iter()
            .find(|r| now.saturating_duration_since(r.at) <= span && r.at <= now)
    }

    /// The oldest breaker totals at most an hour old.
    pub(crate) fn hour_ago(&self) -> Option<&(Instant, Vec<BreakerCounts>)> {
        self.hourly.front()
    }

    /// Kept readings, oldest first: the sparklines' points.
    pub(crate) fn readings(&self) -> impl Iterator<Item = &Reading> {
        self.readings.iter()
    }

    /// How far back the kept readings reach from `now`.
    #[cfg(test)]
    pub(crate) fn reach(&self, now: Instant) -> Duration {
        self.readings
            .front()
            .map_or(Duration::ZERO, |r| now.saturating_duration_since(r.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::reading::FunctionCounts;

    fn reading(at: Instant, calls: u64) -> Reading {
        Reading {
            at,
            functions: vec![FunctionCounts {
                calls,
                error: 0,
                durations: Some(vec![calls].into_boxed_slice()),
            }],
            breakers: Vec::new(),
        }
    }

    #[test]
    fn keeps_a_bounded_number_of_readings_however_often_it_is_asked() {
        let start = Instant::now();
        let mut history = History::default();
        // A poll every 100 ms for an hour: 36,000 looks.
        for i in 0..36_000u64 {
            history.record(&reading(start + Duration::from_millis(100 * i), i));
        }
        let kept = history.readings().count();
        // 75 s at 5 s, then 225 s at 15 s: at most 16 + 16.
        assert!(kept <= 32, "kept {kept} readings");
        assert!(
            history.hourly.len() <= 61,
            "kept {} hourly",
            history.hourly.len()
        );
        let now = start + Duration::from_millis(100 * 35_999);
        assert!(history.reach(now) <= SPARKLINE);
        assert!(history.reach(now) >= SPARKLINE - COARSE);
        // Only the fine readings keep latency buckets.
        let with_buckets = history
            .readings()
            .filter(|r| r.functions[0].durations.is_some())
            .count();
        assert!(with_buckets <= 16, "{with_buckets} readings keep buckets");
    }

    #[test]
    fn rates_start_at_the_oldest_reading_within_the_span() {
        let start = Instant::now();
        let mut history = History::default();
        for s in [0u64, 5, 10, 70] {
            history.record(&reading(start + Duration::from_secs(s), s));
        }
        let now = start + Duration::from_secs(70);
        let from = history
            .since(now, RECENT)
            .expect("a reading within a minute");
        assert_eq!(from.at, start + Duration::from_secs(10));
    }
}
