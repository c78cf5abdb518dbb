//! Servers started by the end-to-end tests, and how the tests talk to them: child
//! processes killed on drop, free loopback ports, bounded waits, Prometheus' HTTP API and
//! a webhook receiver (what Alertmanager notifies).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http_get;

/// Kills a child process when dropped, on success and on panic alike.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free now (bound and released: another process may take it first,
/// which the caller then sees as a failed start), and never one this process was given
/// before: the kernel may hand a released port out again at once, and two servers of one
/// test told the same port would fail in a way that looks like a bug of theirs.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut given = GIVEN.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if given.insert(port) {
            return port;
        }
    }
}

/// Starts `program` with `args`, its output in `log`, killed when the result is dropped.
pub fn spawn(name: &'static str, program: &Path, args: &[String], log: &Path) -> Killed {
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

/// A Prometheus server reading `config`, keeping its data in `data`, on loopback `port`.
pub fn spawn_prometheus(
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

/// An Alertmanager reading `config`, keeping its data in `data`, on loopback `port`. With
/// no `cluster` flags it runs alone (`--cluster.listen-address=`); with them it joins the
/// cluster they describe.
pub fn spawn_alertmanager(
    program: &Path,
    config: &Path,
    data: &Path,
    port: u16,
    cluster: &[String],
    log: &Path,
) -> Killed {
    let mut args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    if cluster.is_empty() {
        args.push("--cluster.listen-address=".to_owned());
    }
    args.extend_from_slice(cluster);
    spawn("alertmanager", program, &args, log)
}

/// Posts `body` as JSON to `path` at `addr` and returns the whole response (status line,
/// headers, body), as a client of Alertmanager's API would (`POST /api/v2/alerts`).
pub fn post_json(addr: SocketAddr, path: &str, body: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// Waits for `check` to return Some, polling every 250 ms, up to `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
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

/// The JSON of a `200` answer of Prometheus (or Alertmanager) at `addr`, `None` otherwise.
pub fn api(addr: SocketAddr, path: &str) -> Option<Value> {
    let response = http_get(addr, path).ok()?;
    if response.status != 200 {
        return None;
    }
    serde_json::from_str(&response.body).ok()
}

/// The result vector of an instant query on the Prometheus at `addr`.
pub fn query(addr: SocketAddr, promql: &str) -> Option<Vec<Value>> {
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
pub fn webhook_sink() -> (u16, mpsc::Receiver<Value>) {
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

fn serve_webhook(stream: TcpStream, sender: &mpsc::Sender<Value>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel draws a released port again soon: among 300 draws of bind(0) two are
    /// almost always the same (the birthday bound over the ephemeral range), so this fails
    /// without the set of ports given.
    #[test]
    fn free_port_never_gives_a_port_twice() {
        let ports: Vec<u16> = (0..300).map(|_| free_port()).collect();
        let distinct: BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len());
    }
}
