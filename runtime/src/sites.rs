//! Per-call-site metric storage: one static per annotated function, updated with a single
//! relaxed atomic add per call (on the calling thread's stripe), rendered next to the
//! exporter's output at scrape time.
//!
//! This is why `#[counted]` costs about one atomic add: there is no key lookup, hashing,
//! allocation or vtable call on the hot path, and nothing to register before the first call,
//! so calls made before `install()` are counted like any other. (Each call also reads one
//! flag that is set once: the first call arms the notice for a forgotten `install()`.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use botwatch_spec::model::{Attribute, Site};

use crate::histogram::{histogram_lines, Cells, HistogramSnapshot, Line, OwnedHistogram};
use crate::labels::{LabelTable, LabelValue};
use crate::stripes::{self, CacheAligned, STRIPES};

/// `[ok, error]` counts per thread stripe, each stripe on a cache line of its own.
pub type CallCounts = [CacheAligned<[AtomicU64; 2]>; STRIPES];

const fn zero_counts() -> CallCounts {
    [const { CacheAligned([const { AtomicU64::new(0) }; 2]) }; STRIPES]
}

/// A function's per-call label sets with what each recorded, and the calls sent to the
/// overflow series.
pub(crate) struct Labelled<'a, T> {
    pub(crate) sets: Vec<(&'a [Box<str>], T)>,
    pub(crate) overflowed: u64,
}

fn count_total(counts: &CallCounts, index: usize) -> u64 {
    counts
        .iter()
        .map(|stripe| stripe.0[index].load(Ordering::Relaxed))
        .sum()
}

/// The per-call label sets of a function with per-call labels, made on its first call.
fn table<'a, S>(cell: &'a OnceLock<LabelTable<S>>, spec: &Site) -> &'a LabelTable<S> {
    cell.get_or_init(|| {
        let bound = match &spec.attribute {
            Attribute::Counted(c) => c.metric.series_bound(),
            Attribute::Timed(t) => t.metric.series_bound(),
            Attribute::CircuitBreaker(_) => 1,
        };
        LabelTable::new(bound)
    })
}

/// Storage of one `#[counted]` function: its call counts, or, with per-call labels, a table
/// of counts per label set.
#[derive(Debug)]
pub struct CountedSite {
    stripes: CallCounts,
    labelled: OnceLock<LabelTable<CallCounts>>,
    spec: &'static Site,
}

impl CountedSite {
    /// A site at zero, described by `spec`.
    pub const fn new(spec: &'static Site) -> Self {
        CountedSite {
            stripes: zero_counts(),
            labelled: OnceLock::new(),
            spec,
        }
    }

    fn total(&self, index: usize) -> u64 {
        let labelled: u64 = self
            .labelled
            .get()
            .map(|t| t.entries().map(|e| count_total(&e.storage, index)).sum())
            .unwrap_or(0);
        count_total(&self.stripes, index) + labelled
    }

    /// The counts of this call's per-call label set.
    #[inline(always)]
    pub fn series(&'static self, values: &[LabelValue<'_>]) -> &'static CallCounts {
        table(&self.labelled, self.spec).storage(self.spec, values, zero_counts)
    }

    /// The label sets seen, each with (ok, error).
    pub(crate) fn labelled(&self) -> Option<Labelled<'_, (u64, u64)>> {
        let table = self.labelled.get()?;
        Some(Labelled {
            sets: table
                .entries()
                .map(|e| {
                    let counts = (count_total(&e.storage, 0), count_total(&e.storage, 1));
                    (&*e.values, counts)
                })
                .collect(),
            overflowed: table.overflowed(),
        })
    }

    /// The function and its attribute.
    pub fn spec(&self) -> &'static Site {
        self.spec
    }

    /// Calls that returned anything but `Err(_)`.
    pub fn ok_count(&self) -> u64 {
        self.total(0)
    }

    /// Calls that returned `Err(_)` or panicked.
    pub fn error_count(&self) -> u64 {
        self.total(1)
    }

    /// Records a call that returned (or panicked: `is_err`), in its label set's counts if
    /// it has per-call labels.
    #[inline(always)]
    pub(crate) fn record(&self, series: Option<&CallCounts>, is_err: bool) {
        crate::notice::on_call();
        let counts = series.unwrap_or(&self.stripes);
        counts[stripes::current()].0[usize::from(is_err)].fetch_add(1, Ordering::Relaxed);
    }
}

/// Storage of one `#[timed]` function: a fixed-bucket histogram of nanoseconds, striped
/// per thread.
#[derive(Debug)]
pub struct TimedSite {
    /// Upper bounds of the finite buckets, ascending.
    bounds: &'static [u64],
    /// Per stripe: one count per bucket (plus `+Inf`) and the sum, in whole cache lines.
    lines: &'static [Line],
    labelled: OnceLock<LabelTable<OwnedHistogram>>,
    spec: &'static Site,
}

impl TimedSite {
    /// A site at zero. `lines` must hold [`histogram_lines`]`(bounds.len())` lines.
    pub const fn new(spec: &'static Site, bounds: &'static [u64], lines: &'static [Line]) -> Self {
        assert!(
            lines.len() == histogram_lines(bounds.len()),
            "one row of counters per stripe"
        );
        TimedSite {
            bounds,
            lines,
            labelled: OnceLock::new(),
            spec,
        }
    }

    /// Records a call that took `nanos`, in its label set's histogram if it has per-call
    /// labels.
    #[inline(always)]
    pub(crate) fn record(&self, series: Option<&OwnedHistogram>, nanos: u64) {
        crate::notice::on_call();
        match series {
            Some(histogram) => histogram.cells().record(nanos),
            None => self.cells().record(nanos),
        }
    }

    /// The histogram of this call's per-call label set.
    #[inline(always)]
    pub fn series(&'static self, values: &[LabelValue<'_>]) -> &'static OwnedHistogram {
        table(&self.labelled, self.spec).storage(self.spec, values, || {
            OwnedHistogram::new(self.bounds.to_vec())
        })
    }

    /// The label sets seen with their histograms.
    pub(crate) fn labelled(&self) -> Option<Labelled<'_, HistogramSnapshot>> {
        let table = self.labelled.get()?;
        Some(Labelled {
            sets: table
                .entries()
                .map(|e| (&*e.values, e.storage.cells().snapshot()))
                .collect(),
            overflowed: table.overflowed(),
        })
    }

    fn cells(&self) -> Cells<'_> {
        Cells {
            bounds: self.bounds,
            lines: self.lines,
        }
    }

    /// The function and its attribute.
    pub fn spec(&self) -> &'static Site {
        self.spec
    }

    /// Every call's durations: with per-call labels, all label sets together.
    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let mut all = self.cells().snapshot();
        if let Some(table) = self.labelled.get() {
            for entry in table.entries() {
                all.merge(&entry.storage.cells().snapshot());
            }
        }
        all
    }
}
