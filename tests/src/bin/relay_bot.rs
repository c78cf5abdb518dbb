//! A bot for the end-to-end routing test: `relay_bot serve` prints `listening <addr>`, then
//! submits through the `relay` breaker every 50 ms, failing while the file named by
//! `BOTWATCH_RELAY_OUTAGE` exists (the relay is down). Two settlement functions are never
//! called, so their `idle` alerts fire: one may be delivered at any time, the other only
//! inside a time interval the test puts elsewhere. The test scans this very file for the
//! rules and routing, so the attributes here are the ones under test. Exits after 2
//! minutes whatever happens.

use std::time::{Duration, Instant};

/// Why a submission failed.
#[derive(Debug)]
enum SubmitError {
    /// The relay refused it.
    RelayDown,
    /// The breaker rejected it without trying.
    Open,
}

impl From<botwatch::CircuitOpen> for SubmitError {
    fn from(_: botwatch::CircuitOpen) -> Self {
        SubmitError::Open
    }
}

// The error rate waits longer (`for = 3s`) than the open breaker (`for = 1s`): the page
// that explains reaches the Alertmanager before the alerts it silences.
#[botwatch::counted(alert(error_rate > 20%, window = 4s, for = 3s))]
#[botwatch::circuit_breaker(name = "relay", failures = 3, reset = 1s, alert(open, for = 1s))]
fn submit(relay_down: bool) -> Result<(), SubmitError> {
    if relay_down {
        Err(SubmitError::RelayDown)
    } else {
        Ok(())
    }
}

#[botwatch::counted(alert(idle > 4s, for = 0s, during = "settlement_window"))]
#[allow(dead_code)] // never called: its idle alert is the point
fn settle_in_window() {}

#[botwatch::counted(alert(idle > 4s, for = 0s, during = "elsewhere"))]
#[allow(dead_code)] // never called: its idle alert is the point
fn settle_elsewhere() {}

fn main() {
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install");
    println!("listening {}", exporter.local_addr());
    let outage = std::env::var_os("BOTWATCH_RELAY_OUTAGE").map(std::path::PathBuf::from);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        let relay_down = outage.as_ref().is_some_and(|p| p.exists());
        // Failures are the breaker's and the alerts' business here.
        let _ = submit(relay_down);
        std::thread::sleep(Duration::from_millis(50));
    }
}
