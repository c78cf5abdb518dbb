//! The exporter's share of the machine. Serving from its own thread keeps the exporter off
//! the bot's runtime, but on a machine with few cores a flood of requests (each answered
//! from memory in well under a millisecond) would still keep a core busy and make the OS
//! delay the bot's threads. So the server spends at most [`SHARE`] of one core, with
//! [`BURST`] in hand: it times its renders and its writes, and before each request waits
//! until the time spent is paid back. A scrape every few seconds never waits; a flood is
//! slowed to the share.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The part of one core the exporter may keep busy, on average.
pub(crate) const SHARE: f64 = 0.25;

/// Work the exporter may do at once before waiting (a render of a very large bot's
/// `/dashboard.json` takes about 100 ms).
pub(crate) const BURST: Duration = Duration::from_millis(250);

/// A bucket of time to spend, filled at `share` seconds per second up to `burst`.
#[derive(Debug)]
pub(crate) struct Budget {
    share: f64,
    burst: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Seconds in hand; below zero while work done must still be paid back.
    balance: f64,
    at: Instant,
}

impl Budget {
    pub(crate) fn new(share: f64, burst: Duration, now: Instant) -> Budget {
        Budget {
            share,
            burst: burst.as_secs_f64(),
            state: Mutex::new(State {
                balance: burst.as_secs_f64(),
                at: now,
            }),
        }
    }

    fn refilled(&self, now: Instant) -> std::sync::MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = now.saturating_duration_since(state.at).as_secs_f64();
        state.balance = (state.balance + elapsed * self.share).min(self.burst);
        state.at = now.max(state.at);
        state
    }

    /// Records `work` done at `now`.
    pub(crate) fn spend(&self, work: Duration, now: Instant) {
        self.refilled(now).balance -= work.as_secs_f64();
    }

    /// How long to wait at `now` before the next piece of work: zero while time is in hand.
    pub(crate) fn wait(&self, now: Instant) -> Duration {
        let balance = self.refilled(now).balance;
        if balance >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-balance / self.share)
        }
    }

    /// Times `work`, and records it.
    pub(crate) fn timed<T>(&self, work: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = work();
        let now = Instant::now();
        self.spend(now - started, now);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Catches: no waiting once the burst is spent (a flood keeps a core busy), waiting
    /// while time is in hand (a scrape delayed), or a bucket that fills beyond its burst.
    #[test]
    fn work_beyond_the_burst_is_paid_back_at_the_share() {
        let t0 = Instant::now();
        let budget = Budget::new(0.25, ms(250), t0);
        budget.spend(ms(200), t0);
        assert_eq!(budget.wait(t0), Duration::ZERO, "50 ms still in hand");
        budget.spend(ms(100), t0);
        // 50 ms owed, paid back at a quarter: 200 ms.
        assert_eq!(budget.wait(t0), ms(200));
        assert_eq!(budget.wait(t0 + ms(100)), ms(100));
        assert_eq!(budget.wait(t0 + ms(200)), Duration::ZERO);
        // An hour idle fills the bucket to its burst, no more.
        let later = t0 + Duration::from_secs(3600);
        budget.spend(ms(251), later);
        assert_eq!(budget.wait(later), ms(4));
    }
}
