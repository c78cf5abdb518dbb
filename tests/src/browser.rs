//! Headless Chromium for the live page's tests: the DOM after the page's script ran, and
//! screenshots. Only loopback URLs; every run is bounded in time and uses a fresh profile.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::tools::REQUIRE_TOOLS_ENV;

/// How long one browser run may take before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// Debian's `chromium` (or `chromium-browser`), if installed.
///
/// When it is missing the test should skip: this prints why. With `BOTWATCH_REQUIRE_TOOLS`
/// set (as `.ci/run` does), a missing browser fails the test instead.
pub fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    });
    if found.is_none() {
        let why = "chromium is not installed (Debian: apt-get install chromium)";
        if std::env::var_os(REQUIRE_TOOLS_ENV).is_some() {
            panic!("{why}, and {REQUIRE_TOOLS_ENV} is set");
        }
        eprintln!("SKIPPED: {why}; set {REQUIRE_TOOLS_ENV}=1 to make this a failure");
    }
    found
}

/// The page's DOM after its script has run for `budget` of virtual time (the browser
/// fast-forwards the page's timers; requests to the bot take real time).
pub fn dump_dom(browser: &Path, url: &str, budget: Duration) -> String {
    let profile = profile_dir();
    run(
        browser,
        &profile,
        &[
            format!("--virtual-time-budget={}", budget.as_millis()),
            "--dump-dom".to_owned(),
            url.to_owned(),
        ],
    )
}

/// A `width`×`height` screenshot of the page after `budget` of virtual time, as PNG.
pub fn screenshot(
    browser: &Path,
    url: &str,
    budget: Duration,
    (width, height): (u32, u32),
    png: &Path,
) {
    let profile = profile_dir();
    let _ = std::fs::remove_file(png);
    run(
        browser,
        &profile,
        &[
            format!("--virtual-time-budget={}", budget.as_millis()),
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".to_owned(),
            format!("--screenshot={}", png.display()),
            url.to_owned(),
        ],
    );
    drop(profile);
    assert!(
        png.metadata().is_ok_and(|m| m.len() > 1000),
        "chromium wrote no screenshot to {}",
        png.display()
    );
}

/// A fresh profile directory for one run, so runs in parallel never share one; removed
/// when the run is done.
fn profile_dir() -> crate::Scratch {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    crate::scratch_dir(&format!(
        "chromium-{}",
        RUNS.fetch_add(1, Ordering::Relaxed)
    ))
}

fn run(browser: &Path, profile: &Path, args: &[String]) -> String {
    assert!(
        args.last()
            .is_some_and(|url| url.starts_with("http://127.0.0.1:")),
        "only loopback pages: {args:?}"
    );
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {RUN_LIMIT:?}: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().unwrap_or_default();
    assert!(status.success(), "chromium {args:?} failed: {status}");
    out
}
