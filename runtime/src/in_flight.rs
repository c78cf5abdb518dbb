//! Calls in flight (`in_flight`, or an `in_flight >`/`oldest >` alert): how many calls of a
//! function have entered and not yet returned, panicked or been dropped, and when the
//! oldest of them entered — a transaction not mined, an order not filled, a call hung on a
//! dead socket.
//!
//! A call holds one slot from entry to exit: a compare-and-swap at entry marks a free slot
//! *undated* (a thread starts on its own stripe's line, so threads rarely race for one), a
//! plain store at exit frees it. There is no separate count: the calls in flight are the
//! slots taken plus the calls past the slots, so a call pays one atomic read-modify-write
//! where a count beside the slots cost three. It reads no clock: the next read of the
//! function (a scrape, a snapshot, the live page) dates every undated slot with its own
//! time, as a declared metric's `stale` dates its updates. A start is therefore late by at
//! most the time between two reads (a scrape interval), never early: an `oldest` alert
//! fires at most a scrape late and never on a call younger than its line.
//!
//! Nothing is allocated and each function's memory is fixed: [`SLOTS`] starts, a cache line
//! per thread stripe. A call that finds every slot taken enters *untracked* (counted on its
//! own atomic); while any untracked call is in flight, the oldest start reads the start of
//! the current run of untracked calls (dated like a slot when the untracked count rose from
//! zero). That is never later than the true oldest start (but for the dating above), so a
//! stuck call is never missed; but a function that keeps more than [`SLOTS`] calls in
//! flight without a break reads as old as that run, and an `oldest` alert on it fires once
//! the run is older than its line. Functions without `in_flight` carry none of this: the
//! macro gives their calls [`NotTracked`], whose token is `()`.

