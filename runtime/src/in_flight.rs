//! Calls in flight (`in_flight`, or an `in_flight >`/`oldest >` alert): how many calls of a
//! function have entered and not yet returned, panicked or been dropped, and when the
//! oldest of them entered — a transaction not mined, an order not filled, a call hung on a
//! dead socket.
//!
//! A call costs two relaxed adds on its thread's stripe (in, then out), one clock read (the
//! TSC where reliable) and one slot: a compare-and-swap at entry, a store at exit. Nothing is
//! allocated and each function's memory is fixed: [`SLOTS`] start times. A call that finds
//! every slot taken enters *untracked*; while any untracked call is in flight, the oldest
//! start reads the moment the current run of untracked calls began (the untracked count
//! last rose from zero). That is never later than the true oldest start, so a stuck call is
//! never missed; but a function that keeps more than [`SLOTS`] calls in flight without a
//! break reads as old as that run, and an `oldest` alert on it fires once the run is older
//! than its line. Functions with only `#[counted]` or `#[timed]` and no `in_flight` carry
//! none of this: their calls never touch it.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::clock;
use crate::stripes::{self, CacheAligned, STRIPES};

/// Start times kept per function: the calls in flight at once whose start is exact.
pub(crate) const SLOTS: usize = 32;

/// What marks an untracked call's token.
const UNTRACKED: usize = SLOTS;

/// One function's calls in flight.
#[derive(Debug)]
pub struct InFlight {
    /// Entries minus exits per thread stripe (a call may leave on another thread).
    counts: [CacheAligned<AtomicI64>; STRIPES],
    /// Raw clock readings of calls in flight (never 0); 0 for a free slot.
    slots: [AtomicU64; SLOTS],
    /// Calls in flight without a slot.
    untracked: AtomicU64,
    /// Raw clock reading when `untracked` last rose from zero.
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
            slots: [const { AtomicU64::new(0) }; SLOTS],
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
        let started = clock::now().max(1);
        // Threads start at their own stripe's slot, so they rarely race for one.
        let first = stripe * SLOTS / STRIPES;
        for offset in 0..SLOTS {
            let slot = &self.slots[(first + offset) % SLOTS];
            if slot.load(Ordering::Relaxed) == 0
                && slot
                    .compare_exchange(0, started, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            {
                return InFlightCall {
                    site: self,
                    slot: (first + offset) % SLOTS,
                };
            }
        }
        self.enter_untracked(started)
    }

    #[cold]
    fn enter_untracked(&'static self, started: u64) -> InFlightCall {
        if self.untracked.fetch_add(1, Ordering::AcqRel) == 0 {
            self.untracked_since.store(started, Ordering::Release);
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

    /// The raw clock reading of the oldest start in flight (see the module's note on
    /// untracked calls), if any call is.
    fn oldest_raw(&self) -> Option<u64> {
        let slotted = self
            .slots
            .iter()
            .map(|s| s.load(Ordering::Acquire))
            .filter(|&raw| raw != 0);
        let untracked = (self.untracked.load(Ordering::Acquire) > 0)
            .then(|| self.untracked_since.load(Ordering::Acquire))
            .filter(|&raw| raw != 0);
        slotted.chain(untracked).min()
    }

    /// The Unix time, in seconds, at which the oldest call still in flight entered; 0 while
    /// none is.
    pub fn oldest_unix_seconds(&self) -> f64 {
        let Some(raw) = self.oldest_raw() else {
            return 0.0;
        };
        let age = clock::nanos_since(raw) as f64 / 1e9;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        (now - age).max(0.0)
    }

    /// How long the oldest call still in flight has been, in seconds; `None` while none is.
    pub fn oldest_age_seconds(&self) -> Option<f64> {
        self.oldest_raw()
            .map(|raw| clock::nanos_since(raw) as f64 / 1e9)
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
        match site.slots.get(self.slot) {
            Some(slot) => slot.store(0, Ordering::Release),
            None => {
                site.untracked.fetch_sub(1, Ordering::AcqRel);
            }
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
        let first_start = SITE.oldest_raw().expect("one call in flight");
        let mut calls: Vec<InFlightCall> = (1..SLOTS).map(|_| SITE.enter()).collect();
        let untracked = SITE.enter();
        assert_eq!(untracked.slot, UNTRACKED);
        assert_eq!(SITE.count(), SLOTS as u64 + 1);
        assert_eq!(SITE.oldest_raw(), Some(first_start));
        // The slotted calls leave; the untracked one still reads as in flight.
        drop(first);
        calls.clear();
        assert_eq!(SITE.count(), 1);
        let since = SITE.oldest_raw().expect("the untracked call");
        assert!(since >= first_start);
        drop(untracked);
        assert_eq!(SITE.count(), 0);
        assert_eq!(SITE.oldest_raw(), None);
        assert_eq!(SITE.oldest_unix_seconds(), 0.0);
    }
}
