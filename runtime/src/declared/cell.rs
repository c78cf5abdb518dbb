//! One series' value: an `f64` in an atomic word, and its update time when the metric
//! declares `stale` (see [`UpdateStamp`]).
//!
//! The cell of a labelled family's set can be *sealed* when the set is evicted idle (see
//! `labels::evict`): its updates then report that they did not land, so the family records
//! them again in the set's live entry. A counter's words carry the seal in their top bit,
//! which its totals never reach (a fraction is never negative), so an update learns from
//! its own atomic operation whether it was counted before the seal: totals stay exact. A
//! gauge's value may be any `f64`, so a gauge has a flag that a write reads after it
//! (sequentially consistent on both sides): a write that finds no seal is in the value the
//! eviction served last, one that finds it is written again in the live entry.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::stamp::UpdateStamp;
use crate::labels::{Sealable, SEALED};

/// The value of one gauge series: `set`, `add`, `sub`.
#[derive(Debug)]
pub struct GaugeCell {
    value: AtomicU64,
    stamp: UpdateStamp,
    /// Its set was evicted: writes no longer count here.
    sealed: AtomicBool,
}

impl GaugeCell {
    pub(crate) const fn new() -> GaugeCell {
        GaugeCell::stamped(false)
    }

    /// A cell that keeps its update time when `kept` (the metric declares `stale`).
    pub(crate) const fn stamped(kept: bool) -> GaugeCell {
        GaugeCell {
            value: AtomicU64::new(0), // the bits of 0.0
            stamp: UpdateStamp::new(kept),
            sealed: AtomicBool::new(false),
        }
    }

    /// [`set`](Self::set) in a family's set: `false` when the set was evicted meanwhile.
    #[inline]
    pub(crate) fn set_unless_sealed(&self, value: f64) -> bool {
        self.value.swap(value.to_bits(), Ordering::SeqCst);
        self.stamp.mark();
        !self.sealed.load(Ordering::SeqCst)
    }

    /// [`add`](Self::add) in a family's set (`sub` adds `-delta`): `false` when the set
    /// was evicted meanwhile.
    #[inline]
    pub(crate) fn add_unless_sealed(&self, delta: f64) -> bool {
        add_f64_ordered(&self.value, delta, Ordering::SeqCst);
        self.stamp.mark();
        !self.sealed.load(Ordering::SeqCst)
    }

    /// Sets the value: one relaxed atomic store.
    #[inline]
    pub fn set(&self, value: f64) {
        self.value.store(value.to_bits(), Ordering::Relaxed);
        self.stamp.mark();
    }

    /// Adds `delta` (atomically: concurrent adds are all kept).
    #[inline]
    pub fn add(&self, delta: f64) {
        add_f64(&self.value, delta);
        self.stamp.mark();
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: f64) {
        add_f64(&self.value, -delta);
        self.stamp.mark();
    }

    /// The value now.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.value.load(Ordering::Relaxed))
    }

    /// Its last update time (Unix seconds), if the metric declares `stale`.
    pub(crate) fn updated(&self) -> Option<f64> {
        self.stamp.read()
    }

    /// [`updated`](Self::updated) as read at `now` (the guards' clock).
    pub(crate) fn updated_at(&self, now: f64) -> Option<f64> {
        self.stamp.read_at(now)
    }
}

impl Sealable for GaugeCell {
    type Last = GaugeCell;
    const EVICTED_ONLY_WHEN_FULL: bool = true;

    fn seal(&self) -> GaugeCell {
        self.sealed.store(true, Ordering::SeqCst);
        GaugeCell {
            value: AtomicU64::new(self.value.load(Ordering::SeqCst)),
            stamp: self.stamp.copy(),
            sealed: AtomicBool::new(true),
        }
    }

    fn clear(&self) {
        self.value.store(0, Ordering::Relaxed);
        self.stamp.reset();
        self.sealed.store(false, Ordering::SeqCst);
    }
}

