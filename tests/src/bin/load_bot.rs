//! A bot under load for `tests/tests/exporter_load.rs`: one thread per core calls its
//! annotated functions without pause while the exporter serves scrapes. Prints
//! `listening on <addr>` and runs until stdin closes.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug)]
struct VenueError;

impl From<botwatch::CircuitOpen> for VenueError {
    fn from(_: botwatch::CircuitOpen) -> Self {
        VenueError
    }
}

#[botwatch::counted(alert(error_rate > 5%))]
#[botwatch::timed(alert(p99 > 250ms))]
#[botwatch::circuit_breaker(name = "venue", failure_rate = 90%, reset = 1s)]
fn place_order(i: u64) -> Result<u64, VenueError> {
    if i % 17 == 0 {
        return Err(VenueError);
    }
    Ok(i)
}

#[botwatch::counted]
#[botwatch::timed]
fn price(i: u64) -> f64 {
    std::hint::black_box(i as f64 * 1.5)
}

fn main() {
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .global_label("bot", "load")
        .install()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers: Vec<_> = (0..cores)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let _ = place_order(i);
                    price(i);
                    botwatch::metrics::counter!("load_iterations_total").increment(1);
                    i += 1;
                }
            })
        })
        .collect();
    println!("listening on {}", exporter.local_addr());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
}
