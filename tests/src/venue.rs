//! The error of the tests' guarded venue calls: what a real venue client returns, with
//! the `From<CircuitOpen>` that `#[circuit_breaker]` requires.

use botwatch::CircuitOpen;

/// Why a venue call failed.
#[derive(Debug, PartialEq)]
pub enum VenueError {
    /// The venue did not answer or answered with an error.
    Down,
    /// The venue refused a nonce already used (a case `ignore_if` leaves out).
    NonceTooLow,
    /// The venue refused a duplicate order.
    Duplicate,
    /// The breaker rejected the call without running it.
    Open(CircuitOpen),
}

impl From<CircuitOpen> for VenueError {
    fn from(open: CircuitOpen) -> Self {
        VenueError::Open(open)
    }
}
