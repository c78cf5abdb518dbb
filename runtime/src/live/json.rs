//! `GET /snapshot.json`: the page's content as JSON, written by hand into one `String`
//! (a thousand functions would otherwise build tens of thousands of `serde_json::Value`s
//! per poll).
//!
//! Every string is escaped, and `<`, `>`, `&` and U+2028/U+2029 are written as `\u` escapes
//! too, so the JSON stays inert even if someone pastes it into an HTML `<script>`.

use std::fmt::Write as _;

use super::alerts::AlertView;
use super::model::{BreakerView, FunctionView, Page};
use super::values::ValueView;

/// Version of the JSON's shape; a change that removes or renames a key bumps it.
const VERSION: u32 = 1;

/// The JSON of `page`.
pub(crate) fn write(page: &Page) -> String {
    let mut out = String::with_capacity(256 + page.functions.len() * 256);
    let _ = write!(out, "{{\"version\":{VERSION},\"labels\":[");
    for (i, (key, value)) in page.labels.iter().enumerate() {
        comma(&mut out, i);
        out.push('[');
        string(&mut out, key);
        out.push(',');
        string(&mut out, value);
        out.push(']');
    }
    out.push_str("],\"uptime_seconds\":");
    number(&mut out, Some(page.uptime.as_secs_f64()), 1);
    out.push_str(",\"status\":");
    string(&mut out, if page.healthy { "ok" } else { "degraded" });
    out.push_str(",\"recent_seconds\":");
    number(&mut out, Some(page.recent.as_secs_f64()), 1);
    out.push_str(",\"spark_ages\":[");
    for (i, age) in page.spark_ages.iter().enumerate() {
        comma(&mut out, i);
        number(&mut out, Some(*age), 1);
    }
    out.push_str("],\"quantile_columns\":[");
    for (i, q) in page.quantile_columns.iter().enumerate() {
        comma(&mut out, i);
        string(&mut out, q.keyword());
    }
    out.push_str("],\"functions\":[");
    for (i, function) in page.functions.iter().enumerate() {
        comma(&mut out, i);
        write_function(&mut out, function);
    }
    out.push_str("],\"breakers\":[");
    for (i, breaker) in page.breakers.iter().enumerate() {
        comma(&mut out, i);
        write_breaker(&mut out, breaker);
    }
    out.push_str("],\"values\":[");
    for (i, value) in page.values.iter().enumerate() {
        comma(&mut out, i);
        write_value(&mut out, value);
    }
    out.push_str("],\"guards\":[");
    for (i, guard) in page.guards.iter().enumerate() {
        comma(&mut out, i);
        write_guard(&mut out, guard);
    }
    out.push_str("]}");
    out
}

/// `{"name", "metric", "condition", "value", "engaged", "since", "breakers"}`.
fn write_guard(out: &mut String, g: &crate::guard::GuardSnapshot) {
    out.push_str("{\"name\":");
    string(out, g.name);
    out.push_str(",\"metric\":");
    string(out, &g.metric);
    out.push_str(",\"condition\":");
    string(out, &g.condition);
    out.push_str(",\"value\":");
    number(out, g.value, 6);
    let _ = write!(out, ",\"engaged\":{},\"since\":", g.engaged);
    number(out, g.since, 3);
    out.push_str(",\"breakers\":[");
    for (i, breaker) in g.breakers.iter().enumerate() {
        comma(out, i);
        string(out, breaker);
    }
    out.push_str("]}");
}

fn write_value(out: &mut String, v: &ValueView) {
    out.push_str("{\"name\":");
    string(out, &v.name);
    out.push_str(",\"kind\":");
    string(out, v.kind);
    out.push_str(",\"help\":");
    string(out, &v.help);
    out.push_str(",\"labels\":[");
    for (i, (key, value)) in v.labels.iter().enumerate() {
        comma(out, i);
        out.push('[');
        string(out, key);
        out.push(',');
        string(out, value);
        out.push(']');
    }
    out.push_str("],\"value\":");
    number(out, Some(v.value), 6);
    for (key, text) in [("unit", &v.unit), ("state", &v.state)] {
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":");
        match text {
            Some(text) => string(out, text),
            None => out.push_str("null"),
        }
    }
    out.push_str(",\"alerts\":");
    write_alerts(out, &v.alerts);
    out.push('}');
}

fn write_function(out: &mut String, f: &FunctionView) {
    out.push_str("{\"module\":");
    string(out, f.module);
    out.push_str(",\"function\":");
    string(out, f.function);
    out.push_str(if f.counted {
        ",\"counted\":true"
    } else {
        ",\"counted\":false"
    });
    out.push_str(if f.timed {
        ",\"timed\":true,\"breaker\":"
    } else {
        ",\"timed\":false,\"breaker\":"
    });
    match f.breaker {
        Some(name) => string(out, name),
        None => out.push_str("null"),
    }
    out.push_str(",\"calls\":");
    integer(out, f.calls);
    out.push_str(",\"errors\":");
    integer(out, f.errors);
    out.push_str(",\"rate\":");
    number(out, f.rate, 3);
    out.push_str(",\"error_share\":");
    number(out, f.error_share, 4);
    out.push_str(",\"p50_seconds\":");
    number(out, f.p50, 6);
    out.push_str(",\"p99_seconds\":");
    number(out, f.p99, 6);
    out.push_str(",\"quantiles\":{");
    for (i, (q, seconds)) in f.quantiles.iter().enumerate() {
        comma(out, i);
        string(out, q.keyword());
        out.push(':');
        number(out, *seconds, 6);
    }
    out.push('}');
    match f.in_flight {
        Some((count, oldest)) => {
            out.push_str(",\"in_flight\":");
            integer(out, count);
            out.push_str(",\"oldest_in_flight_seconds\":");
            number(out, oldest, 3);
        }
        None => out.push_str(",\"in_flight\":null,\"oldest_in_flight_seconds\":null"),
    }
    out.push_str(",\"spark\":[");
    for (i, calls) in f.spark.iter().enumerate() {
        comma(out, i);
        integer(out, *calls);
    }
    out.push_str("],\"alerts\":");
    write_alerts(out, &f.alerts);
    out.push('}');
}

