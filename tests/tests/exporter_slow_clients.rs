//! 200 slow or idle clients on loopback hold and retake connections while Prometheus
//! scrapes: every scrape must get through, quickly. The clients come from eight addresses
//! other than the scraper's (127.0.0.2 to .9), as a hostile host would: together they keep
//! the whole connection table full, which one address alone (held to its own share) could
//! not.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use botwatch_tests::http_get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SLOW_CLIENTS: usize = 200;
const SCRAPES: usize = 40;

#[botwatch::counted]
fn tick() {}

/// One hostile client from `source`: connects, sends part of a request head (all at once,
/// or a byte at a time), holds the connection until the server closes it, and comes back.
async fn slow_client(
    source: [u8; 4],
    addr: std::net::SocketAddr,
    dribble: bool,
    stop: Arc<AtomicBool>,
    closed: Arc<AtomicU64>,
) {
    while !stop.load(Ordering::Relaxed) {
        let connected = match tokio::net::TcpSocket::new_v4() {
            Ok(socket) if socket.bind((source, 0).into()).is_ok() => socket.connect(addr).await,
            Ok(_) | Err(_) => Err(std::io::ErrorKind::AddrNotAvailable.into()),
        };
        let Ok(mut stream) = connected else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let head = b"GET /metrics HTTP/1.1\r\nHost: bot\r\nX-Slow: ";
        let mut buf = [0u8; 64];
        if dribble {
            let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\n").await;
            loop {
                if stop.load(Ordering::Relaxed) || stream.write_all(b"a").await.is_err() {
                    break;
                }
                // Closed by the server?
                let read = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf));
                if let Ok(Ok(0) | Err(_)) = read.await {
                    break;
                }
            }
        } else {
            let _ = stream.write_all(head).await;
            let _ = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buf)).await;
        }
        closed.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn scrapes_get_through_while_200_slow_clients_hold_connections() {
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install");
    let addr = exporter.local_addr();
    tick();

    let stop = Arc::new(AtomicBool::new(false));
    let closed = Arc::new(AtomicU64::new(0));
    let attackers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for i in 0..SLOW_CLIENTS {
        let source = [127, 0, 0, 2 + (i % 8) as u8];
        attackers.spawn(slow_client(
            source,
            addr,
            i % 2 == 0,
            stop.clone(),
            closed.clone(),
        ));
    }
    // Let them fill every slot first.
    std::thread::sleep(Duration::from_millis(500));

    let mut slowest = Duration::ZERO;
    let mut over_100ms = 0;
    let mut failures = Vec::new();
    for scrape in 0..SCRAPES {
        let started = Instant::now();
        match http_get(addr, "/metrics") {
            Ok(response)
                if response.status == 200 && response.body.contains("function=\"tick\"") => {}
            other => failures.push(format!("scrape {scrape}: {other:?}")),
        }
        slowest = slowest.max(started.elapsed());
        over_100ms += usize::from(started.elapsed() > Duration::from_millis(100));
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    attackers.shutdown_timeout(Duration::from_secs(1));

    let evicted = closed.load(Ordering::Relaxed);
    eprintln!(
        "{SCRAPES} scrapes under {SLOW_CLIENTS} slow clients: slowest {slowest:?}, \
         {over_100ms} over 100 ms, {} failed; slow clients disconnected {evicted} times",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    // 1 s is a SYN retransmit: the accept queue overflowed.
    assert!(
        slowest < Duration::from_secs(1),
        "slowest scrape {slowest:?}"
    );
    assert!(
        evicted >= SLOW_CLIENTS as u64,
        "the slow clients held connections and were pushed out ({evicted} times)"
    );
}
