//! Per-call-site metric storage: one static per annotated function, updated with a single
//! relaxed atomic add per call, rendered next to the exporter's output at scrape time.
//!
//! This is why `#[counted]` costs about one atomic add: there is no key lookup, hashing,
//! allocation or vtable call on the hot path, and nothing to register before the first call,
//! so calls made before `install()` are counted like any other.

use std::sync::atomic::{AtomicU64, Ordering};

use botwatch_spec::model::Site;

use crate::clock;
use crate::histogram::{Cells, HistogramSnapshot};

/// Storage of one `#[counted]` function.
///
/// Aligned to a cache line so that two hot functions called from different threads never
/// share one.
#[repr(align(64))]
#[derive(Debug)]
pub struct CountedSite {
    ok: AtomicU64,
    error: AtomicU64,
    spec: &'static Site,
}

impl CountedSite {
    /// A site at zero, described by `spec`.
    pub const fn new(spec: &'static Site) -> Self {
        CountedSite {
            ok: AtomicU64::new(0),
            error: AtomicU64::new(0),
            spec,
        }
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
        self.ok.load(Ordering::Relaxed)
    }

    /// Calls that returned `Err(_)` or panicked.
    pub fn error_count(&self) -> u64 {
        self.error.load(Ordering::Relaxed)
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
        let counter = if is_err {
            &self.site.error
        } else {
            &self.site.ok
        };
        counter.fetch_add(1, Ordering::Relaxed);
        std::mem::forget(self);
    }
}

impl Drop for CallGuard {
    #[cold]
    fn drop(&mut self) {
        // Only reached when the call did not return: unwinding, or a dropped future.
        if std::thread::panicking() {
            self.site.error.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Storage of one `#[timed]` function: a fixed-bucket histogram of nanoseconds.
#[repr(align(64))]
#[derive(Debug)]
pub struct TimedSite {
    sum_nanos: AtomicU64,
    /// Upper bounds of the finite buckets, ascending.
    bounds: &'static [u64],
    /// Non-cumulative counts; one more than `bounds` for the `+Inf` bucket.
    counts: &'static [AtomicU64],
    spec: &'static Site,
}

impl TimedSite {
    /// A site at zero. `counts` must have one element more than `bounds`.
    pub const fn new(
        spec: &'static Site,
        bounds: &'static [u64],
        counts: &'static [AtomicU64],
    ) -> Self {
        assert!(
            counts.len() == bounds.len() + 1,
            "one count per bound plus +Inf"
        );
        TimedSite {
            sum_nanos: AtomicU64::new(0),
            bounds,
            counts,
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
            counts: self.counts,
            sum_nanos: &self.sum_nanos,
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
