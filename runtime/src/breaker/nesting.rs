//! Nested calls through one breaker: a guarded function that calls another function guarded
//! by the same breaker (or itself, recursively) is one call to the breaker.
//!
//! While a guarded call runs (for a future: while it is being polled), its breaker is on a
//! per-thread stack. A call through a breaker already on the stack passes straight through:
//! it is neither admitted, rejected nor counted by the breaker, so a breaker never counts
//! its own rejection as a failure, a half-open probe is never rejected by itself, and a
//! failure that unwinds through ten frames of a recursion counts once.
//!
//! The stack is a fixed array of `Cell`s with a `const` initializer, so a guarded call costs
//! one thread-local access to check and mark, and one to unmark: no lazy initialisation,
//! no borrow flag, no allocation. Nesting deeper than [`DEPTH`] distinct marks is not
//! tracked (the deeper calls are admitted as calls of their own).

use std::cell::Cell;

use super::Breaker;

/// Marks kept per thread.
const DEPTH: usize = 8;

struct Running {
    breakers: [Cell<usize>; DEPTH],
    len: Cell<usize>,
}

thread_local! {
    static RUNNING: Running = const {
        Running {
            breakers: [const { Cell::new(0) }; DEPTH],
            len: Cell::new(0),
        }
    };
}

fn key(breaker: &Breaker) -> usize {
    std::ptr::from_ref(breaker) as usize
}

/// Marks `breaker` as running until the scope is dropped (also when unwinding), or returns
/// `None` when a call through it is already running on this thread.
#[inline]
pub(crate) fn enter(breaker: &Breaker) -> Option<Scope> {
    let key = key(breaker);
    RUNNING
        .try_with(|running| {
            let len = running.len.get();
            if running.breakers[..len.min(DEPTH)]
                .iter()
                .any(|b| b.get() == key)
            {
                return None;
            }
            if len < DEPTH {
                running.breakers[len].set(key);
            }
            running.len.set(len + 1);
            Some(Scope { _private: () })
        })
        // A thread being torn down: nothing to track. (Built lazily: an unused Scope
        // would unmark on drop.)
        .unwrap_or_else(|_| Some(Scope { _private: () }))
}

/// Marks `breaker` as running while an admitted call's future is polled.
#[inline]
pub(crate) fn mark(breaker: &Breaker) -> Scope {
    let key = key(breaker);
    let _ = RUNNING.try_with(|running| {
        let len = running.len.get();
        if len < DEPTH {
            running.breakers[len].set(key);
        }
        running.len.set(len + 1);
    });
    Scope { _private: () }
}

/// See [`enter`].
#[must_use]
pub(crate) struct Scope {
    _private: (),
}

impl Drop for Scope {
    #[inline]
    fn drop(&mut self) {
        let _ = RUNNING.try_with(|running| running.len.set(running.len.get().saturating_sub(1)));
    }
}
