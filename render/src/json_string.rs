//! JSON string literals, for the dashboard and the live page alike: one escaper, so that
//! both write the same text for the same string. The live page's JSON is read inside an
//! HTML page, so it also escapes `<`, `>`, `&` and DEL ([`string_in_html`]); the
//! dashboard's keeps them readable ([`string`]).

use std::fmt::Write as _;

/// Writes `s` as a JSON string literal.
pub fn string(out: &mut String, s: &str) {
    escaped::<false>(out, s);
}

/// Writes `s` as a JSON string literal that stays inert inside an HTML `<script>` or
/// attribute: `<`, `>` and `&` are written as `\u` escapes too.
pub fn string_in_html(out: &mut String, s: &str) {
    escaped::<true>(out, s);
}

/// Whether [`string`] may have to escape a byte: `"`, `\\`, a control character, or the
/// first byte of U+2028 and U+2029 (escaped too); with `HTML`, also `<`, `>`, `&` and DEL.
const fn special<const HTML: bool>(b: u8) -> bool {
    // `|`, not `||`: no branch, so a chunk's tests run side by side.
    let json = (b < 0x20) | (b == b'"') | (b == b'\\') | (b == 0xe2);
    json | (HTML & ((b == b'<') | (b == b'>') | (b == b'&') | (b == 0x7f)))
}

/// The index of the first byte at or after `from` that may need an escape, or the length.
fn next_special<const HTML: bool>(bytes: &[u8], mut from: usize) -> usize {
    // Sixteen bytes at a time: the test of a chunk compiles to a few vector instructions,
    // and almost none of a dashboard's text needs an escape.
    let any = |chunk: &[u8; 16]| chunk.iter().fold(false, |any, &b| any | special::<HTML>(b));
    while let Some(chunk) = bytes[from..].first_chunk::<16>() {
        if any(chunk) {
            break;
        }
        from += 16;
    }
    // The rest of a long text is the end of its last sixteen bytes.
    if let Some(last) = bytes.last_chunk::<16>() {
        if from + 16 > bytes.len() && !any(last) {
            return bytes.len();
        }
    }
    while from < bytes.len() && !special::<HTML>(bytes[from]) {
        from += 1;
    }
    from
}

fn escaped<const HTML: bool>(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Copy the runs that need no escape whole; bytes, since every character escaped is
    // ASCII or starts with 0xE2 (U+2028, U+2029).
    let bytes = s.as_bytes();
    let mut plain = 0;
    let mut i = next_special::<HTML>(bytes, 0);
    while i < bytes.len() {
        let escaped = match bytes[i] {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            b'<' | b'>' | b'&' | 0x7f if HTML => "",
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                ""
            }
            _ => {
                i = next_special::<HTML>(bytes, i + 1);
                continue;
            }
        };
        out.push_str(&s[plain..i]);
        let c = s[i..].chars().next().unwrap_or_default();
        if escaped.is_empty() {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push_str(escaped);
        }
        plain = i + c.len_utf8();
        i = next_special::<HTML>(bytes, plain);
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        let mut out = String::new();
        string(&mut out, "a\u{1}\u{2028}\\");
        assert_eq!(out, "\"a\\u0001\\u2028\\\\\"");
    }

    #[test]
    fn escapes_are_found_wherever_they_fall() {
        // Before, within and after the first sixteen-byte chunk, and a U+2028 split across
        // two chunks; `…` shares U+2028's first byte and stays as it is.
        for (text, expected) in [
            ("0123456789abcde\"", "0123456789abcde\\\""),
            ("0123456789abcdef\n", "0123456789abcdef\\n"),
            ("0123456789abcd\u{2028}x", "0123456789abcd\\u2028x"),
            ("…0123456789abcdef…\t", "…0123456789abcdef…\\t"),
            (
                "plain text, thirty-two bytes!!!!",
                "plain text, thirty-two bytes!!!!",
            ),
        ] {
            let mut out = String::new();
            string(&mut out, text);
            assert_eq!(out, format!("\"{expected}\""), "{text:?}");
        }
    }

    #[test]
    fn html_safe_strings_escape_markup_and_round_trip() {
        let hostile = "</script><img src=x onerror=\"alert('x')\">&\u{7f}";
        let mut out = String::new();
        string_in_html(&mut out, hostile);
        assert!(!out.contains(['<', '>', '&', '\u{7f}']), "{out}");
        assert!(out.contains("\\u003c/script\\u003e"), "{out}");
        let mut plain = String::new();
        string(&mut plain, "a < b && c > d");
        assert_eq!(
            plain, "\"a < b && c > d\"",
            "the dashboard's strings keep markup readable"
        );
    }
}
