//! Prometheus text exposition of botwatch's own per-site storage.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::iter::Peekable;

use botwatch_spec::declared::Declared;
use botwatch_spec::model::{Attribute, Site};
use botwatch_spec::names::{self, format_float, nanos_as_seconds_text};

use crate::breaker::{all_breakers, Breaker, TRANSITIONS};
use crate::declared::{self, DeclaredStatic, ValueHistogramSnapshot};
use crate::histogram::HistogramSnapshot;
use crate::registry::{self, RegisteredSite};

/// A series' labels, borrowed from the sites, tables and global labels they come from:
/// rendering 10,000 label sets allocates no label text.
type Labels<'a> = Vec<(Text<'a>, Text<'a>)>;

/// A label name or value. Ordered as text, but two borrows of the same bytes (every
/// label name, a function's own name and module in each of its series) compare equal
/// without reading them: sorting 10,000 label sets of one function compares mostly those.
#[derive(Clone, Debug)]
struct Text<'a>(Cow<'a, str>);

impl Text<'_> {
    fn same_bytes(&self, other: &Self) -> bool {
        std::ptr::eq(self.0.as_ptr(), other.0.as_ptr()) && self.0.len() == other.0.len()
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.same_bytes(other) || self.0 == other.0
    }
}

impl Eq for Text<'_> {}

impl PartialOrd for Text<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self.same_bytes(other) {
            std::cmp::Ordering::Equal
        } else {
            self.0.cmp(&other.0)
        }
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

fn label<'a>(key: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> (Text<'a>, Text<'a>) {
    (Text(key.into()), Text(value.into()))
}

/// The global labels, borrowed.
fn globals(global: &[(String, String)]) -> impl Iterator<Item = (Text<'_>, Text<'_>)> {
    global.iter().map(|(k, v)| label(k.as_str(), v.as_str()))
}

enum Values {
    Counter(u64),
    Gauge(u64),
    Histogram(HistogramSnapshot),
    /// A declared gauge's or counter's value.
    Float(f64),
    /// A declared histogram.
    ValueHistogram(ValueHistogramSnapshot),
}

impl Values {
    /// Folds a later series of the same labels into this one (two functions of one name in
    /// one module, methods of two types, share a series, since Prometheus rejects a scrape
    /// that repeats one): counts add up, histograms of the same buckets merge, anything else
    /// keeps the first.
    fn absorb(&mut self, later: &Values) {
        match (self, later) {
            (Values::Counter(total), Values::Counter(more)) => *total += more,
            (Values::Histogram(first), Values::Histogram(more)) => {
                first.merge(more);
            }
            _ => {}
        }
    }
}

struct Family<'a> {
    help: Cow<'a, str>,
    kind: &'static str,
    /// Every series added, in any order and possibly repeated: sorted and merged once, when
    /// written. Added mostly in order already, they sort in about one comparison each, where
    /// keeping a map ordered while adding took a dozen.
    series: Vec<(Labels<'a>, Values)>,
}

impl<'a> Family<'a> {
    fn add(&mut self, labels: Labels<'a>, values: Values) {
        self.series.push((labels, values));
    }
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
    let sites: Vec<_> = registry::sites().into_iter().take(limit).collect();
    render_these(out, global, &sites, with_declared);
}

/// `sites`' series (with the breakers' when there are any), and the declared metrics'.
pub(crate) fn render_these(
    out: &mut String,
    global: &[(String, String)],
    sites: &[registry::RegisteredSite],
    with_declared: bool,
) {
    let mut families: BTreeMap<String, Family<'_>> = BTreeMap::new();
    // In the order their series sort in (by function, then module), so that each family's
    // series arrive almost sorted; sites of one function and module keep theirs.
    let mut ordered = sites.to_vec();
    ordered.sort_by(|a, b| {
        let (a, b) = (a.spec(), b.spec());
        (&a.function, &a.module).cmp(&(&b.function, &b.module))
    });
    for site in ordered {
        add_site(&mut families, site, global);
    }
    if !sites.is_empty() {
        for breaker in all_breakers() {
            add_breaker(&mut families, breaker, global);
        }
    }
    if with_declared {
        for (spec, metric) in declared::declared() {
            add_declared(&mut families, spec, metric, global);
        }
        add_guards(&mut families, global);
    }
    for (name, family) in families {
        write_family(out, &name, family);
    }
}

