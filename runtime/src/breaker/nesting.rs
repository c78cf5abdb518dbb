//! Nested calls through one breaker, per task: a guarded function that calls another
//! function guarded by the same breaker (or itself, recursively) *on the same task* is one
//! call to the breaker.
//!
//! While a guarded call runs (for a future: while it is being polled), its breaker is marked
//! as running on this thread *for the task being polled*. A call through a breaker already
//! marked for the current task passes straight through: it is neither admitted, rejected nor
//! counted by the breaker, so a breaker never counts its own rejection as a failure, a
//! half-open probe is never rejected by itself, and a failure that unwinds through ten frames
//! of a recursion counts once.
//!
//! The task is told by the waker a future is polled with: every poll of a guarded future sets
//! the thread's current task to its waker's data pointer until the poll returns (a tokio
//! task's waker points at the task; a `block_on` or a `LocalSet` polls each of its tasks with
//! that task's own waker). So another task run on this thread inside a guarded call — a
//! current-thread `block_on` in a guarded sync function, a `LocalSet` driven from a guarded
//! future — sees none of that call's marks, and a future created inside a guarded call and
//! spawned is polled on a task of its own. A sync call inherits the task of the guarded poll
//! it runs in, or the thread's own "no task" outside any. (A sync guarded call made from a
//! task no guarded future polls — a plain `async` block under a `block_on` — cannot be told
//! from its caller's task and passes through; `docs/breakers.md` says so.) Combinators that
//! poll with wakers of their own (`FuturesUnordered`) make their futures tasks of their own.
//!
//! Every guarded call pays for this, so the common case — no other guarded call running on
//! this thread — is one thread-local block: read the top mark, see it empty, write the
//! breaker and the task into it, and write it empty again at the end. Only a call nested in
//! another guarded call takes the out-of-line path, which keeps every running mark in a fixed
//! array. All are `Cell`s with `const` initializers: no lazy initialisation, no borrow flag,
//! no allocation. Marks nest strictly (a mark ends before the one it was made under), so each
//! [`Scope`] restores the mark it found. Nesting deeper than [`DEPTH`] distinct marks is not
//! tracked (the deeper calls are admitted as calls of their own).

use std::cell::Cell;
use std::task::Context;

use super::Breaker;

/// Marks kept per thread once calls nest.
const DEPTH: usize = 8;

/// `top` when no guarded call runs on this thread.
const NONE: usize = 0;
/// `top` when two or more marks are held: they are in `nested`.
/// (No breaker lives at address 1.)
const MANY: usize = 1;
/// The task of code that no guarded poll on this thread encloses (a waker's data pointer is
/// never the last address).
const NO_TASK: usize = usize::MAX;

/// One mark: a breaker (by address) running for a task.
type Mark = (usize, usize);

struct Marks {
    /// `NONE`, the one breaker marked on this thread, or `MANY`.
    top: Cell<usize>,
    /// The task of the `top` mark, while `top` is a breaker.
    top_task: Cell<usize>,
    /// The task being polled now.
    task: Cell<usize>,
    /// Every mark, while `top` is `MANY`.
    nested: [Cell<Mark>; DEPTH],
    len: Cell<usize>,
}

thread_local! {
    static MARKS: Marks = const {
        Marks {
            top: Cell::new(NONE),
            top_task: Cell::new(NO_TASK),
            task: Cell::new(NO_TASK),
            nested: [const { Cell::new((NONE, NO_TASK)) }; DEPTH],
            len: Cell::new(0),
        }
    };
}

fn key(breaker: &Breaker) -> usize {
    std::ptr::from_ref(breaker) as usize
}

/// The task a future polled with `cx` runs on.
#[inline(always)]
pub(crate) fn task_of(cx: &Context<'_>) -> usize {
    cx.waker().data() as usize
}

/// Marks `breaker` as running for the current task until the scope is dropped (also when
/// unwinding), or returns `None` when a call through it is already running on this task.
#[inline(always)]
pub(crate) fn enter(breaker: &Breaker) -> Option<Scope> {
    enter_key(key(breaker))
}

#[inline(always)]
fn enter_key(key: usize) -> Option<Scope> {
    MARKS
        .try_with(|marks| {
            let top = marks.top.get();
            if top != NONE && is_running(marks, top, key) {
                return None;
            }
            Some(mark_under(marks, top, key))
        })
        // A thread being torn down has nothing to track: the call is its own.
        .unwrap_or_else(|_| Some(Scope::EMPTY))
}

/// Whether a call through `breaker` runs on the current task now (a call made here would
/// pass through).
pub(crate) fn is_running_here(breaker: &Breaker) -> bool {
    let key = key(breaker);
    MARKS
        .try_with(|marks| {
            let top = marks.top.get();
            top != NONE && is_running(marks, top, key)
        })
        .unwrap_or(false)
}

/// Marks `breaker` as running for the current task while an admitted call's future is
/// polled.
#[inline(always)]
pub(crate) fn mark(breaker: &Breaker) -> Scope {
    let key = key(breaker);
    // Not `unwrap_or(Scope::EMPTY)`: the unused default would be dropped, ending the mark.
    match MARKS.try_with(|marks| mark_under(marks, marks.top.get(), key)) {
        Ok(scope) => scope,
        Err(_) => Scope::EMPTY,
    }
}

