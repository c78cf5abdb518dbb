//! The failure-rate window: outcomes of the last `window` calls in a lock-free ring.
//!
//! Every slot is tagged with the *generation* it was written in, and clearing the window is
//! one atomic store that starts a new generation: slots of older generations read as empty.
//! There is no running failure count to keep in step with the slots (an earlier design kept
//! one, and a result landing between "empty the slots" and "zero the count" left it off by
//! one for good); each recorded call counts the failures in the slots instead, which for the
//! window sizes breakers use (tens of calls) is a short scan. Only breakers with a
//! `failure_rate` have a window, so a plain breaker's closed path never scans.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

const EMPTY: u32 = 0;
const SUCCESS: u32 = 1;
const FAILURE: u32 = 2;
/// Low bits of a slot: the outcome; the rest: the generation.
const OUTCOME_BITS: u32 = 2;
const OUTCOME_MASK: u32 = (1 << OUTCOME_BITS) - 1;
/// Generations wrap at 2^30; a slot 2^30 clears old reads as current only if the ring
/// was not written once in between, which the scan of a full ring rules out in practice.
const GENERATION_MASK: u32 = u32::MAX >> OUTCOME_BITS;

/// Where one outcome goes.
#[derive(Clone, Copy, Debug)]
struct Slot {
    generation: u32,
    index: usize,
}

#[derive(Debug)]
pub(crate) struct RateWindow {
    /// Each slot: `generation << 2 | outcome`.
    slots: Box<[AtomicU32]>,
    /// `generation << 32 | calls recorded in this generation`: one word, so a clear and
    /// the slot index a call takes can never be out of step.
    head: AtomicU64,
}

impl RateWindow {
    pub(crate) fn new(size: u32) -> RateWindow {
        RateWindow {
            slots: (0..size.max(1)).map(|_| AtomicU32::new(EMPTY)).collect(),
            head: AtomicU64::new(0),
        }
    }

    /// Records one outcome; returns (failures, calls) in the window after it.
    pub(crate) fn record(&self, failed: bool) -> (u32, u32) {
        self.land(self.take_slot(), failed)
    }

    /// The slot (and generation) the next outcome goes to.
    fn take_slot(&self) -> Slot {
        let head = self.head.fetch_add(1, Ordering::AcqRel);
        Slot {
            generation: (head >> 32) as u32 & GENERATION_MASK,
            index: (head & u64::from(u32::MAX)) as usize % self.slots.len(),
        }
    }

    /// Writes an outcome into the slot taken for it, however long ago.
    fn land(&self, slot: Slot, failed: bool) -> (u32, u32) {
        let outcome = if failed { FAILURE } else { SUCCESS };
        let value = (slot.generation << OUTCOME_BITS) | outcome;
        self.write(slot.index, slot.generation, value);
        // A success is judged too: nine failures and a success can reach the rate.
        self.count(slot.generation)
    }

    /// Writes `value` into a slot unless a newer generation has already written it (this
    /// call raced a clear and lost: its outcome belongs to the window that was cleared).
    fn write(&self, index: usize, generation: u32, value: u32) {
        // Refused (`None`) when a newer generation wrote the slot: nothing to write.
        let _ = self.slots[index].fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
            let slot_generation = current >> OUTCOME_BITS;
            let newer = current != EMPTY
                && slot_generation != generation
                && !self.is_stale(slot_generation);
            (!newer).then_some(value)
        });
    }

    /// Whether slots of `generation` belong to a cleared window.
    fn is_stale(&self, generation: u32) -> bool {
        self.generation() != generation
    }

    fn generation(&self) -> u32 {
        (self.head.load(Ordering::Acquire) >> 32) as u32 & GENERATION_MASK
    }

    /// (failures, calls) among the slots of `generation`.
    fn count(&self, generation: u32) -> (u32, u32) {
        let (mut failures, mut calls) = (0, 0);
        for slot in self.slots.iter() {
            let value = slot.load(Ordering::Acquire);
            if value == EMPTY || value >> OUTCOME_BITS != generation {
                continue;
            }
            calls += 1;
            failures += u32::from(value & OUTCOME_MASK == FAILURE);
        }
        (failures, calls)
    }

    /// Forgets every outcome (the breaker closed again): one store starts a new generation.
    pub(crate) fn clear(&self) {
        let _ = self
            .head
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |head| {
                let generation = ((head >> 32) as u32).wrapping_add(1) & GENERATION_MASK;
                Some(u64::from(generation) << 32)
            });
    }

    /// (failures, calls) in the window now.
    pub(crate) fn counts(&self) -> (u32, u32) {
        self.count(self.generation())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    #[test]
    fn keeps_only_the_last_window_of_outcomes() {
        let window = RateWindow::new(4);
        assert_eq!(window.record(true), (1, 1));
        assert_eq!(window.record(true), (2, 2));
        window.record(false);
        window.record(false);
        assert_eq!(window.counts(), (2, 4));
        // The two failures fall out of the window one by one.
        window.record(false);
        assert_eq!(window.counts(), (1, 4));
        window.record(false);
        assert_eq!(window.counts(), (0, 4));
        assert_eq!(window.record(true), (1, 4));
        window.clear();
        assert_eq!(window.counts(), (0, 0));
        assert_eq!(window.record(true), (1, 1));
    }

    /// Issue 16, bug 1, the interleaving that broke the earlier design: a call takes its
    /// slot, the window is cleared, then the call's outcome lands. It belongs to the
    /// cleared window: the new one must not see it, now or after the ring wraps.
    #[test]
    fn an_outcome_landing_after_a_clear_is_not_in_the_new_window() {
        let window = RateWindow::new(4);
        window.record(false);
        let late = window.take_slot();
        window.clear();
        window.land(late, true);
        assert_eq!(window.counts(), (0, 0), "the new window is empty");
        for _ in 0..4 {
            window.record(false);
        }
        assert_eq!(
            window.record(true),
            (1, 4),
            "exactly one failure in the last 4"
        );
        // Landing after newer outcomes filled its slot does not overwrite them either.
        let late = window.take_slot();
        window.clear();
        for _ in 0..4 {
            window.record(false);
        }
        window.land(late, true);
        assert_eq!(window.counts(), (0, 4));
    }

    /// The same under real threads: clears racing records never leave the window off.
    #[test]
    fn clears_racing_records_never_leave_the_count_off() {
        use std::sync::atomic::AtomicBool;
        const RECORDERS: usize = 2;
        for round in 0..100 {
            let window = RateWindow::new(8);
            let barrier = Barrier::new(RECORDERS + 1);
            let done = AtomicBool::new(false);
            std::thread::scope(|scope| {
                for _ in 0..RECORDERS {
                    scope.spawn(|| {
                        barrier.wait();
                        let mut i = 0u32;
                        while !done.load(Ordering::Relaxed) {
                            window.record(i % 2 == 0);
                            i += 1;
                        }
                    });
                }
                barrier.wait();
                for _ in 0..2_000 {
                    window.clear();
                }
                done.store(true, Ordering::Relaxed);
            });
            // No clear here: a drifted count would survive a full window of new outcomes.
            for _ in 0..8 {
                window.record(false);
            }
            assert_eq!(
                window.record(true),
                (1, 8),
                "round {round}: one failure in 8"
            );
        }
    }
}
