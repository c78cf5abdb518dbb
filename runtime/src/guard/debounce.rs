//! A guard's engagement over time: the condition must hold for `for` before the guard
//! engages, and the guard clears as soon as it stops holding. Time is passed in (Unix
//! seconds), so the tests drive it without a clock.

use std::time::Duration;

/// What a judgement changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// The guard engaged: hold its breakers.
    Engaged,
    /// It cleared: let go (unless it latches).
    Cleared,
    /// Nothing.
    None,
}

/// One guard's verdicts so far.
#[derive(Debug, Default)]
pub(crate) struct Debounce {
    /// Since when the condition has held without the guard engaging yet.
    pending_since: Option<f64>,
    /// Since when the guard is engaged.
    engaged_since: Option<f64>,
}

impl Debounce {
    /// Judges the condition `holds` at `now` for a guard with `for_`.
    pub(crate) fn judge(&mut self, holds: bool, now: f64, for_: Duration) -> Change {
        if !holds {
            self.pending_since = None;
            return match self.engaged_since.take() {
                Some(_) => Change::Cleared,
                None => Change::None,
            };
        }
        if self.engaged_since.is_some() {
            return Change::None;
        }
        let since = *self.pending_since.get_or_insert(now);
        if now - since >= for_.as_secs_f64() {
            self.pending_since = None;
            self.engaged_since = Some(now);
            Change::Engaged
        } else {
            Change::None
        }
    }

    /// Since when it is engaged, if it is.
    pub(crate) fn engaged_since(&self) -> Option<f64> {
        self.engaged_since
    }

    /// Whether the condition holds and waits for `for` to pass.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> bool {
        self.pending_since.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOR: Duration = Duration::from_secs(2);

    /// Catches `for` ignored (engaging on the first verdict).
    #[test]
    fn a_one_update_spike_does_not_engage() {
        let mut d = Debounce::default();
        assert_eq!(d.judge(true, 100.0, FOR), Change::None);
        assert!(d.pending());
        assert_eq!(d.judge(false, 100.5, FOR), Change::None);
        assert_eq!(
            d.judge(true, 101.0, FOR),
            Change::None,
            "the wait starts again"
        );
        assert_eq!(d.judge(true, 102.5, FOR), Change::None);
        assert_eq!(d.judge(true, 103.0, FOR), Change::Engaged);
        assert_eq!(d.engaged_since(), Some(103.0));
    }

    /// Catches an engaged flag that is never cleared, or cleared twice.
    #[test]
    fn it_clears_once_when_the_condition_stops_holding() {
        let mut d = Debounce::default();
        assert_eq!(d.judge(true, 0.0, Duration::ZERO), Change::Engaged);
        assert_eq!(d.judge(true, 1.0, Duration::ZERO), Change::None);
        assert_eq!(d.judge(false, 2.0, Duration::ZERO), Change::Cleared);
        assert_eq!(d.judge(false, 3.0, Duration::ZERO), Change::None);
        assert_eq!(d.engaged_since(), None);
    }
}
