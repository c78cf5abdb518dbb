//! Text that goes into rule files: YAML scalars, PromQL strings, alert templates, and the
//! Go number formatting Prometheus templates use (so emitted unit tests can state exactly
//! what an annotation will read).

use std::fmt::Write as _;

/// A YAML double-quoted scalar: safe for any string (quotes, backslashes, newlines, `#`,
/// `:`, leading spaces, non-printable characters).
pub fn yaml_quoted(value: &str) -> String {
    quoted(value, |c| {
        c.is_control()
            || matches!(
                c,
                '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{fffe}' | '\u{ffff}'
            )
    })
}

/// `"value"` with quotes, backslashes, newlines and tabs escaped, and a `\u` escape for each
/// character `unicode_escape` picks (YAML and PromQL refuse different ones).
fn quoted(value: &str, unicode_escape: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_quoted(&mut out, value, unicode_escape);
    out
}

/// [`quoted`], appended to `out`.
fn push_quoted(out: &mut String, value: &str, unicode_escape: impl Fn(char) -> bool) {
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unicode_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A mapping key: plain when it is an identifier (label names always are), else quoted.
pub fn yaml_key(key: &str) -> String {
    if botwatch_spec::names::is_identifier(key) {
        key.to_owned()
    } else {
        yaml_quoted(key)
    }
}

/// A YAML single-quoted scalar (only `'` is doubled), used for PromQL so its own `"`
/// stay readable. Only for text without line breaks.
pub fn yaml_single_quoted(value: &str) -> String {
    debug_assert!(
        !value.contains('\n'),
        "single-quoted scalars here are one line"
    );
    format!("'{}'", value.replace('\'', "''"))
}

/// A PromQL string literal for a label value.
pub fn promql_string(value: &str) -> String {
    quoted(value, promql_escape)
}

/// [`promql_string`], appended to `out`.
pub(crate) fn push_promql_string(out: &mut String, value: &str) {
    push_quoted(out, value, promql_escape);
}

/// The characters a PromQL string literal writes as `\u` escapes.
fn promql_escape(c: char) -> bool {
    // PromQL's lexer reads a literal U+FFFD as invalid UTF-8; the escape is fine.
    c.is_control() || c == char::REPLACEMENT_CHARACTER
}

/// One action of the template subset botwatch passes through to Prometheus.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    Label(String),
    Value(Option<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Filter {
    Humanize,
    HumanizePercentage,
    HumanizeDuration,
    /// `printf "%.4g"`: four significant digits, no SI prefix (a balance, a price).
    FourDigits,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Action(Action),
}

/// Splits user text into literal text and the template actions botwatch supports:
/// `{{ $labels.name }}`, `{{ $value }}`, optionally `| humanize`,
/// `| humanizePercentage`, `| humanizeDuration` or `| printf "%.4g"`. Any other `{{` is literal text.
fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        literal.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find("}}")
            .and_then(|end| parse_action(&after[..end]).map(|a| (a, end)))
        {
            Some((action, end)) => {
                if !literal.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut literal)));
                }
                out.push(Piece::Action(action));
                rest = &after[end + 2..];
            }
            None => {
                literal.push_str("{{");
                rest = after;
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        out.push(Piece::Text(literal));
    }
    out
}

fn parse_action(inner: &str) -> Option<Action> {
    let (subject, filter) = match inner.split_once('|') {
        Some((s, f)) => (s.trim(), Some(f.trim())),
        None => (inner.trim(), None),
    };
    if let Some(label) = subject.strip_prefix("$labels.") {
        let valid = botwatch_spec::names::is_identifier(label);
        return (valid && filter.is_none()).then(|| Action::Label(label.to_owned()));
    }
    if subject != "$value" {
        return None;
    }
    let filter = match filter {
        None => None,
        Some("humanize") => Some(Filter::Humanize),
        Some("humanizePercentage") => Some(Filter::HumanizePercentage),
        Some("humanizeDuration") => Some(Filter::HumanizeDuration),
        Some(r#"printf "%.4g""#) => Some(Filter::FourDigits),
        Some(_) => return None,
    };
    Some(Action::Value(filter))
}

/// Text shown literally by a Prometheus template (label values are expanded too).
pub fn literal(text: &str) -> String {
    text.replace("{{", "{{ \"{{\" }}")
}

/// User text as a Prometheus template: supported actions stay, everything else is shown
/// literally (a stray `{{` becomes `{{ "{{" }}`).
pub fn template(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(&literal(&t)),
            Piece::Action(Action::Label(l)) => {
                let _ = write!(out, "{{{{ $labels.{l} }}}}");
            }
            Piece::Action(Action::Value(filter)) => {
                out.push_str("{{ $value");
                match filter {
                    None => {}
                    Some(Filter::Humanize) => out.push_str(" | humanize"),
                    Some(Filter::HumanizePercentage) => out.push_str(" | humanizePercentage"),
                    Some(Filter::HumanizeDuration) => out.push_str(" | humanizeDuration"),
                    Some(Filter::FourDigits) => out.push_str(r#" | printf "%.4g""#),
                }
                out.push_str(" }}");
            }
        }
    }
    out
}

