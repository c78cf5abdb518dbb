//! Per-key breakers (`per = venue.id(), max_keys = 64`): one breaker per key, each with
//! its own state and series (`key="binance"`), at most `max_keys` of them.
//!
//! A call looks its key up under a read lock; a new key takes the write lock once. When
//! every slot is taken, an idle closed key is evicted: "idle" is judged by a second-chance
//! sweep (a key used since the last sweep is spared once), so a key in steady use is never
//! evicted while a quiet one exists. An evicted key's breaker is recycled for the new key,
//! counters and state reset; calls still running on the old key count nowhere. When no
//! key can be evicted — every one is open, half-open or in steady use — calls for new keys
//! go to one shared breaker, `key="__overflow__"`, until a slot frees.
//!
//! A key is cut to 256 bytes (at a character boundary), as label values are: it is served
//! on `/metrics`, `/health` and the live page, and a 200 KB key must not make them huge.
//! Keys alike in their first 256 bytes share one breaker.
//!
//! `force_open()` on the family's handle holds every key open, those first used afterwards
//! too: a key made (or recycled) while the hold lasts starts forced open.
//!
//! Each thread remembers the breakers of the keys it called last (`recent`), valid until
//! the next eviction: a call on a known key takes no lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use botwatch_spec::model::CircuitBreaker;

use super::clock::BreakerClock;
use super::{recent, Breaker, State};
use crate::labels::MAX_VALUE_BYTES;

/// The key calls go to when every slot is busy.
pub(crate) const OVERFLOW_KEY: &str = "__overflow__";

#[derive(Debug)]
pub(crate) struct Family {
    name: &'static str,
    spec: CircuitBreaker,
    max_keys: usize,
    keys: RwLock<Keys>,
    /// Counts evictions: a key's breaker, once read, is its breaker until this changes.
    generation: AtomicU64,
    overflow: &'static Breaker,
    /// The handle is forced open: new keys start forced open too.
    held_open: AtomicBool,
    /// The guards holding the handle: new keys start held by them too.
    guards: Mutex<Vec<u32>>,
}

#[derive(Debug, Default)]
struct Keys {
    by_key: HashMap<Box<str>, &'static Breaker>,
    /// Where the second-chance sweep resumes, as an index into the keys in `order`.
    order: Vec<Box<str>>,
    hand: usize,
}

impl Family {
    pub(crate) fn new(name: &'static str, spec: &CircuitBreaker) -> Family {
        Family {
            name,
            spec: spec.clone(),
            max_keys: usize::try_from(spec.max_keys.max(1)).unwrap_or(usize::MAX),
            keys: RwLock::default(),
            generation: AtomicU64::new(0),
            overflow: Box::leak(Box::new(keyed_breaker(name, spec, OVERFLOW_KEY))),
            held_open: AtomicBool::new(false),
            guards: Mutex::new(Vec::new()),
        }
    }

    /// A guard holds every key, those made from now on too (as [`hold_open`](Self::hold_open)).
    pub(crate) fn hold_for_guard(&self, guard: u32) {
        let mut guards = self.guards.lock().unwrap_or_else(PoisonError::into_inner);
        if !guards.contains(&guard) {
            guards.push(guard);
        }
        drop(guards);
        self.members().iter().for_each(|b| b.hold_for_guard(guard));
    }

