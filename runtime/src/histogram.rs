//! Fixed-bucket histograms of nanoseconds over atomic counters: one relaxed add to a bucket
//! and one to the sum per observation, no allocation, no lock.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::labels::{Sealable, SEALED};
use crate::stripes::{self, stride, CacheAligned, STRIPES};

/// One cache line of counters.
pub type Line = CacheAligned<[AtomicU64; 8]>;

/// A line of zeros, for statics.
pub const fn zero_line() -> Line {
    CacheAligned([const { AtomicU64::new(0) }; 8])
}

/// Lines a histogram with `bounds` finite buckets needs: per stripe, one count per bucket
/// (plus `+Inf`) and the sum, rounded up to whole lines.
pub const fn histogram_lines(bounds: usize) -> usize {
    stride(bounds + 2) / 8 * STRIPES
}

/// Borrowed cells of one histogram: bounds and the counter lines of every stripe. Statics
/// for `#[timed]`, boxed lines for breakers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cells<'a> {
    pub(crate) bounds: &'a [u64],
    pub(crate) lines: &'a [Line],
}

impl Cells<'_> {
    fn word(&self, index: usize) -> &AtomicU64 {
        &self.lines[index / 8].0[index % 8]
    }

    /// Counters per stripe: every stripe has the same whole lines (see [`histogram_lines`]),
    /// so this is a shift of the lines' length, not the stride computed again per call.
    #[inline(always)]
    fn row(&self) -> usize {
        self.lines.len() / STRIPES * 8
    }

    /// Records one observation of `nanos` on this thread's stripe.
    #[inline(always)]
    pub(crate) fn record(self, nanos: u64) {
        let base = stripes::current() * self.row();
        // A linear scan from the smallest bound: hot-path calls land in the first buckets,
        // where it beats a binary search's unpredictable branches.
        let index = self
            .bounds
            .iter()
            .take_while(|&&bound| bound < nanos)
            .count();
        self.word(base + index).fetch_add(1, Ordering::Relaxed);
        self.word(base + self.bounds.len() + 1)
            .fetch_add(nanos, Ordering::Relaxed);
    }

    /// [`Self::record`] for a label set that may be evicted: `false` when the bucket was
    /// sealed, and then nothing is recorded here. The sum goes first and the bucket
    /// releases it, so the seal of the buckets sees the sum of every observation it
    /// counted.
    #[inline(always)]
    pub(crate) fn record_unless_sealed(self, nanos: u64) -> bool {
        let base = stripes::current() * self.row();
        let index = self
            .bounds
            .iter()
            .take_while(|&&bound| bound < nanos)
            .count();
        let sum = self.word(base + self.bounds.len() + 1);
        sum.fetch_add(nanos, Ordering::Relaxed);
        if self.word(base + index).fetch_add(1, Ordering::Release) & SEALED == 0 {
            return true;
        }
        sum.fetch_sub(nanos, Ordering::Relaxed);
        false
    }

    /// The cumulative view Prometheus wants, summed over stripes.
    pub(crate) fn snapshot(self) -> HistogramSnapshot {
        self.summed(|word| word.load(Ordering::Relaxed))
    }

    /// Seals every bucket word (see `labels::evict`) and returns what they held before.
    pub(crate) fn seal(self) -> HistogramSnapshot {
        self.summed(|word| word.fetch_or(SEALED, Ordering::AcqRel))
    }

    /// The snapshot of the bucket words as `read` reads them (sealed bits masked) and the
    /// sums, read after them.
    fn summed(self, read: impl Fn(&AtomicU64) -> u64) -> HistogramSnapshot {
        let buckets = self.bounds.len() + 1;
        let mut counts = vec![0u64; buckets];
        let mut sum_nanos = 0u64;
        for stripe in 0..STRIPES {
            let base = stripe * self.row();
            for (i, count) in counts.iter_mut().enumerate() {
                *count += read(self.word(base + i)) & !SEALED;
            }
            sum_nanos = sum_nanos.wrapping_add(self.word(base + buckets).load(Ordering::Acquire));
        }
        let mut cumulative = Vec::with_capacity(self.bounds.len());
        let mut running = 0u64;
        for count in &counts[..self.bounds.len()] {
            running += count;
            cumulative.push(running);
        }
        HistogramSnapshot {
            bounds: self.bounds.to_vec(),
            cumulative,
            count: running + counts[self.bounds.len()],
            sum_nanos,
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

/// Owned cells for a histogram created at run time (a breaker's latency, a per-call label
/// set's durations).
#[derive(Debug)]
pub struct OwnedHistogram {
    bounds: Box<[u64]>,
    lines: Box<[Line]>,
}

impl OwnedHistogram {
    pub(crate) fn new(bounds: Vec<u64>) -> Self {
        let lines = (0..histogram_lines(bounds.len()))
            .map(|_| zero_line())
            .collect();
        OwnedHistogram {
            bounds: bounds.into_boxed_slice(),
            lines,
        }
    }

    pub(crate) fn cells(&self) -> Cells<'_> {
        Cells {
            bounds: &self.bounds,
            lines: &self.lines,
        }
    }

    /// Back to zero (a per-key breaker recycled for another key).
    pub(crate) fn clear(&self) {
        for line in self.lines.iter() {
            for cell in &line.0 {
                cell.store(0, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

impl Sealable for OwnedHistogram {
    type Last = HistogramSnapshot;

    fn seal(&self) -> HistogramSnapshot {
        self.cells().seal()
    }

    fn clear(&self) {
        OwnedHistogram::clear(self);
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
        // Another thread records on another stripe; the snapshot sums them.
        std::thread::scope(|scope| {
            scope.spawn(|| h.cells().record(7));
        });
        let s = h.cells().snapshot();
        assert_eq!(s.cumulative, vec![3, 5]);
        assert_eq!(s.count, 7);
        assert_eq!(s.sum_nanos, 5_229);
    }
}
