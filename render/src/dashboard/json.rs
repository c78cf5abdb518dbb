//! JSON in its one pretty-printed form, written straight into a `String`: keys keep the
//! order they are written in, numbers print in their shortest round-trip form, so the same
//! model always gives the same bytes (which `serde_json` with a map would not promise
//! without extra features).
//!
//! There is no value tree: a dashboard of 1,000 functions is some 6 MB of JSON, and
//! allocating and freeing a tree of it cost as much as printing it.

use std::fmt::Write as _;

use crate::json_string::string;

/// Writes one JSON document, indented by two spaces. Objects and arrays are written by
/// closures, so every one opened is closed; an empty one prints as `{}` or `[]`.
///
/// ```text
/// w.object(|w| {
///     w.field("refresh", "30s");
///     w.key("links").array(|_| {});
/// });
/// ```
#[derive(Debug)]
pub(crate) struct Writer {
    out: String,
    /// How many objects and arrays are open.
    depth: usize,
    /// The innermost open object or array has no item yet.
    empty: bool,
    /// A key was just written: the next value follows it on its line.
    after_key: bool,
}

/// A value written whole: a string, number, boolean or `null`.
pub(crate) trait Scalar {
    /// Appends the value's JSON to `out`.
    fn write(self, out: &mut String);
}

impl Scalar for &str {
    fn write(self, out: &mut String) {
        string(out, self);
    }
}

impl Scalar for bool {
    fn write(self, out: &mut String) {
        out.push_str(if self { "true" } else { "false" });
    }
}

impl Scalar for f64 {
    fn write(self, out: &mut String) {
        number(out, self);
    }
}

impl Scalar for u32 {
    fn write(self, out: &mut String) {
        number(out, f64::from(self));
    }
}

/// A number, or `null` for none.
impl Scalar for Option<f64> {
    fn write(self, out: &mut String) {
        match self {
            Some(n) => number(out, n),
            None => out.push_str("null"),
        }
    }
}

/// The text of a value written once and copied after: for the parts every panel of a
/// kind has alike (its data source, legend and tooltip).
#[derive(Debug, Default)]
pub(crate) struct Fragment {
    /// The depth it was written at: its indentation.
    depth: usize,
    /// Its text; empty until written.
    text: String,
}

/// `,` then a newline and the indentation of the deepest level a dashboard reaches (and
/// more): an item's separator and indent are then one slice of it.
const BREAK: &str = ",\n                                                                ";

impl Writer {
    /// A writer whose output holds `capacity` bytes before it grows.
    pub(crate) fn with_capacity(capacity: usize) -> Writer {
        Writer {
            out: String::with_capacity(capacity),
            depth: 0,
            empty: true,
            after_key: false,
        }
    }

    /// The document, with a final newline.
    pub(crate) fn finish(mut self) -> String {
        self.out.push('\n');
        self.out
    }

