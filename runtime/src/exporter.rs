//! [`Exporter`]: installs the `metrics` recorder and serves `/metrics`, `/health`, `/rules`.

use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::{clock, health, http, render};

/// The address the exporter listens on when neither [`Exporter::listen`] nor
/// `BOTWATCH_LISTEN` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9000";

/// The environment variable that sets the listen address when the code does not.
pub const LISTEN_ENV: &str = "BOTWATCH_LISTEN";

/// How often histogram upkeep runs in the `metrics` recorder, so its memory stays bounded
/// whether or not anyone scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Builds and installs the exporter.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let exporter = botwatch::Exporter::new()
///     .listen("127.0.0.1:9100".parse()?)
///     .global_label("bot", "chimera")
///     .allow_client("127.0.0.1/32")
///     .install()?;
/// println!("metrics on http://{}/metrics", exporter.local_addr());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "an exporter does nothing until installed"]
pub struct Exporter {
    listen: Option<SocketAddr>,
    global_labels: Vec<(String, String)>,
    allowed_clients: Vec<String>,
    without_listener: bool,
}

impl Exporter {
    /// An exporter with the defaults: listens on `BOTWATCH_LISTEN` or 127.0.0.1:9000,
    /// serves any client.
    pub fn new() -> Self {
        Exporter::default()
    }

    /// Listens on `addr` (port 0 picks a free port; see [`ExporterHandle::local_addr`]).
    /// Takes precedence over `BOTWATCH_LISTEN`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// Adds a label to every series served, botwatch's and the `metrics` recorder's.
    pub fn global_label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.global_labels.push((key.into(), value.into()));
        self
    }

    /// Serves only clients in this CIDR block (`10.0.0.0/8`, `::1/128`); may be given
    /// several times. Without any, every client is served. Others get `403 Forbidden`.
    pub fn allow_client(mut self, cidr: impl Into<String>) -> Self {
        self.allowed_clients.push(cidr.into());
        self
    }

    /// Installs everything but the HTTP listener: for a bot that already runs a server
    /// (axum, hyper, warp) and serves [`ExporterHandle::render_metrics`],
    /// [`ExporterHandle::health`] and [`ExporterHandle::rules`] on it. [`Exporter::listen`],
    /// `BOTWATCH_LISTEN` and [`Exporter::allow_client`] then have no effect: the bot's
    /// server decides who is served.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), botwatch::InstallError> {
    /// let exporter = botwatch::Exporter::new()
    ///     .global_label("bot", "chimera")
    ///     .without_listener()
    ///     .install()?;
    /// let body: String = exporter.render_metrics(); // serve it as GET /metrics
    /// let (status, json) = exporter.health(); // serve it as GET /health
    /// # Ok(()) }
    /// ```
    pub fn without_listener(mut self) -> Self {
        self.without_listener = true;
        self
    }

    /// Installs the recorder and starts serving.
    ///
    /// The server runs on the surrounding tokio runtime when there is one, and otherwise on
    /// a thread of its own, until the process exits.
    pub fn install(self) -> Result<ExporterHandle, InstallError> {
        let addr = if self.without_listener {
            None
        } else {
            Some(self.resolve_listen()?)
        };
        let allowed = self.parse_allowed()?;
        validate_global_labels(&self.global_labels)?;
        if INSTALLED.swap(true, Ordering::SeqCst) {
            return Err(InstallError::AlreadyInstalled);
        }
        match self.install_once(addr, allowed) {
            Ok(handle) => Ok(handle),
            Err(error) => {
                // Nothing was installed: let the caller fix the problem and try again.
                INSTALLED.store(false, Ordering::SeqCst);
                Err(error)
            }
        }
    }

    fn install_once(
        self,
        addr: Option<SocketAddr>,
        allowed: Vec<IpNet>,
    ) -> Result<ExporterHandle, InstallError> {
        let listener = addr.map(bind).transpose()?;

        let mut builder = PrometheusBuilder::new();
        for (key, value) in &self.global_labels {
            builder = builder.add_global_label(key, value);
        }
        let recorder = builder.build_recorder();
        let prometheus = recorder.handle();
        metrics::set_global_recorder(recorder)
            .map_err(|_| InstallError::RecorderAlreadyInstalled)?;

        clock::warm_up();
        crate::notice::counts_are_read();
        let process = metrics_process::Collector::default();
        process.describe();
        let state = Arc::new(ServerState {
            process,
            prometheus,
            global_labels: self.global_labels,
            allowed,
            started: Instant::now(),
        });
        let local_addr = match listener {
            Some((listener, local_addr)) => {
                http::spawn(listener, state.clone(), UPKEEP_INTERVAL)
                    .map_err(InstallError::Runtime)?;
                Some(local_addr)
            }
            None => {
                http::spawn_upkeep(state.clone(), UPKEEP_INTERVAL)
                    .map_err(InstallError::Runtime)?;
                None
            }
        };
        Ok(ExporterHandle { local_addr, state })
    }

    fn resolve_listen(&self) -> Result<SocketAddr, InstallError> {
        if let Some(addr) = self.listen {
            return Ok(addr);
        }
        match std::env::var(LISTEN_ENV) {
            Ok(value) => value
                .trim()
                .parse()
                .map_err(|_| InstallError::InvalidListenAddress { value }),
            Err(_) => Ok(DEFAULT_LISTEN.parse().expect("the default address parses")),
        }
    }

    fn parse_allowed(&self) -> Result<Vec<IpNet>, InstallError> {
        self.allowed_clients
            .iter()
            .map(|cidr| {
                let text = cidr.trim();
                text.parse::<IpNet>()
                    .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
                    .map_err(|_| InstallError::InvalidAllowedClient {
                        value: cidr.clone(),
                    })
            })
            .collect()
    }
}

