//! A Grafana dashboard rendered from the same [`Site`]s as the alert rules, so a panel can
//! no more drift from the code than an alert can: every metric name, label and selector
//! comes from the rules' own functions, and every threshold line from an `alert(...)`.
//!
//! The dashboard has, in this order: an overview row (the bot's `up` per instance, breakers
//! not closed, alerts firing, calls per second and error share of the whole bot), one row
//! per module with each function's panels (calls by result, error ratio with the
//! `error_rate` threshold, latency quantiles with the latency thresholds, SLO burn rate and
//! error budget left), and a row of circuit breakers (state timeline, calls, transitions,
//! latency). Between the modules and the breakers, a row of the declared metrics' values
//! (`#[gauge]`, `#[counter]`, `#[histogram]` on statics), each alert's threshold a line.
//! Rows are [`SECTIONS`].
//!
//! Panel ids are hashes of what a panel charts (`module::function` and the panel's kind), so
//! they stay put when functions are added or removed, and the output is the same bytes for
//! the same sites, at build time and at run time.
//!
//! ```
//! let json = botwatch_render::dashboard::json(&[], &[]);
//! assert!(json.contains("\"schemaVersion\": 39"));
//! ```

mod annotations;
mod availability;
mod daily;
mod funnels;
mod guards;
mod heatmap;
mod ids;
mod json;
mod layout;
mod links;
mod panels;
mod queries;
mod relations;
mod stat;
mod table;
mod top;
mod units;
mod values;
mod variables;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use crate::rules::slo::{burn_alert_name, PAGE, TICKET};
use crate::text::promql_string;
use botwatch_spec::declared::Declared;
use botwatch_spec::model::{Attribute, Condition, Site};
use botwatch_spec::names;

use ids::{Grid, Ids};
use json::Writer;
use layout::{Bot, Layout, Section};
pub use links::AlertPanels;
use panels::{Kind, Look, Panel};
use std::borrow::Cow;

/// The dashboard JSON model version written (Grafana 10.4 and later read it as is).
pub const SCHEMA_VERSION: u32 = 39;

/// The tag every generated dashboard carries.
pub const TAG: &str = "botwatch";

/// The dashboard of `sites` and the `declared` metrics as Grafana's JSON, pretty-printed,
/// ending in a newline.
pub fn json(sites: &[Site], declared: &[Declared]) -> String {
    render(sites, declared, None)
}

/// The panel each alert of `sites` and `declared` opens, as the dashboard of the same
/// sites places them (the rules' `dashboard_url`).
pub fn alert_panels(sites: &[Site], declared: &[Declared]) -> AlertPanels {
    let mut placed = Some(BTreeMap::new());
    render(sites, declared, Some(&mut placed));
    let mut sorted: Vec<&Site> = sites.iter().collect();
    sorted.sort_by(|a, b| Site::order(a, b).then_with(|| series_key(a).cmp(&series_key(b))));
    let uid = ids::uid(&crates_of(&sorted, declared));
    links::alert_panels(&sorted, declared, uid, &placed.unwrap_or_default())
}

/// The dashboard, recording each panel's key and id into `placed` when given.
fn render(
    sites: &[Site],
    declared: &[Declared],
    placed: Option<&mut Option<BTreeMap<String, u32>>>,
) -> String {
    // References: the sort moves pointers, and no site is cloned.
    let mut sorted: Vec<&Site> = sites.iter().collect();
    // Two sites of one function told apart by static labels sort equal by `Site::order`:
    // the series they write decide, so the build helper and the runtime agree whatever they
    // found first.
    sorted.sort_by(|a, b| Site::order(a, b).then_with(|| series_key(a).cmp(&series_key(b))));
    let mut declared = declared.to_vec();
    declared.sort_by(Declared::order);
    // Sized for what a function's panels take (some 3 KB per site), so the 6 MB of a
    // thousand functions are not copied over and over as the text grows.
    let mut out = Writer::with_capacity(16 * 1024 + 3_400 * (sorted.len() + declared.len()));
    let recorded = dashboard(
        &mut out,
        &Bot {
            sites: &sorted,
            declared: &declared,
        },
        placed.is_some(),
    );
    if let Some(placed) = placed {
        *placed = recorded;
    }
    out.finish()
}

