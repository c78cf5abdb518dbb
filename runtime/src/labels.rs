//! Per-call labels (`labels(venue = venue.name())`): each function keeps a table of at most
//! `max_series` label sets, each with storage of its own; later sets share one
//! `"__overflow__"` series.
//!
//! The hit path is lock-free and allocation-free: the call's values are hashed (a word at
//! a time),
//! the table is probed from the hash, and each slot is a `OnceLock` read with one acquire
//! load. Only the first call with a new set allocates (its owned values and storage), once.
//! Slots are never freed, so memory per function is bounded by `max_series` entries plus
//! the table (2 slots per entry) — see `docs/metrics.md` for the figures.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use botwatch_spec::model::Site;

/// The value every per-call label of the overflow series carries.
pub(crate) const OVERFLOW: &str = "__overflow__";

/// Longest label value kept, in bytes; longer values are cut at a character boundary
/// (every series carries its values on every scrape).
pub(crate) const MAX_VALUE_BYTES: usize = 256;

/// One per-call label value as a call gives it, borrowed for the lookup only.
#[derive(Clone, Copy, Debug)]
pub enum LabelValue<'a> {
    /// Text (`AsRef<str>`).
    Str(&'a str),
    /// An integer.
    Int(i128),
    /// A `bool`.
    Bool(bool),
}

impl LabelValue<'_> {
    /// The text as stored and rendered, cut to [`MAX_VALUE_BYTES`].
    fn text(&self) -> Box<str> {
        match self {
            LabelValue::Str(s) => truncate(s).into(),
            LabelValue::Int(i) => i.to_string().into_boxed_str(),
            LabelValue::Bool(b) => b.to_string().into_boxed_str(),
        }
    }

    /// Text in line (the common case, and the one the hit path is measured on); numbers
    /// and `bool`s out of line.
    #[inline(always)]
    fn matches(&self, stored: &str) -> bool {
        match self {
            LabelValue::Str(s) => same_bytes(truncate(s).as_bytes(), stored.as_bytes()),
            scalar => scalar.scalar_matches(stored),
        }
    }

    /// The bytes an in-line key holds for this value: text only, cut like the stored text.
    #[inline(always)]
    fn inline_text(&self) -> Option<&[u8]> {
        match self {
            LabelValue::Str(text) => Some(truncate(text).as_bytes()),
            _ => None,
        }
    }

    #[inline(never)]
    fn scalar_matches(&self, stored: &str) -> bool {
        match self {
            LabelValue::Str(s) => truncate(s) == stored,
            LabelValue::Int(i) => stored.parse::<i128>().ok() == Some(*i),
            LabelValue::Bool(b) => stored == if *b { "true" } else { "false" },
        }
    }

    /// This value's hash on its own: each value of a set starts from the same seed, so
    /// the multiplies of a set's values do not wait for each other.
    #[inline(always)]
    fn hash(&self) -> u64 {
        let mut hash = 0xcbf2_9ce4_8422_2325;
        match self {
            LabelValue::Str(s) => mix(&mut hash, truncate(s).as_bytes()),
            LabelValue::Int(i) => mix(&mut hash, &i.to_le_bytes()),
            LabelValue::Bool(b) => mix(&mut hash, &[u8::from(*b)]),
        }
        hash
    }
}

#[inline(always)]
fn truncate(s: &str) -> &str {
    if s.len() <= MAX_VALUE_BYTES {
        s
    } else {
        cut(s)
    }
}

