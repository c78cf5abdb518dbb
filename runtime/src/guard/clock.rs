//! The time guards are judged at: the wall clock in Unix seconds (the unit of update
//! stamps and of `age`), or, for tests, a clock that moves only when told to
//! (`botwatch::__private::guard_clock`), so `for`, `stale` and `age` are tested without
//! sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::declared::unix_now;

/// The bits of the held time in Unix seconds; 0 while the wall clock is used.
static HELD: AtomicU64 = AtomicU64::new(0);

/// Now, in Unix seconds.
pub(crate) fn now() -> f64 {
    match HELD.load(Ordering::SeqCst) {
        0 => unix_now(),
        bits => f64::from_bits(bits),
    }
}

/// Stops the guards' clock at the wall clock's now, if it runs (tests).
pub fn hold() {
    let _ = HELD.compare_exchange(0, unix_now().to_bits(), Ordering::SeqCst, Ordering::SeqCst);
}

/// Moves the held clock on by `by` (holding it first if it runs).
pub fn advance(by: Duration) {
    hold();
    let mut bits = HELD.load(Ordering::SeqCst);
    loop {
        let next = (f64::from_bits(bits) + by.as_secs_f64()).to_bits();
        match HELD.compare_exchange(bits, next, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return,
            Err(actual) => bits = actual,
        }
    }
}