/// The crate names of the sites' and declared metrics' modules, sorted, each once.
fn crates_of(sites: &[&Site], declared: &[Declared]) -> Vec<String> {
    sites
        .iter()
        .map(|s| &s.module)
        .chain(declared.iter().map(|d| &d.module))
        .map(|module| module.split("::").next().unwrap_or_default().to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The dashboard's parts, in order: the bot's own values after its functions, so a module's
/// panels stay next to each other, and before the breakers, which an operator reads when a
/// function's panel already points there.
const SECTIONS: [Section; 5] = [overview, table::alerts, functions, values::values, breakers];

/// What tells apart two sites of one function and attribute: the series they write (the
/// metric's name, its static labels, its per-call label keys, then its help and series
/// cap), or the breaker they name.
fn series_key(site: &Site) -> SeriesKey<'_> {
    let metric = match &site.attribute {
        Attribute::Counted(c) => &c.metric,
        Attribute::Timed(t) => &t.metric,
        Attribute::CircuitBreaker(b) => {
            return (b.name.as_deref(), None, Vec::new(), Vec::new(), None)
        }
    };
    (
        metric.name.as_deref(),
        metric.help.as_deref(),
        metric.labels.iter().map(|l| (&*l.key, &*l.value)).collect(),
        metric.call_labels.iter().map(|k| &**k).collect(),
        metric.max_series,
    )
}

/// Name, help, static labels, per-call label keys, series cap.
type SeriesKey<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Vec<(&'a str, &'a str)>,
    Vec<&'a str>,
    Option<u32>,
);

/// Writes the dashboard; returns each panel's key and id when `record` is set.
fn dashboard(w: &mut Writer, bot: &Bot<'_>, record: bool) -> Option<BTreeMap<String, u32>> {
    let sites = bot.sites;
    let crates = crates_of(sites, bot.declared);
    let mut recorded = None;
    let title = if crates.is_empty() {
        "botwatch".to_owned()
    } else {
        format!("botwatch: {}", crates.join(", "))
    };
    w.object(|w| {
        let breakers = has_breakers(sites);
        w.key("annotations")
            .object(|w| annotations::annotations(w, breakers));
        w.field(
            "description",
            "Generated by botwatch from the #[counted], #[timed] and #[circuit_breaker] attributes of the code \
             and its declared metrics (#[gauge], #[counter], #[histogram]). \
             Do not edit: change the attributes, or add panels on a dashboard of your own.",
        );
        w.field("editable", true);
        w.field("fiscalYearStartMonth", 0.0);
        w.field("graphTooltip", 1.0);
        w.key("links").array(|_| {});
        w.key("panels").array(|w| {
            let mut layout = Layout {
                ids: Ids::default(),
                grid: Grid::default(),
                shared: panels::Shared::default(),
                panels: w,
                placed: record.then(BTreeMap::new),
            };
            for section in SECTIONS {
                section(bot, &mut layout);
            }
            recorded = layout.placed;
        });
        w.field("refresh", "30s");
        w.field("schemaVersion", SCHEMA_VERSION);
        w.key("tags").array(|w| w.value(TAG));
        let variables = variables::variables(&anchor(bot), &call_labels(sites));
        w.key("templating")
            .object(|w| variables::templating(w, &variables));
        w.key("time").object(|w| {
            w.field("from", "now-6h");
            w.field("to", "now");
        });
        w.key("timepicker").object(|_| {});
        w.field("timezone", "");
        w.field("title", title.as_str());
        w.field("uid", ids::uid(&crates).as_str());
        w.field("version", 1.0);
    });
    recorded
}