#[cold]
fn cut(s: &str) -> &str {
    let mut end = MAX_VALUE_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Mixes `bytes` into `hash` a word at a time (FxHash's step: rotate, xor, multiply), so a
/// venue name costs one or two multiplies instead of one per byte. The last partial word is
/// read with two overlapping loads (no copy), and the length keeps "a" and "a\0" apart.
#[inline(always)]
fn mix(hash: &mut u64, bytes: &[u8]) {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut step = |word: u64| *hash = (hash.rotate_left(5) ^ word).wrapping_mul(K);
    let mut rest = bytes;
    while rest.len() > 8 {
        let (word, tail) = rest.split_at(8);
        step(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        rest = tail;
    }
    let n = rest.len();
    let word = if n >= 4 {
        let low = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
        let high = u32::from_le_bytes(rest[n - 4..].try_into().expect("4 bytes"));
        u64::from(low) | (u64::from(high) << 32)
    } else if n > 0 {
        u64::from(rest[0]) | (u64::from(rest[n / 2]) << 8) | (u64::from(rest[n - 1]) << 16)
    } else {
        0
    };
    step(word ^ ((n as u64) << 59));
}

/// A label set's hash: its values' hashes, each rotated by its position, so that
/// ("a", "b") and ("b", "a") hash apart (and, since a value's hash covers its length,
/// ("ab", "c") and ("a", "bc") too).
#[inline(always)]
fn hash_of(values: &[LabelValue<'_>]) -> u64 {
    let mut hash = 0u64;
    for value in values {
        hash = hash.rotate_left(23) ^ value.hash();
    }
    // The table indexes with the low bits: fold the well-mixed high bits into them.
    hash ^ (hash >> 29)
}

/// One label set and its storage.
#[derive(Debug)]
pub(crate) struct Entry<S> {
    hash: u64,
    /// The values again, as `length, bytes` pairs next to the hash, when they are all
    /// text and fit: a hit compares them here instead of following a pointer per value.
    key: Option<InlineKey>,
    pub(crate) values: Box<[Box<str>]>,
    pub(crate) storage: S,
}

impl<S> Entry<S> {
    fn new(hash: u64, values: &[LabelValue<'_>], storage: S) -> Entry<S> {
        Entry {
            hash,
            key: InlineKey::of(values),
            values: values.iter().map(LabelValue::text).collect(),
            storage,
        }
    }

    /// Whether this entry is the set `values`.
    #[inline(always)]
    fn is(&self, values: &[LabelValue<'_>]) -> bool {
        match &self.key {
            Some(key) => key
                .matches(values)
                .unwrap_or_else(|| same(&self.values, values)),
            None => same(&self.values, values),
        }
    }
}

/// Bytes of a label set's text kept in line (venue and side, symbol and desk fit).
const INLINE_KEY: usize = 46;

/// A label set's text values as `length, bytes` pairs, in line.
#[derive(Debug)]
struct InlineKey {
    len: u8,
    bytes: [u8; INLINE_KEY],
}

impl InlineKey {
    fn of(values: &[LabelValue<'_>]) -> Option<InlineKey> {
        let mut key = InlineKey {
            len: 0,
            bytes: [0; INLINE_KEY],
        };
        let mut at = 0;
        for value in values {
            let text = value.inline_text()?;
            let end = at + 1 + text.len();
            if end > INLINE_KEY {
                return None;
            }
            key.bytes[at] = u8::try_from(text.len()).ok()?;
            key.bytes[at + 1..end].copy_from_slice(text);
            at = end;
        }
        key.len = u8::try_from(at).ok()?;
        Some(key)
    }

    /// Whether `values` are this key's text; `None` when a value is not text (a number
    /// equal to a stored text is decided by [`same`]).
    #[inline(always)]
    fn matches(&self, values: &[LabelValue<'_>]) -> Option<bool> {
        let mut at = 0;
        for value in values {
            let text = value.inline_text()?;
            let end = at + 1 + text.len();
            if end > usize::from(self.len) || usize::from(self.bytes[at]) != text.len() {
                return Some(false);
            }
            if !same_bytes(text, &self.bytes[at + 1..end]) {
                return Some(false);
            }
            at = end;
        }
        Some(at == usize::from(self.len))
    }
}

/// A function's label sets.
#[derive(Debug)]
pub(crate) struct LabelTable<S> {
    /// Boxed entries: an empty slot costs 16 bytes, not a whole entry.
    slots: Box<[OnceLock<Box<Entry<S>>>]>,
    mask: usize,
    /// Sets admitted so far (reserved before they are written).
    len: AtomicUsize,
    max: usize,
    /// Boxed like the slots' entries: the table lives in every labelled site's static, and
    /// an entry holds a whole striped storage (a `#[counted]` site went from 384 to 896
    /// bytes with it in line).
    overflow: OnceLock<Box<Entry<S>>>,
    /// Calls that went to the overflow series.
    overflowed: AtomicU64,
    warned: AtomicBool,
}

impl<S> LabelTable<S> {
    pub(crate) fn new(max_series: u32) -> LabelTable<S> {
        let max = usize::try_from(max_series.max(1)).unwrap_or(usize::MAX);
        let capacity = (2 * max).next_power_of_two();
        LabelTable {
            slots: (0..capacity).map(|_| OnceLock::new()).collect(),
            mask: capacity - 1,
            len: AtomicUsize::new(0),
            max,
            overflow: OnceLock::new(),
            overflowed: AtomicU64::new(0),
            warned: AtomicBool::new(false),
        }
    }

    /// The storage of this call's label set: its own, or the overflow series'.
    #[inline(always)]
    pub(crate) fn storage(
        &self,
        site: &Site,
        values: &[LabelValue<'_>],
        make: impl Fn() -> S,
    ) -> &S {
        self.storage_of(
            || format!("{}::{}", site.module, site.function),
            values,
            make,
        )
    }

    /// Like [`storage`](Self::storage) for any owner: `owner` names it in the one-time
    /// overflow notice.
    #[inline(always)]
    pub(crate) fn storage_of(
        &self,
        owner: impl Fn() -> String,
        values: &[LabelValue<'_>],
        make: impl Fn() -> S,
    ) -> &S {
        let hash = hash_of(values);
        let mut index = (hash as usize) & self.mask;
        loop {
            match self.slots[index].get() {
                Some(entry) if entry.hash == hash && entry.is(values) => return &entry.storage,
                Some(_) => index = (index + 1) & self.mask,
                None => return self.insert(index, hash, &owner, values, &make),
            }
        }
    }

    /// A set not in the table (as far as the probe from `index` saw): give it a slot, or
    /// the overflow series once `max_series` sets have one. Out of line, so that the hit
    /// path above keeps a small frame.
    #[cold]
    #[inline(never)]
    fn insert(
        &self,
        mut index: usize,
        hash: u64,
        owner: &impl Fn() -> String,
        values: &[LabelValue<'_>],
        make: &impl Fn() -> S,
    ) -> &S {
        let mut reserved = false;
        loop {
            match self.slots[index].get() {
                Some(entry) if entry.hash == hash && entry.is(values) => {
                    if reserved {
                        self.len.fetch_sub(1, Ordering::Relaxed);
                    }
                    return &entry.storage;
                }
                Some(_) => index = (index + 1) & self.mask,
                None => {
                    if !reserved {
                        if self.len.fetch_add(1, Ordering::Relaxed) >= self.max {
                            self.len.fetch_sub(1, Ordering::Relaxed);
                            return self.overflow(owner, values.len(), make);
                        }
                        reserved = true;
                    }
                    let entry = Box::new(Entry::new(hash, values, make()));
                    // Another call may fill this slot first (with this set or another):
                    // then look at what it wrote. Either way the loop reads the slot next.
                    if self.slots[index].set(entry).is_ok() {
                        reserved = false;
                    }
                }
            }
        }
    }

    /// The overflow series itself (`labels` values, all `"__overflow__"`), counted as an
    /// overflowed update, without the `max_series` notice (the caller says why).
    #[cold]
    pub(crate) fn overflow_of(&self, labels: usize, make: &impl Fn() -> S) -> &S {
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        self.overflow_entry(labels, make)
    }

    #[cold]
    fn overflow(&self, owner: &impl Fn() -> String, labels: usize, make: &impl Fn() -> S) -> &S {
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        if !self.warned.swap(true, Ordering::Relaxed) {
            eprintln!(
                "botwatch: {} has more than {} distinct label sets (max_series); \
                 further ones are recorded with every per-call label set to \"{OVERFLOW}\"",
                owner(),
                self.max
            );
        }
        self.overflow_entry(labels, make)
    }

    fn overflow_entry(&self, labels: usize, make: &impl Fn() -> S) -> &S {
        &self
            .overflow
            .get_or_init(|| {
                Box::new(Entry {
                    hash: 0,
                    key: None,
                    values: (0..labels).map(|_| OVERFLOW.into()).collect(),
                    storage: make(),
                })
            })
            .storage
    }

    /// Every label set with its storage, the overflow series last.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry<S>> {
        self.slots
            .iter()
            .filter_map(|slot| slot.get().map(|entry| &**entry))
            .chain(self.overflow.get().map(|entry| &**entry))
    }

    /// Calls recorded in the overflow series.
    pub(crate) fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }
}

#[inline(always)]
fn same(stored: &[Box<str>], values: &[LabelValue<'_>]) -> bool {
    if stored.len() != values.len() {
        return false;
    }
    // A plain loop: the iterator adapters' `try_fold` was left out of line.
    for i in 0..values.len() {
        if !values[i].matches(&stored[i]) {
            return false;
        }
    }
    true
}

/// `a == b`, with values of up to 16 bytes (venues, symbols, sides) compared by two
/// overlapping loads each, in line, instead of a call to `memcmp`: on a hit every stored
/// value is compared, so this is most of the hit path after the hash.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4"));
    match n {
        0 => true,
        // Three bytes cover every position of a value of up to 3 bytes.
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Wraps a per-call label's value to turn it into a [`LabelValue`] by its type.
#[derive(Debug)]
pub struct LabelArg<'a, T: ?Sized>(pub &'a T);

/// Text values: anything `AsRef<str>` (picked first by method resolution: generated code
/// calls `(&LabelArg(&value)).botwatch_label()`).
pub trait TextLabel {
    /// The value.
    fn botwatch_label(&self) -> LabelValue<'_>;
}

impl<T: AsRef<str> + ?Sized> TextLabel for LabelArg<'_, T> {
    #[inline(always)]
    fn botwatch_label(&self) -> LabelValue<'_> {
        LabelValue::Str(self.0.as_ref())
    }
}

/// Integers and `bool`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a per-call label value",
    label = "not text, an integer or a bool",
    note = "a per-call label takes something `AsRef<str>` (a `&str`, a `String`), an integer or a `bool`; convert it, like `venue = venue.to_string()`"
)]
pub trait ScalarLabel {
    /// The value.
    fn label_value(&self) -> LabelValue<'static>;
}

macro_rules! integer_labels {
    ($($t:ty),*) => {$(
        impl ScalarLabel for $t {
            #[inline(always)]
            fn label_value(&self) -> LabelValue<'static> {
                LabelValue::Int(i128::from(*self))
            }
        }
    )*};
}

integer_labels!(u8, u16, u32, u64, i8, i16, i32, i64, i128);

impl ScalarLabel for usize {
    fn label_value(&self) -> LabelValue<'static> {
        LabelValue::Int(i128::try_from(*self).unwrap_or(i128::MAX))
    }
}

impl ScalarLabel for isize {
    fn label_value(&self) -> LabelValue<'static> {
        LabelValue::Int(i128::try_from(*self).unwrap_or(i128::MAX))
    }
}

impl ScalarLabel for bool {
    fn label_value(&self) -> LabelValue<'static> {
        LabelValue::Bool(*self)
    }
}

/// Integer and `bool` values (after [`TextLabel`] did not apply).
pub trait ScalarLabelArg {
    /// The value.
    fn botwatch_label(&self) -> LabelValue<'static>;
}

impl<T: ScalarLabel + ?Sized> ScalarLabelArg for &LabelArg<'_, T> {
    #[inline(always)]
    fn botwatch_label(&self) -> LabelValue<'static> {
        self.0.label_value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn site() -> Site {
        Site {
            function: Cow::Borrowed("f"),
            module: Cow::Borrowed("m"),
            attribute: botwatch_spec::model::Attribute::Counted(Default::default()),
        }
    }

    #[test]
    fn the_same_set_finds_the_same_storage_and_the_bound_holds() {
        let table: LabelTable<AtomicU64> = LabelTable::new(3);
        let site = site();
        let get = |venue: &str, side: i128| {
            let values = [LabelValue::Str(venue), LabelValue::Int(side)];
            std::ptr::from_ref(table.storage(&site, &values, || AtomicU64::new(0)))
        };
        let a = get("binance", 1);
        assert_eq!(a, get("binance", 1), "a hit");
        assert_ne!(a, get("binance", 2));
        let c = get("kraken", 1);
        assert_ne!(a, c);
        let overflow = get("okx", 1);
        assert_eq!(
            overflow,
            get("bybit", 3),
            "past max_series: one overflow series"
        );
        assert_eq!(table.entries().count(), 4, "3 sets and the overflow");
        assert_eq!(table.overflowed(), 2);
        assert_eq!(a, get("binance", 1), "known sets keep their series");
    }

    /// Sets that differ only in the order, the split or the length of their values hash
    /// apart: with a plain xor of the values' hashes (or no length in them) such pairs would
    /// share a probe sequence, and a venue × side table would probe twice as far.
    #[test]
    fn reordered_and_resplit_sets_hash_apart() {
        let text = |values: &[&'static str]| -> Vec<LabelValue<'static>> {
            values.iter().map(|v| LabelValue::Str(v)).collect()
        };
        let pairs = [
            (text(&["binance", "buy"]), text(&["buy", "binance"])),
            (text(&["ab", "c"]), text(&["a", "bc"])),
            (text(&["a", "a"]), text(&["b", "b"])),
            (text(&["", "x"]), text(&["x", ""])),
            (text(&["a"]), text(&["a", ""])),
            // Read as the same three bytes (first, middle, last): only the length differs.
            (text(&["a", "sell"]), text(&["aaa", "sell"])),
            (
                text(&["0123456789abcdef-x", "s"]),
                text(&["0123456789abcdef-", "xs"]),
            ),
        ];
        for (a, b) in &pairs {
            assert_ne!(hash_of(a), hash_of(b), "{a:?} and {b:?}");
        }
        // The hash reads the text, not where it lives: a borrowed `String` finds the set a
        // literal made.
        assert_eq!(
            hash_of(&text(&["binance", "buy"])),
            hash_of(&[
                LabelValue::Str("binance"),
                LabelValue::Str(&String::from("buy"))
            ])
        );
    }

    /// Every length up to past the in-line cases, a difference at every position.
    #[test]
    fn short_values_compare_like_slices() {
        for n in 0..=20 {
            let a: Vec<u8> = (0..n).map(|i| b'a' + i as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "{n} bytes equal");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{n} bytes, differing at {at}");
            }
            assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    /// The in-line key tells sets apart as the stored values do: by each value's length
    /// and bytes, in order, including empty values, a number equal to a stored text, and
    /// sets too long to keep in line.
    #[test]
    fn entries_recognise_exactly_their_own_set() {
        let long = "x".repeat(60);
        let sets: Vec<Vec<LabelValue<'_>>> = vec![
            vec![LabelValue::Str("binance"), LabelValue::Str("buy")],
            vec![LabelValue::Str("binance"), LabelValue::Str("sell")],
            vec![LabelValue::Str("binancebuy"), LabelValue::Str("")],
            vec![
                LabelValue::Str("binance"),
                LabelValue::Str("buy"),
                LabelValue::Str(""),
            ],
            vec![LabelValue::Str("binance")],
            vec![LabelValue::Str(""), LabelValue::Str("binancebuy")],
            vec![LabelValue::Str(&long), LabelValue::Str("buy")],
            vec![LabelValue::Str("7"), LabelValue::Str("buy")],
            vec![LabelValue::Int(8), LabelValue::Str("buy")],
            // The key of ("a", "b") is 1 a 1 b: its bytes after the first length.
            vec![LabelValue::Str("a"), LabelValue::Str("b")],
            vec![LabelValue::Str("a\u{1}b")],
        ];
        for (i, stored) in sets.iter().enumerate() {
            let entry = Entry::new(0, stored, ());
            for (j, call) in sets.iter().enumerate() {
                assert_eq!(entry.is(call), i == j, "entry {stored:?}, call {call:?}");
            }
        }
        let text = Entry::new(0, &[LabelValue::Str("7"), LabelValue::Str("buy")], ());
        assert!(text.key.is_some());
        assert!(text.is(&[LabelValue::Int(7), LabelValue::Str("buy")]));
        assert!(
            Entry::new(0, &sets[6], ()).key.is_none(),
            "too long for in line"
        );
    }

    #[test]
    fn long_values_are_cut_at_a_character_boundary() {
        let long = "é".repeat(1_000);
        let text = LabelValue::Str(&long).text();
        assert!(text.len() <= MAX_VALUE_BYTES);
        assert!(long.starts_with(&*text));
    }

    #[test]
    fn racing_inserts_of_one_new_set_make_one_entry() {
        for _ in 0..50 {
            let table: LabelTable<AtomicU64> = LabelTable::new(100);
            let site = site();
            std::thread::scope(|scope| {
                for _ in 0..4 {
                    scope.spawn(|| {
                        for venue in ["a", "b", "c", "d"] {
                            table
                                .storage(&site, &[LabelValue::Str(venue)], || AtomicU64::new(0))
                                .fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
            });
            let entries: Vec<_> = table.entries().collect();
            assert_eq!(entries.len(), 4, "one entry per set");
            for entry in entries {
                assert_eq!(entry.storage.load(Ordering::Relaxed), 4);
            }
        }
    }
}
