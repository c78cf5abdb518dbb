//! Hedging a landed bundle's inventory on a centralised venue.

/// Which way the hedge trades.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Side {
    Buy,
    Sell,
}

impl Side {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

/// The venues the bot hedges on.
pub(crate) const VENUES: [&str; 3] = ["binance", "kraken", "okx"];

/// Places the hedge. Counted per venue and side: `venue` and `side` are per-call labels,
/// read from the arguments at each call, with at most 16 label sets (3 venues × 2 sides
/// fit; a bug feeding order ids in would land in `__overflow__`, not in Prometheus).
#[botwatch::counted(labels(venue = venue, side = side.as_str()), max_series = 16)]
pub(crate) fn place_hedge(venue: &str, side: Side, size_eth: f64) -> Result<f64, String> {
    if size_eth <= 0.0 {
        return Err(format!("nothing to hedge on {venue}"));
    }
    Ok(size_eth)
}