/// A selector of this bot's own series, which every instance exports from `install()` on:
/// the `job` variable lists the jobs scraping them, so "All" means this bot's jobs, not
/// every job of the Prometheus (another bot's `function_calls_total` stays out). A bot of
/// declared metrics alone anchors on its first unlabelled one.
fn anchor(bot: &Bot<'_>) -> String {
    let sites = bot.sites;
    let matchers = |site: &Site| {
        format!(
            "{}={}, {}={}",
            names::LABEL_FUNCTION,
            promql_string(&site.function),
            names::LABEL_MODULE,
            promql_string(&site.module)
        )
    };
    let function = sites.iter().find_map(|site| match &site.attribute {
        Attribute::Counted(c) => Some(format!(
            "{}{{{}}}",
            c.metric.metric_name(names::FUNCTION_CALLS_TOTAL),
            matchers(site)
        )),
        Attribute::Timed(t) => Some(format!(
            "{}_count{{{}}}",
            t.metric.metric_name(names::FUNCTION_CALLS_DURATION_SECONDS),
            matchers(site)
        )),
        Attribute::CircuitBreaker(_) => None,
    });
    let breaker = || {
        sites.iter().find_map(|site| {
            site.breaker_name().map(|name| {
                format!(
                    "{}{{{}={}}}",
                    names::CIRCUIT_BREAKER_STATE,
                    names::LABEL_BREAKER,
                    promql_string(&name)
                )
            })
        })
    };
    let declared = || {
        bot.declared
            .iter()
            .find(|d| d.label_keys.is_empty())
            .map(|d| {
                let suffix = if d.kind == botwatch_spec::declared::MetricKind::Histogram {
                    "_count"
                } else {
                    ""
                };
                let selector = crate::promql::Metric::of(d).selector_with(suffix, &[]);
                if selector.ends_with('}') {
                    selector
                } else {
                    format!("{selector}{{}}")
                }
            })
    };
    function
        .or_else(breaker)
        .or_else(declared)
        .unwrap_or_else(|| "up{}".to_owned())
}

/// Names the dashboard keeps for its own variables.
const RESERVED: [&str; 3] = ["datasource", "job", "instance"];

/// Each per-call label key, once, with the first metric carrying it (its values' source).
fn call_labels(sites: &[&Site]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for site in sites {
        let (keys, metric) = match &site.attribute {
            Attribute::Counted(c) => (
                &c.metric.call_labels,
                c.metric.metric_name(names::FUNCTION_CALLS_TOTAL).to_owned(),
            ),
            Attribute::Timed(t) => (
                &t.metric.call_labels,
                format!(
                    "{}_count",
                    t.metric.metric_name(names::FUNCTION_CALLS_DURATION_SECONDS)
                ),
            ),
            Attribute::CircuitBreaker(_) => continue,
        };
        for key in keys.iter() {
            if !RESERVED.contains(&key.as_ref()) && !out.iter().any(|(k, _)| k == key.as_ref()) {
                out.push((key.to_string(), metric.clone()));
            }
        }
    }
    out
}

/// Every alert name of the sites' and declared metrics' rules, the SLO alerts included:
/// named by the rules' own functions, without building the rules (their unit-test probes
/// cost more than the whole dashboard).
fn alert_names(bot: &Bot<'_>) -> Vec<String> {
    let declared = bot
        .declared
        .iter()
        .flat_map(|d| d.alerts.iter().map(|a| a.value_alert_name(&d.static_name)));
    let names: BTreeSet<String> = bot
        .sites
        .iter()
        .flat_map(|site| {
            let alerts = site.attribute.alerts().iter();
            let slos = site.attribute.slos().iter();
            alerts
                .map(|a| a.alert_name(&site.function))
                .chain(slos.map(|slo| burn_alert_name(&site.function, slo)))
        })
        .chain(declared)
        .collect();
    names.into_iter().collect()
}

fn has_breakers(sites: &[&Site]) -> bool {
    sites
        .iter()
        .any(|s| matches!(s.attribute, Attribute::CircuitBreaker(_)))
}

