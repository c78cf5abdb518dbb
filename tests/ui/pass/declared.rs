//! Declared metrics in every place a bot puts them: imported attributes, nested modules,
//! public statics, a ratio and a guard across modules, a module named `botwatch`, and no
//! prelude.

mod limits {
    use botwatch::{gauge as value, Gauge};

    /// Daily volume limit, in USD.
    #[value]
    pub static DAILY_LIMIT_USD: Gauge = Gauge::new();
}

#[no_implicit_prelude]
mod trading {
    #[allow(dead_code)]
    mod botwatch {}

    /// Volume traded today, in USD.
    #[::botwatch::gauge(alert(value / super::limits::DAILY_LIMIT_USD > 80%))]
    pub(crate) static DAILY_VOLUME_USD: ::botwatch::Gauge = ::botwatch::Gauge::new();

    #[::botwatch::counter(labels(venue, side), max_series = 10, alert(rate > 5/s))]
    pub(crate) static ORDERS_TOTAL: ::botwatch::Counter = ::botwatch::Counter::new();

    /// A kill switch across modules, with no prelude: volume past the limit halts trading.
    #[::botwatch::gauge(guard(value - super::limits::DAILY_LIMIT_USD > 0, open = "trading", for = 1s, latch))]
    pub(crate) static GUARDED_VOLUME_USD: ::botwatch::Gauge = ::botwatch::Gauge::new();

    #[::botwatch::histogram(buckets = [-1.0, 0.0, 1.0], alert(p99 > 1.0))]
    pub(crate) static SLIPPAGE_BPS: ::botwatch::Histogram = ::botwatch::Histogram::new();
}

fn main() {
    limits::DAILY_LIMIT_USD.set(100_000.0);
    trading::DAILY_VOLUME_USD.add(1_250.5);
    trading::ORDERS_TOTAL.labels(["binance", "buy"]).increment();
    trading::SLIPPAGE_BPS.record(-0.25);
    trading::GUARDED_VOLUME_USD.set(10.0);
    let snapshot = botwatch::snapshot();
    assert_eq!(snapshot.value("daily_volume_usd").unwrap(), 1_250.5);
    assert_eq!(snapshot.value_of("orders_total", &["binance", "buy"]).unwrap(), 1.0);
    assert_eq!(snapshot.value("slippage_bps").unwrap(), 1.0);
    assert!(!snapshot.guard("GuardedVolumeUsd").unwrap().engaged);
    assert!(botwatch::rules::yaml().contains(
        "last_over_time(daily_volume_usd[45s]) / on (instance, job) group_left last_over_time(daily_limit_usd[45s])"
    ));
}
