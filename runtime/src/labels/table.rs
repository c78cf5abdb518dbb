//! A function's (or a labelled family's) label sets: at most `max_series` live at once,
//! each with storage of its own; later sets share one `"__overflow__"` series until an
//! idle set is evicted (see `evict.rs`) and its entry goes to the next new set.
//!
//! The hit path is lock-free and allocation-free: the call's values are hashed and laid out
//! as an in-line key, the index is probed from the hash, and the entry found is checked
//! with a sequence number (even while its identity is stable), the way a seqlock reads.
//! Entries are never freed, only reused, so a reference to one stays valid: memory is
//! bounded by the pool (`2 × max_series` entries) whatever the churn of values. Inserts,
//! evictions and reuse take one lock, off the hit path.

use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use super::key::{key_of, KeyWords, KEY_WORDS, NOT_IN_LINE};
use super::{hash_of, same, LabelValue, OVERFLOW};

/// A call's label set, as the table looks it up.
pub(super) struct Probe<'v, 'a> {
    pub(super) hash: u64,
    pub(super) key: Option<KeyWords>,
    pub(super) values: &'v [LabelValue<'a>],
}

impl<'v, 'a> Probe<'v, 'a> {
    #[inline(always)]
    fn of(values: &'v [LabelValue<'a>]) -> Self {
        Probe {
            hash: hash_of(values),
            key: key_of(values),
            values,
        }
    }
}

/// One entry of the pool: a label set's identity (rewritten when the entry is reused) and
/// its storage.
#[derive(Debug)]
pub(crate) struct Entry<S> {
    /// Even while the identity below is stable, odd while it is being rewritten; it moves
    /// on with each reuse, so a call that looked the entry up before can tell.
    seq: AtomicU64,
    hash: AtomicU64,
    key: [AtomicU64; KEY_WORDS],
    /// The values as served. Read under the lock only by scrapes, by sets too long for a
    /// key in line, and by a call whose set was evicted under it.
    values: Mutex<Arc<[Box<str>]>>,
    /// In the index and served.
    live: AtomicBool,
    /// Looked up since the last sweep.
    touched: AtomicBool,
    pub(crate) storage: S,
}

impl<S> Entry<S> {
    fn blank(storage: S) -> Entry<S> {
        Entry {
            seq: AtomicU64::new(0),
            hash: AtomicU64::new(0),
            key: [const { AtomicU64::new(0) }; KEY_WORDS],
            values: Mutex::new(Arc::from(Vec::new())),
            live: AtomicBool::new(false),
            touched: AtomicBool::new(false),
            storage,
        }
    }

    /// The sequence number at which this entry is `probe`'s set, if it is.
    #[inline(always)]
    fn matches(&self, probe: &Probe<'_, '_>) -> Option<u64> {
        let seq = self.seq.load(Ordering::Acquire);
        if seq & 1 == 1 || self.hash.load(Ordering::Relaxed) != probe.hash {
            return None;
        }
        let same_set = match &probe.key {
            // Only the words the key fills: the first byte is its length, and both keys
            // are zero past it, so equal first words mean the rest are compared as needed.
            Some(key) => {
                let used = (key[0] as u8 as usize).div_ceil(8);
                key[..used]
                    .iter()
                    .zip(&self.key)
                    .all(|(word, stored)| *word == stored.load(Ordering::Relaxed))
            }
            None => self.long_matches(probe.values),
        };
        // Read the identity before checking that no rewrite began meanwhile.
        fence(Ordering::Acquire);
        (same_set && self.seq.load(Ordering::Relaxed) == seq).then_some(seq)
    }

