//! The dashboard's annotation of guards: a region on every panel while a guard
//! (`guard(...)` on a declared metric) is engaged, titled with the guard, so a halt in
//! trading reads next to the drawdown that caused it. Only a bot that declares a guard
//! gets it.

use super::json::Writer;
use super::panels::datasource;
use botwatch_spec::declared::Declared;
use botwatch_spec::names;

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
            r#""name": "Guards engaged""#,
            r#""expr": "max by (job, guard, breaker) (botwatch_guard_engaged{job=~\"$job\"}) > 0","#,
            r#""uid": "${datasource}""#,
        ] {
            assert!(annotations.contains(line), "{line} in {annotations}");
        }
    }
}