/// The value of one counter series: a total that only grows. Whole amounts (the common
/// `increment()`, a count of fills) go to an integer word with one atomic add; fractions to
/// an `f64` word.
#[derive(Debug)]
pub struct CounterCell {
    whole: AtomicU64,
    fraction: AtomicU64,
    stamp: UpdateStamp,
}

/// Whole amounts up to this go to the integer word (exact as `f64` many times over).
const WHOLE_LIMIT: f64 = 4_294_967_296.0;

impl CounterCell {
    pub(crate) const fn new() -> CounterCell {
        CounterCell::stamped(false)
    }

    /// A cell that keeps its update time when `kept` (the metric declares `stale`).
    pub(crate) const fn stamped(kept: bool) -> CounterCell {
        CounterCell {
            whole: AtomicU64::new(0),
            fraction: AtomicU64::new(0),
            stamp: UpdateStamp::new(kept),
        }
    }

    /// Its last update time (Unix seconds), if the metric declares `stale`.
    pub(crate) fn updated(&self) -> Option<f64> {
        self.stamp.read()
    }

    /// [`updated`](Self::updated) as read at `now` (the guards' clock).
    pub(crate) fn updated_at(&self, now: f64) -> Option<f64> {
        self.stamp.read_at(now)
    }

    /// Adds `amount`. A negative, NaN or infinite amount is ignored: a counter that went
    /// down would read to Prometheus as a restart.
    #[inline]
    pub fn add(&self, amount: f64) {
        self.add_unless_sealed(amount);
    }

    /// [`add`](Self::add), `false` when the cell was sealed (its set evicted) and the
    /// amount is not counted here.
    #[inline]
    pub(crate) fn add_unless_sealed(&self, amount: f64) -> bool {
        if !(amount > 0.0 && amount.is_finite()) {
            return true;
        }
        self.stamp.mark();
        if amount < WHOLE_LIMIT && amount == (amount as u64) as f64 {
            self.whole.fetch_add(amount as u64, Ordering::Relaxed) & SEALED == 0
        } else {
            add_fraction_unless_sealed(&self.fraction, amount)
        }
    }

    /// Adds one: one relaxed atomic add.
    #[inline]
    pub fn increment(&self) {
        self.increment_unless_sealed();
    }

    /// [`increment`](Self::increment), `false` when the cell was sealed.
    #[inline]
    pub(crate) fn increment_unless_sealed(&self) -> bool {
        let counted = self.whole.fetch_add(1, Ordering::Relaxed) & SEALED == 0;
        self.stamp.mark();
        counted
    }

    /// The total now.
    pub fn get(&self) -> f64 {
        (self.whole.load(Ordering::Relaxed) & !SEALED) as f64
            + f64::from_bits(self.fraction.load(Ordering::Relaxed) & !SEALED)
    }
}

impl Sealable for CounterCell {
    type Last = CounterCell;

    fn seal(&self) -> CounterCell {
        let whole = self.whole.fetch_or(SEALED, Ordering::AcqRel) & !SEALED;
        let fraction = self.fraction.fetch_or(SEALED, Ordering::AcqRel) & !SEALED;
        CounterCell {
            whole: AtomicU64::new(whole),
            fraction: AtomicU64::new(fraction),
            stamp: self.stamp.copy(),
        }
    }

    fn clear(&self) {
        self.whole.store(0, Ordering::Relaxed);
        self.fraction.store(0, Ordering::Relaxed);
        self.stamp.reset();
    }
}

/// A counter's fractional total `+= amount` (positive), unless sealed: a fraction is never
/// negative, so its sign bit is free to be the seal.
#[inline]
fn add_fraction_unless_sealed(word: &AtomicU64, amount: f64) -> bool {
    let mut current = word.load(Ordering::Relaxed);
    loop {
        if current & SEALED != 0 {
            return false;
        }
        let next = (f64::from_bits(current) + amount).to_bits();
        match word.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(actual) => current = actual,
        }
    }
}

