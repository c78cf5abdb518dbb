//! Per-call labels (`labels(venue = venue.name())`) and labelled declared families: the
//! values a call gives, their hash, and how a value of any type becomes one.
//!
//! - `table.rs`: a function's label sets, at most `max_series` live at once; the lock-free
//!   hit path.
//! - `key.rs`: a set's values in line, which a hit compares.
//! - `evict.rs`: sets idle for `label_idle` leave at scrape, with no call lost.

mod evict;
mod key;
mod table;

pub(crate) use evict::{Evicted, Sealable, SEALED};
pub use table::advance_clock;
pub(crate) use table::LabelTable;
pub use table::{Found, SeriesRef};

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
mod tests;
