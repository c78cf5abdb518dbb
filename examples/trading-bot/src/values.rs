//! The bot's own values, declared once with their alerts: the build helper writes those
//! alerts into `monitoring/alerts.yml` next to the functions' ones.

use botwatch::{counter, gauge, histogram, Counter, Gauge, Histogram};

/// ETH balance of the bot's operator account.
#[gauge(unit = "ETH", alert(value < 0.5, for = 5m, severity = "critical", summary = "operator wallet nearly empty"))]
pub(crate) static OPERATOR_BALANCE_ETH: Gauge = Gauge::new();

/// Transactions waiting in the mempool at the last block.
#[gauge(name = "mempool_pending_transactions", alert(value == 0, for = 10m, name = "MempoolQueueEmpty"))]
pub(crate) static MEMPOOL_PENDING: Gauge = Gauge::new();

/// Notional volume of the bundles landed today, in USD.
#[gauge(unit = "USD", alert(value / DAILY_LIMIT_USD > 80%, name = "VolumeLimitApproaching"))]
pub(crate) static DAILY_VOLUME_USD: Gauge = Gauge::new();

/// The daily volume limit the risk desk set, in USD.
#[gauge(unit = "USD")]
pub(crate) static DAILY_LIMIT_USD: Gauge = Gauge::new();

/// The last ETH/USD price the feed gave.
// `unchanged` watches the price itself; `stale` watches its updates, so a feed that stops
// while the price stays put (a zombie websocket) pages too, and a quiet market whose price
// is written again does not.
#[gauge(
    unit = "USD",
    alert(unchanged > 5m, for = 1m, name = "PriceFeedStale", severity = "critical"),
    alert(stale > 2m, for = 1m, severity = "critical")
)]
pub(crate) static ETH_USD_PRICE: Gauge = Gauge::new();

/// Timestamp of the latest block the bot has seen, in Unix seconds: a node whose head
/// stopped moving keeps an old one.
#[gauge(alert(age > 1m, for = 30s))]
pub(crate) static LATEST_BLOCK_TIMESTAMP: Gauge = Gauge::new();

/// The day's drawdown from the morning's equity, as a fraction (0.05 is 5 %). Past 5 % the
/// guard holds the relay's breaker open, so no bundle is submitted until it recovers: a
/// kill switch in the bot itself, with its `DrawdownGuardEngaged` page.
#[gauge(guard(value > 5%, open = "relay"))]
pub(crate) static DRAWDOWN: Gauge = Gauge::new();
/// The block number the bot's node has reached: a node stuck behind the public chain, or
/// one replica's node behind the others', bundles for blocks already gone.
#[gauge(
    alert(value - RPC_BLOCK_NUMBER < -5, for = 1m, severity = "critical"),
    alert(lag > 3, for = 1m)
)]
pub(crate) static NODE_BLOCK_NUMBER: Gauge = Gauge::new();

/// The block number a public RPC reports: the reference the node's head is compared with.
#[gauge]
pub(crate) static RPC_BLOCK_NUMBER: Gauge = Gauge::new();

/// Net ETH inventory hedged on each venue; the bot's net position is their total.
#[gauge(labels(venue), max_series = 8, unit = "ETH", alert(total > 100), alert(total < -100))]
pub(crate) static INVENTORY_ETH: Gauge = Gauge::new();

/// Where the bot's state machine is: trading, paused by the operator, or halted by a
/// fault (the dashboard and the live page show the name, not the number).
#[gauge(
    states(0 = "running", 1 = "paused", 3 = "halted"),
    alert(state == "halted", for = 1m, severity = "critical")
)]
pub(crate) static BOT_STATE: Gauge = Gauge::new();

/// `BOT_STATE` while the bot trades.
pub(crate) const RUNNING: f64 = 0.0;

/// Profit of the bundles landed, in ETH.
#[counter(unit = "ETH", alert(increase < 0.01, within = 6h, severity = "info"))]
pub(crate) static PROFIT_ETH_TOTAL: Counter = Counter::new();

/// Bundles the relay took or refused, by outcome (`landed`, `failed`): the failures' daily
/// total and their share of the day's bundles.
#[counter(labels(outcome), max_series = 4)]
pub(crate) static BUNDLES_TOTAL: Counter = Counter::new();

/// Profit of each landed bundle, in ETH: its heatmap shows whether the wins shrink.
#[histogram(unit = "ETH", buckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05])]
pub(crate) static BUNDLE_PROFIT_ETH: Histogram = Histogram::new();

/// The notional volume of a landed bundle, in USD: what the daily limit caps.
pub(crate) fn landed(profit_eth: f64, eth_usd: f64) {
    PROFIT_ETH_TOTAL.add(profit_eth);
    BUNDLE_PROFIT_ETH.record(profit_eth);
    DAILY_VOLUME_USD.add(profit_eth * eth_usd * 50.0);
}
