//! Orders and quotes.

use botwatch::{circuit_breaker, counted};

/// Places an order; odd sizes are refused.
#[counted(alert(error_rate > 5%))]
pub fn place_order(size: u64) -> Result<u64, String> {
    if size % 2 == 0 {
        Ok(size)
    } else {
        Err("odd size".to_owned())
    }
}

/// Cancels an order through the venue's breaker, which the binary shares.
#[circuit_breaker(name = "venue", failures = 3, alert(open))]
pub fn cancel_order(id: u64) -> Result<u64, botwatch::CircuitOpen> {
    Ok(id)
}

/// Only in live builds.
#[cfg(feature = "live")]
#[botwatch::timed(alert(p99 > 250ms))]
pub fn live_quote() {}

/// Only in paper-trading builds, which this workspace never makes.
#[cfg(feature = "paper")]
#[botwatch::counted(alert(idle > 5m))]
pub fn paper_quote() {}
