//! Fixed-bucket histograms of nanoseconds over atomic counters: one relaxed add to a bucket
//! and one to the sum per observation, no allocation, no lock.

use std::sync::atomic::{AtomicU64, Ordering};

/// Borrowed cells of one histogram: bounds, non-cumulative counts (one more than bounds, for
/// `+Inf`) and the sum. Statics for `#[timed]`, leaked boxes for breakers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cells<'a> {
    pub(crate) bounds: &'a [u64],
    pub(crate) counts: &'a [AtomicU64],
    pub(crate) sum_nanos: &'a AtomicU64,
}

impl Cells<'_> {
    /// Records one observation of `nanos`.
    #[inline]
    pub(crate) fn record(self, nanos: u64) {
        let index = self.bounds.partition_point(|&bound| bound < nanos);
        self.counts[index].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The cumulative view Prometheus wants.
    pub(crate) fn snapshot(self) -> HistogramSnapshot {
        let mut cumulative = Vec::with_capacity(self.bounds.len());
        let mut running = 0u64;
        for count in &self.counts[..self.bounds.len()] {
            running += count.load(Ordering::Relaxed);
            cumulative.push(running);
        }
        let count = running + self.counts[self.bounds.len()].load(Ordering::Relaxed);
        HistogramSnapshot {
            bounds: self.bounds.to_vec(),
            cumulative,
            count,
            sum_nanos: self.sum_nanos.load(Ordering::Relaxed),
        }
    }
}

/// A histogram's counts at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HistogramSnapshot {
    /// Upper bounds in nanoseconds.
    pub(crate) bounds: Vec<u64>,
    /// Observations at or under each bound.
    pub(crate) cumulative: Vec<u64>,
    /// All observations.
    pub(crate) count: u64,
    /// Sum of all observations in nanoseconds.
    pub(crate) sum_nanos: u64,
}

impl HistogramSnapshot {
    /// Adds another snapshot with the same bounds; returns false (and adds nothing) if the
    /// bounds differ.
    pub(crate) fn merge(&mut self, other: &HistogramSnapshot) -> bool {
        if self.bounds != other.bounds {
            return false;
        }
        for (a, b) in self.cumulative.iter_mut().zip(&other.cumulative) {
            *a += b;
        }
        self.count += other.count;
        self.sum_nanos += other.sum_nanos;
        true
    }
}

/// Owned cells for a histogram created at run time.
#[derive(Debug)]
pub(crate) struct OwnedHistogram {
    bounds: Box<[u64]>,
    counts: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl OwnedHistogram {
    pub(crate) fn new(bounds: Vec<u64>) -> Self {
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        OwnedHistogram {
            bounds: bounds.into_boxed_slice(),
            counts,
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub(crate) fn cells(&self) -> Cells<'_> {
        Cells {
            bounds: &self.bounds,
            counts: &self.counts,
            sum_nanos: &self.sum_nanos,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_at_or_above_them() {
        let h = OwnedHistogram::new(vec![10, 100]);
        for nanos in [0, 10, 11, 100, 101, 5_000] {
            h.cells().record(nanos);
        }
        let s = h.cells().snapshot();
        assert_eq!(s.cumulative, vec![2, 4]);
        assert_eq!(s.count, 6);
        assert_eq!(s.sum_nanos, 5_222);
    }
}
