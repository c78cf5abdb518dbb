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
    let mut bytes = [0u8; KEY_WORDS * 8];
    let mut at = 1;
    for value in values {
        let (mark, payload): (u8, &[u8]) = match value {
            LabelValue::Str(text) => {
                let text = truncate(text).as_bytes();
                (u8::try_from(text.len()).ok()?, text)
            }
            LabelValue::Int(_) | LabelValue::Bool(_) => return scalar_key(values),
        };
        let end = at + 1 + payload.len();
        if end > bytes.len() {
            return None;
        }
        bytes[at] = mark;
        bytes[at + 1..end].copy_from_slice(payload);
        at = end;
    }
    bytes[0] = u8::try_from(at).ok()?;
    Some(words(&bytes))
}

/// [`key_of`] for a set with a number or a `bool` in it, out of line: text sets are the
/// common case the hit path is measured on.
#[inline(never)]
fn scalar_key(values: &[LabelValue<'_>]) -> Option<KeyWords> {
    let mut bytes = [0u8; KEY_WORDS * 8];
    let mut at = 1;
    for value in values {
        let integer;
        let (mark, payload): (u8, &[u8]) = match value {
            LabelValue::Str(text) => {
                let text = truncate(text).as_bytes();
                (u8::try_from(text.len()).ok()?, text)
            }
            LabelValue::Int(i) => {
                integer = i.to_le_bytes();
                (INTEGER, &integer)
            }
            LabelValue::Bool(b) => (BOOLEAN, if *b { &[1] } else { &[0] }),
        };
        let end = at + 1 + payload.len();
        if end > bytes.len() {
            return None;
        }
        bytes[at] = mark;
        bytes[at + 1..end].copy_from_slice(payload);
        at = end;
    }
    bytes[0] = u8::try_from(at).ok()?;
    Some(words(&bytes))
}

#[inline(always)]
fn words(bytes: &[u8; KEY_WORDS * 8]) -> KeyWords {
    let mut words = [0u64; KEY_WORDS];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        *word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    words
}
