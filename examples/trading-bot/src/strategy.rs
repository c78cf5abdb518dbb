//! Finding and simulating arbitrage opportunities.

use std::time::Duration;

use crate::feed::Block;

#[derive(Clone, Debug)]
pub(crate) struct Opportunity {
    pub(crate) block: u64,
    pub(crate) spread_bps: f64,
}

#[derive(Clone, Debug)]
pub(crate) struct Bundle {
    pub(crate) block: u64,
    pub(crate) profit_eth: f64,
}

/// Looks for a spread worth trading in this block. Counted, so an `idle` alert fires if the
/// detector stops being called at all (a stuck feed).
#[botwatch::counted(alert(idle > 2m, severity = "critical", summary = "No opportunity detection for 2 minutes: the block feed may be stuck"))]
pub(crate) fn detect_opportunity(block: &Block, eth_usd: Option<f64>) -> Option<Opportunity> {
    // Without a price we cannot value the trade.
    eth_usd?;
    (block.spread_bps > 8.0).then_some(Opportunity {
        block: block.number,
        spread_bps: block.spread_bps,
    })
}

/// Simulates the bundle against the block's state. Timed, with a p99 alert and an SLO:
/// a slow simulation means missed blocks.
#[botwatch::timed(
    quantiles(0.5, 0.95, 0.99),
    alert(p99 > 250ms, for = 2m, summary = "Bundle simulation p99 above 250ms"),
    slo(objective = 99%, latency = 100ms)
)]
pub(crate) async fn simulate_bundle(opportunity: &Opportunity) -> Option<Bundle> {
    // Bigger spreads take longer to route.
    let work = Duration::from_micros((opportunity.spread_bps * 2_000.0) as u64);
    tokio::time::sleep(work).await;
    let profit_eth = (opportunity.spread_bps - 8.0) * 0.0004;
    (profit_eth > 0.0).then_some(Bundle {
        block: opportunity.block,
        profit_eth,
    })
}
