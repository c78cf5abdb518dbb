//! A bot for the end-to-end funnel and stuck-call test: `funnel_bot serve` prints
//! `listening <addr>`, then each 100 ms submits and includes bundles at the rates (per
//! second) written in the files `submitted` and `included` of the directory named by
//! `BOTWATCH_FUNNEL_DIR` (none while a file is missing), and while the file `hang` exists
//! holds one submission in flight until it is removed. Exits after 3 minutes.

use std::path::Path;
use std::time::{Duration, Instant};

/// Sends a bundle; one hung on a dead socket pages after 4 s.
#[botwatch::counted(alert(oldest > 4s, for = 0s))]
fn submit(hang_while: Option<&Path>) {
    while hang_while.is_some_and(Path::exists) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A bundle the builder included: under half of submissions over 8 s pages, while at least
/// 2 bundles a second are submitted.
#[botwatch::counted(alert(calls / submit < 50%, window = 8s, min_rate = 2/s, for = 0s))]
fn include() {}

fn per_second(dir: &Path, file: &str) -> f64 {
    std::fs::read_to_string(dir.join(file))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0.0)
}

fn main() {
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install");
    println!("listening {}", exporter.local_addr());
    let dir =
        std::path::PathBuf::from(std::env::var_os("BOTWATCH_FUNNEL_DIR").expect("a directory"));
    let hang = dir.join("hang");
    let mut hanging: Option<std::thread::JoinHandle<()>> = None;
    let (mut submitted, mut included) = (0.0, 0.0);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(180) {
        submitted += per_second(&dir, "submitted") / 10.0;
        included += per_second(&dir, "included") / 10.0;
        while submitted >= 1.0 {
            submit(None);
            submitted -= 1.0;
        }
        while included >= 1.0 {
            include();
            included -= 1.0;
        }
        if hang.exists() && hanging.as_ref().is_none_or(|h| h.is_finished()) {
            let hang = hang.clone();
            hanging = Some(std::thread::spawn(move || submit(Some(&hang))));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
