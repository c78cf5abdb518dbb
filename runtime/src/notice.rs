//! The one-time notice for a bot that records calls but never installed the exporter:
//! without it the bot runs, counts, and nothing answers on port 9000, with no word why.
//!
//! The first recorded call arms it (one relaxed load per call afterwards); a thread then
//! waits and, if by then neither an exporter was installed nor `snapshot()` read the counts
//! in process (a test), says so once on stderr. `BOTWATCH_INSTALL_NOTICE=off` silences it;
//! a number of seconds (`BOTWATCH_INSTALL_NOTICE=30`) changes the wait (default 10).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The environment variable that silences or delays the notice.
pub(crate) const NOTICE_ENV: &str = "BOTWATCH_INSTALL_NOTICE";

const DEFAULT_WAIT: Duration = Duration::from_secs(10);

static ARMED: AtomicBool = AtomicBool::new(false);
/// Set by `install()` (any kind) and by `snapshot()`: someone reads the counts.
static READ_IN_PROCESS: AtomicBool = AtomicBool::new(false);

/// Called on every recorded call: costs one relaxed load once armed.
#[inline(always)]
pub(crate) fn on_call() {
    if !ARMED.load(Ordering::Relaxed) {
        arm();
    }
}

/// The counts are read: by an installed exporter or by `snapshot()`.
pub(crate) fn counts_are_read() {
    READ_IN_PROCESS.store(true, Ordering::Relaxed);
}

#[cold]
#[inline(never)]
fn arm() {
    if ARMED.swap(true, Ordering::Relaxed) {
        return;
    }
    let wait = match std::env::var(NOTICE_ENV) {
        Ok(value) if value.trim().eq_ignore_ascii_case("off") || value.trim() == "0" => return,
        Ok(value) => match value.trim().parse::<f64>() {
            Ok(seconds) if seconds.is_finite() && seconds > 0.0 => Duration::from_secs_f64(seconds),
            _ => DEFAULT_WAIT,
        },
        Err(_) => DEFAULT_WAIT,
    };
    let spawned = std::thread::Builder::new()
        .name("botwatch-install-notice".to_owned())
        .spawn(move || {
            std::thread::sleep(wait);
            if !READ_IN_PROCESS.load(Ordering::Relaxed) {
                eprintln!(
                    "botwatch: notice: annotated functions have been called for {:?}, but no \
                     exporter is installed, so nothing serves /metrics, /health or /rules; call \
                     botwatch::install()? (or botwatch::Exporter::new()...install()?) at the start \
                     of main. Set {NOTICE_ENV}=off to silence this.",
                    wait
                );
            }
        });
    // No thread, no notice: never a reason to disturb the bot.
    drop(spawned);
}
