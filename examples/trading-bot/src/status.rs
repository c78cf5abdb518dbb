//! The compact status line printed while the bot runs.

use std::time::{Duration, Instant};

use crate::relay::RelayError;

pub(crate) struct StatusLine {
    every: Duration,
    last: Instant,
    relay_errors: u64,
    rejected_by_breaker: u64,
}

impl StatusLine {
    pub(crate) fn new(every: Duration) -> StatusLine {
        StatusLine {
            every,
            last: Instant::now(),
            relay_errors: 0,
            rejected_by_breaker: 0,
        }
    }

    pub(crate) fn note_error(&mut self, error: &RelayError) {
        match error {
            RelayError::BreakerOpen(_) => self.rejected_by_breaker += 1,
            _ => self.relay_errors += 1,
        }
    }

    pub(crate) fn tick(&mut self, elapsed: Duration, block: u64) {
        if self.last.elapsed() < self.every {
            return;
        }
        self.last = Instant::now();
        println!(
            "[{:>6.1}s] block {block} | relay errors {} | held back by breaker {} | {}",
            elapsed.as_secs_f64(),
            self.relay_errors,
            self.rejected_by_breaker,
            breakers()
        );
    }
}

fn breakers() -> String {
    ["relay", "price_feed"]
        .iter()
        .filter_map(|name| botwatch::breaker(name))
        .map(|b| format!("{} {:?}", b.name(), b.state()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn print_summary(elapsed: Duration) {
    println!(
        "ran {:.1}s; final breaker states: {}",
        elapsed.as_secs_f64(),
        breakers()
    );
    for name in ["relay", "price_feed"] {
        if let Some(b) = botwatch::breaker(name) {
            let s = b.snapshot();
            println!(
                "  {name}: {} successes, {} failures, {} rejected",
                s.successes, s.failures, s.rejected
            );
        }
    }
}
