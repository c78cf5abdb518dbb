//! The live page: `GET /` shows the bot's functions, breakers and declared metrics in a browser, and `GET /snapshot.json` feeds it every two seconds.
//!
//! It costs nothing while nobody looks: there is no background sampling. Each look reads
//! the counters once and may keep that reading in a small bounded history ([`history`]),
//! from which rates, error shares, p50/p99 over the last minute and sparklines of the last
//! five minutes are computed. History therefore starts with the first look, and the page
//! says how much of it there is.

mod alerts;
mod catalogue;
mod history;
mod html;
mod json;
mod model;
mod reading;
mod stats;
mod values;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use history::History;

/// One history per process: one exporter, however many tabs look.
static HISTORY: Mutex<History> = Mutex::new(History::new());

/// The body of `GET /` (content type [`HTML_CONTENT_TYPE`]).
pub(crate) fn page(labels: &[(String, String)], uptime: Duration) -> String {
    html::write(&look(labels, uptime, usize::MAX))
}

/// The body of `GET /snapshot.json` (content type `application/json`).
pub(crate) fn snapshot_json(labels: &[(String, String)], uptime: Duration) -> String {
    json::write(&look(labels, uptime, usize::MAX))
}

/// `snapshot.json` for the first `limit` functions only, for benchmarks.
pub(crate) fn snapshot_json_first(limit: usize) -> String {
    json::write(&look(&[], Duration::ZERO, limit))
}

/// The content type of [`page`].
pub(crate) const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// What the page may load and run: its own inline style and script, and requests to the
/// bot itself; nothing else, so a value that slipped through escaping could not fetch or
/// send anything either.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     script-src 'unsafe-inline'; connect-src 'self'; img-src 'none'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

fn look(labels: &[(String, String)], uptime: Duration, limit: usize) -> model::Page {
    let catalogue = catalogue::catalogue();
    // A poll that panicked mid-way left a consistent history: each reading is pushed whole.
    let mut history = HISTORY.lock().unwrap_or_else(PoisonError::into_inner);
    model::build(catalogue, limit, &mut history, labels, uptime)
}
