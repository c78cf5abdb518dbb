//! A small JSON value and its one pretty-printed form: keys keep the order they were put
//! in, numbers print in their shortest round-trip form, so the same model always gives the
//! same bytes (which `serde_json` with a map would not promise without extra features).

use std::borrow::Cow;
use std::fmt::Write as _;

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number; integers print without a fraction.
    Number(f64),
    /// A string (borrowed when it is a constant: a dashboard is mostly constants, and
    /// rendering 1,000 functions' panels is then mostly writing).
    Text(Cow<'static, str>),
    /// An array.
    Array(Vec<Json>),
    /// An object whose keys print in insertion order.
    Object(Vec<(Cow<'static, str>, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs.
    pub(crate) fn object<I, K>(entries: I) -> Json
    where
        I: IntoIterator<Item = (K, Json)>,
        K: Into<Cow<'static, str>>,
    {
        Json::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Adds `key` to an object (a no-op on other values).
    pub(crate) fn push(&mut self, key: &'static str, value: Json) {
        if let Json::Object(entries) = self {
            entries.push((Cow::Borrowed(key), value));
        }
    }

    /// The document, indented by two spaces, with a final newline.
    pub(crate) fn pretty(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => number(out, *n),
            Json::Text(s) => string(out, s),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Object(entries) if entries.is_empty() => out.push_str("{}"),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    indent(out, depth + 1);
                    item.write(out, depth + 1);
                }
                out.push('\n');
                indent(out, depth);
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    indent(out, depth + 1);
                    string(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                out.push('\n');
                indent(out, depth);
                out.push('}');
            }
        }
    }
}

impl From<&'static str> for Json {
    fn from(value: &'static str) -> Json {
        Json::Text(Cow::Borrowed(value))
    }
}

impl From<String> for Json {
    fn from(value: String) -> Json {
        Json::Text(Cow::Owned(value))
    }
}

impl From<bool> for Json {
    fn from(value: bool) -> Json {
        Json::Bool(value)
    }
}

impl From<f64> for Json {
    fn from(value: f64) -> Json {
        Json::Number(value)
    }
}

impl From<u32> for Json {
    fn from(value: u32) -> Json {
        Json::Number(f64::from(value))
    }
}

impl From<Vec<Json>> for Json {
    fn from(value: Vec<Json>) -> Json {
        Json::Array(value)
    }
}

fn indent(out: &mut String, depth: usize) {
    const SPACES: &str = "                                ";
    let mut width = depth * 2;
    while width > 0 {
        let step = width.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        width -= step;
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

fn string(out: &mut String, s: &str) {
    out.push('"');
    // Copy the runs that need no escape whole; bytes, since every character escaped is
    // ASCII or starts with 0xE2 (U+2028, U+2029).
    let bytes = s.as_bytes();
    let mut plain = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                ""
            }
            _ => {
                i += 1;
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
        i += c.len_utf8();
        plain = i;
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_prints_in_insertion_order() {
        let doc = Json::object([
            ("b", Json::from(1.0)),
            (
                "n",
                Json::Array(vec![
                    Json::from(0.0),
                    Json::from(2_147_483_647.0),
                    Json::from(-3.0),
                ]),
            ),
            ("a", Json::Array(vec![Json::from("x\"y"), Json::from(0.25)])),
            ("e", Json::Object(Vec::new())),
        ]);
        assert_eq!(
            doc.pretty(),
            "{\n  \"b\": 1,\n  \"n\": [\n    0,\n    2147483647,\n    -3\n  ],\n  \"a\": [\n    \"x\\\"y\",\n    0.25\n  ],\n  \"e\": {}\n}\n"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut out = String::new();
        string(&mut out, "a\u{1}\u{2028}\\");
        assert_eq!(out, "\"a\\u0001\\u2028\\\\\"");
    }
}
