//! A breaker held open by guards (`guard(..., open = "trading")` on a declared metric),
//! next to the operator's `force_open()`.
//!
//! A guard that engages holds the breaker open with no probes, as `force_open()` does, and
//! its rejections name the guard. Several guards may hold one breaker; it closes when the
//! last lets go and no `force_open()` is in force. A hold does not forget why the breaker
//! may have been open before: a breaker its venue's failures had opened returns to open
//! (its reset running as before) when the guards let go, so the venue must still pass a
//! probe. `force_closed()` and `reset()` end every hold (the operator wins until the guard
//! clears or engages again). All of it happens under the breaker's lock and only when a
//! guard engages or clears: the closed path does not look at any of it.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::MutexGuard;

use super::machine::{Breaker, Side};
use super::State;

/// Who holds a breaker open, under its lock.
#[derive(Debug, Default)]
pub(super) struct Holds {
    /// `force_open()` is in force.
    pub(super) operator: bool,
    /// The guards holding it, by [`crate::guard`] index, in the order they took hold.
    guards: Vec<u32>,
    /// Its state when the first guard took hold: what it returns to when the last lets go.
    before: Option<State>,
}

/// The guard its rejections name: the first guard holding it (its index + 1), 0 for none.
/// An atomic so a rejection needs no lock.
#[derive(Debug, Default)]
pub(super) struct HeldBy(AtomicU32);

impl Breaker {
    /// Holds the breaker open for the guard `guard` (its index), with no probes, until the
    /// guard lets go, `force_closed()` or `reset()`. Holding twice is holding once.
    pub(crate) fn hold_for_guard(&self, guard: u32) {
        if let Some(family) = &self.family {
            family.hold_for_guard(guard);
        }
        let mut side = self.lock();
        if side.holds.guards.contains(&guard) {
            return;
        }
        side.holds.guards.push(guard);
        self.publish_holder(&side);
        if side.holds.guards.len() == 1 && !side.holds.operator {
            side.holds.before = Some(self.state());
        }
        if !self.load().forced {
            self.transition(&mut side, None, State::Open, true);
        }
    }

    /// The guard `guard` lets go. With no other guard and no `force_open()` holding it, the
    /// breaker returns to what it was when the first guard took hold: closed, or open on
    /// its failures (its reset running as before).
    pub(crate) fn release_guard(&self, guard: u32) {
        if let Some(family) = &self.family {
            family.release_guard(guard);
        }
        let mut side = self.lock();
        let Some(index) = side.holds.guards.iter().position(|&g| g == guard) else {
            return;
        };
        side.holds.guards.remove(index);
        self.publish_holder(&side);
        if !side.holds.guards.is_empty() || side.holds.operator {
            return;
        }
        match side.holds.before.take() {
            Some(State::Open | State::HalfOpen) => {
                self.transition(&mut side, None, State::Open, false);
            }
            _ => {
                self.transition(&mut side, None, State::Closed, false);
            }
        }
    }

    /// Whether the guard `guard` holds it now.
    pub(crate) fn is_held_by(&self, guard: u32) -> bool {
        self.lock().holds.guards.contains(&guard)
    }

    /// `force_closed()` and `reset()`: every hold ends.
    pub(super) fn let_go(&self, side: &mut MutexGuard<'_, Side>) {
        side.holds = Holds::default();
        self.publish_holder(side);
    }

    fn publish_holder(&self, side: &MutexGuard<'_, Side>) {
        let first = side.holds.guards.first().map_or(0, |&g| g + 1);
        self.held_by.0.store(first, Ordering::Release);
    }

    /// The guard a rejection names now.
    pub(super) fn holding_guard(&self) -> Option<&'static str> {
        match self.held_by.0.load(Ordering::Acquire) {
            0 => None,
            index => crate::guard::name_of(index - 1),
        }
    }
}

