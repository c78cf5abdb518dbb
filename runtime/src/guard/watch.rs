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
    /// Filled once when the guards are set up. The first reader sits in the slot itself:
    /// a gauge read by one guard (the common case) judges it in line, with no loop.
    readers: OnceLock<Readers>,
}

#[derive(Debug)]
struct Readers {
    first: Reader,
    more: &'static [Reader],
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
            Some(readers) => {
                readers.first.guard.updated(readers.first.own, value);
                if !readers.more.is_empty() {
                    more_updated(readers.more, value);
                }
            }
            None if self.armed => first_update(),
            None => {}
        }
    }

    /// Fills the slot (once, when the guards are set up) with at least one reader.
    pub(crate) fn fill(&self, mut readers: Vec<Reader>) {
        if readers.is_empty() {
            return;
        }
        let first = readers.remove(0);
        let more = Box::leak(readers.into_boxed_slice());
        let _ = self.readers.set(Readers { first, more });
    }
}

/// The second and later guards reading one gauge.
#[inline(never)]
fn more_updated(readers: &'static [Reader], value: f64) {
    readers.iter().for_each(|r| r.guard.updated(r.own, value));
}

/// The first update of a guarded gauge before anything set the guards up: set them up,
/// which judges every guard on the values now.
#[cold]
#[inline(never)]
fn first_update() {
    super::start();
}
