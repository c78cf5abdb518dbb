//! Prometheus text exposition of botwatch's own per-site storage.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use botwatch_spec::declared::Declared;
use botwatch_spec::model::{Attribute, Site};
use botwatch_spec::names::{self, format_float, nanos_as_seconds_text};

use crate::breaker::{all_breakers, Breaker, TRANSITIONS};
use crate::declared::{self, DeclaredStatic, Series, ValueHistogramSnapshot};
use crate::histogram::HistogramSnapshot;
use crate::registry::{self, RegisteredSite};

type Labels = Vec<(String, String)>;

enum Values {
    Counter(u64),
    Gauge(u64),
    Histogram(HistogramSnapshot),
    /// A declared gauge's or counter's value.
    Float(f64),
    /// A declared histogram.
    ValueHistogram(ValueHistogramSnapshot),
}

struct Family {
    help: String,
    kind: &'static str,
    series: BTreeMap<Labels, Values>,
}

/// Appends every registered site's and declared metric's series to `out`, each with
/// `global` labels.
pub(crate) fn render_sites(out: &mut String, global: &[(String, String)]) {
    render_parts(out, global, usize::MAX, true);
}

/// The first `limit` function sites and the breakers, without declared metrics, and the
/// declared metrics alone: benchmarks measure how rendering grows with each.
pub(crate) fn render_parts(
    out: &mut String,
    global: &[(String, String)],
    limit: usize,
    with_declared: bool,
) {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for site in registry::sites().into_iter().take(limit) {
        add_site(&mut families, site, global);
    }
    if limit > 0 {
        for breaker in all_breakers() {
            add_breaker(&mut families, breaker, global);
        }
    }
    if with_declared {
        for (spec, metric) in declared::declared() {
            add_declared(&mut families, spec, metric, global);
        }
    }
    for (name, family) in &families {
        write_family(out, name, family);
    }
}

fn base_labels(spec: &Site, own: &[botwatch_spec::model::Label]) -> Labels {
    let mut labels = vec![
        (names::LABEL_FUNCTION.to_owned(), spec.function.to_string()),
        (names::LABEL_MODULE.to_owned(), spec.module.to_string()),
    ];
    labels.extend(own.iter().map(|l| (l.key.to_string(), l.value.to_string())));
    labels
}

fn family_of<'a>(
    families: &'a mut BTreeMap<String, Family>,
    name: &str,
    help: &str,
    kind: &'static str,
) -> &'a mut Family {
    families.entry(name.to_owned()).or_insert_with(|| Family {
        help: help.to_owned(),
        kind,
        series: BTreeMap::new(),
    })
}

fn add_site(
    families: &mut BTreeMap<String, Family>,
    site: RegisteredSite,
    global: &[(String, String)],
) {
    let spec = site.spec();
    match (site, &spec.attribute) {
        (RegisteredSite::Counted(counted), Attribute::Counted(args)) => {
            let metric = &args.metric;
            let name = metric.metric_name(names::FUNCTION_CALLS_TOTAL);
            let (sets, overflowed) = match counted.labelled() {
                Some(labelled) => (labelled.sets, Some(labelled.overflowed)),
                None if !metric.call_labels.is_empty() => (Vec::new(), Some(0)),
                None => (
                    vec![(&[][..], (counted.ok_count(), counted.error_count()))],
                    None,
                ),
            };
            let family = family_of(
                families,
                name,
                metric.help_text(names::HELP_CALLS),
                "counter",
            );
            for (values, (ok, error)) in sets {
                for (result, value) in [(names::RESULT_OK, ok), (names::RESULT_ERROR, error)] {
                    let mut labels = base_labels(spec, &metric.labels);
                    labels.insert(2, (names::LABEL_RESULT.to_owned(), result.to_owned()));
                    labels.extend(call_labels(&metric.call_labels, values));
                    labels.extend_from_slice(global);
                    let entry = family.series.entry(labels).or_insert(Values::Counter(0));
                    if let Values::Counter(total) = entry {
                        *total += value;
                    }
                }
            }
            if let Some(overflowed) = overflowed {
                add_overflow(families, spec, overflowed, global);
            }
        }
        (RegisteredSite::Timed(timed), Attribute::Timed(args)) => {
            let metric = &args.metric;
            let name = metric.metric_name(names::FUNCTION_CALLS_DURATION_SECONDS);
            let (sets, overflowed) = match timed.labelled() {
                Some(labelled) => (labelled.sets, Some(labelled.overflowed)),
                None if !metric.call_labels.is_empty() => (Vec::new(), Some(0)),
                None => (vec![(&[][..], timed.snapshot())], None),
            };
            let family = family_of(
                families,
                name,
                metric.help_text(names::HELP_DURATION),
                "histogram",
            );
            for (values, snapshot) in sets {
                let mut labels = base_labels(spec, &metric.labels);
                labels.extend(call_labels(&metric.call_labels, values));
                labels.extend_from_slice(global);
                match family.series.get_mut(&labels) {
                    // Two functions of one name in one module (methods of two types) share a
                    // series, since Prometheus rejects a scrape that repeats one. With
                    // different buckets the first one's series is kept.
                    Some(Values::Histogram(existing)) => {
                        existing.merge(&snapshot);
                    }
                    Some(_) => {}
                    None => {
                        family.series.insert(labels, Values::Histogram(snapshot));
                    }
                }
            }
            if let Some(overflowed) = overflowed {
                add_overflow(families, spec, overflowed, global);
            }
        }
        // Breakers are rendered by name, once for all the functions sharing one.
        (RegisteredSite::Breaker(_), _) => {}
        _ => unreachable!("a site's storage always matches its attribute"),
    }
}