fn overview(bot: &Bot<'_>, layout: &mut Layout<'_>) {
    let sites = bot.sites;
    layout.row("overview", "Overview");
    let stat = |key: &str, title: &str, description: &str, query, kind, thresholds| Panel {
        key: format!("overview/{key}"),
        title: title.to_owned(),
        description: description.to_owned(),
        queries: vec![query],
        kind,
        unit: Cow::Borrowed("short"),
        thresholds,
        size: (4, 5),
        look: Look::default(),
    };
    layout.add(&stat(
        "up",
        "Bot up",
        "Whether Prometheus scrapes each instance of the bot (the job's up).",
        queries::up(),
        Kind::Up,
        Vec::new(),
    ));
    if has_breakers(sites) {
        layout.add(&stat(
            "breakers",
            "Breakers not closed",
            "Circuit breakers open or half-open now, counted per instance and key.",
            queries::breakers_not_closed(),
            Kind::Stat,
            vec![(1.0, "red")],
        ));
    }
    layout.add(&stat(
        "alerts",
        "Alerts firing",
        "This bot's alerts firing now, from Prometheus' ALERTS series.",
        queries::alerts_firing(&alert_names(bot)),
        Kind::Stat,
        vec![(1.0, "red")],
    ));
    let mut uptime = stat(
        "uptime",
        "Uptime",
        "How long each instance has run since it started (process_start_time_seconds): a short one is a restart.",
        queries::uptime(),
        Kind::Stat,
        Vec::new(),
    );
    uptime.unit = Cow::Borrowed("s");
    layout.add(&uptime);
    layout.add(&table::build());
    let counted: BTreeSet<&str> = sites
        .iter()
        .filter(|s| matches!(s.attribute, Attribute::Counted(_)))
        .filter_map(|s| queries::metric(s))
        .collect();
    if !counted.is_empty() {
        let series =
            |key: &str, title: &str, description: &str, queries, unit: &'static str| Panel {
                key: format!("overview/{key}"),
                title: title.to_owned(),
                description: description.to_owned(),
                queries,
                kind: Kind::TimeSeries,
                unit: Cow::Borrowed(unit),
                thresholds: Vec::new(),
                size: (6, 5),
                look: Look::default(),
            };
        layout.add(&series(
            "calls",
            "Calls per second",
            "Calls of every #[counted] function, all instances together.",
            counted.iter().map(|m| queries::bot_calls(m)).collect(),
            "reqps",
        ));
        layout.add(&series(
            "errors",
            "Error share",
            "The share of all #[counted] calls that returned an error or panicked.",
            counted.iter().map(|m| queries::bot_errors(m)).collect(),
            "percentunit",
        ));
    }
    let labelled = sites.iter().any(|s| match &s.attribute {
        Attribute::Counted(c) => !c.metric.call_labels.is_empty(),
        Attribute::Timed(t) => !t.metric.call_labels.is_empty(),
        Attribute::CircuitBreaker(_) => false,
    });
    if labelled {
        layout.add(&Panel {
            key: "overview/label-overflow".to_owned(),
            title: "Per-call label overflow and evictions".to_owned(),
            description: "Calls recorded in a function's __overflow__ series (more label sets than its max_series were live at once), and label sets evicted after label_idle without a call."
                .to_owned(),
            queries: vec![queries::label_overflow(), queries::label_evictions()],
            kind: Kind::TimeSeries,
            unit: Cow::Borrowed("reqps"),
            thresholds: Vec::new(),
            size: (8, 5),
            look: Look::default(),
        });
    }
    layout.grid.new_line();
}

/// `submit_bundle` or, with static labels, `submit_bundle {kind="a"}`: what tells two
/// sites of one function apart.
fn who(site: &Site) -> String {
    let labels = match &site.attribute {
        Attribute::Counted(c) => &c.metric.labels,
        Attribute::Timed(t) => &t.metric.labels,
        Attribute::CircuitBreaker(_) => return site.function.to_string(),
    };
    if labels.is_empty() {
        return site.function.to_string();
    }
    let labels: Vec<String> = labels
        .iter()
        .map(|l| format!("{}=\"{}\"", l.key, l.value))
        .collect();
    format!("{} {{{}}}", site.function, labels.join(", "))
}