use std::sync::atomic::{AtomicU64, Ordering};
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
            slots: [const { CacheAligned([const { AtomicU64::new(FREE) }; PER_LINE]) }; STRIPES],
            untracked: AtomicU64::new(0),
            untracked_since: AtomicU64::new(0),
        }
    }

    /// A call enters; it leaves when the token is dropped (return, panic or a dropped
    /// future alike).
    #[inline(always)]
    pub fn enter(&'static self) -> InFlightCall {
        // The first slot of the thread's own line: free unless a call of this function is
        // already in flight on this thread's stripe (nested, or an interleaved future).
        let first = stripes::current() * PER_LINE;
        if self.claim(first) {
            return InFlightCall {
                site: self,
                slot: first,
            };
        }
        self.enter_past(first)
    }

    /// Takes slot `index` if it is free.
    #[inline(always)]
    fn claim(&self, index: usize) -> bool {
        let slot = self.slot(index);
        slot.load(Ordering::Relaxed) == FREE
            && slot
                .compare_exchange(FREE, UNDATED, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// [`enter`](Self::enter) when the first slot was taken: the rest of the thread's line,
    /// then the other lines, then untracked.
    #[inline(never)]
    fn enter_past(&'static self, first: usize) -> InFlightCall {
        for offset in 1..SLOTS {
            let index = (first + offset) % SLOTS;
            if self.claim(index) {
                return InFlightCall {
                    site: self,
                    slot: index,
                };
            }
        }
        if self.untracked.fetch_add(1, Ordering::AcqRel) == 0 {
            self.untracked_since.store(UNDATED, Ordering::Release);
        }
        InFlightCall {
            site: self,
            slot: UNTRACKED,
        }
    }

    fn slot(&self, index: usize) -> &AtomicU64 {
        &self.slots[index / PER_LINE].0[index % PER_LINE]
    }

    fn all_slots(&self) -> impl Iterator<Item = &AtomicU64> {
        self.slots.iter().flat_map(|line| line.0.iter())
    }

    /// Calls in flight now: the slots taken plus the calls past them.
    pub fn count(&self) -> u64 {
        let slotted = self
            .all_slots()
            .filter(|slot| slot.load(Ordering::Relaxed) != FREE)
            .count() as u64;
        slotted + self.untracked.load(Ordering::Relaxed)
    }

    /// Dates every undated start with `now` (Unix nanoseconds) and returns the oldest
    /// start in flight (see the module's notes), if any call is.
    fn oldest_dated(&self, now: u64) -> Option<u64> {
        let date = |slot: &AtomicU64| {
            // The owner may leave meanwhile (its store of FREE wins, or finds it dated).
            let _ = slot.compare_exchange(UNDATED, now, Ordering::AcqRel, Ordering::Relaxed);
            slot.load(Ordering::Acquire)
        };
        let slotted = self
            .all_slots()
            .map(date)
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

impl InFlightCall {
    #[cold]
    #[inline(never)]
    fn leave_untracked(&self) {
        self.site.untracked.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for InFlightCall {
    #[inline(always)]
    fn drop(&mut self) {
        if self.slot < SLOTS {
            self.site.slot(self.slot).store(FREE, Ordering::Release);
        } else {
            self.leave_untracked();
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
        assert!(
            calls.iter().all(|call| call.slot < SLOTS),
            "every slot is used before a call goes untracked"
        );
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

    /// Calls of one function live at once on one thread (nested, or futures polled in
    /// turn) each hold a slot of their own: the count is theirs, and one leaving frees
    /// only its own slot.
    #[test]
    fn calls_alive_at_once_on_one_thread_hold_their_own_slots() {
        static SITE: InFlight = InFlight::new();
        let outer = SITE.enter();
        let inner = SITE.enter();
        assert_ne!(outer.slot, inner.slot);
        assert_eq!(SITE.count(), 2);
        drop(outer);
        assert_eq!(SITE.count(), 1);
        let again = SITE.enter();
        assert_ne!(
            again.slot, inner.slot,
            "a slot still held is never handed out"
        );
        assert_eq!(SITE.count(), 2);
        drop((inner, again));
        assert_eq!(SITE.count(), 0);
        assert_eq!(SITE.oldest_dated(5), None);
    }

    /// A slot is free again once its call leaves: calls one after another never run out
    /// of slots, and the count goes back to 0 after each.
    #[test]
    fn a_call_that_leaves_gives_its_slot_back() {
        static SITE: InFlight = InFlight::new();
        for _ in 0..3 * SLOTS {
            let call = SITE.enter();
            assert!(call.slot < SLOTS, "no slot left: one was not given back");
            assert_eq!(SITE.count(), 1);
        }
        assert_eq!(SITE.count(), 0);
    }

    /// Threads sharing a stripe race for the same first slot: each call keeps its slot to
    /// itself until it leaves (a claim that is not one atomic step would hand one slot to
    /// two calls, and the first to leave would free the other's).
    #[test]
    fn threads_racing_for_one_slot_never_share_it() {
        static SITE: InFlight = InFlight::new();
        let threads: Vec<_> = (0..4 * STRIPES)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..200_000 {
                        let call = SITE.enter();
                        let held = SITE.slot(call.slot.min(SLOTS - 1)).load(Ordering::Relaxed);
                        assert!(call.slot == UNTRACKED || held != FREE, "a slot was shared");
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(SITE.count(), 0);
    }

    /// A call may leave on another thread than it entered on (a future moved between
    /// workers): it leaves its own slot, whoever drops it.
    #[test]
    fn a_call_leaving_on_another_thread_leaves_its_own_slot() {
        static SITE: InFlight = InFlight::new();
        let stays = SITE.enter();
        let moves = SITE.enter();
        std::thread::spawn(move || drop(moves)).join().unwrap();
        assert_eq!(SITE.count(), 1);
        assert_eq!(SITE.slot(stays.slot).load(Ordering::Relaxed), UNDATED);
        drop(stays);
        assert_eq!(SITE.count(), 0);
    }
}