/// Per-call labels: each key with this label set's value.
fn call_labels<'a>(
    keys: &'a [botwatch_spec::model::Text],
    values: &'a [Box<str>],
) -> impl Iterator<Item = (String, String)> + 'a {
    keys.iter()
        .zip(values)
        .map(|(key, value)| (key.to_string(), value.to_string()))
}

/// `botwatch_label_overflow_total{function, module}` of a function with per-call labels
/// (a function both counted and timed adds its overflows once per attribute).
fn add_overflow(
    families: &mut BTreeMap<String, Family>,
    spec: &Site,
    overflowed: u64,
    global: &[(String, String)],
) {
    let mut labels = base_labels(spec, &[]);
    labels.extend_from_slice(global);
    let family = family_of(
        families,
        names::BOTWATCH_LABEL_OVERFLOW_TOTAL,
        names::HELP_LABEL_OVERFLOW,
        "counter",
    );
    let entry = family.series.entry(labels).or_insert(Values::Counter(0));
    if let Values::Counter(total) = entry {
        *total += overflowed;
    }
}

fn add_breaker(
    families: &mut BTreeMap<String, Family>,
    breaker: &Breaker,
    global: &[(String, String)],
) {
    let key = breaker.key_name();
    let labels = |extra: &[(&str, &str)]| -> Labels {
        let mut labels = vec![(names::LABEL_BREAKER.to_owned(), breaker.name().to_owned())];
        if let Some(key) = &key {
            labels.push((names::LABEL_KEY.to_owned(), key.clone()));
        }
        labels.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        labels.extend_from_slice(global);
        labels
    };
    let snapshot = breaker.snapshot();
    let state = u64::from(snapshot.state.gauge_value());
    family_of(
        families,
        names::CIRCUIT_BREAKER_STATE,
        names::HELP_BREAKER_STATE,
        "gauge",
    )
    .series
    .insert(labels(&[]), Values::Gauge(state));
    let transitions = family_of(
        families,
        names::CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
        names::HELP_BREAKER_TRANSITIONS,
        "counter",
    );
    for (index, (from, to)) in TRANSITIONS.iter().enumerate() {
        let series = labels(&[
            (names::LABEL_FROM, from.label()),
            (names::LABEL_TO, to.label()),
        ]);
        transitions
            .series
            .insert(series, Values::Counter(breaker.transition_count(index)));
    }
    for (name, help, value) in [
        (
            names::CIRCUIT_BREAKER_SUCCESSES_TOTAL,
            names::HELP_BREAKER_SUCCESSES,
            snapshot.successes,
        ),
        (
            names::CIRCUIT_BREAKER_FAILURES_TOTAL,
            names::HELP_BREAKER_FAILURES,
            snapshot.failures,
        ),
        (
            names::CIRCUIT_BREAKER_REJECTED_TOTAL,
            names::HELP_BREAKER_REJECTED,
            snapshot.rejected,
        ),
    ] {
        family_of(families, name, help, "counter")
            .series
            .insert(labels(&[]), Values::Counter(value));
    }
    family_of(
        families,
        names::CIRCUIT_BREAKER_LATENCY_SECONDS,
        names::HELP_BREAKER_LATENCY,
        "histogram",
    )
    .series
    .insert(labels(&[]), Values::Histogram(breaker.latency_snapshot()));
}