/// What Prometheus shows for `template(text)` with these labels and value.
pub fn expand(text: &str, labels: &[(String, String)], value: f64) -> String {
    let mut out = String::new();
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(&t),
            // `$labels` is a map[string]string: a missing label reads as "".
            Piece::Action(Action::Label(l)) => {
                if let Some((_, v)) = labels.iter().find(|(k, _)| *k == l) {
                    out.push_str(v);
                }
            }
            Piece::Action(Action::Value(filter)) => out.push_str(&match filter {
                None => go_float(value, None),
                Some(Filter::Humanize) => humanize(value),
                Some(Filter::HumanizePercentage) => {
                    format!("{}%", go_float(value * 100.0, Some(4)))
                }
                Some(Filter::HumanizeDuration) => humanize_duration(value),
                Some(Filter::FourDigits) => go_float(value, Some(4)),
            }),
        }
    }
    out
}

/// Go's `%v` (`precision: None`) or `%.Ng` of a float64.
pub fn go_float(value: f64, precision: Option<usize>) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    // Scientific form with the right significant digits: "d.ddde±x".
    let scientific = match precision {
        Some(p) => format!("{:.*e}", p.max(1) - 1, value),
        None => format!("{value:e}"),
    };
    let (mantissa, exponent) = scientific.split_once('e').expect("scientific notation");
    let exponent: i32 = exponent.parse().expect("an exponent");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    // Go switches to %e when exp < -4 || exp >= eprec; eprec is 6 for the shortest form and
    // the precision otherwise (or the digit count, when that is smaller and covers the
    // integer part).
    let eprec = match precision {
        None => 6,
        Some(p) => {
            let nd = digits.len() as i32;
            if (p as i32) > nd && nd > exponent {
                nd
            } else {
                p as i32
            }
        }
    };
    let sign = if negative { "-" } else { "" };
    if exponent < -4 || exponent >= eprec {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs())
    } else if exponent < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exponent - 1) as usize))
    } else {
        let point = (exponent + 1) as usize;
        if digits.len() <= point {
            format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..point], &digits[point..])
        }
    }
}

/// Prometheus' `humanize`: SI prefixes, 4 significant digits.
pub fn humanize(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return go_float(value, Some(4));
    }
    let mut v = value;
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", go_float(v, Some(4)))
}

/// Prometheus' `humanizeDuration` of seconds.
pub fn humanize_duration(value: f64) -> String {
    if !value.is_finite() {
        return go_float(value, Some(4));
    }
    if value == 0.0 {
        return "0s".to_owned();
    }
    if value.abs() >= 1.0 {
        let sign = if value < 0.0 { "-" } else { "" };
        let v = value.abs();
        let whole = v as i64;
        let (seconds, minutes, hours, days) = (
            whole % 60,
            (whole / 60) % 60,
            (whole / 3600) % 24,
            whole / 86_400,
        );
        return if days != 0 {
            format!("{sign}{days}d {hours}h {minutes}m {seconds}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {minutes}m {seconds}s")
        } else if minutes != 0 {
            format!("{sign}{minutes}m {seconds}s")
        } else {
            format!("{sign}{}s", go_float(v, Some(4)))
        };
    }
    let mut v = value;
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", go_float(v, Some(4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formatting_matches_go() {
        // Expected values are what Go's fmt prints.
        assert_eq!(go_float(2.0, None), "2");
        assert_eq!(go_float(0.5, None), "0.5");
        assert_eq!(go_float(1e-5, None), "1e-05");
        assert_eq!(go_float(123456.0, None), "123456");
        assert_eq!(go_float(1234567.0, None), "1.234567e+06");
        assert_eq!(go_float(50.0, Some(4)), "50");
        assert_eq!(go_float(12345.0, Some(4)), "1.234e+04");
        assert_eq!(go_float(0.1234567, Some(4)), "0.1235");
        assert_eq!(go_float(100.0, Some(4)), "100");
        assert_eq!(go_float(0.00001234, Some(4)), "1.234e-05");
        assert_eq!(go_float(-2.5, None), "-2.5");
    }

    #[test]
    fn humanize_like_prometheus() {
        assert_eq!(humanize(2.0), "2");
        assert_eq!(humanize(1234.0), "1.234k");
        assert_eq!(humanize(0.25), "250m");
        assert_eq!(humanize_duration(10.0), "10s");
        assert_eq!(humanize_duration(0.25), "250ms");
        assert_eq!(humanize_duration(90.0), "1m 30s");
        assert_eq!(humanize_duration(0.0001), "100us");
        assert_eq!(
            expand("{{ $value | humanizePercentage }}", &[], 1.0),
            "100%"
        );
    }

    #[test]
    fn only_the_supported_actions_are_templates() {
        let text = "{{ $labels.function }} at {{$value|humanize}}; {{ .Foo }} and }} stay";
        assert_eq!(
            template(text),
            "{{ $labels.function }} at {{ $value | humanize }}; {{ \"{{\" }} .Foo }} and }} stay"
        );
        let labels = vec![("function".to_owned(), "submit".to_owned())];
        assert_eq!(
            expand(text, &labels, 2000.0),
            "submit at 2k; {{ .Foo }} and }} stay"
        );
        assert_eq!(expand("[{{ $labels.nope }}]", &labels, 0.0), "[]");
    }

    #[test]
    fn quoting() {
        assert_eq!(
            yaml_quoted("a \"b\" \\ # : \n"),
            "\"a \\\"b\\\" \\\\ # : \\n\""
        );
        assert_eq!(yaml_single_quoted("x{a=\"it's\"}"), "'x{a=\"it''s\"}'");
        assert_eq!(promql_string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }
}
