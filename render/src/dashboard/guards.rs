//! The dashboard's panel of a guard (`guard(...)` on a declared metric): whether it is
//! engaged, per instance and breaker, beside the value it watches. Its engagements are
//! also marked on every panel (`annotations.rs`).

use super::panels::{Kind, Look, Panel};
use botwatch_spec::declared::Declared;
use botwatch_spec::guard::Guard;

/// The panel of the guard on `declared`, if it has one: `botwatch_guard_engaged` of that
/// guard per instance and breaker, 1 while engaged.
pub(super) fn panel(declared: &Declared) -> Option<Panel> {
    let guard = declared.guard.as_ref()?;
    let name = Guard::guard_name(&declared.static_name);
    let holds = if guard.open.is_empty() {
        "It opens no breaker: the bot is marked degraded while it is engaged.".to_owned()
    } else {
        format!("While engaged it holds {} open.", guard.open.join(", "))
    };
    Some(Panel {
        key: format!("guard/{}::{}", declared.module, declared.static_name),
        title: format!("{}: guard engaged", declared.metric_name()),
        description: format!(
            "1 while the guard {name} ({}) is engaged, per instance and breaker. {holds}",
            guard.condition
        ),
        queries: vec![super::queries::guard_engaged(&name)],
        kind: Kind::TimeSeries,
        unit: "short".into(),
        thresholds: Vec::new(),
        size: (8, 8),
        look: Look::default(),
    })
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use botwatch_spec::declared::{Declared, MetricKind, ValueComparison, ValueCondition};
    use botwatch_spec::guard::Guard;

    /// Catches the panel missing for a guarded metric, drawn for an unguarded one, or
    /// charting another guard's series.
    #[test]
    fn only_a_guarded_metric_gets_a_guard_panel() {
        let plain = Declared::new(MetricKind::Gauge, "BALANCE", "bot");
        let mut guarded = Declared::new(MetricKind::Gauge, "DRAWDOWN", "bot");
        guarded.guard = Some(Guard {
            open: Cow::Owned(vec![Cow::Borrowed("trading")]),
            ..Guard::new(ValueCondition::Value {
                comparison: ValueComparison::Above,
                threshold: 0.05,
            })
        });
        assert!(super::panel(&plain).is_none());
        let panel = super::panel(&guarded).expect("a guarded metric's panel");
        assert!(
            panel.description.contains("holds trading open"),
            "{}",
            panel.description
        );
        let with = crate::dashboard::json(&[], &[plain, guarded]);
        assert!(
            with.contains(r#"botwatch_guard_engaged{guard=\"Drawdown\", job=~\"$job\""#),
            "{with}"
        );
    }
}