/// `function`, `module`, an optional `result`, the function's own static labels, and room
/// for `more`.
fn base_labels<'a>(
    spec: &'a Site,
    result: Option<&'static str>,
    own: &'a [botwatch_spec::model::Label],
    more: usize,
) -> Labels<'a> {
    let mut labels = Vec::with_capacity(3 + own.len() + more);
    labels.push(label(names::LABEL_FUNCTION, &*spec.function));
    labels.push(label(names::LABEL_MODULE, &*spec.module));
    if let Some(result) = result {
        labels.push(label(names::LABEL_RESULT, result));
    }
    labels.extend(own.iter().map(|l| label(&*l.key, &*l.value)));
    labels
}

fn family_of<'f, 'a>(
    families: &'f mut BTreeMap<String, Family<'a>>,
    name: &str,
    help: &'a str,
    kind: &'static str,
) -> &'f mut Family<'a> {
    if !families.contains_key(name) {
        families.insert(
            name.to_owned(),
            Family {
                help: Cow::Borrowed(help),
                kind,
                series: Vec::new(),
            },
        );
    }
    families.get_mut(name).expect("inserted above")
}

fn add_site<'a>(
    families: &mut BTreeMap<String, Family<'a>>,
    site: RegisteredSite,
    global: &'a [(String, String)],
) {
    let spec = site.spec();
    match (site, &spec.attribute) {
        (RegisteredSite::Counted(counted), Attribute::Counted(args)) => {
            let metric = &args.metric;
            let name = metric.metric_name(names::FUNCTION_CALLS_TOTAL);
            let (mut sets, overflowed) = match counted.scrape() {
                Some(labelled) => (
                    labelled.sets,
                    Some((labelled.overflowed, labelled.evictions)),
                ),
                None if !metric.call_labels.is_empty() => (Vec::new(), Some((0, 0))),
                None => (
                    vec![(no_values(), (counted.ok_count(), counted.error_count()))],
                    None,
                ),
            };
            let family = family_of(
                families,
                name,
                metric.help_text(names::HELP_CALLS),
                "counter",
            );
            // Sorted as their series will be: by result, then by the per-call labels.
            sets.sort_by(|(a, _), (b, _)| a.cmp(b));
            let more = metric.call_labels.len() + global.len();
            for result in [names::RESULT_ERROR, names::RESULT_OK] {
                for (values, (ok, error)) in &sets {
                    let value = if result == names::RESULT_OK {
                        ok
                    } else {
                        error
                    };
                    let mut labels = base_labels(spec, Some(result), &metric.labels, more);
                    labels.extend(call_labels(&metric.call_labels, values));
                    labels.extend(globals(global));
                    family.add(labels, Values::Counter(*value));
                }
            }
            if let Some((overflowed, evictions)) = overflowed {
                add_overflow(families, spec, overflowed, evictions, global);
            }
            if let Some(in_flight) = counted.in_flight() {
                add_in_flight(families, spec, &metric.labels, in_flight, global);
            }
        }
        (RegisteredSite::Timed(timed), Attribute::Timed(args)) => {
            let metric = &args.metric;
            let name = metric.metric_name(names::FUNCTION_CALLS_DURATION_SECONDS);
            let (mut sets, overflowed) = match timed.scrape() {
                Some(labelled) => (
                    labelled.sets,
                    Some((labelled.overflowed, labelled.evictions)),
                ),
                None if !metric.call_labels.is_empty() => (Vec::new(), Some((0, 0))),
                None => (vec![(no_values(), timed.snapshot())], None),
            };
            let family = family_of(
                families,
                name,
                metric.help_text(names::HELP_DURATION),
                "histogram",
            );
            sets.sort_by(|(a, _), (b, _)| a.cmp(b));
            let more = metric.call_labels.len() + global.len();
            for (values, snapshot) in sets {
                let mut labels = base_labels(spec, None, &metric.labels, more);
                labels.extend(call_labels(&metric.call_labels, &values));
                labels.extend(globals(global));
                family.add(labels, Values::Histogram(snapshot));
            }
            if let Some((overflowed, evictions)) = overflowed {
                add_overflow(families, spec, overflowed, evictions, global);
            }
            if let Some(in_flight) = timed.in_flight() {
                add_in_flight(families, spec, &metric.labels, in_flight, global);
            }
        }
        // Breakers are rendered by name, once for all the functions sharing one.
        (RegisteredSite::Breaker(_), _) => {}
        _ => unreachable!("a site's storage always matches its attribute"),
    }
}

