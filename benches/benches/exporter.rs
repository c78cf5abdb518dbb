//! Whether the exporter slows the bot it watches (issue 34): a bot of 1,000 annotated
//! functions (counted and timed, two alerts each) runs a task on a 2-worker tokio runtime
//! that wakes every 2 ms, and the exporter is installed from inside that runtime, as a bot
//! does it. The probe measures how late each wake-up is with no client, while four clients
//! request `/rules`, `/dashboard.json` and `/metrics` in a loop, and while four clients ask
//! for `/rules` only; the three phases alternate in short rounds, so that the machine's
//! other load weighs on each alike. What matters is loaded p99 minus quiet p99.
//!
//! Then 64 clients ask for `/dashboard.json` and never read: the resident memory they hold,
//! and whether the exporter has dropped them once its write timeout (10 s) has passed.
//!
//! Not a criterion bench: what is measured is lateness, not the time of an iteration.
//! Run: `cargo bench --bench exporter` (about a minute once built).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod bot {
    include!(concat!(env!("OUT_DIR"), "/bot_1000.rs"));
}

const TICK: Duration = Duration::from_millis(2);
const PROBE: Duration = Duration::from_millis(1500);
const CLIENTS: usize = 4;
const PATHS: [&str; 3] = ["/rules", "/dashboard.json", "/metrics"];
/// The issue's own case: four clients asking for `/rules` only.
const RULES_ONLY: [&str; 1] = ["/rules"];
const ROUNDS: usize = 10;
const NON_READING: usize = 64;

/// How late each 2 ms wake-up of a task on the bot's runtime is, over [`PROBE`].
fn lateness(runtime: &tokio::runtime::Runtime) -> Vec<Duration> {
    runtime.block_on(async {
        runtime
            .spawn(async {
                let start = tokio::time::Instant::now();
                let mut next = start + TICK;
                let mut late = Vec::new();
                while next < start + PROBE {
                    tokio::time::sleep_until(next).await;
                    let now = tokio::time::Instant::now();
                    late.push(now - next);
                    next += TICK;
                    if next <= now {
                        next = now + TICK; // a missed tick is not waited for
                    }
                }
                late
            })
            .await
            .unwrap()
    })
}

struct Summary {
    wakes: usize,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
    over_10ms: usize,
}

fn summarise(mut late: Vec<Duration>) -> Summary {
    late.sort();
    let at = |per_mille: usize| late[(late.len() * per_mille / 1000).min(late.len() - 1)];
    Summary {
        wakes: late.len(),
        p50: at(500),
        p99: at(990),
        p999: at(999),
        max: *late.last().unwrap(),
        over_10ms: late
            .iter()
            .filter(|l| **l > Duration::from_millis(10))
            .count(),
    }
}

fn get(addr: SocketAddr, path: &str) -> std::io::Result<usize> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut body = Vec::new();
    stream.read_to_end(&mut body)?;
    Ok(body.len())
}

