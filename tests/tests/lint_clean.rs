//! Generated code is clean under the lints strict users turn on: `cargo clippy
//! --all-targets -- -D warnings` in CI builds this file with `clippy::pedantic` and
//! `unused_qualifications` denied, over every shape the attributes take.
#![deny(clippy::pedantic, unused_qualifications, rust_2018_idioms, warnings)]

use std::future::Future;

#[derive(Debug, PartialEq, Eq)]
enum FeedError {
    Stale,
    Open,
}

impl From<botwatch::CircuitOpen> for FeedError {
    fn from(_: botwatch::CircuitOpen) -> Self {
        FeedError::Open
    }
}

fn is_stale(error: &FeedError) -> bool {
    *error == FeedError::Stale
}

#[botwatch::counted(alert(error_rate > 5%))]
#[botwatch::timed(alert(p99 > 10ms))]
#[botwatch::circuit_breaker(name = "lint_feed", ignore_if = is_stale)]
fn quote(fresh: bool) -> Result<u64, FeedError> {
    if fresh {
        Ok(3)
    } else {
        Err(FeedError::Stale)
    }
}

/// Tracks its calls in flight, and its calls over `quote`'s.
#[botwatch::counted(in_flight, alert(calls / quote < 20%), alert(oldest > 10m))]
#[botwatch::timed(alert(in_flight > 5))]
fn quote_filled(fresh: bool) -> Result<u64, FeedError> {
    quote(fresh)
}

#[botwatch::counted]
#[botwatch::timed]
fn halt(reason: &str) -> ! {
    #![allow(clippy::panic)]
    panic!("halted: {reason}")
}

#[botwatch::counted(error_if = is_zero)]
#[botwatch::circuit_breaker(
    name = "lint_venue",
    per = venue,
    success_if = is_positive,
    probe_timeout = 30s,
    latency = false
)]
fn keyed_quote(venue: &str, price: u64) -> Result<u64, FeedError> {
    Ok(price)
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(price: &u64) -> bool {
    *price == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_positive(price: &u64) -> bool {
    *price > 0
}

#[botwatch::circuit_breaker(name = "lint_feed_async")]
#[botwatch::counted]
#[botwatch::timed]
async fn quote_async(fresh: bool) -> Result<u64, FeedError> {
    if fresh {
        Ok(3)
    } else {
        Err(FeedError::Stale)
    }
}

#[botwatch::timed]
#[botwatch::circuit_breaker(name = "lint_feed_future")]
fn quote_later(value: u64) -> impl Future<Output = Result<u64, FeedError>> + Send {
    async move { Ok(value) }
}

struct Book<T> {
    levels: Vec<T>,
}

impl<T: Clone + Ord> Book<T> {
    #[botwatch::counted]
    fn best(&self) -> Option<&T> {
        self.levels.iter().max()
    }

    #[botwatch::timed]
    fn push(&mut self, level: T) -> &mut Self {
        self.levels.push(level);
        self
    }
}

#[async_trait::async_trait]
trait Venue {
    async fn place(&self, size: u64) -> Result<u64, FeedError>;
}

struct Exchange;

#[async_trait::async_trait]
impl Venue for Exchange {
    #[botwatch::counted]
    #[botwatch::circuit_breaker(name = "lint_exchange")]
    async fn place(&self, size: u64) -> Result<u64, FeedError> {
        Ok(size)
    }
}

#[test]
fn every_shape_runs() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(quote(true), Ok(3));
    assert_eq!(quote(false), Err(FeedError::Stale));
    assert_eq!(quote_filled(true), Ok(3));
    assert_eq!(runtime.block_on(quote_async(true)), Ok(3));
    assert_eq!(runtime.block_on(quote_later(4)), Ok(4));
    assert_eq!(runtime.block_on(Exchange.place(2)), Ok(2));
    let mut book = Book { levels: vec![1, 5] };
    assert_eq!(book.push(7).best(), Some(&7));
    assert_eq!(keyed_quote("binance", 5), Ok(5));
    assert!(std::panic::catch_unwind(|| halt("test")).is_err());
    assert!(std::panic::catch_unwind(|| halt_plain()).is_err());
    assert_eq!(Owned(1).take_counted(), 2);
    assert_eq!(Owned(1).take_timed(), 2);
    assert_eq!(Owned(1).take_guarded(), Ok(2));
    assert_eq!(Owned(1).take_stacked(), Ok(2));
}

/// Without inner attributes: the body's block once followed the guard as a block of its
/// own, which warns `unused_braces` (when written on one line).
#[botwatch::timed]
#[rustfmt::skip]
fn halt_plain() -> ! { panic!("halted") }

/// Methods that take `mut self`, under every attribute and a stacking.
#[derive(Debug)]
struct Owned(u64);

impl Owned {
    #[botwatch::counted]
    fn take_counted(mut self) -> u64 {
        self.0 += 1;
        self.0
    }

    #[botwatch::timed]
    fn take_timed(mut self) -> u64 {
        self.0 += 1;
        self.0
    }

    #[botwatch::circuit_breaker]
    fn take_guarded(mut self) -> Result<u64, FeedError> {
        self.0 += 1;
        Ok(self.0)
    }

    #[botwatch::circuit_breaker]
    #[botwatch::timed]
    #[botwatch::counted]
    fn take_stacked(mut self) -> Result<u64, FeedError> {
        self.0 += 1;
        Ok(self.0)
    }
}
