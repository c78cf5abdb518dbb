//! What a gauge's update does for the guards that read it: one check of a slot filled when
//! the guards are set up, then one comparison per guard reading the gauge.
//!
//! The slot of a gauge no guard reads stays empty: its update pays one load and one
//! branch. A gauge that declares a guard of its own is *armed*: its first update sets the
//! guards up if nothing did before (a gauge that another guard only reads, as the
//! denominator of a ratio, is filled when they are set up; until then no guard exists to
//! judge).

use std::sync::OnceLock;

use super::entry::GuardEntry;

/// One guard reading a gauge, and whether the gauge is the guard's own (not the other
/// gauge of a ratio or a gap).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader {
    pub(crate) guard: &'static GuardEntry,
    pub(crate) own: bool,
}

/// The guards reading one gauge.
#[derive(Debug)]
pub(crate) struct Watch {
    armed: bool,
    readers: OnceLock<Box<[Reader]>>,
}

impl Watch {
    /// The watch of a gauge; `armed` when it declares a guard.
    pub(crate) const fn new(armed: bool) -> Watch {
        Watch {
            armed,
            readers: OnceLock::new(),
        }
    }

    /// After an update that left `value` in one of the gauge's series.
    #[inline(always)]
    pub(crate) fn updated(&self, value: f64) {
        match self.readers.get() {
            Some(readers) => readers.iter().for_each(|r| r.guard.updated(r.own, value)),
            None if self.armed => first_update(),
            None => {}
        }
    }

    /// Fills the slot (once, when the guards are set up).
    pub(crate) fn fill(&self, readers: Vec<Reader>) {
        let _ = self.readers.set(readers.into_boxed_slice());
    }
}

/// The first update of a guarded gauge before anything set the guards up: set them up,
/// which judges every guard on the values now.
#[cold]
#[inline(never)]
fn first_update() {
    super::start();
}
