//! The keys a thread called per-key breakers with most recently, so that a call finds its
//! key's breaker without the family's lock — whose reader count every call on every thread
//! would write, bouncing one cache line between cores — and without hashing the key.
//!
//! A remembered mapping holds only in the family's generation it was read in: handing a
//! key's breaker to another key (eviction) starts a new generation. A thread calling more
//! keys in turn than it remembers looks them up under the lock, as without this cache.

use std::cell::RefCell;

use super::Breaker;

/// Keys remembered per thread.
const SLOTS: usize = 8;

struct Remembered {
    /// The family's address: the mapping is of this family's keys.
    family: usize,
    generation: u64,
    key: String,
    breaker: &'static Breaker,
}

struct Recent {
    slots: [Option<Remembered>; SLOTS],
    /// The slot the next new key replaces.
    next: usize,
}

thread_local! {
    static RECENT: RefCell<Recent> = const {
        RefCell::new(Recent { slots: [const { None }; SLOTS], next: 0 })
    };
}

/// The breaker this thread found for `key` of the family at address `family` in
/// `generation`, if it remembers it. (An address, not the family: this cache knows nothing
/// of how a family keeps its keys.)
#[inline]
pub(super) fn find(family: usize, generation: u64, key: &str) -> Option<&'static Breaker> {
    RECENT
        .try_with(|recent| {
            let recent = recent.try_borrow().ok()?;
            recent
                .slots
                .iter()
                .flatten()
                .find(|r| r.family == family && r.generation == generation && r.key == key)
                .map(|r| r.breaker)
        })
        .ok()
        .flatten()
}

/// Remembers that `key` of `family` maps to `breaker` in `generation`, in place of this
/// key's older mapping or, round-robin, of another key's. The key's text is copied into
/// the replaced slot's buffer: no allocation once the buffers are long enough.
pub(super) fn remember(family: usize, generation: u64, key: &str, breaker: &'static Breaker) {
    let _ = RECENT.try_with(|recent| {
        let Ok(mut recent) = recent.try_borrow_mut() else {
            return;
        };
        let recent = &mut *recent;
        let index = recent
            .slots
            .iter()
            .position(|r| {
                r.as_ref()
                    .is_some_and(|r| r.family == family && r.key == key)
            })
            .unwrap_or_else(|| {
                let index = recent.next;
                recent.next = (index + 1) % SLOTS;
                index
            });
        match &mut recent.slots[index] {
            Some(slot) => {
                slot.family = family;
                slot.generation = generation;
                slot.key.clear();
                slot.key.push_str(key);
                slot.breaker = breaker;
            }
            empty => {
                *empty = Some(Remembered {
                    family,
                    generation,
                    key: key.to_owned(),
                    breaker,
                });
            }
        }
    });
}
