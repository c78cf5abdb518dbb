//! The bot's own values, declared on statics with every alert condition of declared
//! metrics: the seed monitoring items of trading and MEV bots.

use botwatch::{gauge, Counter, Gauge, Histogram};

/// Balance of the operator's wallet, in ETH.
#[gauge(alert(value < 0.5, for = 5m, severity = "critical"))]
pub(crate) static OPERATOR_BALANCE_ETH: Gauge = Gauge::new();

/// Volume traded today, in USD.
#[botwatch::gauge(alert(value / limits::DAILY_LIMIT_USD > 80%, name = "VolumeLimitApproaching"))]
pub(crate) static DAILY_VOLUME_USD: Gauge = Gauge::new();

pub(crate) mod limits {
    /// The daily volume limit, in USD.
    #[botwatch::gauge]
    pub(crate) static DAILY_LIMIT_USD: botwatch::Gauge = botwatch::Gauge::new();
}

/// Last price seen on the feed.
#[botwatch::gauge(name = "feed_price_usd", alert(unchanged > 5m, for = 1m, summary = "price feed stale"))]
pub(crate) static FEED_PRICE: Gauge = Gauge::new();

/// Open position per symbol, in units of the base asset.
#[botwatch::gauge(labels(symbol, desk = "mev"), max_series = 20, alert(value > 10), alert(value < -10))]
pub(crate) static POSITION: Gauge = Gauge::new();

/// Drawdown from the day's high, as a fraction.
#[botwatch::gauge(alert(value > 0.2, severity = "critical", runbook = "https://runbooks.example/drawdown"))]
pub(crate) static DRAWDOWN: Gauge = Gauge::new();

/// Bundles waiting in the mempool queue.
#[botwatch::gauge(alert(value == 0, for = 10m, name = "MempoolQueueEmpty"), alert(value != 0, for = 1h, severity = "info"))]
pub(crate) static MEMPOOL_QUEUE: Gauge = Gauge::new();

/// Realised profit, in ETH.
#[botwatch::counter(alert(increase < 0.01, within = 6h), alert(increase > 5, within = 1h))]
pub(crate) static PROFIT_ETH_TOTAL: Counter = Counter::new();

/// Bundles the relay included.
#[botwatch::counter(alert(rate < 2/m), alert(rate > 50/s), alert(idle > 15m, labels(team = "mev")))]
pub(crate) static BUNDLES_INCLUDED_TOTAL: Counter = Counter::new();

/// Bundles submitted, per builder.
#[botwatch::counter(labels(builder))]
pub(crate) static BUNDLES_SUBMITTED_TOTAL: Counter = Counter::new();

/// Bundles each builder landed on chain: its inclusion rate is watched on both sides.
#[botwatch::counter(
    labels(builder),
    alert(increase / BUNDLES_SUBMITTED_TOTAL < 20%, min_rate = 1/m),
    alert(increase / BUNDLES_SUBMITTED_TOTAL > 90%, within = 30m, for = 0s)
)]
pub(crate) static BUNDLES_LANDED_TOTAL: Counter = Counter::new();

/// Share of simulated profit realised on chain.
#[botwatch::histogram(buckets = [0.5, 0.8, 0.9, 0.99], alert(p50 < 0.8), alert(p99 > 0.99))]
pub(crate) static SIMULATION_ACCURACY: Histogram = Histogram::new();

/// Net inventory per venue, in ETH: updated by the venue's feed, summed across venues.
#[botwatch::gauge(labels(venue), alert(stale > 2m, for = 1m), alert(total > 100), alert(total < -100, severity = "critical"))]
pub(crate) static INVENTORY_ETH: Gauge = Gauge::new();

/// Timestamp of the latest block the node has seen (Unix seconds).
#[botwatch::gauge(alert(age > 1m, for = 30s))]
pub(crate) static LATEST_BLOCK_TIME: Gauge = Gauge::new();

/// The node's head block, against a public RPC's head and the other replicas'.
#[botwatch::gauge(alert(value - rpc::PUBLIC_HEAD < -5, for = 1m), alert(value - rpc::PUBLIC_HEAD > 100), alert(lag > 3))]
pub(crate) static NODE_HEAD: Gauge = Gauge::new();

pub(crate) mod rpc {
    /// A public RPC's head block.
    #[botwatch::gauge]
    pub(crate) static PUBLIC_HEAD: botwatch::Gauge = botwatch::Gauge::new();
}

/// Fills seen on the fill stream; a stream that stops while its total stays put is stale.
#[botwatch::counter(alert(stale > 10m), alert(lag > 50))]
pub(crate) static FILLS_TOTAL: Counter = Counter::new();

/// Slippage of each fill, in basis points.
#[botwatch::histogram(buckets = [1, 5, 10, 50], alert(stale > 15m))]
pub(crate) static FILL_SLIPPAGE_BPS: Histogram = Histogram::new();

/// Sets every value once, so each series is on `/metrics`.
pub(crate) fn touch() {
    OPERATOR_BALANCE_ETH.set(1.25);
    DAILY_VOLUME_USD.set(40_000.0);
    limits::DAILY_LIMIT_USD.set(100_000.0);
    FEED_PRICE.set(3_150.5);
    POSITION.labels(["ETH-USD"]).set(2.5);
    DRAWDOWN.set(0.05);
    MEMPOOL_QUEUE.set(3.0);
    PROFIT_ETH_TOTAL.add(0.02);
    BUNDLES_INCLUDED_TOTAL.increment();
    BUNDLES_SUBMITTED_TOTAL.labels(["beaver"]).increment();
    BUNDLES_LANDED_TOTAL.labels(["beaver"]).increment();
    SIMULATION_ACCURACY.record(0.93);
    INVENTORY_ETH.labels(["binance"]).set(1.5);
    LATEST_BLOCK_TIME.set(1_700_000_000.0);
    NODE_HEAD.set(19_000_000.0);
    rpc::PUBLIC_HEAD.set(19_000_001.0);
    FILLS_TOTAL.increment();
    FILL_SLIPPAGE_BPS.record(2.0);
}
