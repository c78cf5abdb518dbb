//! Per-call-site metric storage: one static per annotated function, updated with a single
//! relaxed atomic add per call (on the calling thread's stripe), rendered next to the
//! exporter's output at scrape time.
//!
//! This is why `#[counted]` costs about one atomic add: there is no key lookup, hashing,
//! allocation or vtable call on the hot path, and nothing to register before the first call,
//! so calls made before `install()` are counted like any other.

use std::sync::atomic::{AtomicU64, Ordering};

use botwatch_spec::model::Site;

use crate::clock;
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

    /// Starts counting one call. The guard counts an error if the call unwinds.
    #[inline(always)]
    pub fn enter(&'static self) -> CallGuard {
        CallGuard { site: self }
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

    #[inline(always)]
    fn add(&self, is_err: bool) {
        self.stripes[stripes::current()].0[usize::from(is_err)].fetch_add(1, Ordering::Relaxed);
    }
}

/// One call in progress of a `#[counted]` function.
///
/// [`CallGuard::finish`] records the outcome of a call that returned. If the guard is
/// dropped instead, the call either panicked (counted as an error) or was an `async` call
/// whose future was dropped before it completed (counted as nothing).
#[must_use = "a call guard records nothing until finished"]
#[derive(Debug)]
pub struct CallGuard {
    site: &'static CountedSite,
}

impl CallGuard {
    /// Records a call that returned; `is_err` when it returned `Err(_)`.
    #[inline(always)]
    pub fn finish(self, is_err: bool) {
        self.site.add(is_err);
        std::mem::forget(self);
    }
}

impl Drop for CallGuard {
    #[cold]
    fn drop(&mut self) {
        // Only reached when the call did not return: unwinding, or a dropped future.
        if std::thread::panicking() {
            self.site.add(true);
        }
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

    /// Starts timing one call.
    #[inline(always)]
    pub fn start(&'static self) -> Timer {
        Timer {
            site: self,
            started: clock::now(),
        }
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

/// One call in progress of a `#[timed]` function. Dropping it records nothing, so a panic
/// or a future dropped before completion leaves the histogram untouched.
#[must_use = "a timer records nothing until finished"]
#[derive(Debug)]
pub struct Timer {
    site: &'static TimedSite,
    started: u64,
}

impl Timer {
    /// Records the time since [`TimedSite::start`].
    #[inline(always)]
    pub fn finish(self) {
        self.site.cells().record(clock::nanos_since(self.started));
    }
}
