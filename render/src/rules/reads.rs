//! Which input series a rule can read: the selectors of its PromQL (metric name and equality
//! matchers), through the recording rules it reads. The unit-test packer
//! (`packing.rs`) puts two probes in one promtool test group only when neither's rules read
//! the other's series; it needs an answer that errs on the side of "reads": a regex or `!=`
//! matcher counts as matching, a recording rule read counts as reading everything that rule
//! reads, and an expression the scanner does not follow reads everything.

use super::scenario::Series;
use super::set::RecordingRule;

/// One vector selector, as far as the packer needs it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Selector {
    /// The metric name; `None`: any (a selector naming none, or a `__name__` regex).
    name: Option<String>,
    /// Its `label="value"` matchers (`__name__` aside); the other kinds are left out, which
    /// widens what it matches.
    equal: Vec<(String, String)>,
}

impl Selector {
    /// Whether this selector can select `series`.
    fn matches(&self, series: &Series) -> bool {
        if self.name.as_ref().is_some_and(|name| *name != series.name) {
            return false;
        }
        self.equal.iter().all(|(label, value)| {
            // A label a series lacks reads as the empty string.
            let has = series
                .labels
                .iter()
                .find(|(k, _)| k == label)
                .map_or("", |(_, v)| v.as_str());
            has == value
        })
    }
}

/// What a rule reads.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Reads {
    /// These selectors' series, and no other.
    Selected(Vec<Selector>),
    /// Anything: an expression the scanner cannot follow.
    Everything,
}

impl Reads {
    /// What `expr` reads, with the recording rules among `recording` it reads followed to
    /// what they read.
    pub(super) fn of(expr: &str, recording: &[RecordingRule]) -> Reads {
        let mut seen = Vec::new();
        reads_through(expr, recording, &mut seen)
    }

    /// Nothing at all.
    pub(super) fn nothing() -> Reads {
        Reads::Selected(Vec::new())
    }

    /// Both: what one rule of a case or the other reads.
    pub(super) fn and(self, other: Reads) -> Reads {
        match (self, other) {
            (Reads::Selected(mut a), Reads::Selected(b)) => {
                a.extend(b);
                Reads::Selected(a)
            }
            _ => Reads::Everything,
        }
    }

    /// Whether any of these selectors can select `series`.
    pub(super) fn reads(&self, series: &Series) -> bool {
        match self {
            Reads::Everything => true,
            Reads::Selected(selectors) => selectors.iter().any(|s| s.matches(series)),
        }
    }
}

/// `Reads::of`, remembering the recording rules already followed (`seen`), so a cycle
/// (which Prometheus would refuse anyway) cannot recurse for ever.
fn reads_through(expr: &str, recording: &[RecordingRule], seen: &mut Vec<String>) -> Reads {
    let Some(selectors) = selectors(expr) else {
        return Reads::Everything;
    };
    let mut reads = Reads::Selected(selectors.clone());
    for selector in &selectors {
        for rule in recording {
            let named = selector.name.as_ref().is_none_or(|n| *n == rule.record);
            if named && !seen.contains(&rule.record) {
                seen.push(rule.record.clone());
                reads = reads.and(reads_through(&rule.expr, recording, seen));
            }
        }
    }
    reads
}

/// Keywords that are followed by a label list in parentheses, not by an expression.
const LABEL_LIST_KEYWORDS: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Words that are neither metric names nor followed by a label list.
const OTHER_KEYWORDS: [&str; 22] = [
    "and",
    "or",
    "unless",
    "offset",
    "bool",
    "atan2",
    "inf",
    "nan",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];

/// Every vector selector of `expr`, or `None` when the scanner cannot follow it.
pub(super) fn selectors(expr: &str) -> Option<Vec<Selector>> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' || c == '`' {
            i = skip_string(&chars, i)?;
        } else if c == '[' {
            // A range or subquery window.
            i += chars[i..].iter().position(|&c| c == ']')? + 1;
        } else if c.is_ascii_digit() || c == '.' {
            // A number or a duration (`0.144`, `1e3`, `15s`).
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c == '{' {
            let (selector, next) = matchers(&chars, i, None)?;
            out.push(selector);
            i = next;
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = skip_space(&chars, i);
            let follows = chars.get(next).copied();
            if LABEL_LIST_KEYWORDS.contains(&word.as_str()) {
                if follows == Some('(') {
                    i = next + chars[next..].iter().position(|&c| c == ')')? + 1;
                }
            } else if OTHER_KEYWORDS.contains(&word.as_str()) || follows == Some('(') {
                // An operator, an aggregation or a function call.
            } else if follows == Some('{') {
                let (selector, after) = matchers(&chars, next, Some(word))?;
                out.push(selector);
                i = after;
            } else {
                out.push(Selector {
                    name: Some(word),
                    equal: Vec::new(),
                });
            }
        } else {
            // Operators and parentheses.
            i += 1;
        }
    }
    Some(out)
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

/// The index after the string literal opening at `i`.
fn skip_string(chars: &[char], i: usize) -> Option<usize> {
    let (_, next) = string(chars, i)?;
    Some(next)
}

/// The string literal opening at `i` (escapes kept as written: the packer compares values
/// it wrote itself, which need none) and the index after it.
fn string(chars: &[char], i: usize) -> Option<(String, usize)> {
    let quote = chars[i];
    let mut value = String::new();
    let mut j = i + 1;
    while j < chars.len() {
        match chars[j] {
            '\\' if quote != '`' => {
                value.push(chars[j]);
                value.push(*chars.get(j + 1)?);
                j += 2;
            }
            c if c == quote => return Some((value, j + 1)),
            c => {
                value.push(c);
                j += 1;
            }
        }
    }
    None
}