/// `function_calls_in_flight` and `function_calls_oldest_in_flight_timestamp_seconds` of
/// a function tracking its calls in flight (`function`, `module` and its static labels; a
/// function both counted and timed renders them from both sites, merged into one series).
fn add_in_flight<'a>(
    families: &mut BTreeMap<String, Family<'a>>,
    spec: &'a Site,
    labels: &'a [botwatch_spec::model::Label],
    in_flight: &crate::in_flight::InFlight,
    global: &'a [(String, String)],
) {
    let series = || {
        let mut l = base_labels(spec, None, labels, global.len());
        l.extend(globals(global));
        l
    };
    family_of(
        families,
        names::FUNCTION_CALLS_IN_FLIGHT,
        names::HELP_IN_FLIGHT,
        "gauge",
    )
    .add(series(), Values::Gauge(in_flight.count()));
    family_of(
        families,
        names::FUNCTION_CALLS_OLDEST_IN_FLIGHT,
        names::HELP_OLDEST_IN_FLIGHT,
        "gauge",
    )
    .add(series(), Values::Float(in_flight.oldest_unix_seconds()));
}

/// Per-call labels: each key with this label set's value (copied: an evicted set's entry
/// goes to another set).
fn call_labels<'a, 'v>(
    keys: &'a [botwatch_spec::model::Text],
    values: &'v [Box<str>],
) -> impl Iterator<Item = (Text<'a>, Text<'a>)> + 'v
where
    'a: 'v,
{
    keys.iter()
        .zip(values)
        .map(|(key, value)| label(&**key, String::from(&**value)))
}

/// `botwatch_label_overflow_total{function, module}` of a function with per-call labels
/// (a function both counted and timed adds its overflows once per attribute).
/// and `botwatch_label_evictions_total{function, module}`, the label sets evicted idle.
fn add_overflow<'a>(
    families: &mut BTreeMap<String, Family<'a>>,
    spec: &'a Site,
    overflowed: u64,
    evictions: u64,
    global: &'a [(String, String)],
) {
    let mut labels = base_labels(spec, None, &[], global.len());
    labels.extend(globals(global));
    family_of(
        families,
        names::BOTWATCH_LABEL_EVICTIONS_TOTAL,
        names::HELP_LABEL_EVICTIONS,
        "counter",
    )
    .add(labels.clone(), Values::Counter(evictions));
    family_of(
        families,
        names::BOTWATCH_LABEL_OVERFLOW_TOTAL,
        names::HELP_LABEL_OVERFLOW,
        "counter",
    )
    .add(labels, Values::Counter(overflowed));
}

/// No per-call labels.
fn no_values() -> std::sync::Arc<[Box<str>]> {
    std::sync::Arc::from(Vec::new())
}

fn add_breaker<'a>(
    families: &mut BTreeMap<String, Family<'a>>,
    breaker: &'a Breaker,
    global: &'a [(String, String)],
) {
    let key = breaker.key_name();
    let labels = |extra: &[(&'static str, &'static str)]| -> Labels<'a> {
        let mut labels = vec![label(names::LABEL_BREAKER, breaker.name())];
        if let Some(key) = &key {
            labels.push(label(names::LABEL_KEY, key.clone()));
        }
        labels.extend(extra.iter().map(|(k, v)| label(*k, *v)));
        labels.extend(globals(global));
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
    .add(labels(&[]), Values::Gauge(state));
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
        transitions.add(series, Values::Counter(breaker.transition_count(index)));
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
        family_of(families, name, help, "counter").add(labels(&[]), Values::Counter(value));
    }
    family_of(
        families,
        names::CIRCUIT_BREAKER_LATENCY_SECONDS,
        names::HELP_BREAKER_LATENCY,
        "histogram",
    )
    .add(labels(&[]), Values::Histogram(breaker.latency_snapshot()));
}