    /// A guard lets go of every key.
    pub(crate) fn release_guard(&self, guard: u32) {
        self.guards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|&g| g != guard);
        self.members().iter().for_each(|b| b.release_guard(guard));
    }

    /// Every guard lets go (`force_closed()`, `reset()` on the handle).
    pub(crate) fn release_guards(&self) {
        self.guards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Starts (or ends) holding every key open, including keys made from now on. The
    /// caller then forces the keys that exist: set before they are listed, so a key made
    /// meanwhile is either listed or sees the hold when it is made (under the write lock).
    pub(crate) fn hold_open(&self, held: bool) {
        self.held_open.store(held, Ordering::SeqCst);
    }

    /// Where this family lives: what the per-thread cache of recent keys tells families
    /// apart by (families live in statics and never move).
    fn address(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// The breaker of `key`, made (or recycled) if it is new.
    #[inline]
    pub(crate) fn member(&self, key: &str) -> &'static Breaker {
        let key = capped(key);
        // Read before the lookup: an eviction after it leaves the mapping remembered under
        // an old generation, never a stale one under the new.
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(breaker) = recent::find(self.address(), generation, key) {
            breaker.mark_used();
            return breaker;
        }
        let found = self.read().by_key.get(key).copied();
        let breaker = match found {
            Some(breaker) => {
                breaker.mark_used();
                breaker
            }
            None => self.insert(key),
        };
        // The overflow breaker is not the key's own: the next call tries for a slot again.
        if !std::ptr::eq(breaker, self.overflow) {
            recent::remember(self.address(), generation, key, breaker);
        }
        breaker
    }

    /// The breaker of `key` if it exists now.
    pub(crate) fn get(&self, key: &str) -> Option<&'static Breaker> {
        let key = capped(key);
        if key == OVERFLOW_KEY {
            return Some(self.overflow);
        }
        self.read().by_key.get(key).copied()
    }

    /// Every key's breaker, the overflow one last.
    pub(crate) fn members(&self) -> Vec<&'static Breaker> {
        let keys = self.read();
        let mut members: Vec<&'static Breaker> =
            keys.order.iter().map(|key| keys.by_key[key]).collect();
        members.push(self.overflow);
        members
    }

    #[cold]
    fn insert(&self, key: &str) -> &'static Breaker {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(&breaker) = keys.by_key.get(key) {
            return breaker;
        }
        if keys.by_key.len() < self.max_keys {
            let breaker: &'static Breaker =
                Box::leak(Box::new(keyed_breaker(self.name, &self.spec, key)));
            keys.by_key.insert(key.into(), breaker);
            keys.order.push(key.into());
            return self.held(breaker);
        }
        let Some(index) = keys.evictable() else {
            return self.overflow;
        };
        self.generation.fetch_add(1, Ordering::Release);
        let old = std::mem::replace(&mut keys.order[index], key.into());
        let breaker = keys
            .by_key
            .remove(&old)
            .expect("every key in order is mapped");
        breaker.recycle(key);
        keys.by_key.insert(key.into(), breaker);
        self.held(breaker)
    }

    /// A key's breaker just made or recycled, forced open while the handle holds every key.
    fn held(&self, breaker: &'static Breaker) -> &'static Breaker {
        if self.held_open.load(Ordering::SeqCst) {
            breaker.force_open();
        }
        let guards = self
            .guards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        guards.iter().for_each(|&g| breaker.hold_for_guard(g));
        breaker
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Keys {
    /// A closed key not used since the sweep last passed it; two turns of the hand at most.
    fn evictable(&mut self) -> Option<usize> {
        let len = self.order.len();
        for _ in 0..2 * len {
            let index = self.hand % len;
            self.hand = (self.hand + 1) % len;
            let breaker = self.by_key[&self.order[index]];
            if breaker.state() != State::Closed {
                continue;
            }
            if !breaker.used.swap(false, Ordering::Relaxed) {
                return Some(index);
            }
        }
        None
    }
}

fn keyed_breaker(name: &'static str, spec: &CircuitBreaker, key: &str) -> Breaker {
    let breaker = Breaker {
        keyed: true,
        ..Breaker::new(name, spec, BreakerClock::Tokio)
    };
    breaker.set_key(key);
    breaker
}

/// `key` cut to [`MAX_VALUE_BYTES`] at a character boundary.
#[inline]
fn capped(key: &str) -> &str {
    if key.len() <= MAX_VALUE_BYTES {
        return key;
    }
    let mut end = MAX_VALUE_BYTES;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    &key[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_are_cut_at_a_character_boundary() {
        assert_eq!(capped("binance"), "binance");
        let exact = "k".repeat(MAX_VALUE_BYTES);
        assert_eq!(capped(&exact), exact);
        let long = "k".repeat(200_000);
        assert_eq!(capped(&long).len(), MAX_VALUE_BYTES);
        // A two-byte character straddling the cut is left out whole.
        let straddling = format!("{}é", "k".repeat(MAX_VALUE_BYTES - 1));
        assert_eq!(capped(&straddling), "k".repeat(MAX_VALUE_BYTES - 1));
    }
}
