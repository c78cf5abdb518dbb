//! `<Function>LabelOverflow` and `<Static>LabelOverflow`: every function with per-call
//! labels and every labelled family gets one, written by no `alert(...)`: calls (or
//! updates) went to the `"__overflow__"` series within the last hour, because more label
//! sets than `max_series` were live at once. Their own series were then not recorded, and
//! every alert on them was blind for that time.

use std::time::Duration;

use super::draft::{Draft, Subject};
use super::function::shared::counted_within;
use super::scenario::data::per_replica;
use super::scenario::{round_up, test_step, Probe, Shape, JOB};
use super::set::RuleSet;
use crate::promql::Function;
use crate::text::promql_string;
use botwatch_spec::declared::Declared;
use botwatch_spec::model::{Alert, Site};
use botwatch_spec::names::{self, upper_camel_case};

/// The window the overflowed calls are counted in.
pub(crate) const WITHIN: Duration = Duration::from_secs(3600);

const SEVERITY: &str = "warning";

/// Adds the alert of every labelled function of `sites` (once for a function both counted
/// and timed) and of every labelled family of `declared`.
pub(super) fn add(set: &mut RuleSet, sites: &[Site], declared: &[Declared], scrape: Duration) {
    let step = test_step(scrape, Some(WITHIN));
    for site in sites.iter().filter(|s| has_call_labels(s)) {
        // The counter carries `function` and `module` only: static and per-call labels
        // are the overflow's whole point, and no series of it has them.
        let identity = vec![
            (names::LABEL_FUNCTION.to_owned(), site.function.to_string()),
            (names::LABEL_MODULE.to_owned(), site.module.to_string()),
        ];
        let selector = Function {
            name: &site.function,
            module: &site.module,
            labels: Vec::new(),
            call_labels: Vec::new(),
        }
        .selector(names::BOTWATCH_LABEL_OVERFLOW_TOTAL, "");
        let draft = draft(
            &selector,
            "job, function, module",
            &identity,
            "{{ $labels.module }}::{{ $labels.function }}",
            "calls",
            step,
            scrape,
        );
        set.alerts.push(draft.finish(
            subject(
                identity,
                format!("{}::{}", site.module, site.function),
                step,
            ),
            &Alert::new(()),
            format!("{}LabelOverflow", upper_camel_case(&site.function)),
            SEVERITY,
            Duration::ZERO,
        ));
    }
    for family in declared.iter().filter(|d| !d.label_keys.is_empty()) {
        let name = family.metric_name();
        let identity = vec![(names::LABEL_METRIC.to_owned(), name.to_string())];
        let selector = format!(
            "{}{{{}={}}}",
            names::BOTWATCH_LABEL_OVERFLOW_TOTAL,
            names::LABEL_METRIC,
            promql_string(&name)
        );
        let draft = draft(
            &selector,
            "job, metric",
            &identity,
            "{{ $labels.metric }}",
            "updates",
            step,
            scrape,
        );
        set.alerts.push(draft.finish(
            subject(identity, family.origin(), step),
            &Alert::new(()),
            format!(
                "{}LabelOverflow",
                upper_camel_case(&family.static_name.to_lowercase())
            ),
            SEVERITY,
            Duration::ZERO,
        ));
    }
}

fn has_call_labels(site: &Site) -> bool {
    match &site.attribute {
        botwatch_spec::model::Attribute::Counted(c) => !c.metric.call_labels.is_empty(),
        botwatch_spec::model::Attribute::Timed(t) => !t.metric.call_labels.is_empty(),
        botwatch_spec::model::Attribute::CircuitBreaker(_) => false,
    }
}

fn subject(identity: Vec<(String, String)>, origin: String, step: Duration) -> Subject {
    let mut grouping = vec![(names::LABEL_JOB.to_owned(), JOB.to_owned())];
    grouping.extend(identity.iter().cloned());
    Subject {
        grouping,
        identity,
        origin,
        step,
    }
}

/// The rule over the overflow counter `selector`, summed `by` the alert's grouping, and
/// its probes: silent at zero, firing from the first overflowed call (on one replica, or
/// split across both and across a restart) until an hour has passed without one.
#[allow(clippy::too_many_arguments)]
fn draft(
    selector: &str,
    by: &str,
    identity: &[(String, String)],
    owner: &str,
    what: &str,
    step: Duration,
    scrape: Duration,
) -> Draft {
    let mut labels = vec![(names::LABEL_JOB.to_owned(), JOB.to_owned())];
    labels.extend(identity.iter().cloned());
    let counter = |runs: Vec<(u64, f64)>| Shape::Counter(runs);
    let still = || counter(vec![(u64::MAX, 0.0)]);
    let onset = step * 2;
    // The calls leave the window once it no longer holds the sample before them.
    let gone = step + round_up(WITHIN, step) + step;
    let probes = vec![
        Probe::new("no call overflowed")
            .silent(onset)
            .silent(gone)
            .with(per_replica(
                names::BOTWATCH_LABEL_OVERFLOW_TOTAL,
                &labels,
                [still(), still()],
            )),
        Probe::new("three calls overflowed on one replica, then an hour without")
            .silent(Duration::ZERO)
            .fires(onset, SEVERITY, 3.0)
            .fires(gone - step, SEVERITY, 3.0)
            .silent(gone)
            .with(per_replica(
                names::BOTWATCH_LABEL_OVERFLOW_TOTAL,
                &labels,
                [counter(vec![(1, 0.0), (1, 3.0)]), still()],
            )),
        // A replica restarts between two overflowed calls: the counter falls back to zero,
        // and the call before the restart still counts.
        Probe::new("one call overflowed on each side of a restart, one on the other replica")
            .fires(onset + step * 3, SEVERITY, 3.0)
            .with(per_replica(
                names::BOTWATCH_LABEL_OVERFLOW_TOTAL,
                &labels,
                [
                    Shape::Gauge(vec![(2, 0.0), (2, 1.0), (1, 0.0), (u64::MAX, 1.0)]),
                    counter(vec![(1, 0.0), (1, 1.0)]),
                ],
            )),
    ];
    Draft::new(
        format!(
            "sum by ({by}) ({}) > 0",
            counted_within(selector, WITHIN, scrape)
        ),
        format!("{owner} recorded {what} as \"__overflow__\""),
        format!(
            "{{{{ $value | humanize }}}} {what} of {owner} went to its \"__overflow__\" series in the last hour: \
             more label sets than its max_series were live at once, and those {what} were not recorded \
             under their own labels (alerts on them were blind). Raise max_series, or lower label_idle \
             so that idle sets leave sooner."
        ),
        probes,
    )
}