/// A declared metric's series: its static labels, a labelled family's own, the global ones.
fn add_declared(
    families: &mut BTreeMap<String, Family>,
    spec: &Declared,
    metric: DeclaredStatic,
    global: &[(String, String)],
) {
    let name = spec.metric_name();
    // A name already served (another declaration: a build error; or one of botwatch's own
    // metrics) keeps its series: Prometheus rejects a scrape that repeats a family.
    if families.contains_key(&*name) {
        return;
    }
    let family = families.entry(name.into_owned()).or_insert_with(|| Family {
        help: spec.help_text().into_owned(),
        kind: spec.kind.prometheus_type(),
        series: BTreeMap::new(),
    });
    let labels = |values: &[Box<str>]| -> Labels {
        let mut labels: Labels = spec
            .labels
            .iter()
            .map(|l| (l.key.to_string(), l.value.to_string()))
            .collect();
        labels.extend(call_labels(&spec.label_keys, values));
        labels.extend_from_slice(global);
        labels
    };
    let mut insert = |values: &[Box<str>], value: Values| {
        family.series.insert(labels(values), value);
    };
    let overflowed = match metric {
        DeclaredStatic::Gauge(g) => each(g.series(), |v, c| insert(v, Values::Float(c.get()))),
        DeclaredStatic::Counter(c) => each(c.series(), |v, c| insert(v, Values::Float(c.get()))),
        DeclaredStatic::Histogram(h) => each(h.series(), |v, c| {
            insert(v, Values::ValueHistogram(c.snapshot()))
        }),
    };
    if let Some(overflowed) = overflowed {
        let mut labels = vec![(
            names::LABEL_METRIC.to_owned(),
            spec.metric_name().into_owned(),
        )];
        labels.extend_from_slice(global);
        family_of(
            families,
            names::BOTWATCH_LABEL_OVERFLOW_TOTAL,
            names::HELP_LABEL_OVERFLOW,
            "counter",
        )
        .series
        .insert(labels, Values::Counter(overflowed));
    }
}

/// Calls `f` with each series' label values (none for an unlabelled metric) and storage;
/// a labelled family's updates sent to its overflow series.
fn each<S>(series: Series<'_, S>, mut f: impl FnMut(&[Box<str>], &S)) -> Option<u64> {
    match series {
        Series::One(one) => {
            f(&[], one);
            None
        }
        Series::Family(Some(family)) => {
            for (values, storage) in family.sets {
                f(values, storage);
            }
            Some(family.overflowed)
        }
        Series::Family(None) => Some(0),
    }
}

fn write_family(out: &mut String, name: &str, family: &Family) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(&family.help));
    let _ = writeln!(out, "# TYPE {name} {}", family.kind);
    for (labels, values) in &family.series {
        match values {
            Values::Counter(value) | Values::Gauge(value) => {
                let _ = writeln!(out, "{name}{} {value}", label_text(labels, None));
            }
            Values::Histogram(h) => {
                for (bound, count) in h.bounds.iter().zip(&h.cumulative) {
                    let le = nanos_as_seconds_text(*bound);
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {count}",
                        label_text(labels, Some(&le))
                    );
                }
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    label_text(labels, Some("+Inf")),
                    h.count
                );
                let sum = format_float(h.sum_nanos as f64 / 1e9);
                let _ = writeln!(out, "{name}_sum{} {sum}", label_text(labels, None));
                let _ = writeln!(out, "{name}_count{} {}", label_text(labels, None), h.count);
            }
            Values::Float(value) => {
                let _ = writeln!(
                    out,
                    "{name}{} {}",
                    label_text(labels, None),
                    format_float(*value)
                );
            }
            Values::ValueHistogram(h) => {
                for (bound, count) in h.bounds.iter().zip(&h.cumulative) {
                    let le = format_float(*bound);
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {count}",
                        label_text(labels, Some(&le))
                    );
                }
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    label_text(labels, Some("+Inf")),
                    h.count
                );
                let sum = format_float(h.sum);
                let _ = writeln!(out, "{name}_sum{} {sum}", label_text(labels, None));
                let _ = writeln!(out, "{name}_count{} {}", label_text(labels, None), h.count);
            }
        }
    }
}

/// `{k="v",...}` with an optional trailing `le`.
pub(crate) fn label_text(labels: &[(String, String)], le: Option<&str>) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{key}=\"{}\"", escape_label_value(value));
    }
    if let Some(le) = le {
        if !labels.is_empty() {
            out.push(',');
        }
        let _ = write!(out, "le=\"{le}\"");
    }
    out.push('}');
    out
}

/// Label values escape `\`, `"` and newlines.
pub(crate) fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(ch),
        }
    }
    out
}

/// HELP text escapes `\` and newlines.
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let labels = vec![("k".to_owned(), "v".to_owned())];
        assert_eq!(label_text(&labels, Some("0.5")), "{k=\"v\",le=\"0.5\"}");
        assert_eq!(escape_help("line\nnext \\"), "line\\nnext \\\\");
    }
}
