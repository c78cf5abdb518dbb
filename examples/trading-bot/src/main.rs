//! A simulated MEV/arbitrage bot instrumented with botwatch.
//!
//! It watches a simulated block and mempool feed, looks for opportunities, simulates
//! bundles and submits them to a simulated relay that fails on a chaos schedule, so the
//! relay's circuit breaker trips and recovers while you watch `/metrics` and `/health`.
//!
//! ```text
//! cargo run -p trading-bot -- --duration 60s --chaos outage-at=10s,for=8s
//! ```

mod args;
mod chaos;
mod feed;
mod hedge;
mod prices;
mod random;
mod relay;
mod status;
mod strategy;
mod values;

use std::time::{Duration, Instant};

use args::Args;

#[tokio::main]
async fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("trading-bot: {message}\n\n{}", args::USAGE);
            std::process::exit(2);
        }
    };
    if args.help {
        println!("{}", args::USAGE);
        return;
    }
    let mut exporter = botwatch::Exporter::new().global_label("bot", &args.bot_name);
    if let Some(listen) = args.listen {
        exporter = exporter.listen(listen);
    }
    let exporter = match exporter.install() {
        Ok(exporter) => exporter,
        Err(error) => {
            eprintln!("trading-bot: {error}");
            std::process::exit(1);
        }
    };
    let addr = exporter.local_addr();
    println!(
        "trading-bot \"{}\" running; chaos: {}",
        args.bot_name, args.chaos
    );
    println!("  live     http://{addr}/");
    println!("  metrics  http://{addr}/metrics");
    println!("  health   http://{addr}/health");
    println!("  rules    http://{addr}/rules");
    match args.duration {
        Some(d) => println!("  stops after {}s (or Ctrl-C)", d.as_secs_f64()),
        None => println!("  stop with Ctrl-C"),
    }

    // The risk desk's limit; a real bot reads it from its config.
    values::DAILY_LIMIT_USD.set(250_000.0);
    values::BOT_STATE.set(values::RUNNING);
    for venue in hedge::VENUES {
        values::INVENTORY_ETH.labels([venue]).set(0.0);
    }
    let started = Instant::now();
    let run = run(args.clone(), started);
    tokio::select! {
        () = run => {}
        _ = tokio::signal::ctrl_c() => println!("\nCtrl-C: stopping"),
    }
    status::print_summary(started.elapsed());
}

/// Hedges a landed bundle's profit on one of the venues, by block number.
fn hedge_inventory(bundle: &strategy::Bundle) {
    let venue = hedge::VENUES[(bundle.block % hedge::VENUES.len() as u64) as usize];
    let side = if bundle.block % 2 == 0 {
        hedge::Side::Sell
    } else {
        hedge::Side::Buy
    };
    // A failed hedge is counted by #[counted]; the bot carries on.
    if hedge::place_hedge(venue, side, bundle.profit_eth).is_ok() {
        let signed = match side {
            hedge::Side::Buy => bundle.profit_eth,
            hedge::Side::Sell => -bundle.profit_eth,
        };
        values::INVENTORY_ETH.labels([venue]).add(signed);
    }
}

/// The bot's main loop: one iteration per simulated block.
async fn run(args: Args, started: Instant) {
    let mut feed = feed::Feed::new(args.seed, args.block_time);
    let relay = relay::Relay::new(args.chaos.clone(), started, args.seed ^ 0x5eed);
    let mut prices = prices::PriceClient::new(args.chaos.clone(), started, args.seed ^ 0xfeed);
    let mut status = status::StatusLine::new(Duration::from_secs(3));
    loop {
        if args.duration.is_some_and(|d| started.elapsed() >= d) {
            return;
        }
        let block = feed.next_block().await;
        values::DRAWDOWN.set(args.chaos.drawdown(started.elapsed()));
        let price = prices.eth_usd().await.ok();
        if let Some(price) = price {
            values::ETH_USD_PRICE.set(price);
        }
        values::OPERATOR_BALANCE_ETH.set(feed.balance_eth());
        values::MEMPOOL_PENDING.set(block.pending as f64);
        values::LATEST_BLOCK_TIMESTAMP.set(block.timestamp);
        values::NODE_BLOCK_NUMBER.set(block.number as f64);
        values::RPC_BLOCK_NUMBER.set(block.number as f64);
        if let Some(opportunity) = strategy::detect_opportunity(&block, price) {
            if let Some(bundle) = strategy::simulate_bundle(&opportunity).await {
                match relay.submit_bundle(&bundle).await {
                    Ok(_) => {
                        relay::bundle_included(&bundle);
                        feed.credit(bundle.profit_eth);
                        values::landed(bundle.profit_eth, price.unwrap_or(0.0));
                        hedge_inventory(&bundle);
                        values::BUNDLES_TOTAL.labels(["landed"]).increment();
                    }
                    Err(error) => {
                        values::BUNDLES_TOTAL.labels(["failed"]).increment();
                        status.note_error(&error);
                    }
                }
            }
        }
        status.tick(started.elapsed(), block.number);
    }
}
