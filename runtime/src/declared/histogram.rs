//! `botwatch::Histogram`: a distribution of values in fixed buckets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use botwatch_spec::declared::{Declared, DEFAULT_VALUE_BUCKETS};

use super::cell::add_f64;
use super::family::{scraped, series, Family, Series};
use super::stamp::UpdateStamp;
use crate::histogram::{histogram_lines, zero_line, Line};
use crate::labels::{Found, Sealable, SEALED};
use crate::stripes::{self, stride, STRIPES};

/// A distribution of values — simulation accuracy, slippage, gas price — declared on a
/// `static` with `#[botwatch::histogram]`, in buckets that always include its alerts'
/// thresholds.
///
/// ```
/// #[botwatch::histogram(buckets = [0.5, 0.8, 0.9, 0.99], alert(p50 < 0.8))]
/// static SIMULATION_ACCURACY: botwatch::Histogram = botwatch::Histogram::new();
///
/// SIMULATION_ACCURACY.record(0.93);
/// ```
#[derive(Debug)]
pub struct Histogram {
    cell: OnceLock<HistogramCell>,
    family: Family<HistogramCell>,
    spec: Option<&'static Declared>,
}

impl Histogram {
    /// An empty histogram. `#[botwatch::histogram]` on its `static` declares it.
    #[allow(clippy::new_without_default)] // a `static` needs a const constructor
    pub const fn new() -> Histogram {
        Histogram {
            cell: OnceLock::new(),
            family: Family::new(),
            spec: None,
        }
    }

    #[doc(hidden)]
    /// What `#[botwatch::histogram]` puts in the static.
    pub const fn __declared(spec: &'static Declared, _stamps_updates: bool) -> Histogram {
        Histogram {
            cell: OnceLock::new(),
            family: Family::new(),
            spec: Some(spec),
        }
    }

    /// Records one value (a NaN is ignored).
    #[inline]
    pub fn record(&self, value: f64) {
        self.cell().record(value);
    }

    /// The series of one label set of a labelled family, values in declaration order:
    /// `SLIPPAGE.labels(["binance"]).record(0.002)`. A set with no record for
    /// `label_idle` (an hour by default) is evicted: its series leaves `/metrics` after
    /// serving its last counts, and a later record starts it again from zero.
    #[inline]
    pub fn labels<V: AsRef<str>, const N: usize>(&self, values: [V; N]) -> HistogramSeries<'_> {
        HistogramSeries {
            found: self.family.series(self.spec, &values, || self.make_cell()),
            histogram: self,
        }
    }

    fn make_cell(&self) -> HistogramCell {
        HistogramCell::new(bounds(self.spec))
    }

    fn cell(&self) -> &HistogramCell {
        self.cell
            .get_or_init(|| HistogramCell::new(bounds(self.spec)))
    }

    pub(crate) fn spec(&self) -> Option<&'static Declared> {
        self.spec
    }

    pub(crate) fn series(&self) -> Series<'_, HistogramCell> {
        series(self.spec, self.cell(), &self.family)
    }

    /// [`Self::series`] for a scrape of `/metrics`, which evicts idle label sets.
    pub(crate) fn scraped(&self) -> Series<'_, HistogramCell> {
        scraped(self.spec, self.cell(), &self.family)
    }
}

/// One label set's series of a labelled histogram, as [`Histogram::labels`] returns it.
#[derive(Debug, Clone, Copy)]
pub struct HistogramSeries<'a> {
    found: Found<'a, HistogramCell>,
    histogram: &'a Histogram,
}

impl HistogramSeries<'_> {
    /// Records one value (a NaN is ignored).
    #[inline]
    pub fn record(&self, value: f64) {
        let histogram = self.histogram;
        histogram.family.update(
            histogram.spec,
            self.found,
            |cell| cell.record_unless_sealed(value),
            || histogram.make_cell(),
        );
    }
}

fn bounds(spec: Option<&'static Declared>) -> (Vec<f64>, bool) {
    (
        spec.map_or_else(|| DEFAULT_VALUE_BUCKETS.to_vec(), Declared::bucket_bounds),
        spec.is_some_and(Declared::stamps_updates),
    )
}

/// One histogram series: per thread stripe, a count per bucket (plus `+Inf`) and the sum.
#[derive(Debug)]
pub struct HistogramCell {
    bounds: Box<[f64]>,
    lines: Box<[Line]>,
    /// One for all stripes: threads recording into a histogram with `stale` share its line.
    stamp: UpdateStamp,
}

impl HistogramCell {
    fn new((bounds, stamps_updates): (Vec<f64>, bool)) -> HistogramCell {
        HistogramCell {
            lines: (0..histogram_lines(bounds.len()))
                .map(|_| zero_line())
                .collect(),
            bounds: bounds.into_boxed_slice(),
            stamp: UpdateStamp::new(stamps_updates),
        }
    }

    /// Its last update time (Unix seconds), if the metric declares `stale`.
    pub(crate) fn updated(&self) -> Option<f64> {
        self.stamp.read()
    }

    /// [`updated`](Self::updated) as read at `now` (the guards' clock).
    pub(crate) fn updated_at(&self, now: f64) -> Option<f64> {
        self.stamp.read_at(now)
    }

    fn word(&self, index: usize) -> &AtomicU64 {
        &self.lines[index / 8].0[index % 8]
    }

