//! `GET /`: the page, with its first content rendered on the server as plain tables, so it
//! reads without JavaScript; the page's script then polls `snapshot.json` and takes over.
//!
//! Every value from the bot (labels, function, module and breaker names, keys) goes through
//! [`escape`]; the template itself holds no value from the bot.

use std::fmt::Write as _;

use super::alerts::{percent, seconds_text, AlertView};
use super::model::Page;

/// The page: markup, style and script in one file, no external resource.
const TEMPLATE: &str = include_str!("page.html");
/// Where the server-rendered content goes in [`TEMPLATE`].
const CONTENT: &str = "<!--botwatch:content-->";
const TITLE: &str = "<!--botwatch:title-->";
const VALUES: &str = "<!--botwatch:values-->";

/// The page's inline script, as served: the template's, which holds no value from the bot.
pub(super) fn script() -> &'static str {
    let after = TEMPLATE
        .split_once("<script>")
        .map_or("", |(_, after)| after);
    after
        .split_once("</script>")
        .map_or("", |(script, _)| script)
}

/// The HTML of `page`.
pub(crate) fn write(page: &Page) -> String {
    let mut content = String::with_capacity(1024 + page.functions.len() * 200);
    header(&mut content, page);
    guards(&mut content, page);
    breakers(&mut content, page);
    functions(&mut content, page);
    let title = match page.labels.first() {
        Some((key, value)) => format!("botwatch · {}={}", escape(key), escape(value)),
        None => "botwatch".to_owned(),
    };
    let mut table = String::new();
    values(&mut table, page);
    // Escaped values hold no `<`, so no value can forge a later placeholder.
    TEMPLATE
        .replacen(TITLE, &title, 1)
        .replacen(CONTENT, &content, 1)
        .replacen(VALUES, &table, 1)
}

fn values(out: &mut String, page: &Page) {
    let _ = write!(
        out,
        "<p id=\"values-empty\"{}>No declared metrics in this binary.</p>\
         <table id=\"values-table\"{}><thead><tr><th>metric</th><th>kind</th><th>value</th>\
         <th>alerts</th></tr></thead><tbody>",
        if page.values.is_empty() {
            ""
        } else {
            " hidden"
        },
        if page.values.is_empty() {
            " hidden"
        } else {
            ""
        },
    );
    for v in &page.values {
        let labels: Vec<String> = v
            .labels
            .iter()
            .map(|(k, value)| format!("{}=&quot;{}&quot;", escape(k), escape(value)))
            .collect();
        let _ = write!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&v.name),
            if labels.is_empty() {
                String::new()
            } else {
                format!("{{{}}}", labels.join(", "))
            },
            v.kind,
            escape(&super::shown::shown(
                v.value,
                v.unit.as_deref(),
                v.state.as_deref()
            )),
            alerts(&v.alerts)
        );
    }
    out.push_str("</tbody></table>");
}

fn header(out: &mut String, page: &Page) {
    out.push_str("<header id=\"bot\"><h1>botwatch</h1><ul id=\"labels\">");
    for (key, value) in &page.labels {
        let _ = write!(out, "<li>{}={}</li>", escape(key), escape(value));
    }
    let (class, status) = if page.healthy {
        ("pill-ok", "healthy")
    } else if page.guards.iter().any(|g| g.engaged) {
        ("pill-bad", "degraded: a guard is engaged")
    } else {
        ("pill-bad", "degraded: a breaker is open")
    };
    let _ = write!(
        out,
        "</ul><p><span id=\"status\" class=\"pill {class}\">{status}</span> \
         <span id=\"uptime\">up {}</span> <span id=\"updated\">as served; \
         the page updates itself with JavaScript</span></p></header>",
        seconds_text(page.uptime.as_secs_f64())
    );
}

/// The banner of engaged guards: which guard, on which value, since when, holding which
/// breakers. Empty (and hidden) while none is engaged.
fn guards(out: &mut String, page: &Page) {
    let engaged: Vec<_> = page.guards.iter().filter(|g| g.engaged).collect();
    let _ = write!(
        out,
        "<div id=\"guards\" class=\"banner\"{}>",
        if engaged.is_empty() { " hidden" } else { "" }
    );
    for g in engaged {
        let _ = write!(out, "<p>{}</p>", escape(&guard_sentence(g)));
    }
    out.push_str("</div>");
}

/// `Guard Drawdown engaged: drawdown = 0.062 (value > 0.05) since 12:03:41 UTC; holding
/// trading open`, as the banner says it (the script writes the same sentence).
fn guard_sentence(g: &crate::guard::GuardSnapshot) -> String {
    let value = g
        .value
        .map(|v| format!(" = {}", super::alerts::number(v)))
        .unwrap_or_default();
    let since = g
        .since
        .map(|at| {
            let of_day = at.rem_euclid(86_400.0) as u64;
            format!(
                " since {:02}:{:02}:{:02} UTC",
                of_day / 3600,
                of_day / 60 % 60,
                of_day % 60
            )
        })
        .unwrap_or_default();
    let holding = if g.breakers.is_empty() {
        "the bot is marked degraded".to_owned()
    } else {
        format!("holding {} open", g.breakers.join(", "))
    };
    format!(
        "Guard {} engaged: {}{value} ({}){since}; {holding}",
        g.name, g.metric, g.condition
    )
}

