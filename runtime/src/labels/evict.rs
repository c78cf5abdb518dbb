//! Evicting idle label sets (`label_idle`), at scrape: a set with no call for that long
//! leaves the index and `/metrics`, and its entry goes, after a quarantine as long again, to
//! the next new set. A rotating universe of symbols then never locks new values into
//! `"__overflow__"` until restart.
//!
//! No call is lost to an eviction. The storage is *sealed* when its set is evicted: every
//! word gets [`SEALED`], and the values it held before are the set's last, served by the
//! scrape that evicted it. An update always reads the word it adds to (a `fetch_add`
//! returns it): one that lands before the seal is in those last values, one that finds
//! the seal is recorded again in the set's live entry (see `LabelTable::relocate`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::table::{now_ms, LabelTable};

/// The bit that marks a sealed counter word. Counts never reach it (2^63 calls).
pub(crate) const SEALED: u64 = 1 << 63;

/// Storage of a label set that can be evicted.
pub(crate) trait Sealable {
    /// What the set recorded, as served.
    type Last;
    /// Marks every counter word sealed and returns what was recorded before.
    fn seal(&self) -> Self::Last;
    /// Back to zero and unsealed, for another set.
    fn clear(&self);
    /// Whether an idle set is evicted only while its table is full, when a new set needs
    /// its entry. A gauge holds state the bot may not touch for hours (a position, an
    /// inventory): evicting it merely for being idle would drop it from `/metrics` and
    /// start its next `add` from zero. A count loses nothing to an eviction (Prometheus reads
    /// a reset), so counts are evicted as soon as they are idle.
    const EVICTED_ONLY_WHEN_FULL: bool = false;
}

/// A label set evicted by a sweep, with what it recorded: served once more, by the
/// scrape that evicted it.
pub(crate) struct Evicted<L> {
    pub(crate) values: Arc<[Box<str>]>,
    pub(crate) last: L,
}

impl<S: Sealable> LabelTable<S> {
    /// Evicts the sets not looked up for `label_idle` (and frees the entries that waited
    /// out their quarantine); `now` in the table's milliseconds ([`Self::sweep`] reads the
    /// clock). A table that never evicts returns nothing.
    pub(crate) fn sweep_at(&self, now: u64) -> Vec<Evicted<S::Last>> {
        let Some(idle) = self.idle_ms else {
            return Vec::new();
        };
        let mut books = super::table::lock(&self.books);
        let books = &mut *books;
        // A call that looked a set up before its eviction records at most one call's time
        // later; an entry is reused only after a whole `label_idle`.
        let mut waiting = Vec::new();
        for at in std::mem::take(&mut books.quarantined) {
            let entry = self.pool[at as usize]
                .get()
                .expect("quarantined entries are made");
            if now.saturating_sub(books.stamp[at as usize]) >= idle {
                entry.retire();
                entry.storage.clear();
                books.free.push(at);
            } else {
                waiting.push(at);
            }
        }
        books.quarantined = waiting;
        let may_evict = !S::EVICTED_ONLY_WHEN_FULL || books.live >= self.max;
        let mut evicted = Vec::new();
        for (at, slot) in self.pool.iter().enumerate() {
            let Some(entry) = slot.get() else { break };
            if !entry.is_live() {
                continue;
            }
            if entry.take_touched() {
                books.stamp[at] = now;
                continue;
            }
            // While a gauge's table has room its idle sets stay; the sets used since the
            // last sweep are still dated above, so a table that fills later evicts exactly
            // those idle for `label_idle`.
            if now.saturating_sub(books.stamp[at]) < idle || !may_evict {
                continue;
            }
            self.unindex(at);
            entry.set_live(false);
            evicted.push(Evicted {
                values: entry.values(),
                last: entry.storage.seal(),
            });
            books.stamp[at] = now;
            books
                .quarantined
                .push(u32::try_from(at).expect("a pool of at most 2^32 entries"));
            books.live -= 1;
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        evicted
    }

    /// [`Self::sweep_at`] now.
    pub(crate) fn sweep(&self) -> Vec<Evicted<S::Last>> {
        self.sweep_at(now_ms())
    }
}
