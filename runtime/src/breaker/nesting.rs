//! Nested calls through one breaker: a guarded function that calls another function guarded
//! by the same breaker (or itself, recursively) is one call to the breaker.
//!
//! While a guarded call runs (for a future: while it is being polled), its breaker is marked
//! as running on this thread. A call through a breaker already marked passes straight
//! through: it is neither admitted, rejected nor counted by the breaker, so a breaker never
//! counts its own rejection as a failure, a half-open probe is never rejected by itself, and
//! a failure that unwinds through ten frames of a recursion counts once.
//!
//! Every guarded call pays for this, so the common case — no other guarded call running on
//! this thread — is one thread-local word: read it, see it empty, write the breaker into it,
//! and write it empty again at the end. Only a call nested in another guarded call takes the
//! out-of-line path, which keeps every running breaker in a fixed array. Both are `Cell`s
//! with `const` initializers: no lazy initialisation, no borrow flag, no allocation. Marks
//! nest strictly (a mark ends before the one it was made under), so each [`Scope`] restores
//! the word it found. Nesting deeper than [`DEPTH`] distinct marks is not tracked (the deeper
//! calls are admitted as calls of their own).

use std::cell::Cell;

use super::Breaker;

/// Marks kept per thread once calls nest.
const DEPTH: usize = 8;

/// [`TOP`] when no guarded call runs on this thread.
const NONE: usize = 0;
/// [`TOP`] when two or more marks are held: they are in [`NESTED`].
/// (No breaker lives at address 1.)
const MANY: usize = 1;

thread_local! {
    /// `NONE`, the one breaker marked on this thread, or `MANY`.
    static TOP: Cell<usize> = const { Cell::new(NONE) };
    /// Every mark, while `TOP` is `MANY`.
    static NESTED: Nested = const {
        Nested {
            breakers: [const { Cell::new(NONE) }; DEPTH],
            len: Cell::new(0),
        }
    };
}

struct Nested {
    breakers: [Cell<usize>; DEPTH],
    len: Cell<usize>,
}

fn key(breaker: &Breaker) -> usize {
    std::ptr::from_ref(breaker) as usize
}

/// Marks `breaker` as running until the scope is dropped (also when unwinding), or returns
/// `None` when a call through it is already running on this thread.
#[inline(always)]
pub(crate) fn enter(breaker: &Breaker) -> Option<Scope> {
    enter_key(key(breaker))
}

#[inline(always)]
fn enter_key(key: usize) -> Option<Scope> {
    let top = top();
    if top != NONE && is_running(top, key) {
        return None;
    }
    Some(mark_under(top, key))
}

/// Marks `breaker` as running while an admitted call's future is polled.
#[inline(always)]
pub(crate) fn mark(breaker: &Breaker) -> Scope {
    mark_key(key(breaker))
}

#[inline(always)]
fn mark_key(key: usize) -> Scope {
    mark_under(top(), key)
}

/// `TOP` now; `NONE` on a thread being torn down, which has nothing to track.
#[inline(always)]
fn top() -> usize {
    TOP.try_with(Cell::get).unwrap_or(NONE)
}

/// Whether `key` is marked, under a `top` that is not `NONE`.
#[cold]
#[inline(never)]
fn is_running(top: usize, key: usize) -> bool {
    top == key
        || (top == MANY
            && NESTED
                .try_with(|nested| {
                    let len = nested.len.get().min(DEPTH);
                    nested.breakers[..len].iter().any(|b| b.get() == key)
                })
                .unwrap_or(false))
}

/// Marks `key` over `top`: in the word alone when nothing is marked, in the array otherwise.
#[inline(always)]
fn mark_under(top: usize, key: usize) -> Scope {
    if top == NONE {
        let _ = TOP.try_with(|t| t.set(key));
        return Scope { found: NONE };
    }
    push(top, key)
}