/// ` (held by guard:DrawdownPct)` after "is open", nothing when no guard holds it.
pub(super) struct GuardPhrase(pub(super) Option<&'static str>);

impl fmt::Display for GuardPhrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(guard) => write!(f, " (held by guard:{guard})"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use botwatch_spec::model::CircuitBreaker;

    use super::super::clock::{BreakerClock, MockClock};
    use super::super::{Breaker, Outcome, State};

    const DRAWDOWN: u32 = 0;
    const GAS: u32 = 1;

    fn breaker() -> (Breaker, std::sync::Arc<MockClock>) {
        let clock = MockClock::new();
        let spec = CircuitBreaker {
            failures: Some(1),
            reset: Duration::from_millis(10),
            ..CircuitBreaker::default()
        };
        (
            Breaker::new("trading", &spec, BreakerClock::Mock(clock.clone())),
            clock,
        )
    }

    fn admitted(breaker: &Breaker) -> bool {
        breaker
            .admit()
            .map(|permit| permit.finish(Outcome::Success, 0))
            .is_ok()
    }

    /// Catches a hold that admits probes once `reset` passed (a plain open instead of a
    /// forced one), and a release that leaves the breaker open.
    #[test]
    fn a_held_breaker_admits_nothing_until_the_guard_lets_go() {
        let (breaker, clock) = breaker();
        breaker.hold_for_guard(DRAWDOWN);
        assert_eq!(breaker.state(), State::Open);
        clock.advance(Duration::from_secs(60));
        assert!(!admitted(&breaker), "no probe while held");
        breaker.release_guard(DRAWDOWN);
        assert_eq!(breaker.state(), State::Closed);
        assert!(admitted(&breaker));
    }

    /// Catches closing when the first of two guards lets go.
    #[test]
    fn two_guards_hold_until_both_let_go() {
        let (breaker, _) = breaker();
        breaker.hold_for_guard(DRAWDOWN);
        breaker.hold_for_guard(GAS);
        breaker.release_guard(DRAWDOWN);
        assert_eq!(breaker.state(), State::Open, "the gas guard still holds it");
        assert!(!admitted(&breaker));
        breaker.release_guard(GAS);
        assert_eq!(breaker.state(), State::Closed);
    }

    /// Catches a guard's release that closes a breaker its venue's failures opened (the
    /// venue must still pass a probe), and a hold that forgets the venue.
    #[test]
    fn a_venue_that_failed_must_still_pass_a_probe_after_the_guard_lets_go() {
        let (breaker, clock) = breaker();
        breaker.admit().unwrap().finish(Outcome::Failure, 0);
        assert_eq!(breaker.state(), State::Open);
        breaker.hold_for_guard(DRAWDOWN);
        clock.advance(Duration::from_millis(20));
        assert!(
            !admitted(&breaker),
            "held: the reset passing admits no probe"
        );
        breaker.release_guard(DRAWDOWN);
        assert_eq!(
            breaker.state(),
            State::Open,
            "open on the venue's failure again"
        );
        let probe = breaker.admit().expect("its reset passed: a probe");
        assert_eq!(breaker.state(), State::HalfOpen);
        probe.finish(Outcome::Success, 0);
        assert_eq!(breaker.state(), State::Closed, "the venue recovered");
    }

    /// Catches a guard's release that ends an operator's `force_open()`, and a
    /// `force_closed()` that the guard's hold survives.
    #[test]
    fn the_operator_wins_both_ways() {
        let (breaker, _) = breaker();
        breaker.force_open();
        breaker.hold_for_guard(DRAWDOWN);
        breaker.release_guard(DRAWDOWN);
        assert_eq!(breaker.state(), State::Open, "force_open() still holds it");
        breaker.force_closed();
        breaker.hold_for_guard(DRAWDOWN);
        assert_eq!(breaker.state(), State::Open);
        breaker.force_closed();
        assert_eq!(
            breaker.state(),
            State::Closed,
            "force_closed() overrides the guard"
        );
        assert!(!breaker.is_held_by(DRAWDOWN));
        assert!(admitted(&breaker));
        breaker.release_guard(DRAWDOWN);
        assert_eq!(
            breaker.state(),
            State::Closed,
            "a late release changes nothing"
        );
    }

    /// Catches a rejection that does not name the guard, or names it after it let go.
    #[test]
    fn a_rejection_names_the_first_guard_holding_it() {
        let (breaker, _) = breaker();
        breaker.hold_for_guard(GAS);
        breaker.hold_for_guard(DRAWDOWN);
        assert_eq!(
            breaker.held_by.0.load(std::sync::atomic::Ordering::Relaxed),
            GAS + 1
        );
        breaker.release_guard(GAS);
        assert_eq!(
            breaker.held_by.0.load(std::sync::atomic::Ordering::Relaxed),
            DRAWDOWN + 1
        );
        breaker.reset();
        assert_eq!(
            breaker.held_by.0.load(std::sync::atomic::Ordering::Relaxed),
            0
        );
        assert_eq!(breaker.admit().err(), None);
    }
}
