//! What the end-to-end tests share: the bot binary, child processes killed on drop, free
//! loopback ports, bounded waits, the Prometheus HTTP API and a webhook receiver.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use botwatch_tests::http_get;
use serde_json::Value;

pub(crate) const BOT: &str = env!("CARGO_BIN_EXE_trading-bot");

/// Kills a child process when dropped, on success and on panic alike.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn spawn(name: &'static str, program: &Path, args: &[String], log: &Path) -> Killed {
    let out = std::fs::File::create(log).unwrap();
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    Killed(child)
}

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

/// A Prometheus server reading `config`, keeping its data in `data`, on loopback `port`.
pub(crate) fn spawn_prometheus(
    program: &Path,
    config: &Path,
    data: &Path,
    port: u16,
    log: &Path,
) -> Killed {
    let args = [
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    spawn("prometheus", program, &args, log)
}

/// Waits for `check` to return Some, polling every 250 ms, up to `limit`.
pub(crate) fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub(crate) fn api(addr: SocketAddr, path: &str) -> Option<Value> {
    let response = http_get(addr, path).ok()?;
    if response.status != 200 {
        return None;
    }
    serde_json::from_str(&response.body).ok()
}

pub(crate) fn query(addr: SocketAddr, promql: &str) -> Option<Vec<Value>> {
    let encoded: String = promql
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let value = api(addr, &format!("/api/v1/query?query={encoded}"))?;
    value["data"]["result"].as_array().cloned()
}

/// A webhook receiver: every request body it gets, as JSON.
pub(crate) fn webhook_sink() -> (u16, mpsc::Receiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let sender = sender.clone();
            std::thread::spawn(move || serve_webhook(stream, &sender));
        }
    });
    (port, receiver)
}

pub(crate) fn serve_webhook(stream: TcpStream, sender: &mpsc::Sender<Value>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        // The request line and headers, up to the blank line.
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(value) = serde_json::from_slice(&body) {
            let _ = sender.send(value);
        }
        if writer
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}

pub(crate) fn generated(file: &str) -> PathBuf {
    Path::new(env!("OUT_DIR")).join("botwatch").join(file)
}