/// A mark under `top`, which is not `NONE`.
#[cold]
#[inline(never)]
fn push(top: usize, key: usize) -> Scope {
    let _ = NESTED.try_with(|nested| {
        if top != MANY {
            // The one breaker marked so far moves into the array.
            nested.breakers[0].set(top);
            nested.len.set(1);
        }
        let len = nested.len.get();
        if len < DEPTH {
            nested.breakers[len].set(key);
        }
        nested.len.set(len + 1);
    });
    let _ = TOP.try_with(|t| t.set(MANY));
    Scope { found: top }
}

/// See [`enter`].
#[must_use]
pub(crate) struct Scope {
    /// `TOP` when this mark was made: what it is again once the mark ends.
    found: usize,
}

impl Drop for Scope {
    #[inline(always)]
    fn drop(&mut self) {
        if self.found != NONE {
            pop(self.found);
        }
        let _ = TOP.try_with(|t| t.set(self.found));
    }
}

#[cold]
#[inline(never)]
fn pop(found: usize) {
    let _ = NESTED.try_with(|nested| {
        // Under a single mark the array empties: that mark is back in `TOP` alone.
        let len = if found == MANY {
            nested.len.get().saturating_sub(1)
        } else {
            0
        };
        nested.len.set(len);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct addresses standing in for breakers (only their addresses are used).
    fn keys() -> [usize; DEPTH + 2] {
        std::array::from_fn(|i| 0x1000 + 64 * i)
    }

    #[test]
    fn a_breaker_running_anywhere_below_passes_through() {
        let [a, b, c, ..] = keys();
        let outer = enter_key(a).expect("nothing runs yet");
        assert!(enter_key(a).is_none(), "a directly inside a");
        let middle = enter_key(b).expect("b is not running");
        assert!(enter_key(a).is_none(), "a inside b inside a");
        assert!(enter_key(b).is_none(), "b inside b");
        let inner = enter_key(c).expect("c is not running");
        assert!(enter_key(a).is_none() && enter_key(b).is_none() && enter_key(c).is_none());
        drop(inner);
        assert!(enter_key(c).is_some(), "c ended");
        drop(middle);
        assert!(enter_key(b).is_some(), "b ended");
        assert!(enter_key(a).is_none(), "a still runs");
        drop(outer);
        assert_eq!(TOP.with(Cell::get), NONE, "every mark ended");
        assert!(enter_key(a).is_some());
        assert_eq!(TOP.with(Cell::get), NONE);
    }

    #[test]
    fn marks_of_polls_nest_and_unwind() {
        let [a, b, ..] = keys();
        let outer = enter_key(a).expect("nothing runs yet");
        // A future of `b` polled inside `a`, and inside that poll a call through `b`.
        let poll = mark_key(b);
        assert!(enter_key(b).is_none());
        assert!(enter_key(a).is_none());
        drop(poll);
        assert!(enter_key(b).is_some());
        drop(outer);
        assert_eq!(TOP.with(Cell::get), NONE);
        assert_eq!(NESTED.with(|n| n.len.get()), 0);
    }

    #[test]
    fn past_the_depth_calls_are_admitted_and_the_marks_still_unwind() {
        let all = keys();
        let mut scopes: Vec<Scope> = all
            .iter()
            .map(|&k| enter_key(k).expect("distinct"))
            .collect();
        assert!(enter_key(all[0]).is_none(), "within the depth: tracked");
        assert!(
            enter_key(all[DEPTH + 1]).is_some(),
            "beyond the depth: not tracked, admitted"
        );
        // The marks beyond the depth end first; the tracked ones stay tracked meanwhile.
        drop(scopes.pop());
        drop(scopes.pop());
        assert!(
            enter_key(all[DEPTH - 1]).is_none(),
            "the deepest tracked mark outlives the untracked ones"
        );
        while let Some(scope) = scopes.pop() {
            drop(scope);
        }
        assert_eq!(TOP.with(Cell::get), NONE);
        assert_eq!(NESTED.with(|n| n.len.get()), 0);
    }
}