fn functions(bot: &Bot<'_>, layout: &mut Layout<'_>) {
    let sites = bot.sites;
    let mut module: Option<&str> = None;
    let mut function: Option<(&str, &str)> = None;
    // A ratio's other function is resolved among every site; copied only when one exists.
    let has_ratio = sites.iter().any(|s| {
        s.attribute
            .alerts()
            .iter()
            .any(|a| matches!(a.condition, Condition::CallsRatio { .. }))
    });
    let all: Vec<Site> = if has_ratio {
        sites.iter().map(|s| (*s).clone()).collect()
    } else {
        Vec::new()
    };
    let mut in_flight_shown: BTreeSet<(&str, &str)> = BTreeSet::new();
    for site in sites {
        let Some(metric) = queries::metric(site) else {
            continue;
        };
        if module != Some(&site.module) {
            module = Some(&site.module);
            layout.row(&format!("module/{}", site.module), &site.module);
        }
        if function != Some((&site.module, &site.function)) {
            function = Some((&site.module, &site.function));
            layout.grid.new_line();
        }
        let who = who(site);
        let key = format!("{}::{who}", site.module);
        let panel = |kind: &str,
                     title: String,
                     description: String,
                     queries,
                     unit: &'static str,
                     thresholds| Panel {
            key: format!("{key}/{kind}"),
            title,
            description,
            queries,
            kind: Kind::TimeSeries,
            unit: Cow::Borrowed(unit),
            thresholds,
            size: (8, 8),
            look: Look::default(),
        };
        match &site.attribute {
            Attribute::Counted(_) => {
                layout.add(&panel(
                    "calls",
                    format!("{who}: calls/s by result"),
                    format!(
                        "Calls of {}::{} per second, ok and error.",
                        site.module, site.function
                    ),
                    vec![queries::calls_by_result(site, metric)],
                    "reqps",
                    Vec::new(),
                ));
                let thresholds: Vec<(f64, &str)> = site
                    .attribute
                    .alerts()
                    .iter()
                    .filter_map(|a| match a.condition {
                        Condition::ErrorRate { above } => Some((above, "red")),
                        _ => None,
                    })
                    .collect();
                layout.add(&panel(
                    "errors",
                    format!("{who}: error ratio"),
                    format!(
                        "The share of calls of {}::{} that returned an error or panicked; the dashed line is the error_rate alert's threshold.",
                        site.module, site.function
                    ),
                    vec![queries::error_ratio(site, metric)],
                    "percentunit",
                    thresholds,
                ));
                for bars in top::function_bars(site, metric, &key, &who) {
                    layout.add(&bars);
                }
            }
            Attribute::Timed(timed) => {
                let quantiles = timed.drawn_quantiles();
                let thresholds: Vec<(f64, &str)> = site
                    .attribute
                    .alerts()
                    .iter()
                    .filter_map(|alert| match alert.condition {
                        Condition::Latency { threshold, .. } => {
                            Some((threshold.as_secs_f64(), "red"))
                        }
                        _ => None,
                    })
                    .collect();
                layout.add(&panel(
                    "latency",
                    format!("{who}: latency"),
                    format!(
                        "Latency quantiles of {}::{}; the dashed line is the latency alert's threshold.",
                        site.module, site.function
                    ),
                    queries::latency(site, metric, &quantiles),
                    "s",
                    thresholds,
                ));
                layout.add(&heatmap::function_heatmap(site, metric, &key, &who));
            }
            Attribute::CircuitBreaker(_) => {}
        }
        let first_tracking = funnels::tracks_in_flight(site)
            && in_flight_shown.insert((&site.module, &site.function));
        for extra in funnels::function_panels(&all, site, &key, &who, first_tracking) {
            layout.add(&extra);
        }
        for (i, slo) in site.attribute.slos().iter().enumerate() {
            let objective = availability::objective_text(slo);
            let good = match queries::slo_latency_text(slo) {
                Some(latency) => format!("calls within {latency}s"),
                None => "calls without error".to_owned(),
            };
            let mut burn_lines: Vec<(f64, &str)> = Vec::new();
            for policy in [&TICKET, &PAGE] {
                let color = if policy.severity == "critical" {
                    "red"
                } else {
                    "orange"
                };
                for pair in policy.pairs {
                    if !burn_lines.iter().any(|(v, _)| *v == pair.2) {
                        burn_lines.push((pair.2, color));
                    }
                }
            }
            burn_lines.sort_by(|a, b| a.0.total_cmp(&b.0));
            layout.add(&panel(
                &format!("slo{i}/burn"),
                format!("{who}: SLO {objective} burn rate"),
                format!(
                    "How fast the error budget of {objective} {good} burns: 1 spends it in 30 days; the lines are the burn rates the SLO alerts page (red) and ticket (orange) at."
                ),
                vec![queries::burn_rate(site, metric, slo)],
                "short",
                burn_lines,
            ));
            layout.add(&availability::dial(site, metric, slo, &key, &who, &good, i));
            layout.add(&panel(
                &format!("slo{i}/budget"),
                format!("{who}: SLO {objective} error budget left"),
                format!(
                    "The share of the 30-day error budget of {objective} {good} not yet spent."
                ),
                vec![queries::budget_left(site, metric, slo)],
                "percentunit",
                Vec::new(),
            ));
        }
    }
}

