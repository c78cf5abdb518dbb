//! `/metrics` under a real HTTP load generator (`wrk`, Debian package `wrk`) while the bot's
//! functions run on every core: no error, and resident memory does not grow.
//!
//! `BOTWATCH_LOAD_SECONDS` sets the measured run (default 30 s, after a 5 s warm-up).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use botwatch_tests::tool;

struct Bot(Child);

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

fn wrk(wrk: &std::path::Path, addr: SocketAddr, seconds: u64) -> String {
    let output = Command::new(wrk)
        .args([
            "-t2",
            "-c16",
            &format!("-d{seconds}s"),
            "--latency",
            "--timeout",
            "5s",
        ])
        .arg(format!("http://{addr}/metrics"))
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

#[test]
#[ignore = "slow: wrk"]
fn scrapes_under_load_have_no_errors_and_memory_stays_flat() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let Some(wrk_path) = tool("wrk") else { return };
    let seconds: u64 = std::env::var("BOTWATCH_LOAD_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);

    let mut child = Command::new(env!("CARGO_BIN_EXE_load_bot"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start load_bot");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .parse()
        .unwrap();
    let pid = child.id();
    let _bot = Bot(child);

    // Warm up: every series exists and the allocator has its working set.
    wrk(&wrk_path, addr, 5);
    let before = resident_kib(pid);
    let report = wrk(&wrk_path, addr, seconds);
    let after = resident_kib(pid);

    eprintln!("{report}");
    eprintln!("resident memory: {before} KiB before, {after} KiB after {seconds} s of scrapes");
    assert!(
        !report.contains("Socket errors") && !report.contains("Non-2xx"),
        "every scrape answered 200: {report}"
    );
    let requests: u64 = report
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .expect(&report);
    assert!(
        requests >= seconds,
        "{requests} scrapes in {seconds} s: {report}"
    );
    assert!(
        after.saturating_sub(before) < 1024,
        "resident memory grew by {} KiB",
        after.saturating_sub(before)
    );
}