    #[cold]
    fn long_matches(&self, values: &[LabelValue<'_>]) -> bool {
        self.key[0].load(Ordering::Relaxed) == NOT_IN_LINE && same(&self.values(), values)
    }

    /// Gives this entry to `probe`'s set. The caller holds the table's lock and the entry
    /// is in no index slot, so only readers that found it earlier can be looking: the odd
    /// sequence number tells them to look again.
    fn rewrite(&self, probe: &Probe<'_, '_>) -> u64 {
        let odd = self.seq.load(Ordering::Relaxed) | 1;
        self.seq.store(odd, Ordering::Relaxed);
        fence(Ordering::Release);
        self.hash.store(probe.hash, Ordering::Relaxed);
        let key = probe.key.unwrap_or([NOT_IN_LINE; KEY_WORDS]);
        for (stored, word) in self.key.iter().zip(key) {
            stored.store(word, Ordering::Relaxed);
        }
        *lock(&self.values) = probe.values.iter().map(LabelValue::text).collect();
        // Used now: the next sweep dates it, as it dates every set used since the last.
        self.touched.store(true, Ordering::Relaxed);
        self.seq.store(odd + 1, Ordering::Release);
        odd + 1
    }

    /// Ends this entry's identity (an evicted set's, out of quarantine): a call that looked
    /// it up before now finds its sequence number moved on.
    pub(super) fn retire(&self) {
        self.seq.fetch_or(1, Ordering::AcqRel);
    }

    /// The values as served.
    pub(crate) fn values(&self) -> Arc<[Box<str>]> {
        Arc::clone(&lock(&self.values))
    }

    /// Whether it was looked up since the last sweep (clearing the mark).
    pub(super) fn take_touched(&self) -> bool {
        self.touched.swap(false, Ordering::Relaxed)
    }

    pub(super) fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::Release);
    }

    /// Whether this entry is in the index and served.
    pub(crate) fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a call records: its label set's entry as it was when the call looked it up.
#[derive(Debug)]
pub struct SeriesRef<'a, S> {
    entry: &'a Entry<S>,
    seq: u64,
}

impl<S> Clone for SeriesRef<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for SeriesRef<'_, S> {}

