//! The clock `#[timed]` reads: the TSC through `quanta` where it is reliable (a few
//! nanoseconds a read), the OS monotonic clock otherwise.

use std::sync::OnceLock;

static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();

// In line at every read: out of line it was a call of its own beside quanta's, twice per
// timed call.
#[inline(always)]
fn clock() -> &'static quanta::Clock {
    CLOCK.get_or_init(quanta::Clock::new)
}

/// Calibrates the clock now rather than on the first timed call.
pub(crate) fn warm_up() {
    clock();
}

/// A raw reading, only meaningful to [`nanos_since`].
#[inline(always)]
pub(crate) fn now() -> u64 {
    clock().raw()
}

/// Nanoseconds elapsed since the raw reading `start`.
#[inline(always)]
pub(crate) fn nanos_since(start: u64) -> u64 {
    let clock = clock();
    clock.delta_as_nanos(start, clock.raw())
}
