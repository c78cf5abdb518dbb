//! One guard at run time: what it reads, its last verdict (the flag the update path
//! compares with), its engagement over time, and what engaging does to its breakers.
//!
//! The update path judges the new value against the line and compares the verdict with
//! the flag: equal, it returns. Only a changed verdict takes the guard's lock, judges again
//! from the values held now (another thread may have written since), and holds or lets go
//! of the breakers before the update returns — so a call that starts after the update that
//! engaged a guard returned is rejected.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use botwatch_spec::declared::Declared;
use botwatch_spec::guard::Guard;

use super::clock;
use super::debounce::{Change, Debounce};
use super::judge::{self, Line, Reading};
use crate::breaker::Breaker;
use crate::declared::{DeclaredStatic, Gauge};

/// One `guard(...)`.
#[derive(Debug)]
pub(crate) struct GuardEntry {
    /// Its index: what a held breaker keeps to name it.
    pub(crate) index: u32,
    /// `<Static>`: the `guard` label and the reason a held breaker gives.
    pub(crate) name: &'static str,
    pub(crate) spec: &'static Guard,
    pub(crate) declared: &'static Declared,
    metric: DeclaredStatic,
    /// The other gauge of a ratio or a gap.
    other: Option<&'static Gauge>,
    /// The breakers `open` names, each with the breaker if this binary declares it.
    pub(crate) breakers: Vec<(&'static str, Option<&'static Breaker>)>,
    /// How an update is judged: its line (`value`), from both gauges (ratios, gaps), or not
    /// at all (the ticker judges `stale` and `age`).
    line: Line,
    /// Whether the condition held at the last judgement.
    holds: AtomicBool,
    state: Mutex<GuardState>,
}

#[derive(Debug, Default)]
struct GuardState {
    debounce: Debounce,
    /// When it last engaged; kept after it clears while a latch still holds its breakers.
    since: Option<f64>,
}

/// A guard as `/health`, the live page and `snapshot()` show it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct GuardSnapshot {
    /// `<Static>`, as in `botwatch_guard_engaged{guard=...}`.
    pub name: &'static str,
    /// The metric it watches (`drawdown`).
    pub metric: String,
    /// Its value now: an unlabelled gauge's or counter's (`None` for a histogram or a
    /// labelled family, whose sets the live page lists on their own).
    pub value: Option<f64>,
    /// The condition as written (`value > 0.05`).
    pub condition: String,
    /// Engaged: the condition held for `for`, or it latched and its breakers are still held.
    pub engaged: bool,
    /// Since when (Unix seconds), while engaged.
    pub since: Option<f64>,
    /// The breakers `open` names (empty for a watchdog).
    pub breakers: Vec<&'static str>,
}

impl GuardEntry {
    pub(crate) fn new(
        index: u32,
        declared: &'static Declared,
        spec: &'static Guard,
        metric: DeclaredStatic,
        other: Option<&'static Gauge>,
        breakers: Vec<(&'static str, Option<&'static Breaker>)>,
    ) -> GuardEntry {
        GuardEntry {
            index,
            name: Box::leak(Guard::guard_name(&declared.static_name).into_boxed_str()),
            spec,
            declared,
            metric,
            other,
            breakers,
            line: Line::of(&spec.condition),
            holds: AtomicBool::new(false),
            state: Mutex::new(GuardState::default()),
        }
    }

    /// Whether `gauge` is the gauge this guard is declared on.
    pub(crate) fn is_own(&self, gauge: &Gauge) -> bool {
        matches!(self.metric, DeclaredStatic::Gauge(own) if std::ptr::eq(own, gauge))
    }

    /// Whether `gauge` is the other gauge of its ratio or gap.
    pub(crate) fn reads_other(&self, gauge: &Gauge) -> bool {
        self.other.is_some_and(|other| std::ptr::eq(other, gauge))
    }

