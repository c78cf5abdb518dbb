//! A price feed client with its own breaker.

use std::time::{Duration, Instant};

use botwatch::CircuitOpen;

use crate::chaos::Chaos;
use crate::random::Random;

#[derive(Debug)]
pub(crate) enum FeedError {
    Timeout,
    BreakerOpen,
}

impl From<CircuitOpen> for FeedError {
    fn from(_: CircuitOpen) -> Self {
        FeedError::BreakerOpen
    }
}

pub(crate) struct PriceClient {
    random: Random,
    chaos: Chaos,
    started: Instant,
    last: f64,
}

impl PriceClient {
    pub(crate) fn new(chaos: Chaos, started: Instant, seed: u64) -> PriceClient {
        PriceClient {
            random: Random::new(seed),
            chaos,
            started,
            last: 3_150.0,
        }
    }

    /// The ETH/USD price, from a feed that times out now and then.
    #[botwatch::timed]
    #[botwatch::circuit_breaker(name = "price_feed", failure_rate = 50%, window = 20, min_calls = 10, reset = 2s, slow = 200ms)]
    pub(crate) async fn eth_usd(&mut self) -> Result<f64, FeedError> {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let flaky = if self.chaos.in_outage(self.started.elapsed()) {
            0.3
        } else {
            0.03
        };
        if self.random.unit() < flaky {
            return Err(FeedError::Timeout);
        }
        self.last *= 1.0 + self.random.between(-0.001, 0.001);
        Ok(self.last)
    }
}