/// Connections the OS queues before the exporter accepts them. std's 128 is fewer than the
/// clients one bad actor can keep connecting while their connections are evicted: a full
/// queue drops Prometheus' SYN, and its scrape waits a whole second for the retransmit.
const ACCEPT_BACKLOG: i32 = 1024;

fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), InstallError> {
    let failed = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::AddrInUse => InstallError::AddressInUse { addr },
        _ => InstallError::Bind { addr, source },
    };
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .map_err(failed)?;
    // As std's TcpListener::bind: a restarted bot rebinds its port at once.
    #[cfg(unix)]
    socket.set_reuse_address(true).map_err(failed)?;
    socket.bind(&addr.into()).map_err(failed)?;
    socket.listen(ACCEPT_BACKLOG).map_err(failed)?;
    let listener: TcpListener = socket.into();
    let local_addr = listener
        .local_addr()
        .map_err(|source| InstallError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| InstallError::Bind { addr, source })?;
    Ok((listener, local_addr))
}

fn validate_global_labels(labels: &[(String, String)]) -> Result<(), InstallError> {
    for (key, value) in labels {
        let problem = if !botwatch_spec::names::is_label_name(key) {
            "is not a Prometheus label name; use letters, digits and _, not starting with a digit or __"
        } else if value.len() > botwatch_spec::names::MAX_LABEL_VALUE {
            "has a value longer than 1024 bytes; every series would carry it on every scrape"
        } else if labels.iter().filter(|(k, _)| k == key).count() > 1 {
            "is given twice"
        } else {
            continue;
        };
        return Err(InstallError::InvalidGlobalLabel {
            key: key.clone(),
            problem,
        });
    }
    Ok(())
}

/// Installs the exporter with the defaults: `botwatch::Exporter::new().install()`.
pub fn install() -> Result<ExporterHandle, InstallError> {
    Exporter::new().install()
}

/// What the running server shares between connections.
pub(crate) struct ServerState {
    /// The standard process metrics, read at each scrape into the recorder.
    pub(crate) process: metrics_process::Collector,
    pub(crate) prometheus: PrometheusHandle,
    pub(crate) global_labels: Vec<(String, String)>,
    pub(crate) allowed: Vec<IpNet>,
    pub(crate) started: Instant,
}

impl ServerState {
    /// The full `/metrics` body: the `metrics` recorder's series, then botwatch's own.
    pub(crate) fn render_metrics(&self) -> String {
        self.process.collect();
        let mut out = self.prometheus.render();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        render::render_sites(&mut out, &self.global_labels);
        out
    }

    /// The `/health` status code and JSON body.
    pub(crate) fn health(&self) -> (u16, String) {
        let report = health::report(self.started.elapsed());
        (if report.healthy { 200 } else { 503 }, report.json)
    }

    /// The live page `GET /` serves.
    pub(crate) fn live_page(&self) -> String {
        crate::live::page(&self.global_labels, self.started.elapsed())
    }

    /// The JSON `GET /snapshot.json` serves to the live page.
    pub(crate) fn snapshot_json(&self) -> String {
        crate::live::snapshot_json(&self.global_labels, self.started.elapsed())
    }

    pub(crate) fn admits(&self, client: std::net::IpAddr) -> bool {
        self.allowed.is_empty() || self.allowed.iter().any(|net| net.contains(&client))
    }
}

