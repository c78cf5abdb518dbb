//! Per-thread stripes of counters, so that threads calling one hot function do not fight
//! over one cache line: each thread adds to its own stripe (uncontended, so the add stays
//! about as cheap as on one thread), and rendering sums the stripes.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Stripes per counter. Threads beyond this share stripes round-robin.
pub(crate) const STRIPES: usize = 4;

/// Counters per cache line.
const PER_LINE: usize = 8;

/// A value on a cache line of its own.
#[repr(align(64))]
#[derive(Debug, Default)]
pub struct CacheAligned<T>(pub T);

/// Words per stripe of a group of `counters` counters: whole cache lines.
pub(crate) const fn stride(counters: usize) -> usize {
    counters.div_ceil(PER_LINE) * PER_LINE
}

thread_local! {
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// This thread's stripe, assigned round-robin on its first call.
#[inline(always)]
pub(crate) fn current() -> usize {
    STRIPE.with(|stripe| {
        let index = stripe.get();
        if index < STRIPES {
            index
        } else {
            assign(stripe)
        }
    })
}

#[cold]
fn assign(stripe: &Cell<usize>) -> usize {
    let index = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    stripe.set(index);
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_are_whole_cache_lines() {
        assert_eq!(stride(1), 8);
        assert_eq!(stride(8), 8);
        assert_eq!(stride(18), 24);
        assert_eq!(std::mem::align_of::<CacheAligned<u8>>(), 64);
    }

    #[test]
    fn threads_spread_over_stripes() {
        let mine = current();
        assert_eq!(current(), mine, "a thread keeps its stripe");
        let others: Vec<usize> = (0..STRIPES)
            .map(|_| std::thread::spawn(current).join().unwrap())
            .collect();
        assert!(others.iter().all(|&s| s < STRIPES));
    }
}
