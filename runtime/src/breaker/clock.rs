//! The time a breaker's reset is measured in.
//!
//! Real breakers read `tokio::time::Instant`: the OS monotonic clock in production, and the
//! paused clock of a tokio runtime under `tokio::time::pause()` in tests, so users' own tests
//! can drive a breaker through its reset without sleeping. Unit tests use a mock, which can
//! also stop a thread at its n-th *preemption point* — a clock read, or (in tests) the
//! breaker about to take its lock — and run another operation there: the interleaving test
//! (`interleavings.rs`) preempts the breaker at every such point.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
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

    /// A point where the interleaving test may run another thread's operation: the breaker
    /// is about to take its lock.
    #[cfg(test)]
    pub(crate) fn preemption_point(&self) {
        if let BreakerClock::Mock(mock) = self {
            mock.point();
        }
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub(crate) struct MockClock {
    origin: Instant,
    offset_nanos: AtomicU64,
    preemption: Mutex<Option<Preemption>>,
}

/// What runs when `thread` reaches its `at`-th preemption point (counting from 1).
struct Preemption {
    thread: ThreadId,
    at: usize,
    reads: usize,
    run: Option<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for Preemption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Preemption at read {} ({} so far)", self.at, self.reads)
    }
}

#[cfg_attr(not(test), allow(dead_code))]
impl MockClock {
    pub(crate) fn new() -> Arc<MockClock> {
        Arc::new(MockClock {
            origin: Instant::now(),
            offset_nanos: AtomicU64::new(0),
            preemption: Mutex::new(None),
        })
    }

    pub(crate) fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::SeqCst);
    }

    /// Runs `run` when this thread reaches its `at`-th preemption point from now on (`at`
    /// from 1); with `at = 0`, only counts the points.
    pub(crate) fn preempt_at(&self, at: usize, run: Box<dyn FnOnce() + Send>) {
        *self.lock() = Some(Preemption {
            thread: std::thread::current().id(),
            at,
            reads: 0,
            run: Some(run),
        });
    }

    /// The points counted since `preempt_at`, ending the preemption.
    pub(crate) fn stop_preempting(&self) -> usize {
        self.lock().take().map_or(0, |p| p.reads)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Preemption>> {
        self.preemption
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> Instant {
        self.point();
        self.origin + Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }

    /// A preemption point of the current thread: runs the preempting operation if it is due.
    fn point(&self) {
        let due = {
            let mut preemption = self.lock();
            match preemption.as_mut() {
                Some(p) if p.thread == std::thread::current().id() => {
                    p.reads += 1;
                    if p.reads == p.at {
                        p.run.take()
                    } else {
                        None
                    }
                }
                _ => None,
            }
        };
        if let Some(run) = due {
            run();
        }
    }
}