fn breakers(out: &mut String, page: &Page) {
    out.push_str(
        "<section><h2>Circuit breakers</h2><table id=\"breakers\"><thead><tr>\
         <th>breaker</th><th>key</th><th>state</th><th>failures</th><th>rejected</th>\
         <th>next probe</th><th>opened</th><th>alerts</th></tr></thead><tbody>",
    );
    if page.breakers.is_empty() {
        out.push_str("<tr><td colspan=\"8\">no breaker in this binary</td></tr>");
    }
    for b in &page.breakers {
        let s = &b.live.snapshot;
        let state = s.state.label();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"state {state}\">{state}{}</td><td>{}</td>\
             <td>{} total</td><td>{}</td><td>{} total</td><td>{}</td></tr>",
            escape(s.name),
            escape(s.key.as_deref().unwrap_or("")),
            match (s.held_by, b.live.forced) {
                (Some(guard), _) => format!(" (guard:{})", escape(guard)),
                (None, true) => " (forced)".to_owned(),
                (None, false) => String::new(),
            },
            escape(&b.window_text()),
            s.rejected,
            b.live
                .next_probe_in
                .map(|d| seconds_text(d.as_secs_f64()))
                .unwrap_or_default(),
            b.live.opened,
            alerts(&b.alerts)
        );
    }
    out.push_str("</tbody></table></section>");
}

fn functions(out: &mut String, page: &Page) {
    let columns: Vec<&str> = page.quantile_columns.iter().map(|q| q.keyword()).collect();
    let _ = write!(
        out,
        "<section><h2>Functions ({})</h2><table id=\"functions\" data-quantiles=\"{}\"><thead><tr>\
         <th>function</th><th>calls/s</th><th>error %</th>{}\
         <th>calls</th><th>errors</th><th>alerts</th></tr></thead>",
        page.functions.len(),
        columns.join(" "),
        columns
            .iter()
            .map(|c| format!("<th>{c}</th>"))
            .collect::<String>()
    );
    let span = 6 + columns.len();
    let mut module: Option<&str> = None;
    for f in &page.functions {
        if module != Some(f.module) {
            if module.is_some() {
                out.push_str("</tbody>");
            }
            let _ = write!(
                out,
                "<tbody><tr class=\"module\"><th colspan=\"{span}\">{}</th></tr>",
                escape(f.module)
            );
            module = Some(f.module);
        }
        let dash = || "–".to_owned();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td>\
             <td>{}</td></tr>",
            escape(f.function),
            f.rate.map(super::alerts::number).unwrap_or_else(dash),
            f.error_share.map(percent).unwrap_or_else(dash),
            page.quantile_columns
                .iter()
                .map(|column| {
                    let shown = f
                        .quantiles
                        .iter()
                        .find(|(q, _)| q == column)
                        .and_then(|(_, seconds)| *seconds)
                        .map(seconds_text)
                        .unwrap_or_else(dash);
                    format!("<td>{shown}</td>")
                })
                .collect::<String>(),
            match f.in_flight {
                Some((count, Some(age))) => format!(
                    "{} ({count} in flight, oldest {})",
                    f.calls,
                    seconds_text(age)
                ),
                Some((count, None)) => format!("{} ({count} in flight)", f.calls),
                None => f.calls.to_string(),
            },
            if f.counted {
                f.errors.to_string()
            } else {
                dash()
            },
            alerts(&f.alerts)
        );
    }
    if module.is_some() {
        out.push_str("</tbody>");
    }
    out.push_str("</table></section>");
}

fn alerts(list: &[AlertView]) -> String {
    list.iter()
        .map(|a| {
            let state = match a.holds {
                Some(true) => "condition holds",
                Some(false) => "ok",
                None => "waiting for history",
            };
            format!(
                "{} ({}, {}): {}",
                escape(&a.name),
                escape(&a.condition),
                escape(&a.severity),
                state
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// `text` safe anywhere in HTML text or a quoted attribute value.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("</script><img src=x onerror=\"a('b')\">&"),
            "&lt;/script&gt;&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn the_template_has_one_place_for_each_part_and_loads_nothing_from_elsewhere() {
        assert_eq!(TEMPLATE.matches(CONTENT).count(), 1);
        assert_eq!(TEMPLATE.matches(TITLE).count(), 1);
        assert_eq!(TEMPLATE.matches(VALUES).count(), 1);
        for external in ["http://", "https://", "src=\"", "@import", "url("] {
            assert!(
                !TEMPLATE.contains(external),
                "the page refers to {external}"
            );
        }
    }
}
