//! Calls in flight (`in_flight`, or an `in_flight >`/`oldest >` alert): how many calls of a
//! function have entered and not yet returned, panicked or been dropped, and when the
//! oldest of them entered — a transaction not mined, an order not filled, a call hung on a
//! dead socket.
//!
//! A call costs two relaxed adds on its thread's stripe (in, then out) and one slot: a
//! compare-and-swap at entry that marks it *undated*, a store at exit. It reads no clock:
//! the next read of the function (a scrape, a snapshot, the live page) dates every undated
//! slot with its own time, as a declared metric's `stale` dates its updates. A start is
//! therefore late by at most the time between two reads (a scrape interval), never early:
//! an `oldest` alert fires at most a scrape late and never on a call younger than its line.
//! Nothing is allocated and each function's memory is fixed: [`SLOTS`] starts, a cache line
//! per thread stripe. A call that finds every slot taken enters *untracked*; while any
//! untracked call is in flight, the oldest start reads the start of the current run of
//! untracked calls (dated like a slot when the untracked count rose from zero). That is
//! never later than the true oldest start (but for the dating above), so a stuck call is
//! never missed; but a function that keeps more than [`SLOTS`] calls in flight without a
//! break reads as old as that run, and an `oldest` alert on it fires once the run is older
//! than its line. Functions with only `#[counted]` or `#[timed]` and no `in_flight` carry
//! none of this: the macro gives their calls [`NotTracked`], whose token is `()`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::stripes::{self, CacheAligned, STRIPES};

/// Slots per cache line: one line per thread stripe.
const PER_LINE: usize = 8;

/// Start times kept per function: the calls in flight at once whose start is exact.
pub(crate) const SLOTS: usize = PER_LINE * STRIPES;

/// A slot's value while free.
const FREE: u64 = 0;

/// A slot's value from entry until a read dates it.
const UNDATED: u64 = u64::MAX;

/// What marks an untracked call's token.
const UNTRACKED: usize = SLOTS;

/// One function's calls in flight.
#[derive(Debug)]
pub struct InFlight {
    /// Entries minus exits per thread stripe (a call may leave on another thread).
    counts: [CacheAligned<AtomicI64>; STRIPES],
    /// Per stripe, a line of slots: [`FREE`], [`UNDATED`], or the Unix time in nanoseconds
    /// of the first read after the call entered.
    slots: [CacheAligned<[AtomicU64; PER_LINE]>; STRIPES],
    /// Calls in flight without a slot.
    untracked: AtomicU64,
    /// When `untracked` last rose from zero, dated like a slot.
    untracked_since: AtomicU64,
}

impl Default for InFlight {
    fn default() -> Self {
        InFlight::new()
    }
}

impl InFlight {
    /// Nothing in flight.
    pub const fn new() -> Self {
        InFlight {
            counts: [const { CacheAligned(AtomicI64::new(0)) }; STRIPES],
            slots: [const { CacheAligned([const { AtomicU64::new(FREE) }; PER_LINE]) }; STRIPES],
            untracked: AtomicU64::new(0),
            untracked_since: AtomicU64::new(0),
        }
    }

    /// A call enters; it leaves when the token is dropped (return, panic or a dropped
    /// future alike).
    #[inline]
    pub fn enter(&'static self) -> InFlightCall {
        let stripe = stripes::current();
        self.counts[stripe].0.fetch_add(1, Ordering::Relaxed);
        // Threads start on their own stripe's line, so they rarely race for one.
        for offset in 0..SLOTS {
            let index = (stripe * PER_LINE + offset) % SLOTS;
            let slot = self.slot(index);
            if slot.load(Ordering::Relaxed) == FREE
                && slot
                    .compare_exchange(FREE, UNDATED, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            {
                return InFlightCall {
                    site: self,
                    slot: index,
                };
            }
        }
        self.enter_untracked()
    }

    fn slot(&self, index: usize) -> &AtomicU64 {
        &self.slots[index / PER_LINE].0[index % PER_LINE]
    }

    #[cold]
    fn enter_untracked(&'static self) -> InFlightCall {
        if self.untracked.fetch_add(1, Ordering::AcqRel) == 0 {
            self.untracked_since.store(UNDATED, Ordering::Release);
        }
        InFlightCall {
            site: self,
            slot: UNTRACKED,
        }
    }

    /// Calls in flight now.
    pub fn count(&self) -> u64 {
        let total: i64 = self
            .counts
            .iter()
            .map(|c| c.0.load(Ordering::Relaxed))
            .sum();
        total.max(0) as u64
    }

    /// Dates every undated start with `now` (Unix nanoseconds) and returns the oldest
    /// start in flight (see the module's notes), if any call is.
    fn oldest_dated(&self, now: u64) -> Option<u64> {
        let date = |slot: &AtomicU64| {
            // The owner may leave meanwhile (its store of FREE wins, or finds it dated).
            let _ = slot.compare_exchange(UNDATED, now, Ordering::AcqRel, Ordering::Relaxed);
            slot.load(Ordering::Acquire)
        };
        let slotted = (0..SLOTS)
            .map(|i| date(self.slot(i)))
            .filter(|&at| at != FREE && at != UNDATED);
        let untracked = (self.untracked.load(Ordering::Acquire) > 0)
            .then(|| date(&self.untracked_since))
            .filter(|&at| at != FREE && at != UNDATED);
        slotted.chain(untracked).min()
    }

    /// The Unix time, in seconds, at which the oldest call still in flight entered (as the
    /// first read after it dated it); 0 while none is.
    pub fn oldest_unix_seconds(&self) -> f64 {
        self.oldest_dated(unix_nanos())
            .map_or(0.0, |at| at as f64 / 1e9)
    }

    /// How long the oldest call still in flight has been, in seconds; `None` while none is.
    pub fn oldest_age_seconds(&self) -> Option<f64> {
        let now = unix_nanos();
        self.oldest_dated(now)
            .map(|at| now.saturating_sub(at) as f64 / 1e9)
    }
}

/// Now, in Unix nanoseconds (at least 1, so never [`FREE`]).
fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| u64::try_from(d.as_nanos()).unwrap_or(UNDATED - 1))
        .clamp(1, UNDATED - 1)
}

