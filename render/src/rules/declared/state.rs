//! `state == "halted"` on a gauge with `states(...)`: `value == 3` on any replica, told
//! with the state's name; the probes are those of `value == X` (a replica in the state
//! fires, one just off it does not).

use std::time::Duration;

use super::shared::VALUE;
use super::value::value_draft;
use crate::promql::Metric;
use crate::rules::draft::Draft;
use botwatch_spec::declared::{ValueAlert, ValueComparison};

/// The draft of `state == "name"`, the state whose value is `value`.
pub(super) fn state_draft(
    metric: &Metric<'_>,
    alert: &ValueAlert,
    name: &str,
    value: f64,
    scrape: Duration,
) -> Draft {
    value_draft(metric, alert, ValueComparison::Equal, value, scrape).retold(
        format!("{} is {name}", metric.name),
        format!(
            "{} is {VALUE} ({name}) on at least one replica.",
            metric.name
        ),
    )
}
