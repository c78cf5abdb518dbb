//! What the example's end-to-end tests share besides `botwatch_tests::processes`: the bot
//! binary, replicas of it, and the files its build script generated.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

mod chain;
mod configs;

#[allow(unused_imports)]
pub(crate) use chain::{start_chain, Chain};
#[allow(unused_imports)]
pub(crate) use configs::{alertmanager_yml, prometheus_yml, Alerting};

// Each test file uses some of these (as with `dead_code` above).
#[allow(unused_imports)]
pub(crate) use botwatch_tests::processes::{
    api, free_port, query, spawn, spawn_alertmanager, spawn_prometheus, wait_for, webhook_sink,
    Killed,
};

pub(crate) const BOT: &str = env!("CARGO_BIN_EXE_trading-bot");

/// Replicas of the example bot, one on each of `ports`, under `chaos` for `duration`, seeded
/// `first_seed`, `first_seed + 1`, ...; logs `bot-<i>.log` in `dir`.
pub(crate) fn spawn_bots(
    dir: &Path,
    ports: &[u16],
    chaos: &str,
    duration: &str,
    first_seed: u64,
) -> Vec<Killed> {
    ports
        .iter()
        .zip(first_seed..)
        .enumerate()
        .map(|(i, (port, seed))| {
            let args = [
                "--listen".to_owned(),
                format!("127.0.0.1:{port}"),
                "--chaos".to_owned(),
                chaos.to_owned(),
                "--duration".to_owned(),
                duration.to_owned(),
                "--seed".to_owned(),
                seed.to_string(),
            ];
            spawn(
                "trading-bot",
                Path::new(BOT),
                &args,
                &dir.join(format!("bot-{i}.log")),
            )
        })
        .collect()
}

pub(crate) fn generated(file: &str) -> PathBuf {
    Path::new(env!("OUT_DIR")).join("botwatch").join(file)
}
