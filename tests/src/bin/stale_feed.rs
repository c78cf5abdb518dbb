//! A price feed for the end-to-end `stale` test: `stale_feed serve` prints
//! `listening <addr>`, then writes the same price every 100 ms while the file named by
//! `BOTWATCH_STALE_FEED_PAUSE` does not exist (a zombie feed: the value stays put, the
//! updates stop). Exits after 2 minutes whatever happens.

use std::time::{Duration, Instant};

/// The last ETH/USD price.
#[botwatch::gauge(alert(stale > 4s, for = 0s))]
static PRICE_USD: botwatch::Gauge = botwatch::Gauge::new();

fn main() {
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install");
    println!("listening {}", exporter.local_addr());
    let pause = std::env::var_os("BOTWATCH_STALE_FEED_PAUSE").map(std::path::PathBuf::from);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if !pause.as_ref().is_some_and(|p| p.exists()) {
            PRICE_USD.set(3150.0);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