/// The installed exporter.
#[derive(Clone)]
pub struct ExporterHandle {
    local_addr: Option<SocketAddr>,
    state: Arc<ServerState>,
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
    /// Installed [`Exporter::without_listener`], it listens nowhere: this is the
    /// unspecified address `0.0.0.0:0`; see [`ExporterHandle::listening_on`].
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
            .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The address the server listens on, or `None` when installed
    /// [`Exporter::without_listener`].
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
        self.state.render_metrics()
    }

    /// What `GET /health` serves: the status code (200 while no breaker is open, 503
    /// otherwise) and the JSON body (content type `application/json`).
    pub fn health(&self) -> (u16, String) {
        self.state.health()
    }

    /// The body `GET /rules` serves: the alert rules YAML (content type
    /// `application/yaml`), the same as [`crate::rules::yaml`].
    pub fn rules(&self) -> String {
        crate::rules::yaml()
    }

    /// The live page `GET /` serves (content type
    /// [`ExporterHandle::LIVE_PAGE_CONTENT_TYPE`]). Its script polls `snapshot.json` next to
    /// it, so mount [`ExporterHandle::snapshot_json`] at the same prefix (`/bot/` and
    /// `/bot/snapshot.json`). Looking is what feeds the page's short history: nothing is
    /// sampled while nobody looks.
    pub fn live_page(&self) -> String {
        self.state.live_page()
    }

    /// The JSON the live page polls, `GET /snapshot.json` (content type
    /// `application/json`): every function's calls/s, error share, p50/p99 over the last
    /// minute and recent calls, every breaker (each key of a per-key breaker on its own)
    /// with its state and timing, and every alert with whether its condition holds here.
    pub fn snapshot_json(&self) -> String {
        self.state.snapshot_json()
    }

    /// The content type of [`ExporterHandle::live_page`].
    pub const LIVE_PAGE_CONTENT_TYPE: &'static str = crate::live::HTML_CONTENT_TYPE;

    /// The content type of [`ExporterHandle::render_metrics`]: Prometheus text format 0.0.4.
    pub const METRICS_CONTENT_TYPE: &'static str = "text/plain; version=0.0.4; charset=utf-8";
}

/// Why [`Exporter::install`] failed. Nothing was installed unless the message says so.
///
/// `Debug` prints the same sentence as `Display`: `fn main() -> Result<(), Box<dyn Error>>`
/// with `install()?` prints errors with `Debug`, and the user should read the fix there too.
/// Match on the variants to tell the causes apart.
#[non_exhaustive]
pub enum InstallError {
    /// `install()` was already called in this process.
    AlreadyInstalled,
    /// Another `metrics` recorder is installed in this process.
    RecorderAlreadyInstalled,
    /// Something else listens on the address.
    AddressInUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The address could not be bound for another reason.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// `BOTWATCH_LISTEN` is not an `ip:port`.
    InvalidListenAddress {
        /// The variable's value.
        value: String,
    },
    /// An [`Exporter::allow_client`] value is not a CIDR block or IP address.
    InvalidAllowedClient {
        /// The value given.
        value: String,
    },
    /// A [`Exporter::global_label`] is not a Prometheus label name, is given twice, or its
    /// value is over 1024 bytes.
    InvalidGlobalLabel {
        /// The key given.
        key: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The exporter's thread or runtime could not be started.
    Runtime(std::io::Error),
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::AlreadyInstalled => write!(
                f,
                "the botwatch exporter is already installed in this process; call install() once, at start-up"
            ),
            InstallError::RecorderAlreadyInstalled => write!(
                f,
                "another `metrics` recorder is already installed in this process; remove the other \
                 metrics::set_global_recorder call: botwatch's exporter also serves everything \
                 recorded through the `metrics` facade"
            ),
            InstallError::AddressInUse { addr } => write!(
                f,
                "cannot listen on {addr}: the address is already in use (another bot or exporter \
                 is listening there); choose another with Exporter::listen(...) or {LISTEN_ENV}=127.0.0.1:<port>"
            ),
            InstallError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            InstallError::InvalidListenAddress { value } => write!(
                f,
                "{LISTEN_ENV}={value:?} is not an address to listen on; write it as ip:port, like 127.0.0.1:9000"
            ),
            InstallError::InvalidAllowedClient { value } => write!(
                f,
                "allowed client {value:?} is not a CIDR block or IP address; write it like 10.0.0.0/8 or 127.0.0.1"
            ),
            InstallError::InvalidGlobalLabel { key, problem } => write!(f, "global label {key:?} {problem}"),
            InstallError::Runtime(source) => write!(f, "cannot start the exporter's server: {source}"),
        }
    }
}

impl fmt::Debug for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for InstallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InstallError::Bind { source, .. } | InstallError::Runtime(source) => Some(source),
            _ => None,
        }
    }
}
