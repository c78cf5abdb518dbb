//! Tables: the bot's alerts firing and pending now (Prometheus' `ALERTS` series, one line
//! per alert and label set, in a row of their own under the overview), the build each
//! instance runs (`botwatch_build_info`, in the overview), and a labelled gauge's every
//! label set side by side (the active models, the risk figures per desk).

use std::borrow::Cow;

use botwatch_spec::declared::MetricKind;
use botwatch_spec::names;

use crate::promql::Metric;

use super::layout::{Bot, Layout};
use super::panels::{Kind, Look, Panel};
use super::queries::{self, keys_legend, Query, SCOPE_MATCHERS};
use super::units::grafana_unit;

fn table(key: &str, title: &str, description: &str, query: Query, size: (u32, u32)) -> Panel {
    Panel {
        key: key.to_owned(),
        title: title.to_owned(),
        description: description.to_owned(),
        queries: vec![query],
        kind: Kind::Table,
        unit: Cow::Borrowed("short"),
        thresholds: Vec::new(),
        size,
        look: Look::default(),
    }
}

/// The row of the bot's alerts: every alert of its functions and declared metrics, and
/// any carrying its job, firing or pending, with their labels.
pub(super) fn alerts(bot: &Bot<'_>, layout: &mut Layout<'_>) {
    layout.row("alerts", "Alerts");
    layout.add(&table(
        "alerts/now",
        "Alerts firing and pending",
        "This bot's alerts now, from Prometheus' ALERTS series: one line per alert and label set, its state (firing, or pending while its for runs) and labels.",
        queries::alerts_now(&super::alert_names(bot)),
        (24, 7),
    ));
    layout.grid.new_line();
}

/// The build each instance runs: its crate's version and git commit.
pub(super) fn build() -> Panel {
    table(
        "overview/build",
        "Build",
        "The bot's version and git commit on each instance (botwatch_build_info); a new build is marked on every panel.",
        Query {
            expr: format!(
                "max by (instance, version, commit) ({}{{job=~\"$job\", instance=~\"$instance\"}})",
                names::BOTWATCH_BUILD_INFO
            ),
            legend: "{{instance}} {{version}} {{commit}}".to_owned(),
        },
        (8, 5),
    )
}

/// A labelled gauge's every label set now, one row each with the highest instance's value,
/// in its unit and with its state names; none for an unlabelled metric, a counter or a
/// histogram (their bars and pies rank them).
pub(super) fn family_table(metric: &Metric<'_>) -> Option<Panel> {
    let declared = metric.declared;
    if metric.keys.is_empty() || declared.kind != MetricKind::Gauge {
        return None;
    }
    let keys = metric.keys.join(", ");
    let mut panel = table(
        &format!("values/{}/table", metric.name),
        &format!("{}: every {keys}", metric.name),
        &format!(
            "Every label set of {} now, one row each with the highest instance's value.",
            metric.name
        ),
        Query {
            expr: family_table_query(metric),
            legend: keys_legend(&metric.keys),
        },
        (8, 8),
    );
    panel.unit = grafana_unit(declared.unit.as_deref());
    panel.look.mappings = super::stat::named_values(declared);
    Some(panel)
}

/// `max by (symbol) (x{...})`: each label set's highest replica now.
pub(crate) fn family_table_query(metric: &Metric<'_>) -> String {
    format!(
        "max by ({}) ({})",
        metric.by_with(&[], &[]),
        metric.selector_with("", &SCOPE_MATCHERS)
    )
}