/// The matchers in braces opening at `open`, for a selector named `name`.
fn matchers(chars: &[char], open: usize, name: Option<String>) -> Option<(Selector, usize)> {
    let mut selector = Selector {
        name,
        equal: Vec::new(),
    };
    let mut i = open + 1;
    loop {
        i = skip_space(chars, i);
        match chars.get(i)? {
            '}' => return Some((selector, i + 1)),
            ',' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let start = i;
        while chars
            .get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            i += 1;
        }
        if i == start {
            return None;
        }
        let label: String = chars[start..i].iter().collect();
        i = skip_space(chars, i);
        let op: String = chars[i..]
            .iter()
            .take_while(|c| matches!(c, '=' | '!' | '~'))
            .collect();
        i = skip_space(chars, i + op.len());
        if !matches!(chars.get(i)?, '"' | '\'' | '`') {
            return None;
        }
        let (value, next) = string(chars, i)?;
        i = next;
        match (op.as_str(), label.as_str()) {
            ("=", "__name__") => selector.name = Some(value),
            ("=", _) => selector.equal.push((label, value)),
            // A regex or negative matcher: taken as matching (conservative).
            ("!=" | "=~" | "!~", "__name__") => selector.name = None,
            ("!=" | "=~" | "!~", _) => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::scenario::{Series, Shape};

    fn series(name: &str, labels: &[(&str, &str)]) -> Series {
        Series::with_labels(name, labels, Shape::Gauge(vec![(1, 1.0)]))
    }

    fn recording(record: &str, expr: &str) -> RecordingRule {
        RecordingRule {
            record: record.to_owned(),
            expr: expr.to_owned(),
            labels: Vec::new(),
            long: false,
        }
    }

    /// Function names, aggregations, label lists and windows are not metrics; the
    /// selectors are, with their equality matchers.
    #[test]
    fn the_scanner_finds_the_selectors_and_nothing_else() {
        let expr = r#"sum by (job, function) (rate(calls_total{function="f", result="error"}[5m] offset 1m)) / on (instance) group_left last_over_time(limit[45s]) > 0.2 and vector(1) or absent(up{job='bot'})"#;
        let found = selectors(expr).unwrap();
        let names: Vec<_> = found.iter().map(|s| s.name.clone().unwrap()).collect();
        assert_eq!(names, ["calls_total", "limit", "up"]);
        assert_eq!(
            found[0].equal,
            [
                ("function".to_owned(), "f".to_owned()),
                ("result".to_owned(), "error".to_owned())
            ]
        );
        assert!(selectors("vector(1)").unwrap().is_empty());
        assert!(selectors(r#"x{a="unterminated}"#).is_none());
    }

    /// Two probes of the same metric and matchers: the rule reads the other's series.
    #[test]
    fn a_selector_reads_series_of_its_name_and_matchers() {
        let reads = Reads::of(r#"rate(calls_total{function="f"}[5m]) > 0"#, &[]);
        assert!(reads.reads(&series("calls_total", &[("function", "f"), ("job", "bot")])));
        assert!(!reads.reads(&series("calls_total", &[("function", "g")])));
        assert!(!reads.reads(&series("calls_total", &[])));
        assert!(!reads.reads(&series("other_total", &[("function", "f")])));
    }

    /// A regex or `!=` matcher is taken as matching, whatever the value.
    #[test]
    fn a_regex_or_negative_matcher_reads_as_matching() {
        let reads = Reads::of(r#"x{function=~"g|h", module!="m"} > 0"#, &[]);
        assert!(reads.reads(&series("x", &[("function", "f"), ("module", "m")])));
        let any = Reads::of(r#"{__name__=~"x.*"} > 0"#, &[]);
        assert!(any.reads(&series("y", &[])));
    }

    /// An alert reading a recording rule reads what the recording reads, through a chain.
    #[test]
    fn a_recording_rule_read_is_followed_to_its_inputs() {
        let recording = [
            recording(
                "job:ratio:rate5m",
                r#"job:errors:rate5m / rate(calls_total[5m])"#,
            ),
            recording(
                "job:errors:rate5m",
                r#"rate(errors_total{function="f"}[5m])"#,
            ),
        ];
        let reads = Reads::of(r#"job:ratio:rate5m{function="f"} > 0.1"#, &recording);
        assert!(reads.reads(&series("calls_total", &[("function", "g")])));
        assert!(reads.reads(&series("errors_total", &[("function", "f")])));
        assert!(!reads.reads(&series("errors_total", &[("function", "g")])));
    }

    /// An expression the scanner cannot follow reads everything.
    #[test]
    fn an_unreadable_expression_reads_everything() {
        let reads = Reads::of(r#"x{a="open"#, &[]);
        assert_eq!(reads, Reads::Everything);
        assert!(reads.reads(&series("anything", &[])));
    }
}