impl<'a, S> SeriesRef<'a, S> {
    /// The storage, for a table that never evicts (a declared family): it stays this
    /// set's for good.
    pub(crate) fn storage(self) -> &'a S {
        &self.entry.storage
    }

    /// Marks the set used, for an update through a handle the bot kept instead of looking
    /// the set up again (a lookup marks it already): a set in use is not evicted.
    #[inline(always)]
    pub(crate) fn touch(self) {
        if !self.entry.touched.load(Ordering::Relaxed) {
            self.entry.touched.store(true, Ordering::Relaxed);
        }
    }

    /// Records into this set's storage with `record`, which returns `false` when it found
    /// the storage sealed (the set was evicted meanwhile: nothing it wrote counts there).
    /// `Err` when the update still has to land: see [`LabelTable::relocate`].
    #[inline(always)]
    pub(crate) fn record(self, record: impl FnOnce(&S) -> bool) -> Result<(), SeriesRef<'a, S>> {
        if self.entry.seq.load(Ordering::Relaxed) == self.seq && record(&self.entry.storage) {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// Index slots: 0 is empty, `n` is the pool's entry `n - 1`.
const EMPTY: u32 = 0;

/// What only the lock's holder reads and writes.
#[derive(Debug, Default)]
pub(super) struct Books {
    /// Per pool entry: when a sweep last saw it looked up (live) or sealed it
    /// (quarantined), in milliseconds of [`now_ms`].
    pub(super) stamp: Vec<u64>,
    /// Pool entries ready for a new set.
    pub(super) free: Vec<u32>,
    /// Pool entries evicted and not yet reusable.
    pub(super) quarantined: Vec<u32>,
    /// Entries in the index.
    pub(super) live: usize,
}

/// The overflow series: its values (all `"__overflow__"`) and storage.
type Overflow<S> = (Arc<[Box<str>]>, S);

/// A function's label sets.
#[derive(Debug)]
pub(crate) struct LabelTable<S> {
    index: Box<[AtomicU32]>,
    mask: usize,
    /// Made as needed, never freed: `2 × max` entries, so that evicted entries can wait in
    /// quarantine while as many new sets arrive.
    pub(super) pool: Box<[OnceLock<Box<Entry<S>>>]>,
    pub(super) max: usize,
    /// `label_idle` in milliseconds; `None`: sets are never evicted.
    pub(super) idle_ms: Option<u64>,
    pub(super) books: Mutex<Books>,
    /// Boxed: the table lives in every labelled site's static, and an entry holds a whole
    /// striped storage.
    overflow: OnceLock<Box<Overflow<S>>>,
    /// Calls that went to the overflow series.
    overflowed: AtomicU64,
    /// Label sets evicted.
    pub(super) evictions: AtomicU64,
    warned: AtomicBool,
}

impl<S> LabelTable<S> {
    /// A table of at most `max_series` live sets, evicting sets idle for `idle` (never
    /// with `None`).
    pub(crate) fn new(max_series: u32, idle: Option<Duration>) -> LabelTable<S> {
        let max = usize::try_from(max_series.max(1)).unwrap_or(usize::MAX);
        let pool = if idle.is_some() { 2 * max } else { max };
        // At most half full: probes stay short and always end at an empty slot.
        let capacity = (2 * max).next_power_of_two();
        LabelTable {
            index: (0..capacity).map(|_| AtomicU32::new(EMPTY)).collect(),
            mask: capacity - 1,
            pool: (0..pool).map(|_| OnceLock::new()).collect(),
            max,
            idle_ms: idle.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)),
            books: Mutex::new(Books {
                free: Vec::new(),
                ..Books::default()
            }),
            overflow: OnceLock::new(),
            overflowed: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            warned: AtomicBool::new(false),
        }
    }

    /// This call's label set: its own entry, or the overflow series'. `owner` names the
    /// table in the one-time overflow notice.
    #[inline(always)]
    pub(crate) fn lookup(
        &self,
        owner: impl Fn() -> String,
        values: &[LabelValue<'_>],
        make: impl Fn() -> S,
    ) -> Found<'_, S> {
        let probe = Probe::of(values);
        match self.find(&probe) {
            Some(found) => Found::Set(found),
            None => self.insert(&owner, &probe, &make),
        }
    }

    /// The live entry of `probe`'s set, if the index shows one.
    #[inline(always)]
    fn find(&self, probe: &Probe<'_, '_>) -> Option<SeriesRef<'_, S>> {
        let mut index = (probe.hash as usize) & self.mask;
        loop {
            let slot = self.index[index].load(Ordering::Acquire);
            if slot == EMPTY {
                return None;
            }
            let entry = self.entry(slot);
            if let Some(seq) = entry.matches(probe) {
                if !entry.touched.load(Ordering::Relaxed) {
                    entry.touched.store(true, Ordering::Relaxed);
                }
                return Some(SeriesRef { entry, seq });
            }
            index = (index + 1) & self.mask;
        }
    }

    #[inline(always)]
    fn entry(&self, slot: u32) -> &Entry<S> {
        self.pool[slot as usize - 1]
            .get()
            .expect("an entry is made before its index slot is written")
    }

    /// A set the index did not show: look again under the lock (an eviction may have
    /// moved it), then give it an entry, or the overflow series once `max_series` sets
    /// are live. Out of line, so that the hit path keeps a small frame.
    #[cold]
    #[inline(never)]
    fn insert(
        &self,
        owner: &impl Fn() -> String,
        probe: &Probe<'_, '_>,
        make: &impl Fn() -> S,
    ) -> Found<'_, S> {
        let mut books = lock(&self.books);
        if let Some(found) = self.find(probe) {
            return Found::Set(found);
        }
        let Some(at) = self.take_entry(&mut books, make) else {
            drop(books);
            return Found::Overflow(self.overflow(owner, probe.values.len(), make));
        };
        let entry = self.pool[at].get().expect("taken entries are made");
        let seq = entry.rewrite(probe);
        books.live += 1;
        entry.live.store(true, Ordering::Release);
        let mut index = (probe.hash as usize) & self.mask;
        while self.index[index].load(Ordering::Relaxed) != EMPTY {
            index = (index + 1) & self.mask;
        }
        let slot = u32::try_from(at + 1).expect("a pool of at most 2^32 entries");
        self.index[index].store(slot, Ordering::Release);
        Found::Set(SeriesRef { entry, seq })
    }

    /// A pool entry for a new set, if fewer than `max` are live and one is free or unmade.
    fn take_entry(&self, books: &mut Books, make: &impl Fn() -> S) -> Option<usize> {
        if books.live >= self.max {
            return None;
        }
        if let Some(at) = books.free.pop() {
            return Some(at as usize);
        }
        let at = books.stamp.len();
        if at >= self.pool.len() {
            return None;
        }
        self.pool[at].get_or_init(|| Box::new(Entry::blank(make())));
        books.stamp.push(0);
        Some(at)
    }

    /// Takes `at` out of the index (the caller holds the lock), closing the gap so that
    /// every other set stays reachable from its hash (Knuth's deletion for linear probing).
    /// A call probing meanwhile may miss its set for a moment: it then looks again under
    /// the lock.
    pub(super) fn unindex(&self, at: usize) {
        let slot = u32::try_from(at + 1).expect("a pool of at most 2^32 entries");
        let home = (self.entry(slot).hash.load(Ordering::Relaxed) as usize) & self.mask;
        let mut hole = home;
        loop {
            match self.index[hole].load(Ordering::Relaxed) {
                found if found == slot => break,
                EMPTY => return,
                _ => hole = (hole + 1) & self.mask,
            }
        }
        self.index[hole].store(EMPTY, Ordering::Release);
        let mut next = hole;
        loop {
            next = (next + 1) & self.mask;
            let moving = self.index[next].load(Ordering::Relaxed);
            if moving == EMPTY {
                return;
            }
            let home = (self.entry(moving).hash.load(Ordering::Relaxed) as usize) & self.mask;
            // Whether `home` lies cyclically in (hole, next]: then it stays.
            let stays = if hole <= next {
                hole < home && home <= next
            } else {
                hole < home || home <= next
            };
            if !stays {
                self.index[hole].store(moving, Ordering::Release);
                self.index[next].store(EMPTY, Ordering::Release);
                hole = next;
            }
        }
    }

    #[cold]
    fn overflow(&self, owner: &impl Fn() -> String, labels: usize, make: &impl Fn() -> S) -> &S {
        if !self.warned.swap(true, Ordering::Relaxed) {
            let evicting = match self.idle_ms {
                Some(_) => " until a set goes idle and is evicted",
                None => "",
            };
            eprintln!(
                "botwatch: {} has more than {} distinct label sets at once (max_series); \
                 further ones are recorded with every per-call label set to \"{OVERFLOW}\"{evicting}",
                owner(),
                self.max
            );
        }
        self.overflow_of(labels, make)
    }

    /// The overflow series itself (`labels` values, all `"__overflow__"`), counted as an
    /// overflowed update, without the `max_series` notice (the caller says why).
    #[cold]
    pub(crate) fn overflow_of(&self, labels: usize, make: &impl Fn() -> S) -> &S {
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        &self
            .overflow
            .get_or_init(|| Box::new(((0..labels).map(|_| OVERFLOW.into()).collect(), make())))
            .1
    }

    /// An update whose set was evicted between its lookup and its record: the set's live
    /// entry now (made again if need be), or the overflow series when the entry was
    /// already given to another set (a call that outlived its set's eviction and
    /// quarantine). Counted where it lands, so it is never lost.
    #[cold]
    #[inline(never)]
    pub(crate) fn relocate(
        &self,
        moved: SeriesRef<'_, S>,
        owner: impl Fn() -> String,
        make: impl Fn() -> S,
    ) -> &S {
        let entry = moved.entry;
        let (values, hash, key) = {
            // Under the values' lock: a rewrite of the entry takes it too.
            let values = lock(&entry.values);
            let hash = entry.hash.load(Ordering::Relaxed);
            let key: KeyWords = std::array::from_fn(|i| entry.key[i].load(Ordering::Relaxed));
            if entry.seq.load(Ordering::Acquire) != moved.seq {
                let labels = values.len();
                drop(values);
                return self.overflow_of(labels, &make);
            }
            (Arc::clone(&values), hash, key)
        };
        let texts: Vec<LabelValue<'_>> = values.iter().map(|v| LabelValue::Str(v)).collect();
        let probe = Probe {
            hash,
            key: (key[0] != NOT_IN_LINE).then_some(key),
            values: &texts,
        };
        match self.find(&probe) {
            Some(found) => &found.entry.storage,
            None => match self.insert(&owner, &probe, &make) {
                Found::Set(found) => &found.entry.storage,
                Found::Overflow(storage) => storage,
            },
        }
    }

    /// Every live label set with its storage, the overflow series last.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (Arc<[Box<str>]>, &S)> {
        self.pool
            .iter()
            .filter_map(|entry| entry.get())
            .filter(|entry| entry.is_live())
            .map(|entry| (entry.values(), &entry.storage))
            .chain(
                self.overflow
                    .get()
                    .map(|overflow| (Arc::clone(&overflow.0), &overflow.1)),
            )
    }

    /// Calls recorded in the overflow series.
    pub(crate) fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Label sets evicted so far.
    pub(crate) fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }
}

/// What a lookup found.
#[derive(Debug)]
pub enum Found<'a, S> {
    /// The set's own entry.
    Set(SeriesRef<'a, S>),
    /// The overflow series: `max_series` sets are live.
    Overflow(&'a S),
}

impl<S> Clone for Found<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Found<'_, S> {}

/// Milliseconds on the monotonic clock since the first label table asked, plus what
/// [`advance_clock`] added.
pub(super) fn now_ms() -> u64 {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .saturating_add(ADVANCED_MS.load(Ordering::Relaxed))
}

/// Time added to the label tables' clock by tests.
static ADVANCED_MS: AtomicU64 = AtomicU64::new(0);

/// Moves the clock that dates label sets `by` ahead, so that a test sees `label_idle`
/// (an hour by default) pass without waiting (`botwatch::__private::label_clock`).
pub fn advance_clock(by: Duration) {
    let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
    ADVANCED_MS.fetch_add(by, Ordering::Relaxed);
}