    fn row(&self) -> usize {
        stride(self.bounds.len() + 2)
    }

    /// The words `value` adds to on this thread's stripe: its bucket's count and the sum.
    #[inline]
    fn words_of(&self, value: f64) -> (&AtomicU64, &AtomicU64) {
        let base = stripes::current() * self.row();
        let index = self
            .bounds
            .iter()
            .take_while(|&&bound| bound < value)
            .count();
        (
            self.word(base + index),
            self.word(base + self.bounds.len() + 1),
        )
    }

    /// Records one value on this thread's stripe (a NaN is ignored).
    #[inline]
    pub fn record(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        let (bucket, sum) = self.words_of(value);
        bucket.fetch_add(1, Ordering::Relaxed);
        add_f64(sum, value);
        self.stamp.mark();
    }

    /// [`record`](Self::record) in a family's set: `false` when the set was evicted and
    /// nothing is recorded here. The sum goes first and the bucket releases it, so the
    /// seal of the buckets sees the sum of every value it counted.
    #[inline]
    pub(crate) fn record_unless_sealed(&self, value: f64) -> bool {
        if value.is_nan() {
            return true;
        }
        let (bucket, sum) = self.words_of(value);
        add_f64(sum, value);
        self.stamp.mark();
        if bucket.fetch_add(1, Ordering::Release) & SEALED == 0 {
            return true;
        }
        add_f64(sum, -value);
        false
    }

    /// The cumulative view Prometheus wants, summed over stripes.
    pub(crate) fn snapshot(&self) -> ValueHistogramSnapshot {
        self.summed(|word| word.load(Ordering::Relaxed))
    }

    /// [`snapshot`](Self::snapshot) with each bucket word read by `read` (sealed bits
    /// masked) and the sums read after them.
    fn summed(&self, read: impl Fn(&AtomicU64) -> u64) -> ValueHistogramSnapshot {
        let buckets = self.bounds.len() + 1;
        let mut counts = vec![0u64; buckets];
        let mut sum = 0.0;
        for stripe in 0..STRIPES {
            let base = stripe * self.row();
            for (i, count) in counts.iter_mut().enumerate() {
                *count += read(self.word(base + i)) & !SEALED;
            }
            sum += f64::from_bits(self.word(base + buckets).load(Ordering::Acquire));
        }
        let mut cumulative = Vec::with_capacity(self.bounds.len());
        let mut running = 0;
        for count in &counts[..self.bounds.len()] {
            running += count;
            cumulative.push(running);
        }
        ValueHistogramSnapshot {
            bounds: self.bounds.to_vec(),
            cumulative,
            count: running + counts[self.bounds.len()],
            sum,
        }
    }
}

impl Sealable for HistogramCell {
    type Last = HistogramCell;

    /// Seals every bucket word and returns a cell holding what they counted (on the first
    /// stripe).
    fn seal(&self) -> HistogramCell {
        let last = self.summed(|word| word.fetch_or(SEALED, Ordering::AcqRel));
        let cell = HistogramCell {
            bounds: self.bounds.clone(),
            lines: (0..histogram_lines(self.bounds.len()))
                .map(|_| zero_line())
                .collect(),
            stamp: self.stamp.copy(),
        };
        let mut below = 0;
        for (i, cumulative) in last.cumulative.iter().enumerate() {
            cell.word(i).store(cumulative - below, Ordering::Relaxed);
            below = *cumulative;
        }
        cell.word(self.bounds.len())
            .store(last.count - below, Ordering::Relaxed);
        cell.word(self.bounds.len() + 1)
            .store(last.sum.to_bits(), Ordering::Relaxed);
        cell
    }

    fn clear(&self) {
        for line in self.lines.iter() {
            for word in &line.0 {
                word.store(0, Ordering::Relaxed);
            }
        }
        self.stamp.reset();
    }
}

/// A declared histogram's counts at one moment.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ValueHistogramSnapshot {
    pub(crate) bounds: Vec<f64>,
    pub(crate) cumulative: Vec<u64>,
    pub(crate) count: u64,
    pub(crate) sum: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_the_first_bucket_at_or_above_them() {
        let h = HistogramCell::new((vec![0.5, 0.8, 0.9], false));
        for v in [0.1, 0.5, 0.51, 0.8, 0.95, 5.0, f64::NAN] {
            h.record(v);
        }
        std::thread::scope(|s| {
            s.spawn(|| h.record(0.85));
        });
        let s = h.snapshot();
        assert_eq!(s.cumulative, vec![2, 4, 5]);
        assert_eq!(s.count, 7);
        assert!((s.sum - 8.71).abs() < 1e-9, "{}", s.sum);
    }

    #[test]
    fn a_sealed_histogram_refuses_records_and_keeps_its_counts() {
        let h = HistogramCell::new((vec![0.5, 0.8], false));
        for v in [0.1, 0.6, 0.7, 3.0] {
            assert!(h.record_unless_sealed(v));
        }
        let last = h.seal();
        assert!(!h.record_unless_sealed(0.1));
        let s = last.snapshot();
        assert_eq!((s.cumulative, s.count), (vec![1, 3], 4));
        assert!((s.sum - 4.4).abs() < 1e-9, "{}", s.sum);
        h.clear();
        assert_eq!(h.snapshot().count, 0);
        assert!(h.record_unless_sealed(0.1), "cleared for another set");
    }
}