/// `botwatch_guard_engaged{guard, breaker}` of every guard: one series per breaker it
/// names, or one with `breaker=""` for a watchdog.
fn add_guards<'a>(families: &mut BTreeMap<String, Family<'a>>, global: &'a [(String, String)]) {
    let guards = crate::guard::snapshots();
    if guards.is_empty() {
        return;
    }
    let family = family_of(
        families,
        names::BOTWATCH_GUARD_ENGAGED,
        names::HELP_GUARD_ENGAGED,
        "gauge",
    );
    for guard in guards {
        let breakers = if guard.breakers.is_empty() {
            vec![""]
        } else {
            guard.breakers.clone()
        };
        for breaker in breakers {
            let mut labels = vec![
                label(names::LABEL_GUARD, guard.name),
                label(names::LABEL_BREAKER, breaker),
            ];
            labels.extend(globals(global));
            family.add(labels, Values::Gauge(u64::from(guard.engaged)));
        }
    }
}

/// A declared metric's series: its static labels, a labelled family's own, the global ones.
fn add_declared<'a>(
    families: &mut BTreeMap<String, Family<'a>>,
    spec: &'a Declared,
    metric: DeclaredStatic,
    global: &'a [(String, String)],
) {
    let name = spec.metric_name();
    // A name already served (another declaration: a build error; or one of botwatch's own
    // metrics) keeps its series: Prometheus rejects a scrape that repeats a family.
    if families.contains_key(&*name) {
        return;
    }
    let family = families.entry(name.into_owned()).or_insert_with(|| Family {
        help: spec.help_text(),
        kind: spec.kind.prometheus_type(),
        series: Vec::new(),
    });
    let labels = |values: &[Box<str>]| -> Labels<'a> {
        let mut labels: Labels<'a> = spec
            .labels
            .iter()
            .map(|l| label(&*l.key, &*l.value))
            .collect();
        labels.extend(call_labels(&spec.label_keys, values));
        labels.extend(globals(global));
        labels
    };
    // `stale > D`: each series' update time, under `<name>_last_update_timestamp_seconds`.
    let mut updated: Vec<(Labels<'a>, Values)> = Vec::new();
    let mut insert = |values: &[Box<str>], value: Values, at: Option<f64>| {
        if let Some(at) = at {
            updated.push((labels(values), Values::Float(at)));
        }
        family.add(labels(values), value);
    };
    // A scrape evicts a family's idle sets, and serves them this once more.
    let counts = match metric {
        DeclaredStatic::Gauge(g) => g
            .scraped()
            .for_each(|v, c| insert(v, Values::Float(c.get()), c.updated())),
        DeclaredStatic::Counter(c) => c
            .scraped()
            .for_each(|v, c| insert(v, Values::Float(c.get()), c.updated())),
        DeclaredStatic::Histogram(h) => h
            .scraped()
            .for_each(|v, c| insert(v, Values::ValueHistogram(c.snapshot()), c.updated())),
    };
    if spec.stamps_updates() {
        let name = spec.update_timestamp_name();
        if !families.contains_key(&name) {
            let family = families.entry(name).or_insert_with(|| Family {
                help: Cow::Owned(format!(
                    "Unix time of the last update of {} (dated by the first read after it)",
                    spec.metric_name()
                )),
                kind: "gauge",
                series: Vec::new(),
            });
            for (labels, value) in updated {
                family.add(labels, value);
            }
        }
    }
    if let Some(counts) = counts {
        let mut labels = vec![label(names::LABEL_METRIC, spec.metric_name())];
        labels.extend(globals(global));
        family_of(
            families,
            names::BOTWATCH_LABEL_EVICTIONS_TOTAL,
            names::HELP_LABEL_EVICTIONS,
            "counter",
        )
        .add(labels.clone(), Values::Counter(counts.evictions));
        family_of(
            families,
            names::BOTWATCH_LABEL_OVERFLOW_TOTAL,
            names::HELP_LABEL_OVERFLOW,
            "counter",
        )
        .add(labels, Values::Counter(counts.overflowed));
    }
}