/// What a call keeps of its function's calls in flight, chosen by the macro: [`NotTracked`]
/// for a function without `in_flight` (a `()` token: its calls carry nothing for it, not
/// even an empty `Option`), or [`Tracked`], the function's [`InFlight`].
pub trait Track: Copy {
    /// Held by the call from entry until it is dropped.
    type Token: std::fmt::Debug;
    /// A call enters.
    fn enter(self) -> Self::Token;
}

/// A function that does not track its calls in flight.
#[derive(Clone, Copy, Debug)]
pub struct NotTracked;

impl Track for NotTracked {
    type Token = ();
    #[inline(always)]
    fn enter(self) {}
}

/// A function that tracks its calls in flight in its `InFlight`. A type with no lifetime
/// parameter (not `&'static InFlight` itself): an `async fn`'s future holds it across
/// awaits, and `Send` is checked there for every lifetime, which a trait implemented only
/// for `&'static InFlight` would fail (`tokio::spawn` of the function's future would not
/// compile).
#[derive(Clone, Copy, Debug)]
pub struct Tracked(&'static InFlight);

impl Tracked {
    /// Calls of a function tracked in `site`.
    pub const fn new(site: &'static InFlight) -> Self {
        Tracked(site)
    }
}

impl Track for Tracked {
    type Token = InFlightCall;
    #[inline(always)]
    fn enter(self) -> InFlightCall {
        self.0.enter()
    }
}

/// A call in flight: dropping it (at return, during a panic, or with its future) ends it.
#[derive(Debug)]
pub struct InFlightCall {
    site: &'static InFlight,
    slot: usize,
}

impl Drop for InFlightCall {
    #[inline]
    fn drop(&mut self) {
        let site = self.site;
        site.counts[stripes::current()]
            .0
            .fetch_sub(1, Ordering::Relaxed);
        if self.slot < SLOTS {
            site.slot(self.slot).store(FREE, Ordering::Release);
        } else {
            site.untracked.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every slot taken, then one more: the untracked call keeps `oldest` no later than
    /// its own start, and when everything has left nothing is in flight.
    #[test]
    fn past_the_slots_calls_stay_counted_and_oldest_stays_a_lower_bound() {
        static SITE: InFlight = InFlight::new();
        assert_eq!(SITE.oldest_unix_seconds(), 0.0);
        let first = SITE.enter();
        let first_start = SITE.oldest_dated(10).expect("one call in flight");
        assert_eq!(first_start, 10, "dated by the first read after it entered");
        assert_eq!(SITE.oldest_dated(20), Some(10), "and only by it");
        let mut calls: Vec<InFlightCall> = (1..SLOTS).map(|_| SITE.enter()).collect();
        let untracked = SITE.enter();
        assert_eq!(untracked.slot, UNTRACKED);
        assert_eq!(SITE.count(), SLOTS as u64 + 1);
        assert_eq!(SITE.oldest_dated(30), Some(first_start));
        // The slotted calls leave; the untracked one still reads as in flight, dated by
        // the read after it entered.
        drop(first);
        calls.clear();
        assert_eq!(SITE.count(), 1);
        assert_eq!(SITE.oldest_dated(40), Some(30));
        drop(untracked);
        assert_eq!(SITE.count(), 0);
        assert_eq!(SITE.oldest_dated(50), None);
        assert_eq!(SITE.oldest_unix_seconds(), 0.0);
    }
}