/// `*word += delta` for an `f64` kept as bits: a compare-and-swap loop, which an
/// uncontended update passes at the first try.
#[inline]
pub(crate) fn add_f64(word: &AtomicU64, delta: f64) {
    add_f64_ordered(word, delta, Ordering::Relaxed);
}

/// [`add_f64`] whose successful exchange has the ordering `success`.
#[inline]
fn add_f64_ordered(word: &AtomicU64, delta: f64, success: Ordering) {
    let mut current = word.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + delta).to_bits();
        match word.compare_exchange_weak(current, next, success, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_adds_are_all_kept() {
        let gauge = GaugeCell::new();
        let counter = CounterCell::new();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..10_000 {
                        gauge.add(0.5);
                        counter.add(0.25);
                    }
                });
            }
        });
        assert_eq!(gauge.get(), 20_000.0);
        assert_eq!(counter.get(), 10_000.0);
    }

    #[test]
    fn a_sealed_counter_refuses_updates_and_its_last_total_is_exact() {
        let counter = CounterCell::new();
        assert!(counter.increment_unless_sealed());
        assert!(counter.add_unless_sealed(2.0));
        assert!(counter.add_unless_sealed(0.25));
        let last = counter.seal();
        assert_eq!(last.get(), 3.25);
        assert!(
            !counter.increment_unless_sealed(),
            "a whole amount after the seal"
        );
        assert!(!counter.add_unless_sealed(0.5), "a fraction after the seal");
        assert!(
            counter.add_unless_sealed(-1.0),
            "an ignored amount is no update"
        );
        counter.clear();
        assert_eq!(counter.get(), 0.0);
        assert!(counter.add_unless_sealed(0.5), "cleared for another set");
        assert_eq!(counter.get(), 0.5);
    }

    #[test]
    fn a_sealed_gauge_refuses_writes_and_keeps_its_last_value() {
        let gauge = GaugeCell::new();
        assert!(gauge.set_unless_sealed(-4.0));
        assert!(gauge.add_unless_sealed(1.5));
        let last = gauge.seal();
        assert_eq!(last.get(), -2.5);
        assert!(!gauge.set_unless_sealed(7.0));
        assert!(!gauge.add_unless_sealed(1.0));
        gauge.clear();
        assert_eq!(gauge.get(), 0.0);
        assert!(gauge.set_unless_sealed(1.0), "cleared for another set");
    }

    #[test]
    fn counter_updates_racing_a_seal_are_counted_in_the_last_total_or_refused() {
        for _ in 0..20 {
            let counter = CounterCell::new();
            let landed = std::sync::atomic::AtomicU64::new(0);
            let last = std::thread::scope(|scope| {
                for _ in 0..2 {
                    scope.spawn(|| {
                        for i in 0..20_000u64 {
                            let counted = if i % 2 == 0 {
                                counter.increment_unless_sealed()
                            } else {
                                counter.add_unless_sealed(0.5)
                            };
                            if counted {
                                landed.fetch_add(if i % 2 == 0 { 4 } else { 2 }, Ordering::Relaxed);
                            }
                        }
                    });
                }
                std::thread::yield_now();
                counter.seal()
            });
            // Quarters of a unit, to compare exactly.
            assert_eq!(last.get() * 4.0, landed.load(Ordering::Relaxed) as f64);
        }
    }

    #[test]
    fn a_counter_never_goes_down() {
        let counter = CounterCell::new();
        counter.add(2.0);
        for bad in [-1.0, f64::NAN, f64::INFINITY, 0.0] {
            counter.add(bad);
        }
        counter.increment();
        assert_eq!(counter.get(), 3.0);
        counter.add(0.25);
        counter.add(1e12);
        assert_eq!(
            counter.get(),
            1e12 + 3.25,
            "whole and fractional parts add up"
        );
    }
}