    /// An update left `value` in a series of its own gauge (`own`) or of the other gauge.
    #[inline(always)]
    pub(crate) fn updated(&'static self, own: bool, value: f64) {
        let holds = match (self.line, own) {
            (Line::Value(band), true) => band.holds(value),
            (Line::Clock, _) => return,
            _ => return self.updated_relation(own, value),
        };
        if holds != self.holds.load(Ordering::Acquire) {
            self.judge();
        }
    }

    /// [`updated`](Self::updated) for a ratio or a gap, which read both gauges.
    #[inline(never)]
    fn updated_relation(&'static self, own: bool, value: f64) {
        let reading = match (own, self.other) {
            (true, other) => Reading {
                value,
                other: other.map_or(f64::NAN, Gauge::get),
                updated: None,
                now: 0.0,
            },
            (false, _) if !self.labelled() => Reading {
                value: self.own_value(),
                other: value,
                updated: None,
                now: 0.0,
            },
            (false, _) => return self.judge(),
        };
        if judge::holds(&self.spec.condition, reading) != self.holds.load(Ordering::Acquire) {
            self.judge();
        }
    }

    fn labelled(&self) -> bool {
        !self.declared.label_keys.is_empty()
    }

    fn own_value(&self) -> f64 {
        match self.metric {
            DeclaredStatic::Gauge(g) => g.get(),
            _ => f64::NAN,
        }
    }

    /// Judges the guard from the values held now, and acts on what changed. Loops while a
    /// concurrent update changed the verdict under it (bounded: each such update also
    /// judges on its own).
    #[cold]
    #[inline(never)]
    pub(crate) fn judge(&'static self) {
        let mut state = self.lock();
        for _ in 0..4 {
            let now = clock::now();
            let holds = self.holds_now(now);
            let change = state.debounce.judge(holds, now, self.spec.for_duration());
            self.act(&mut state, change, now);
            // Published only once the breakers are held: an update that finds the flag set
            // returns at once, so the flag must not run ahead of the hold.
            self.holds.store(holds, Ordering::SeqCst);
            if self.holds_now(now) == holds {
                return;
            }
        }
    }

    /// Whether the condition holds now: for a labelled family, on any label set.
    fn holds_now(&self, now: f64) -> bool {
        let condition = &self.spec.condition;
        let stale = self.declared.stamps_updates();
        let other = self.other.map_or(f64::NAN, Gauge::get);
        let read = |value: f64, updated: &dyn Fn() -> Option<f64>| Reading {
            value,
            other,
            updated: if stale { updated() } else { None },
            now,
        };
        let mut any = false;
        match self.metric {
            DeclaredStatic::Gauge(g) => {
                g.series().for_each(|_, cell| {
                    any |= judge::holds(condition, read(cell.get(), &|| cell.updated_at(now)));
                });
            }
            DeclaredStatic::Counter(c) => {
                c.series().for_each(|_, cell| {
                    any |= judge::holds(condition, read(cell.get(), &|| cell.updated_at(now)));
                });
            }
            DeclaredStatic::Histogram(h) => {
                h.series().for_each(|_, cell| {
                    any |= judge::holds(condition, read(f64::NAN, &|| cell.updated_at(now)));
                });
            }
        }
        any
    }

    fn act(&self, state: &mut GuardState, change: Change, now: f64) {
        match change {
            Change::Engaged => {
                state.since = Some(now);
                eprintln!(
                    "botwatch: guard {} engaged ({} on {}){}",
                    self.name,
                    self.spec.condition,
                    self.declared.origin(),
                    self.holding_phrase()
                );
                for (_, breaker) in &self.breakers {
                    if let Some(breaker) = breaker {
                        breaker.hold_for_guard(self.index);
                    }
                }
            }
            Change::Cleared if self.spec.latch => {}
            Change::Cleared => {
                state.since = None;
                for breaker in self.breakers.iter().filter_map(|(_, b)| *b) {
                    breaker.release_guard(self.index);
                }
            }
            Change::None => {}
        }
    }

