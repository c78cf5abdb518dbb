//! Nested calls through one breaker: a guarded function that calls another function guarded
//! by the same breaker (or itself, recursively) is one call to the breaker.
//!
//! While a guarded call runs (for a future: while it is being polled), its breaker is on a
//! per-thread stack. A call through a breaker already on the stack passes straight through:
//! it is neither admitted, rejected nor counted by the breaker, so a breaker never counts
//! its own rejection as a failure, a half-open probe is never rejected by itself, and a
//! failure that unwinds through ten frames of a recursion counts once.

use std::cell::RefCell;

use super::Breaker;

thread_local! {
    static RUNNING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn key(breaker: &Breaker) -> usize {
    std::ptr::from_ref(breaker) as usize
}

/// Whether a call through `breaker` is running on this thread.
pub(crate) fn is_running(breaker: &Breaker) -> bool {
    let key = key(breaker);
    RUNNING
        .try_with(|running| running.borrow().contains(&key))
        .unwrap_or(false)
}

/// Marks `breaker` as running until the scope is dropped (also when unwinding).
pub(crate) fn enter(breaker: Option<&Breaker>) -> Scope {
    let Some(breaker) = breaker else {
        return Scope { pushed: false };
    };
    let key = key(breaker);
    let pushed = RUNNING
        .try_with(|running| running.borrow_mut().push(key))
        .is_ok();
    Scope { pushed }
}

/// See [`enter`].
#[must_use]
pub(crate) struct Scope {
    pushed: bool,
}

impl Drop for Scope {
    #[inline]
    fn drop(&mut self) {
        if self.pushed {
            let _ = RUNNING.try_with(|running| running.borrow_mut().pop());
        }
    }
}