fn write_family(out: &mut String, name: &str, mut family: Family<'_>) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(&family.help));
    let _ = writeln!(out, "# TYPE {name} {}", family.kind);
    // Stable: of the series with equal labels, the first added stays first.
    family.series.sort_by(|(a, _), (b, _)| a.cmp(b));
    let mut series = family.series.into_iter().peekable();
    while let Some((labels, values)) = next_merged(&mut series) {
        let labels = &labels;
        match values {
            Values::Counter(value) | Values::Gauge(value) => {
                sample(out, name, "", labels, None, format_args!("{value}"));
            }
            Values::Histogram(h) => {
                let buckets = h.bounds.iter().map(|b| nanos_as_seconds_text(*b));
                let sum = format_float(h.sum_nanos as f64 / 1e9);
                histogram(out, name, labels, buckets.zip(&h.cumulative), h.count, &sum);
            }
            Values::Float(value) => {
                let value = format_float(value);
                sample(out, name, "", labels, None, format_args!("{value}"));
            }
            Values::ValueHistogram(h) => {
                let buckets = h.bounds.iter().map(|b| format_float(*b));
                let sum = format_float(h.sum);
                histogram(out, name, labels, buckets.zip(&h.cumulative), h.count, &sum);
            }
        }
    }
}

/// The next series of sorted `series`, with the ones after it of the same labels folded in.
fn next_merged<'a>(
    series: &mut Peekable<impl Iterator<Item = (Labels<'a>, Values)>>,
) -> Option<(Labels<'a>, Values)> {
    let (labels, mut values) = series.next()?;
    while let Some((_, later)) = series.next_if(|(next, _)| *next == labels) {
        values.absorb(&later);
    }
    Some((labels, values))
}

/// A histogram's lines: each bucket's cumulative count by its `le`, `+Inf`, sum and count.
fn histogram<'c>(
    out: &mut String,
    name: &str,
    labels: &Labels<'_>,
    buckets: impl Iterator<Item = (String, &'c u64)>,
    count: u64,
    sum: &str,
) {
    for (le, cumulative) in buckets {
        let line = format_args!("{cumulative}");
        sample(out, name, "_bucket", labels, Some(&le), line);
    }
    let all = format_args!("{count}");
    sample(out, name, "_bucket", labels, Some("+Inf"), all);
    sample(out, name, "_sum", labels, None, format_args!("{sum}"));
    sample(out, name, "_count", labels, None, format_args!("{count}"));
}

/// One sample line, `name_suffix{labels} value`, written straight into `out`.
fn sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &Labels<'_>,
    le: Option<&str>,
    value: std::fmt::Arguments<'_>,
) {
    out.push_str(name);
    out.push_str(suffix);
    write_labels(out, labels, le);
    out.push(' ');
    let _ = out.write_fmt(value);
    out.push('\n');
}

/// `{k="v",...}` with an optional trailing `le`.
fn write_labels(out: &mut String, labels: &Labels<'_>, le: Option<&str>) {
    out.push('{');
    for (i, (key, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(key);
        out.push_str("=\"");
        push_escaped(out, value);
        out.push('"');
    }
    if let Some(le) = le {
        if !labels.is_empty() {
            out.push(',');
        }
        out.push_str("le=\"");
        out.push_str(le);
        out.push('"');
    }
    out.push('}');
}

/// Appends `value` with `\`, `"` and newlines escaped, copying the runs between them whole.
fn push_escaped(out: &mut String, value: &str) {
    let mut plain = 0;
    for (i, byte) in value.bytes().enumerate() {
        let escaped = match byte {
            b'\\' => "\\\\",
            b'"' => "\\\"",
            b'\n' => "\\n",
            _ => continue,
        };
        out.push_str(&value[plain..i]);
        out.push_str(escaped);
        plain = i + 1;
    }
    out.push_str(&value[plain..]);
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
        let mut escaped = String::new();
        push_escaped(&mut escaped, "a\"b\\c\nd");
        assert_eq!(escaped, "a\\\"b\\\\c\\nd");
        let mut text = String::new();
        write_labels(&mut text, &vec![label("k", "v")], Some("0.5"));
        assert_eq!(text, "{k=\"v\",le=\"0.5\"}");
        assert_eq!(escape_help("line\nnext \\"), "line\\nnext \\\\");
    }
}