    /// Writes `key` of the open object; the value written next is its value. Keys are the
    /// dashboard's own names, never the user's text: written as they are, not escaped.
    pub(crate) fn key(&mut self, key: &'static str) -> &mut Writer {
        debug_assert!(
            !key.bytes()
                .any(|b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x80),
            "{key:?} needs an escape"
        );
        self.item();
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\": ");
        self.after_key = true;
        self
    }

    /// Writes a number as the key of the open object (a value mapping's `"3"`): digits, a
    /// sign, a point or an exponent, nothing to escape.
    pub(crate) fn number_key(&mut self, key: &str) -> &mut Writer {
        debug_assert!(
            key.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-+.".contains(&b)),
            "{key:?} is not a number"
        );
        self.item();
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\": ");
        self.after_key = true;
        self
    }

    /// Writes `key` and its value.
    pub(crate) fn field(&mut self, key: &'static str, value: impl Scalar) {
        self.key(key).value(value);
    }

    /// Writes a value: after a key, in an array, or as the document.
    pub(crate) fn value(&mut self, value: impl Scalar) {
        self.item();
        value.write(&mut self.out);
    }

    /// Writes an object whose keys and values `body` writes.
    pub(crate) fn object(&mut self, body: impl FnOnce(&mut Writer)) {
        self.container('{', '}', body);
    }

    /// Writes an array whose items `body` writes.
    pub(crate) fn array(&mut self, body: impl FnOnce(&mut Writer)) {
        self.container('[', ']', body);
    }

    /// Writes the value `body` writes, which must be the same at every call with this
    /// `fragment`: the first time by `body`, then as a copy of that text.
    pub(crate) fn fragment(&mut self, fragment: &mut Fragment, body: impl FnOnce(&mut Writer)) {
        self.item();
        if fragment.depth == self.depth && !fragment.text.is_empty() {
            self.out.push_str(&fragment.text);
            return;
        }
        // The separator is written: `body`'s value follows it as it would a key.
        self.after_key = true;
        let start = self.out.len();
        body(self);
        fragment.depth = self.depth;
        fragment.text = self.out[start..].to_owned();
    }

    fn container(&mut self, open: char, close: char, body: impl FnOnce(&mut Writer)) {
        self.item();
        self.out.push(open);
        self.depth += 1;
        self.empty = true;
        body(self);
        self.depth -= 1;
        if !self.empty {
            self.new_line(false);
        }
        self.out.push(close);
        // The container was an item of the one around it.
        self.empty = false;
    }

    /// Starts an item: on the line of its key, or on a line of its own after the one
    /// before it.
    fn item(&mut self) {
        if std::mem::take(&mut self.after_key) || self.depth == 0 {
            return;
        }
        self.new_line(!self.empty);
        self.empty = false;
    }

    /// A newline (after a comma when `comma`) and the indentation of the current depth.
    fn new_line(&mut self, comma: bool) {
        let from = if comma { 0 } else { 1 };
        let width = self.depth * 2;
        match BREAK.get(from..2 + width) {
            Some(text) => self.out.push_str(text),
            None => {
                self.out.push_str(&BREAK[from..2]);
                for _ in 0..width {
                    self.out.push(' ');
                }
            }
        }
    }
}

fn number(out: &mut String, n: f64) {
    if !n.is_finite() {
        // JSON has no infinities; no panel needs one.
        out.push_str("null");
    } else if n.fract() == 0.0 && (0.0..1e15).contains(&n) {
        // Ids and grid positions: most numbers of a dashboard; skip the formatter.
        let mut digits = [0u8; 16];
        let mut rest = n as u64;
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or("0"));
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        let _ = write!(out, "{}", n as i64);
    } else {
        let _ = write!(out, "{n}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_prints_in_writing_order() {
        let mut w = Writer::with_capacity(0);
        w.object(|w| {
            w.field("b", 1.0);
            w.key("n").array(|w| {
                w.value(0.0);
                w.value(2_147_483_647.0);
                w.value(-3.0);
            });
            w.key("a").array(|w| {
                w.value("x\"y");
                w.value(0.25);
            });
            w.key("e").object(|_| {});
        });
        assert_eq!(
            w.finish(),
            "{\n  \"b\": 1,\n  \"n\": [\n    0,\n    2147483647,\n    -3\n  ],\n  \"a\": [\n    \"x\\\"y\",\n    0.25\n  ],\n  \"e\": {}\n}\n"
        );
    }

    #[test]
    fn a_fragment_writes_what_its_body_would() {
        // Copied at the depth it was written at, written again at another, after a key and
        // as an array's item alike.
        fn document(mut fragment: Option<&mut Fragment>) -> String {
            let mut w = Writer::with_capacity(0);
            let mut legend = |w: &mut Writer| {
                let body = |w: &mut Writer| w.object(|w| w.field("showLegend", true));
                match fragment.as_deref_mut() {
                    Some(fragment) => w.fragment(fragment, body),
                    None => body(w),
                }
            };
            w.array(|w| {
                w.object(|w| {
                    w.field("id", 1.0);
                    w.key("legend");
                    legend(w);
                    w.key("more").array(|w| legend(w));
                });
                w.object(|w| {
                    w.key("legend");
                    legend(w);
                });
            });
            w.finish()
        }
        assert_eq!(document(Some(&mut Fragment::default())), document(None));
    }

    #[test]
    fn deep_documents_keep_their_indentation() {
        let mut w = Writer::with_capacity(0);
        let depth = 40;
        fn nest(w: &mut Writer, levels: usize) {
            if levels == 0 {
                w.value(Option::<f64>::None);
            } else {
                w.array(|w| nest(w, levels - 1));
            }
        }
        nest(&mut w, depth);
        let text = w.finish();
        let null_line = format!("{}null\n", " ".repeat(depth * 2));
        assert!(text.contains(&null_line), "{text}");
        assert!(text.ends_with("\n  ]\n]\n"));
    }
}