    fn holding_phrase(&self) -> String {
        if self.breakers.is_empty() {
            return "; the bot is marked degraded".to_owned();
        }
        let names: Vec<&str> = self.breakers.iter().map(|(n, _)| *n).collect();
        format!("; holding open: {}", names.join(", "))
    }

    /// Whether it is engaged now: the condition held for `for`, or it latched and still
    /// holds a breaker (until `reset()` or `force_closed()`).
    pub(crate) fn snapshot(&self) -> GuardSnapshot {
        let state = self.lock();
        let engaged = state.debounce.engaged_since().is_some()
            || (self.spec.latch
                && state.since.is_some()
                && self
                    .breakers
                    .iter()
                    .filter_map(|(_, b)| *b)
                    .any(|b| b.is_held_by(self.index)));
        let value = match self.metric {
            _ if self.labelled() => None,
            DeclaredStatic::Gauge(g) => Some(g.get()),
            DeclaredStatic::Counter(c) => Some(c.get()),
            DeclaredStatic::Histogram(_) => None,
        };
        GuardSnapshot {
            name: self.name,
            metric: self.declared.metric_name().into_owned(),
            value,
            condition: self.spec.condition.to_string(),
            engaged,
            since: state.since.filter(|_| engaged),
            breakers: self.breakers.iter().map(|(n, _)| *n).collect(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, GuardState> {
        // No user code runs under this lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::atomic::Ordering;

    use botwatch_spec::declared::{Declared, MetricKind, ValueComparison, ValueCondition};
    use botwatch_spec::guard::Guard;
    use botwatch_spec::model::CircuitBreaker;

    use super::GuardEntry;
    use crate::breaker::{Breaker, MockClock, State, TestBreakerClock};
    use crate::declared::{DeclaredStatic, Gauge};

    /// Stops the engaging update at the moment its breaker is about to take its lock (the
    /// breaker's test preemption point) and checks there that the verdict flag, which lets
    /// every other update return at once, is not yet set while the breaker still admits
    /// calls. Catches the flag published before the hold (found by the race test in
    /// `tests/tests/guards.rs`, which hits that window only now and then).
    #[test]
    fn the_verdict_is_published_only_after_the_breaker_is_held() {
        let mut declared = Declared::new(MetricKind::Gauge, "DRAWDOWN", "bot");
        let guard = Guard {
            open: Cow::Owned(vec![Cow::Borrowed("trading")]),
            ..Guard::new(ValueCondition::Value {
                comparison: ValueComparison::Above,
                threshold: 0.05,
            })
        };
        declared.guard = Some(guard);
        let declared: &'static Declared = Box::leak(Box::new(declared));
        let gauge: &'static Gauge = Box::leak(Box::new(Gauge::__declared(declared, false)));
        let clock = MockClock::new();
        let breaker: &'static Breaker = Box::leak(Box::new(Breaker::new(
            "trading",
            &CircuitBreaker::default(),
            TestBreakerClock::Mock(clock.clone()),
        )));
        let entry: &'static GuardEntry = Box::leak(Box::new(GuardEntry::new(
            0,
            declared,
            declared.guard.as_ref().unwrap(),
            DeclaredStatic::Gauge(gauge),
            None,
            vec![("trading", Some(breaker))],
        )));
        let checked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = checked.clone();
        clock.preempt_at(
            1,
            Box::new(move || {
                let published = entry.holds.load(Ordering::SeqCst);
                let admits = breaker.state() == State::Closed;
                assert!(
                    !(published && admits),
                    "the flag says engaged while the breaker still admits calls"
                );
                seen.store(true, Ordering::SeqCst);
            }),
        );
        gauge.set(0.06);
        entry.updated(true, 0.06);
        clock.stop_preempting();
        assert!(
            checked.load(Ordering::SeqCst),
            "the hold took the breaker's lock"
        );
        assert_eq!(breaker.state(), State::Open);
        assert!(entry.holds.load(Ordering::SeqCst));
    }
}
