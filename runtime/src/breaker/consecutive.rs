//! Consecutive failures while closed, tagged with their epoch (`failures = N`).

use std::sync::atomic::{AtomicU64, Ordering};

use super::word::Word;

/// `epoch << 32 | count`: consecutive failures, tagged with the closed epoch they were
/// counted in, so a result that raced a transition can never leak its count into the next
/// epoch.
#[derive(Debug, Default)]
pub(super) struct Consecutive(AtomicU64);

impl Consecutive {
    fn unpack(bits: u64) -> (u32, u32) {
        ((bits >> 32) as u32, bits as u32)
    }

    /// The count of `epoch` (0 if the stored count belongs to another epoch).
    pub(super) fn get(&self, epoch: u32) -> u32 {
        let (stored, count) = Self::unpack(self.0.load(Ordering::Acquire));
        if stored == epoch {
            count
        } else {
            0
        }
    }

    /// A failure in `epoch`: returns the count in a row, including it.
    pub(super) fn failed(&self, epoch: u32) -> u32 {
        let after = |bits: u64| {
            let (stored, count) = Self::unpack(bits);
            if stored == epoch {
                count.saturating_add(1)
            } else {
                1
            }
        };
        let before = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |bits| {
                Some((u64::from(epoch) << 32) | u64::from(after(bits)))
            })
            .unwrap_or_else(|bits| bits);
        after(before)
    }

    /// A success in `epoch`. Reads first: a healthy breaker's success writes nothing shared,
    /// and tests one register (no failure counted at all) before looking at epochs.
    #[inline(always)]
    pub(super) fn succeeded(&self, epoch: u32) {
        let bits = self.0.load(Ordering::Relaxed);
        if bits as u32 != 0 {
            self.end_run(bits, epoch);
        }
    }

    /// Ends the run of `epoch`. A run of an earlier epoch reads as zero already; it is
    /// cleared too, so that the next successes take the one-register test again. A run of
    /// a later epoch belongs to calls admitted after this one: a success finishing late
    /// leaves it alone (the caller need not check the epoch first).
    #[cold]
    fn end_run(&self, bits: u64, epoch: u32) {
        let (stored, _) = Self::unpack(bits);
        if stored == epoch || Word::is_before(stored, epoch) {
            let _ = self.0.compare_exchange(
                bits,
                u64::from(epoch) << 32,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
        }
    }
}
