//! When a series was last updated, for `stale > D`: kept only by the series of metrics
//! that declare it.
//!
//! An update of such a series marks it (one relaxed store of a flag on the cache line the
//! update writes anyway, no clock read); whoever reads the series next (a scrape, the live
//! page, a snapshot) turns the mark into that moment's time. The time served is therefore
//! the first read after the update: late by at most the time between two reads (a scrape
//! interval), never early, which is as coarse as Prometheus can see it anyway. A series of a
//! metric that does not declare `stale` pays one branch on a flag that never changes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A series' update time, or nothing for a metric without `stale`.
#[derive(Debug)]
pub(crate) struct UpdateStamp {
    /// Whether the metric declares `stale` (set when the series is made, never changed).
    kept: bool,
    /// Updated since the last read.
    marked: AtomicBool,
    /// The update time, as the bits of Unix seconds (`0`: not read yet).
    seconds: AtomicU64,
}

impl UpdateStamp {
    /// A stamp that keeps update times when `kept`.
    pub(crate) const fn new(kept: bool) -> UpdateStamp {
        UpdateStamp {
            kept,
            marked: AtomicBool::new(false),
            seconds: AtomicU64::new(0),
        }
    }

    /// Records that the series was updated now.
    #[inline(always)]
    pub(crate) fn mark(&self) {
        if self.kept {
            self.marked.store(true, Ordering::Relaxed);
        }
    }

    /// The series' last update time at `now` (Unix seconds), `None` when not kept. A series
    /// read for the first time counts as updated then: a feed that never starts is stale
    /// from the start.
    pub(crate) fn read_at(&self, now: f64) -> Option<f64> {
        if !self.kept {
            return None;
        }
        let stored = f64::from_bits(self.seconds.load(Ordering::Relaxed));
        if self.marked.swap(false, Ordering::Relaxed) || stored == 0.0 {
            // Concurrent readers may both stamp: each writes a time at or after the update.
            self.seconds.fetch_max(now.to_bits(), Ordering::Relaxed);
            return Some(f64::from_bits(self.seconds.load(Ordering::Relaxed)));
        }
        Some(stored)
    }

    /// A copy as it is now: an evicted series' last update time, served once more.
    pub(crate) fn copy(&self) -> UpdateStamp {
        UpdateStamp {
            kept: self.kept,
            marked: AtomicBool::new(self.marked.load(Ordering::Relaxed)),
            seconds: AtomicU64::new(self.seconds.load(Ordering::Relaxed)),
        }
    }

    /// Never updated, for a label set's storage given to another set.
    pub(crate) fn reset(&self) {
        self.marked.store(false, Ordering::Relaxed);
        self.seconds.store(0, Ordering::Relaxed);
    }

    /// [`read_at`](Self::read_at) the wall clock's now.
    pub(crate) fn read(&self) -> Option<f64> {
        self.kept.then(|| self.read_at(unix_now())).flatten()
    }
}

/// The wall clock in Unix seconds.
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_is_dated_by_the_next_read_and_only_then() {
        let stamp = UpdateStamp::new(true);
        assert_eq!(stamp.read_at(100.0), Some(100.0), "first read dates it");
        assert_eq!(
            stamp.read_at(160.0),
            Some(100.0),
            "no update: the time stays"
        );
        stamp.mark();
        assert_eq!(
            stamp.read_at(175.0),
            Some(175.0),
            "an update: the next read"
        );
        assert_eq!(stamp.read_at(190.0), Some(175.0), "one mark dates one read");
    }

    #[test]
    fn a_metric_without_stale_keeps_nothing() {
        let stamp = UpdateStamp::new(false);
        stamp.mark();
        assert_eq!(stamp.read_at(100.0), None);
        assert!(
            !stamp.marked.load(Ordering::Relaxed),
            "the mark is not even stored"
        );
    }

    #[test]
    fn the_wall_clock_is_unix_seconds() {
        // 2020-01-01: a clock that returned process-relative time would be far below.
        assert!(unix_now() > 1_577_836_800.0);
    }
}
