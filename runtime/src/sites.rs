//! Per-call-site metric storage: one static per annotated function, updated with a single
//! relaxed atomic add per call (on the calling thread's stripe), rendered next to the
//! exporter's output at scrape time.
//!
//! This is why `#[counted]` costs about one atomic add: there is no key lookup, hashing,
//! allocation or vtable call on the hot path, and nothing to register before the first call,
//! so calls made before `install()` are counted like any other. (Each call also reads one
//! flag that is set once: the first call arms the notice for a forgotten `install()`.)

use std::sync::atomic::{AtomicU64, Ordering};

use botwatch_spec::model::Site;

use crate::histogram::{histogram_lines, Cells, HistogramSnapshot, Line};
use crate::stripes::{self, CacheAligned, STRIPES};

/// Storage of one `#[counted]` function: `ok` and `error` counts per thread stripe, each
/// stripe on a cache line of its own.
#[derive(Debug)]
pub struct CountedSite {
    /// `[ok, error]` per stripe.
    stripes: [CacheAligned<[AtomicU64; 2]>; STRIPES],
    spec: &'static Site,
}

impl CountedSite {
    /// A site at zero, described by `spec`.
    pub const fn new(spec: &'static Site) -> Self {
        CountedSite {
            stripes: [const { CacheAligned([const { AtomicU64::new(0) }; 2]) }; STRIPES],
            spec,
        }
    }

    fn total(&self, index: usize) -> u64 {
        self.stripes
            .iter()
            .map(|stripe| stripe.0[index].load(Ordering::Relaxed))
            .sum()
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

    /// Records a call that returned (or panicked: `is_err`).
    #[inline(always)]
    pub(crate) fn record(&self, is_err: bool) {
        crate::notice::on_call();
        self.stripes[stripes::current()].0[usize::from(is_err)].fetch_add(1, Ordering::Relaxed);
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
            spec,
        }
    }

    /// Records a call that took `nanos`.
    #[inline(always)]
    pub(crate) fn record(&self, nanos: u64) {
        crate::notice::on_call();
        self.cells().record(nanos);
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

    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        self.cells().snapshot()
    }
}
