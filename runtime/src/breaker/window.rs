//! The failure-rate window: outcomes of the last `window` calls in a lock-free ring.
//!
//! Each call takes the next slot with one `fetch_add`, swaps its outcome in, and adjusts the
//! failure count by exactly what it replaced, so the count always equals the failures in
//! the slots, however calls interleave.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};

const EMPTY: u8 = 0;
const SUCCESS: u8 = 1;
const FAILURE: u8 = 2;

#[derive(Debug)]
pub(crate) struct RateWindow {
    slots: Box<[AtomicU8]>,
    next: AtomicU64,
    failures: AtomicU32,
}

impl RateWindow {
    pub(crate) fn new(size: u32) -> RateWindow {
        RateWindow {
            slots: (0..size.max(1)).map(|_| AtomicU8::new(EMPTY)).collect(),
            next: AtomicU64::new(0),
            failures: AtomicU32::new(0),
        }
    }

    /// Records one outcome; returns (failures, calls) in the window after it.
    pub(crate) fn record(&self, failed: bool) -> (u32, u32) {
        let index = self.next.fetch_add(1, Ordering::AcqRel);
        let slot = &self.slots[(index % self.slots.len() as u64) as usize];
        let new = if failed { FAILURE } else { SUCCESS };
        let old = slot.swap(new, Ordering::AcqRel);
        match (old == FAILURE, failed) {
            (false, true) => {
                self.failures.fetch_add(1, Ordering::AcqRel);
            }
            (true, false) => {
                self.failures.fetch_sub(1, Ordering::AcqRel);
            }
            _ => {}
        }
        let calls = (index + 1).min(self.slots.len() as u64) as u32;
        (self.failures.load(Ordering::Acquire), calls)
    }

    /// Forgets every outcome (the breaker closed again).
    pub(crate) fn clear(&self) {
        for slot in self.slots.iter() {
            slot.store(EMPTY, Ordering::Release);
        }
        self.next.store(0, Ordering::Release);
        self.failures.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_last_window_of_outcomes() {
        let window = RateWindow::new(4);
        assert_eq!(window.record(true), (1, 1));
        assert_eq!(window.record(true), (2, 2));
        assert_eq!(window.record(false), (2, 3));
        assert_eq!(window.record(false), (2, 4));
        // The two failures fall out of the window one by one.
        assert_eq!(window.record(false), (1, 4));
        assert_eq!(window.record(false), (0, 4));
        window.clear();
        assert_eq!(window.record(true), (1, 1));
    }
}
