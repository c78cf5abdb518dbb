//! A bot laid out like real ones: nested modules, a `#[path]` module, methods, bare
//! attributes after `use botwatch::...`, and every alert kind.
//!
//! `fixture-bot print-rules` prints `botwatch::rules::yaml()`, `fixture-bot print-dashboard`
//! prints `botwatch::dashboard::json()`; `fixture-bot serve` installs
//! the exporter on a free loopback port, calls every function, prints the address and
//! serves until killed (or 60 s).

mod relay;
mod values;
mod venues;

#[path = "custom/feed_impl.rs"]
mod feed;

#[cfg(test)]
mod tests {
    #[botwatch::counted(alert(idle > 1m))]
    fn only_in_tests() {}
}

mod strategy {
    use botwatch::{counted, timed as measured};

    pub(crate) mod scoring {
        #[botwatch::counted(alert(rate < 1/m), alert(rate > 100/s, name = "ScoringStorm"))]
        pub(crate) fn score(spread: f64) -> f64 {
            spread * 2.0
        }
    }

    #[counted(alert(idle > 10m), slo(objective = 99.5%, min_rate = 1/s))]
    #[measured(alert(p90 > 50ms), slo(objective = 99%, latency = 20ms))]
    pub(crate) fn detect(spread: f64) -> Option<f64> {
        (spread > 1.0).then_some(scoring::score(spread))
    }
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("print-rules") => print!("{}", botwatch::rules::yaml()),
        Some("print-dashboard") => print!("{}", botwatch::dashboard::json()),
        Some("serve") => serve(),
        _ => {
            eprintln!("usage: fixture-bot print-rules | print-dashboard | serve");
            std::process::exit(2);
        }
    }
}

fn serve() {
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().expect("an address"))
        .install()
        .expect("install the exporter");
    let _ = strategy::detect(3.0);
    let mut relay = relay::Relay::default();
    let _ = relay.submit(1);
    let _ = relay.cancel(1);
    relay.landed();
    let _ = feed::price();
    let _ = venues::binance::place(2);
    let _ = venues::binance::cancel("buy");
    venues::binance::fill("buy");
    values::touch();
    println!("listening {}", exporter.local_addr());
    std::thread::sleep(std::time::Duration::from_secs(60));
}
