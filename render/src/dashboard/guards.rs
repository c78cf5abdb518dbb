//! The dashboard's annotation of guards: a region on every panel while a guard
//! (`guard(...)` on a declared metric) is engaged, titled with the guard, so a halt in
//! trading reads next to the drawdown that caused it. Only a bot that declares a guard
//! gets it.

use super::json::Writer;
use super::panels::{datasource, Kind, Panel};
use botwatch_spec::declared::Declared;
use botwatch_spec::guard::Guard;
use botwatch_spec::names;

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
        unit: "short",
        thresholds: Vec::new(),
        size: (8, 8),
    })
}

/// The annotation's entry, if some declared metric has a guard.
pub(super) fn annotation(w: &mut Writer, declared: &[Declared]) {
    if !declared.iter().any(|d| d.guard.is_some()) {
        return;
    }
    w.object(|w| {
        w.key("datasource").object(datasource);
        w.field("enable", true);
        w.field(
            "expr",
            format!(
                "max by (job, {guard}, {breaker}) ({metric}{{job=~\"$job\"}}) > 0",
                guard = names::LABEL_GUARD,
                breaker = names::LABEL_BREAKER,
                metric = names::BOTWATCH_GUARD_ENGAGED
            )
            .as_str(),
        );
        w.field("iconColor", "red");
        w.field("name", "Guards engaged");
        w.field("step", "15s");
        w.field("tagKeys", "guard,breaker");
        w.field("textFormat", "holding {{breaker}} open");
        w.field("titleFormat", "Guard {{guard}} engaged");
        w.field("useValueForTime", false);
    });
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use botwatch_spec::declared::{Declared, MetricKind, ValueComparison, ValueCondition};
    use botwatch_spec::guard::Guard;

    /// Catches the annotation missing for a guarded bot, or added to every dashboard (which
    /// would change the bytes of bots without guards).
    #[test]
    fn only_a_bot_with_a_guard_gets_the_guards_annotation() {
        let plain = Declared::new(MetricKind::Gauge, "BALANCE", "bot");
        let mut guarded = Declared::new(MetricKind::Gauge, "DRAWDOWN", "bot");
        guarded.guard = Some(Guard {
            open: Cow::Owned(vec![Cow::Borrowed("trading")]),
            ..Guard::new(ValueCondition::Value {
                comparison: ValueComparison::Above,
                threshold: 0.05,
            })
        });
        let without = crate::dashboard::json(&[], std::slice::from_ref(&plain));
        assert!(!without.contains("botwatch_guard_engaged"));
        let with = crate::dashboard::json(&[], &[plain, guarded]);
        let annotations = &with[..with.find("\"description\"").expect("after the annotations")];
        for line in [
            r#""name": "Guards engaged","#,
            r#""expr": "max by (job, guard, breaker) (botwatch_guard_engaged{job=~\"$job\"}) > 0","#,
            r#""titleFormat": "Guard {{guard}} engaged","#,
            r#""uid": "${datasource}""#,
        ] {
            assert!(annotations.contains(line), "{line} in {annotations}");
        }
    }
}