/// Runs `measure` while [`CLIENTS`] clients loop over `paths`; also says how many
/// requests they got answered.
fn with_clients<T>(
    addr: SocketAddr,
    paths: &'static [&'static str],
    measure: impl FnOnce() -> T,
) -> (T, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (stop, served) = (stop.clone(), served.clone());
            std::thread::spawn(move || {
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    if get(addr, paths[i % paths.len()]).is_ok() {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    i += 1;
                }
            })
        })
        .collect();
    let measured = measure();
    let requests = served.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    (measured, requests)
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` of the other benches
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let exporter = runtime.block_on(async {
        botwatch::Exporter::new()
            .listen("127.0.0.1:0".parse().unwrap())
            .install()
            .unwrap()
    });
    let addr = exporter.local_addr();
    bot::call_all();
    let sizes: Vec<String> = PATHS
        .iter()
        .map(|p| format!("{p} {} KiB", get(addr, p).unwrap() / 1024))
        .collect();
    eprintln!("bot of 1,000 functions: {}", sizes.join(", "));

    // Quiet and loaded phases alternate, so that the machine's other work weighs on both.
    let (mut quiet, mut loaded, mut rules, mut requests, mut rules_requests) =
        (Vec::new(), Vec::new(), Vec::new(), 0, 0);
    for _ in 0..ROUNDS {
        quiet.extend(lateness(&runtime));
        let (late, served) = with_clients(addr, &PATHS, || lateness(&runtime));
        loaded.extend(late);
        requests += served;
        let (late, served) = with_clients(addr, &RULES_ONLY, || lateness(&runtime));
        rules.extend(late);
        rules_requests += served;
    }
    let (quiet, loaded, rules) = (summarise(quiet), summarise(loaded), summarise(rules));

    println!(
        "exporter/lateness: 2 ms timer on a 2-worker runtime, 1,000 functions, {ROUNDS} x {PROBE:?} each"
    );
    for (name, s) in [
        ("no clients", &quiet),
        ("4 clients, 3 paths", &loaded),
        ("4 clients, /rules", &rules),
    ] {
        println!(
            "  {name:<18} wakes {:>5}  p50 {:>7.3} ms  p99 {:>7.3} ms  p99.9 {:>8.3} ms  max {:>8.3} ms  over 10 ms: {}",
            s.wakes,
            ms(s.p50),
            ms(s.p99),
            ms(s.p999),
            ms(s.max),
            s.over_10ms
        );
    }
    println!(
        "  p99 with clients - p99 without: {:+.3} ms, /rules only {:+.3} ms (goal: within 2 ms); \
         requests served: {requests}, /rules only {rules_requests}",
        ms(loaded.p99) - ms(quiet.p99),
        ms(rules.p99) - ms(quiet.p99)
    );

    non_reading(addr);
}

/// 64 clients, 16 from each of four loopback addresses (the exporter keeps 16 connections
/// per address), ask for `/dashboard.json` and never read.
fn non_reading(addr: SocketAddr) {
    let before = resident_kib();
    let connector = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let streams: Vec<TcpStream> = (0..NON_READING)
        .map(|i| {
            let source: SocketAddr = format!("127.0.0.{}:0", 1 + i % 4).parse().unwrap();
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(source).unwrap();
            let stream = connector.block_on(socket.connect(addr)).unwrap();
            let mut stream = stream.into_std().unwrap();
            stream.set_nonblocking(false).unwrap();
            write!(
                stream,
                "GET /dashboard.json HTTP/1.1\r\nHost: {addr}\r\n\r\n"
            )
            .unwrap();
            stream
        })
        .collect();
    // Held: once every client has the start of its response, every response is rendered.
    let started = Instant::now();
    for stream in &streams {
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let _ = stream.peek(&mut [0u8; 1]);
    }
    let held = resident_kib();
    let held_after = started.elapsed();
    // After the write timeout (10 s) and a margin: how many were dropped by the exporter?
    std::thread::sleep(Duration::from_secs(13));
    let after = resident_kib();
    let dropped = streams
        .into_iter()
        .filter(|stream| {
            stream
                .set_read_timeout(Some(Duration::from_secs(2)))
                .unwrap();
            // Read what was sent; a dropped client reaches the end, a kept one waits.
            let mut buf = vec![0u8; 1 << 16];
            let mut stream = stream;
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => return true,
                    Ok(_) => continue,
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                    Err(_) => return false,
                }
            }
        })
        .count();
    println!(
        "exporter/non_reading: {NON_READING} clients from 4 addresses asking for /dashboard.json, never reading"
    );
    println!(
        "  resident memory: {before} KiB before, {held} KiB held once all were answered ({:+} KiB, after {:.1} s), \
         {after} KiB 13 s later ({:+} KiB)",
        held as i64 - before as i64,
        held_after.as_secs_f64(),
        after as i64 - before as i64
    );
    println!("  clients dropped by the exporter 13 s after their answer began: {dropped} of {NON_READING}");
}