fn breakers(bot: &Bot<'_>, layout: &mut Layout<'_>) {
    let sites = bot.sites;
    // Each breaker once, in the order of its first function; it records latency if any of
    // its functions does.
    let mut seen: Vec<(String, bool, bool)> = Vec::new();
    for site in sites {
        let (Attribute::CircuitBreaker(options), Some(name)) =
            (&site.attribute, site.breaker_name())
        else {
            continue;
        };
        match seen.iter_mut().find(|(n, _, _)| *n == name) {
            Some(entry) => entry.2 |= options.latency,
            None => seen.push((name.into_owned(), options.per.is_some(), options.latency)),
        }
    }
    if seen.is_empty() {
        return;
    }
    layout.row("breakers", "Circuit breakers");
    for (name, keyed, latency) in &seen {
        layout.grid.new_line();
        let panel =
            |kind: &str, title: String, description: &str, queries, plugin, unit: &'static str| {
                Panel {
                    key: format!("breaker/{name}/{kind}"),
                    title,
                    description: description.to_owned(),
                    queries,
                    kind: plugin,
                    unit: Cow::Borrowed(unit),
                    thresholds: Vec::new(),
                    size: (8, 8),
                    look: Look::default(),
                }
            };
        layout.add(&panel(
            "state",
            format!("{name}: state"),
            "The breaker's state on each instance: closed (green), open (red), half-open (yellow, probing).",
            vec![queries::breaker_state(name, *keyed)],
            Kind::BreakerState,
            "short",
        ));
        layout.add(&panel(
            "calls",
            format!("{name}: calls through the breaker"),
            "Calls per second the breaker rejected while open, and those it counted as failures and as successes.",
            queries::breaker_calls(name, *keyed),
            Kind::TimeSeries,
            "reqps",
        ));
        layout.add(&panel(
            "transitions",
            format!("{name}: transitions"),
            "State changes of the breaker, by from and to state.",
            vec![queries::breaker_transitions(name)],
            Kind::TimeSeries,
            "short",
        ));
        if *latency {
            layout.add(&panel(
                "latency",
                format!("{name}: latency of calls let through"),
                "The p99 latency of the calls the breaker let through.",
                vec![queries::breaker_latency(name, *keyed)],
                Kind::TimeSeries,
                "s",
            ));
        }
    }
}
