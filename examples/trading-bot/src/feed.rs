//! A simulated block and mempool feed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::random::Random;

/// One block as the strategy sees it.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    pub(crate) number: u64,
    /// Transactions waiting in the mempool.
    pub(crate) pending: u64,
    /// Price gap between two venues, in basis points.
    pub(crate) spread_bps: f64,
    /// When the block was made, in Unix seconds.
    pub(crate) timestamp: f64,
}

pub(crate) struct Feed {
    random: Random,
    block_time: Duration,
    number: u64,
    balance_eth: f64,
}

impl Feed {
    pub(crate) fn new(seed: u64, block_time: Duration) -> Feed {
        Feed {
            random: Random::new(seed),
            block_time,
            number: 19_000_000,
            balance_eth: 12.5,
        }
    }

    /// Waits for the next block.
    pub(crate) async fn next_block(&mut self) -> Block {
        tokio::time::sleep(self.block_time).await;
        self.number += 1;
        // Gas for watching the chain is not free.
        self.balance_eth -= 0.0001;
        Block {
            number: self.number,
            pending: 100 + (self.random.next_u64() % 400),
            spread_bps: self.random.between(0.0, 25.0),
            timestamp: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        }
    }

    pub(crate) fn credit(&mut self, eth: f64) {
        self.balance_eth += eth;
    }

    pub(crate) fn balance_eth(&self) -> f64 {
        self.balance_eth
    }
}
