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
mod sha256;
mod shown;
mod stats;
mod values;

use std::sync::{Mutex, OnceLock, PoisonError};
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

/// What the page may load and run: its own style, the one inline script whose hash it
/// names (the page's own), and requests to the bot itself; nothing else. A value that
/// slipped through escaping could neither load anything, nor run a script of its own — not
/// even one that sends data away by navigating, which no `connect-src` stops.
pub(crate) fn content_security_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        let hash = sha256::base64(&sha256::digest(html::script().as_bytes()));
        format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; \
             connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'"
        )
    })
}

fn look(labels: &[(String, String)], uptime: Duration, limit: usize) -> model::Page {
    let catalogue = catalogue::catalogue();
    // A poll that panicked mid-way left a consistent history: each reading is pushed whole.
    let mut history = HISTORY.lock().unwrap_or_else(PoisonError::into_inner);
    model::build(catalogue, limit, &mut history, labels, uptime)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Catches: a policy that allows any inline script, or whose hash is not the served
    /// script's (the page would not run at all).
    #[test]
    fn the_policy_names_the_hash_of_the_script_the_page_serves() {
        let policy = content_security_policy();
        let script_src = policy
            .split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix("script-src "))
            .expect(policy);
        assert!(!script_src.contains("unsafe"), "{policy}");
        let served = page(
            &[("bot".to_owned(), "</script><script>x()".to_owned())],
            Duration::ZERO,
        );
        let scripts: Vec<&str> = served
            .split("<script>")
            .skip(1)
            .map(|rest| rest.split("</script>").next().unwrap())
            .collect();
        assert_eq!(scripts.len(), 1, "one inline script, the page's own");
        let hash = sha256::base64(&sha256::digest(scripts[0].as_bytes()));
        assert_eq!(script_src, format!("'sha256-{hash}'"));
    }
}
