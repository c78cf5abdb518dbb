//! The binary half of a bot made of two crates: its own annotated functions, one behind its
//! default `risk` feature and one behind `backtest` (off), a breaker shared by name with
//! fixture-core, and the library's functions linked in.
//!
//! `fixture-multi-bot print-rules` prints `botwatch::rules::yaml()`.

/// One step of the bot.
#[botwatch::timed(alert(p99 > 250ms))]
fn tick() {
    venue_core::exercise();
}

#[cfg(feature = "risk")]
#[botwatch::counted(alert(rate > 100/s))]
fn risk_check() {}

#[cfg(feature = "backtest")]
#[botwatch::counted(alert(idle > 5m))]
fn replay() {}

/// The same breaker as `venue_core::exchange::cancel_order`, with the same options.
#[botwatch::circuit_breaker(name = "venue", failures = 3)]
fn cancel_all() -> Result<(), botwatch::CircuitOpen> {
    Ok(())
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("print-rules") => print!("{}", botwatch::rules::yaml()),
        _ => {
            tick();
            #[cfg(feature = "risk")]
            risk_check();
            #[cfg(feature = "backtest")]
            replay();
            let _ = cancel_all();
            eprintln!("usage: fixture-multi-bot print-rules");
            std::process::exit(2);
        }
    }
}
