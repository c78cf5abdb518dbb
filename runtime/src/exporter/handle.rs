//! [`ExporterHandle`]: the installed exporter. It says where it listens, and renders what
//! the endpoints serve for a bot that mounts them in its own HTTP server.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use super::endpoints::Endpoints;

/// The installed exporter.
#[derive(Clone)]
pub struct ExporterHandle {
    local_addr: Option<SocketAddr>,
    endpoints: Arc<Endpoints>,
}

impl fmt::Debug for ExporterHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExporterHandle")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl ExporterHandle {
    /// The address the server listens on (with the real port when port 0 was asked for).
    /// Installed [`super::Exporter::without_listener`], it listens nowhere: this is the
    /// unspecified address `0.0.0.0:0`; see [`ExporterHandle::listening_on`].
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
            .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The address the server listens on, or `None` when installed
    /// [`super::Exporter::without_listener`].
    pub fn listening_on(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// `http://<addr>/metrics`
    pub fn metrics_url(&self) -> String {
        format!("http://{}/metrics", self.local_addr())
    }

    /// The body `GET /metrics` serves: the `metrics` facade's series, then botwatch's own,
    /// each with the global labels. Serve it with content type
    /// [`ExporterHandle::METRICS_CONTENT_TYPE`].
    pub fn render_metrics(&self) -> String {
        self.endpoints.render_metrics()
    }

    /// What `GET /health` serves: the status code (200 while no breaker is open, 503
    /// otherwise) and the JSON body (content type `application/json`).
    pub fn health(&self) -> (u16, String) {
        self.endpoints.health()
    }

    /// The body `GET /rules` serves: the alert rules YAML (content type
    /// `application/yaml`), the same as [`crate::rules::yaml`].
    pub fn rules(&self) -> String {
        String::from_utf8_lossy(&self.endpoints.rules()).into_owned()
    }

    /// The live page `GET /` serves (content type
    /// [`ExporterHandle::LIVE_PAGE_CONTENT_TYPE`]). Its script polls `snapshot.json` next to
    /// it, so mount [`ExporterHandle::snapshot_json`] at the same prefix (`/bot/` and
    /// `/bot/snapshot.json`). Looking is what feeds the page's short history: nothing is
    /// sampled while nobody looks.
    pub fn live_page(&self) -> String {
        self.endpoints.live_page()
    }

    /// The JSON the live page polls, `GET /snapshot.json` (content type
    /// `application/json`): every function's calls/s, error share, p50/p99 over the last
    /// minute and recent calls, every breaker (each key of a per-key breaker on its own)
    /// with its state and timing, and every alert with whether its condition holds here.
    pub fn snapshot_json(&self) -> String {
        self.endpoints.snapshot_json()
    }

    /// The headers botwatch's own listener sends with [`ExporterHandle::live_page`] and
    /// [`ExporterHandle::snapshot_json`]; send them too when you mount those:
    /// `cache-control: no-store`, `x-content-type-options: nosniff`, and a
    /// `content-security-policy` that runs only the page's own script (by its hash) and
    /// lets it load nothing but `snapshot.json` from the bot.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), botwatch::InstallError> {
    /// let exporter = botwatch::Exporter::new().without_listener().install()?;
    /// for (name, value) in exporter.live_page_headers() {
    ///     // response.headers_mut().insert(name, HeaderValue::from_static(value));
    ///     # let _ = (name, value);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn live_page_headers(&self) -> Vec<(&'static str, &'static str)> {
        super::endpoints::live_headers()
    }

    /// The headers botwatch's own listener sends with every other answer
    /// ([`ExporterHandle::render_metrics`], [`ExporterHandle::health`],
    /// [`ExporterHandle::rules`]): `x-content-type-options: nosniff`, and a
    /// `content-security-policy` under which nothing loads or runs.
    pub fn headers(&self) -> Vec<(&'static str, &'static str)> {
        super::endpoints::headers()
    }

    /// The content type of [`ExporterHandle::live_page`].
    pub const LIVE_PAGE_CONTENT_TYPE: &'static str = crate::live::HTML_CONTENT_TYPE;

    /// The content type of [`ExporterHandle::render_metrics`]: Prometheus text format 0.0.4.
    pub const METRICS_CONTENT_TYPE: &'static str = "text/plain; version=0.0.4; charset=utf-8";
}

impl ExporterHandle {
    pub(super) fn new(local_addr: Option<SocketAddr>, endpoints: Arc<Endpoints>) -> Self {
        ExporterHandle {
            local_addr,
            endpoints,
        }
    }
}