/// Makes `task` the current task until the returned scope is dropped: one poll of a guarded
/// future.
#[inline(always)]
pub(crate) fn in_task(task: usize) -> TaskScope {
    let found = MARKS
        .try_with(|marks| marks.task.replace(task))
        .unwrap_or(NO_TASK);
    TaskScope { found }
}

/// Whether `key` is marked for the current task, under a `top` that is not `NONE`.
#[cold]
#[inline(never)]
fn is_running(marks: &Marks, top: usize, key: usize) -> bool {
    let task = marks.task.get();
    if top != MANY {
        return top == key && marks.top_task.get() == task;
    }
    let len = marks.len.get().min(DEPTH);
    marks.nested[..len].iter().any(|m| m.get() == (key, task))
}

/// Marks `key` over `top`: in the top word alone when nothing is marked, in the array
/// otherwise.
#[inline(always)]
fn mark_under(marks: &Marks, top: usize, key: usize) -> Scope {
    if top == NONE {
        marks.top.set(key);
        marks.top_task.set(marks.task.get());
        return Scope::EMPTY;
    }
    push(marks, top, key)
}

/// A mark under `top`, which is not `NONE`.
#[cold]
#[inline(never)]
fn push(marks: &Marks, top: usize, key: usize) -> Scope {
    let found_task = marks.top_task.get();
    if top != MANY {
        // The one mark so far moves into the array.
        marks.nested[0].set((top, found_task));
        marks.len.set(1);
    }
    let len = marks.len.get();
    if len < DEPTH {
        marks.nested[len].set((key, marks.task.get()));
    }
    marks.len.set(len + 1);
    marks.top.set(MANY);
    Scope {
        found: top,
        found_task,
    }
}

/// See [`enter`].
#[must_use]
pub(crate) struct Scope {
    /// The top mark when this mark was made: what it is again once the mark ends.
    found: usize,
    found_task: usize,
}

impl Scope {
    const EMPTY: Scope = Scope {
        found: NONE,
        found_task: NO_TASK,
    };
}

impl Drop for Scope {
    #[inline(always)]
    fn drop(&mut self) {
        let _ = MARKS.try_with(|marks| {
            if self.found != NONE {
                pop(marks, self.found);
            }
            marks.top.set(self.found);
            marks.top_task.set(self.found_task);
        });
    }
}

#[cold]
#[inline(never)]
fn pop(marks: &Marks, found: usize) {
    // Under a single mark the array empties: that mark is back in the top word alone.
    let len = if found == MANY {
        marks.len.get().saturating_sub(1)
    } else {
        0
    };
    marks.len.set(len);
}

/// See [`in_task`].
#[must_use]
pub(crate) struct TaskScope {
    found: usize,
}

impl Drop for TaskScope {
    #[inline(always)]
    fn drop(&mut self) {
        let _ = MARKS.try_with(|marks| marks.task.set(self.found));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct addresses standing in for breakers (only their addresses are used).
    fn keys() -> [usize; DEPTH + 2] {
        std::array::from_fn(|i| 0x1000 + 64 * i)
    }

    fn top() -> usize {
        MARKS.with(|m| m.top.get())
    }

    fn len() -> usize {
        MARKS.with(|m| m.len.get())
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
        assert_eq!(top(), NONE, "every mark ended");
        assert!(enter_key(a).is_some());
        assert_eq!(top(), NONE);
    }

    #[test]
    fn marks_of_polls_nest_and_unwind() {
        let [a, b, ..] = keys();
        let outer = enter_key(a).expect("nothing runs yet");
        // A future of `b` polled inside `a`, and inside that poll a call through `b`.
        let poll = MARKS.with(|m| mark_under(m, m.top.get(), b));
        assert!(enter_key(b).is_none());
        assert!(enter_key(a).is_none());
        drop(poll);
        assert!(enter_key(b).is_some());
        drop(outer);
        assert_eq!(top(), NONE);
        assert_eq!(len(), 0);
    }

    /// Issue 35, fault 4: another task polled inside a guarded call (a `block_on`, a
    /// `LocalSet`) sees none of its marks; back on the first task, they hold again.
    #[test]
    fn marks_belong_to_the_task_that_made_them() {
        let [a, b, ..] = keys();
        let first = in_task(0x10);
        let outer = enter_key(a).expect("nothing runs yet");
        {
            let _other = in_task(0x20);
            let inner = enter_key(a).expect("another task: a call of its own");
            assert!(enter_key(a).is_none(), "nested on that other task");
            let deeper = enter_key(b).expect("b runs nowhere");
            {
                let _back = in_task(0x10);
                assert!(enter_key(a).is_none(), "the first task's mark holds");
                assert!(enter_key(b).is_some(), "b runs on the other task only");
            }
            drop(deeper);
            drop(inner);
            assert!(enter_key(a).is_some(), "the other task's a ended");
        }
        assert!(enter_key(a).is_none(), "back on the first task");
        drop(outer);
        drop(first);
        assert_eq!(top(), NONE);
        assert_eq!(len(), 0);
        assert_eq!(MARKS.with(|m| m.task.get()), NO_TASK);
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
        assert_eq!(top(), NONE);
        assert_eq!(len(), 0);
    }
}
