//! A real Alertmanager on 127.0.0.1 (`prometheus-alertmanager`, killed on drop) and a
//! webhook sink that records what it is sent, per path: the pieces the routing tests put
//! the generated configuration between.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use botwatch_tests::http_get;
pub(crate) use botwatch_tests::processes::{free_port, Killed};
use botwatch_tests::processes::{post_json, spawn_alertmanager};
use serde_json::Value;

/// A running Alertmanager.
pub(crate) struct Alertmanager {
    pub(crate) addr: SocketAddr,
    _process: Killed,
}

impl Alertmanager {
    /// Starts `binary` on `config`, its data and log under `dir`, and waits until it is ready.
    pub(crate) fn start(binary: &Path, config: &Path, dir: &Path) -> Alertmanager {
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let process = spawn_alertmanager(
            binary,
            config,
            &dir.join("alertmanager-data"),
            port,
            &[],
            &dir.join("alertmanager.log"),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !http_get(addr, "/-/ready").is_ok_and(|r| r.status == 200) {
            assert!(
                Instant::now() < deadline,
                "alertmanager not ready; see {}",
                dir.join("alertmanager.log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Alertmanager {
            addr,
            _process: process,
        }
    }

    /// Posts alerts (`[{labels, annotations}]`) as Prometheus would.
    pub(crate) fn post(&self, alerts: &Value) {
        let response = post_json(self.addr, "/api/v2/alerts", &alerts.to_string())
            .unwrap_or_else(|e| panic!("post alerts to {}: {e}", self.addr));
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }

    /// The alerts it holds, as `/api/v2/alerts` lists them.
    pub(crate) fn alerts(&self) -> Vec<Value> {
        http_get(self.addr, "/api/v2/alerts")
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| serde_json::from_str(&r.body).ok())
            .unwrap_or_default()
    }

    /// Its alert groups, as `/api/v2/alerts/groups` lists them.
    pub(crate) fn groups(&self) -> Vec<Value> {
        http_get(self.addr, "/api/v2/alerts/groups")
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| serde_json::from_str(&r.body).ok())
            .unwrap_or_default()
    }
}

/// One notification a receiver got: the path it was posted to and its JSON body.
#[derive(Clone, Debug)]
pub(crate) struct Notification {
    pub(crate) path: String,
    pub(crate) body: Value,
}

impl Notification {
    /// The `alertname`s of its alerts with `status` (`firing`/`resolved`).
    pub(crate) fn names(&self, status: &str) -> Vec<String> {
        self.body["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["status"] == status)
            .filter_map(|a| a["labels"]["alertname"].as_str().map(str::to_owned))
            .collect()
    }
}

/// A webhook receiver on 127.0.0.1 recording every POST.
pub(crate) struct WebhookSink {
    pub(crate) addr: SocketAddr,
    received: Arc<Mutex<Vec<Notification>>>,
}

impl WebhookSink {
    pub(crate) fn start() -> WebhookSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        // The thread ends with the test process; it only ever holds one connection.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(notification) = read_post(stream) {
                    store.lock().unwrap().push(notification);
                }
            }
        });
        WebhookSink { addr, received }
    }

    /// `http://<addr><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything received so far.
    pub(crate) fn received(&self) -> Vec<Notification> {
        self.received.lock().unwrap().clone()
    }

    /// What `path` received so far.
    pub(crate) fn at(&self, path: &str) -> Vec<Notification> {
        self.received()
            .into_iter()
            .filter(|n| n.path == path)
            .collect()
    }
}

fn read_post(stream: TcpStream) -> Option<Notification> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let _ = reader
        .get_mut()
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    Some(Notification {
        path,
        body: serde_json::from_slice(&body).ok()?,
    })
}
