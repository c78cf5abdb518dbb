//! `unchanged > 10m` on a gauge and `idle > 10m` on a counter: a replica whose value has
//! stopped moving, judged only on replicas still scraped.

use std::time::Duration;

use crate::promql::{Metric, FRESH_SCRAPES};
use crate::rules::draft::Draft;
use crate::rules::scenario::data::{moving_then_still, moving_then_zero};
use crate::rules::scenario::{first_replica_leaves, round_up, samples, Probe, Shape};
use botwatch_spec::declared::ValueAlert;
use botwatch_spec::names::prometheus_duration;

/// The draft of `unchanged > window` on a gauge: no change on some live replica.
pub(super) fn unchanged_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    window: Duration,
    scrape: Duration,
) -> Draft {
    let w = prometheus_duration(window);
    still_draft(
        metric,
        alert,
        (window, scrape),
        "changes",
        format!("{} has not changed for {w}", metric.name),
        format!(
            "{} has kept the same value for the last {w} on at least one replica: whatever updates it has stopped.",
            metric.name
        ),
    )
}

/// The draft of `idle > window` on a counter: no growth on some live replica.
pub(super) fn idle_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    window: Duration,
    scrape: Duration,
) -> Draft {
    let w = prometheus_duration(window);
    still_draft(
        metric,
        alert,
        (window, scrape),
        "increase",
        format!("{} has not grown for {w}", metric.name),
        format!(
            "{} has not increased in the last {w} on at least one replica.",
            metric.name
        ),
    )
}

/// A value that has stopped: `read` (`changes` of a gauge, `increase` of a counter) over
/// the window is zero on some live replica.
fn still_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    (window, scrape): (Duration, Duration),
    read: &str,
    summary: String,
    description: String,
) -> Draft {
    let w = prometheus_duration(window);
    let expr = format!(
        "{} == 0",
        metric.aggregate(
            "min",
            &metric.on_live_replicas(&format!("{read}({}[{w}])", metric.selector("")), &w)
        )
    );
    let probes = still_probes(metric, alert, window, scrape);
    Draft::new(expr, summary, description, probes)
}

/// Replica a stops moving, replica b goes on: the alert fires once a's last change has
/// left the window and `for` has passed (and not while b alone is checked).
fn still_probes(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    window: Duration,
    scrape: Duration,
) -> Vec<Probe> {
    let for_ = alert.value_for();
    let severity = alert.value_severity();
    let moving = samples(round_up(window, scrape), scrape);
    let stop = scrape * moving as u32;
    let w = round_up(window, scrape);
    let f = round_up(for_, scrape);
    // The window holds no change from `stop + w` (left-open ranges) or one scrape later.
    let one = Probe::new("one replica stops changing, the other goes on")
        .silent(stop + w + f - scrape)
        .fires(stop + w + scrape + f, severity, 0.0)
        .with(metric.series(
            "",
            &[],
            [
                moving_then_still(moving),
                Shape::Counter(vec![(u64::MAX, 1.0)]),
            ],
        ));
    // Replica a stops changing (at zero) and leaves once its window holds no change (a
    // deleted pod): its constant tail is no verdict on the feed, which replica b keeps
    // updating.
    let left = stop + w;
    let gone = Probe::new("a replica that stopped changing leaves, the other goes on")
        .silent(left + (f + scrape).max(scrape * (FRESH_SCRAPES + 1)))
        .with(first_replica_leaves(
            metric.series(
                "",
                &[],
                [
                    moving_then_zero(moving),
                    Shape::Counter(vec![(u64::MAX, 1.0)]),
                ],
            ),
            samples(left, scrape) + 1,
        ));
    let both = Probe::new("both replicas keep changing")
        .silent(stop + w + scrape + f)
        .with(metric.series(
            "",
            &[],
            [
                Shape::Counter(vec![(u64::MAX, 1.0)]),
                Shape::Counter(vec![(u64::MAX, 1.0)]),
            ],
        ));
    vec![one, gone, both]
}

#[cfg(test)]
mod tests {
    use crate::rules::{RuleOptions, RuleSet};
    use botwatch_spec::declared::MetricKind;
    use botwatch_spec::parse::parse_declared;

    /// A counter's `idle` reads `increase` (a restart's fall to zero is no growth, where
    /// `changes` would count it as one) and a gauge's `unchanged` reads `changes`. The
    /// generated tests cannot tell the two apart: their still replicas never restart.
    #[test]
    fn stillness_reads_the_function_of_its_kind() {
        let declare = |kind, tokens: &str, name: &str| {
            parse_declared(kind, tokens.parse().unwrap(), name, "bot", None)
                .unwrap()
                .spec
        };
        let declared = [
            declare(MetricKind::Counter, "alert(idle > 10m)", "FILLS_TOTAL"),
            declare(MetricKind::Gauge, "alert(unchanged > 10m)", "PRICE"),
        ];
        let set = RuleSet::build_all(&[], &declared, &RuleOptions::default()).unwrap();
        let exprs: Vec<&str> = set.alerts.iter().map(|a| a.expr.as_str()).collect();
        assert!(
            exprs
                .iter()
                .any(|e| e.starts_with("min by (job) (increase(fills_total[10m])")),
            "{exprs:?}"
        );
        assert!(
            exprs
                .iter()
                .any(|e| e.starts_with("min by (job) (changes(price[10m])")),
            "{exprs:?}"
        );
    }
}
