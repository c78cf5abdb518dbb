//! A label set's values in line, as six words: what a hit compares instead of following a
//! pointer per value. The table keeps each entry's key in atomic words, because an
//! entry's slot is reused for another set once its own was evicted.

use super::{truncate, LabelValue};

/// Words of an in-line key: 48 bytes, enough for a venue and a side, a symbol and a desk.
pub(super) const KEY_WORDS: usize = 6;

/// A key as words.
pub(super) type KeyWords = [u64; KEY_WORDS];

/// The first word of an entry whose set is too long for a key in line: its first byte,
/// 0xFF, is no key's length (a key is at most 48 bytes).
pub(super) const NOT_IN_LINE: u64 = u64::MAX;

/// Marks a value that is an integer (16 bytes follow) or a `bool` (one byte follows); a
/// text's mark is its length, at most 47 in a key that fits.
const INTEGER: u8 = 0xFC;
const BOOLEAN: u8 = 0xFD;

/// The set as `length, bytes` pairs (text, cut like the stored text), `INTEGER` + 16 bytes
/// or `BOOLEAN` + 1 byte, after one byte holding the key's length; `None` when it does not
/// fit in [`KEY_WORDS`] words.
#[inline(always)]
pub(super) fn key_of(values: &[LabelValue<'_>]) -> Option<KeyWords> {
    let mut key = Key::new();
    for value in values {
        match value {
            LabelValue::Str(text) => key.push_text(text)?,
            LabelValue::Int(_) | LabelValue::Bool(_) => return scalar_key(values),
        }
    }
    key.finish()
}

/// [`key_of`] for a set with a number or a `bool` in it, out of line: text sets are the
/// common case the hit path is measured on.
#[inline(never)]
fn scalar_key(values: &[LabelValue<'_>]) -> Option<KeyWords> {
    let mut key = Key::new();
    for value in values {
        match value {
            LabelValue::Str(text) => key.push_text(text)?,
            LabelValue::Int(i) => key.push(INTEGER, &i.to_le_bytes())?,
            LabelValue::Bool(b) => key.push(BOOLEAN, &[u8::from(*b)])?,
        }
    }
    key.finish()
}

/// A key being laid out: its bytes, and where the next value goes.
struct Key {
    bytes: [u8; KEY_WORDS * 8],
    at: usize,
}

impl Key {
    #[inline(always)]
    fn new() -> Key {
        Key {
            bytes: [0; KEY_WORDS * 8],
            at: 1,
        }
    }

    #[inline(always)]
    fn push_text(&mut self, text: &str) -> Option<()> {
        let text = truncate(text).as_bytes();
        self.push(u8::try_from(text.len()).ok()?, text)
    }

    /// `mark` then `payload`; `None` when they do not fit.
    #[inline(always)]
    fn push(&mut self, mark: u8, payload: &[u8]) -> Option<()> {
        let end = self.at + 1 + payload.len();
        if end > self.bytes.len() {
            return None;
        }
        self.bytes[self.at] = mark;
        self.bytes[self.at + 1..end].copy_from_slice(payload);
        self.at = end;
        Some(())
    }

    #[inline(always)]
    fn finish(mut self) -> Option<KeyWords> {
        self.bytes[0] = u8::try_from(self.at).ok()?;
        Some(words(&self.bytes))
    }
}

#[inline(always)]
fn words(bytes: &[u8; KEY_WORDS * 8]) -> KeyWords {
    let mut words = [0u64; KEY_WORDS];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        *word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    words
}
