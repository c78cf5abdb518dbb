//! Marks on every time panel of the dashboard, so a drop in a value can be read against
//! what happened to the bot then: Grafana's own alert annotations, then restarts (a new
//! `process_start_time_seconds`), breaker trips (a transition to `open`), guard
//! engagements (`botwatch_guard_engaged` going to 1) and new builds (a
//! `botwatch_build_info{version, commit}` series that was not there a minute before: "did
//! the new build cause the PnL drop?"). Each reads only the dashboard's `$job`.

use botwatch_spec::names;

use super::json::Writer;
use super::panels::datasource;

/// One Prometheus annotation: its name, colour and query.
struct Mark {
    name: &'static str,
    color: &'static str,
    expr: String,
}

/// `metric{job=~"$job"}` with `extra` matchers before the job's.
fn selector(metric: &str, extra: &str) -> String {
    format!("{metric}{{{extra}job=~\"$job\"}}")
}

/// The bot's marks; breaker trips only where it has breakers.
fn marks(breakers: bool) -> Vec<Mark> {
    let start = selector(names::PROCESS_START_TIME_SECONDS, "");
    let guard = selector(names::BOTWATCH_GUARD_ENGAGED, "");
    let build = selector(names::BOTWATCH_BUILD_INFO, "");
    let mut out = vec![Mark {
        name: "Restarts",
        color: "purple",
        expr: format!("changes({start}[$__interval]) > 0"),
    }];
    if breakers {
        out.push(Mark {
            name: "Breaker trips",
            color: "red",
            expr: format!(
                "increase({}[$__interval]) > 0",
                selector(names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL, "to=\"open\", ")
            ),
        });
    }
    out.push(Mark {
        name: "Guard engagements",
        color: "orange",
        expr: format!("changes({guard}[$__interval]) > 0 and {guard} == 1"),
    });
    out.push(Mark {
        name: "New builds",
        color: "blue",
        expr: format!("{build} unless {build} offset 1m"),
    });
    out
}

/// The `annotations` object's entries: Grafana's built-in one, then the bot's marks.
pub(super) fn annotations(w: &mut Writer, breakers: bool) {
    w.key("list").array(|w| {
        w.object(|w| {
            w.field("builtIn", 1.0);
            w.key("datasource").object(|w| {
                w.field("type", "grafana");
                w.field("uid", "-- Grafana --");
            });
            w.field("enable", true);
            w.field("hide", true);
            w.field("iconColor", "rgba(0, 211, 255, 1)");
            w.field("name", "Annotations & Alerts");
            w.field("type", "dashboard");
        });
        for mark in marks(breakers) {
            w.object(|w| {
                w.key("datasource").object(datasource);
                w.field("enable", true);
                w.field("expr", mark.expr.as_str());
                w.field("hide", false);
                w.field("iconColor", mark.color);
                w.field("name", mark.name);
            });
        }
    });
}
