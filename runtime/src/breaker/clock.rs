//! The time a breaker's reset is measured in.
//!
//! Real breakers read `tokio::time::Instant`: the OS monotonic clock in production, and the
//! paused clock of a tokio runtime under `tokio::time::pause()` in tests, so users' own tests
//! can drive a breaker through its reset without sleeping. Unit tests use a mock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Clone, Debug)]
pub(crate) enum BreakerClock {
    Tokio,
    #[cfg_attr(not(test), allow(dead_code))]
    Mock(Arc<MockClock>),
}

impl BreakerClock {
    pub(crate) fn now(&self) -> Instant {
        match self {
            BreakerClock::Tokio => Instant::now(),
            BreakerClock::Mock(mock) => mock.now(),
        }
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub(crate) struct MockClock {
    origin: Instant,
    offset_nanos: AtomicU64,
}

#[cfg_attr(not(test), allow(dead_code))]
impl MockClock {
    pub(crate) fn new() -> Arc<MockClock> {
        Arc::new(MockClock {
            origin: Instant::now(),
            offset_nanos: AtomicU64::new(0),
        })
    }

    pub(crate) fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::SeqCst);
    }

    fn now(&self) -> Instant {
        self.origin + Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }
}