fn write_breaker(out: &mut String, b: &BreakerView) {
    let s = &b.live.snapshot;
    out.push_str("{\"name\":");
    string(out, s.name);
    out.push_str(",\"key\":");
    match &s.key {
        Some(key) => string(out, key),
        None => out.push_str("null"),
    }
    out.push_str(",\"state\":");
    string(out, s.state.label());
    let _ = write!(
        out,
        ",\"forced\":{},\"successes\":{},\"failures\":{},\"rejected\":{},\"consecutive_failures\":{}",
        b.live.forced, s.successes, s.failures, s.rejected, s.consecutive_failures
    );
    out.push_str(",\"reason\":");
    match s.held_by {
        Some(guard) => string(out, &format!("guard:{guard}")),
        None => out.push_str("null"),
    }
    out.push_str(",\"window\":");
    string(out, &b.window_text());
    out.push_str(",\"rejected_per_second\":");
    number(out, b.rejected_per_second, 3);
    out.push_str(",\"next_probe_seconds\":");
    number(out, b.live.next_probe_in.map(|d| d.as_secs_f64()), 1);
    let _ = write!(
        out,
        ",\"opened_total\":{},\"opened_recently\":{},\"opened_over_seconds\":",
        b.live.opened, b.opened_recently
    );
    number(out, Some(b.opened_over.as_secs_f64()), 0);
    out.push_str(",\"alerts\":");
    write_alerts(out, &b.alerts);
    out.push('}');
}

fn write_alerts(out: &mut String, alerts: &[AlertView]) {
    out.push('[');
    for (i, a) in alerts.iter().enumerate() {
        comma(out, i);
        out.push_str("{\"name\":");
        string(out, &a.name);
        out.push_str(",\"condition\":");
        string(out, &a.condition);
        out.push_str(",\"severity\":");
        string(out, &a.severity);
        out.push_str(",\"for\":");
        string(out, &a.for_);
        out.push_str(",\"value\":");
        match &a.value {
            Some(value) => string(out, value),
            None => out.push_str("null"),
        }
        out.push_str(",\"holds\":");
        out.push_str(match a.holds {
            Some(true) => "true",
            Some(false) => "false",
            None => "null",
        });
        out.push('}');
    }
    out.push(']');
}

/// A whole number, without going through `fmt` (a poll writes thousands of them).
fn integer(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

fn comma(out: &mut String, index: usize) {
    if index > 0 {
        out.push(',');
    }
}

/// `value` rounded to `decimals`, without trailing zeros; `null` for none or non-finite.
fn number(out: &mut String, value: Option<f64>, decimals: usize) {
    match value.filter(|v| v.is_finite()) {
        None => out.push_str("null"),
        // Most functions are idle between two polls: skip the float formatting.
        Some(0.0) => out.push('0'),
        Some(v) => {
            let start = out.len();
            let _ = write!(out, "{v:.decimals$}");
            if out[start..].contains('.') {
                let trimmed = out[start..]
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .len();
                out.truncate(start + trimmed);
            }
            if &out[start..] == "-0" {
                out.truncate(start);
                out.push('0');
            }
        }
    }
}

/// A JSON string literal of `text`, inert inside the page's HTML (the dashboard's escaper,
/// with `<`, `>` and `&` escaped too).
pub(crate) use botwatch_render::json_string::string_in_html as string;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_and_inert_in_html() {
        let mut out = String::new();
        let hostile = "</script><img src=x onerror=\"alert('x')\">\\\n\u{1}\u{2028}";
        string(&mut out, hostile);
        assert!(!out.contains('<') && !out.contains('>'), "{out}");
        let back: String = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(back, hostile);
    }

    #[test]
    fn numbers_are_rounded_and_never_nan() {
        let mut out = String::new();
        for v in [
            Some(1.5),
            Some(2.0),
            Some(f64::NAN),
            None,
            Some(-0.0001),
            Some(0.1234567),
        ] {
            number(&mut out, v, 3);
            out.push(' ');
        }
        assert_eq!(out, "1.5 2 null null 0 0.123 ");
        out.clear();
        for v in [0, 7, 10, 1234567890, u64::MAX] {
            integer(&mut out, v);
            out.push(' ');
        }
        assert_eq!(out, format!("0 7 10 1234567890 {} ", u64::MAX));
    }

    #[test]
    fn plain_and_escaped_strings_both_round_trip() {
        for text in [
            "submit_bundle",
            "bot::venue",
            "caf\u{e9}",
            "a\u{2028}b",
            "\u{2013}",
            "",
        ] {
            let mut out = String::new();
            string(&mut out, text);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text, "{out}");
            assert!(!out.contains('\u{2028}'), "{out}");
        }
    }
}
