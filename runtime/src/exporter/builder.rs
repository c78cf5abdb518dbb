//! [`Exporter`]: the builder. It checks its settings, installs the `metrics` recorder and
//! starts the server (`server.rs`), and hands back an [`ExporterHandle`].

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use metrics_exporter_prometheus::PrometheusBuilder;

use super::access::{self, Access};
use super::endpoints::Endpoints;
use super::{server, ExporterHandle, InstallError};
use crate::clock;

/// The address the exporter listens on when neither [`Exporter::listen`] nor
/// `BOTWATCH_LISTEN` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9000";

/// The environment variable that sets the listen address when the code does not.
pub const LISTEN_ENV: &str = "BOTWATCH_LISTEN";

/// The environment variable that sets the allow-list when the code does not:
/// `BOTWATCH_ALLOW=127.0.0.1/32,10.0.0.0/8`.
pub const ALLOW_ENV: &str = "BOTWATCH_ALLOW";

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
    hosts: Vec<String>,
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
    /// several times. Others get `403 Forbidden`. Without any, the `BOTWATCH_ALLOW`
    /// environment variable gives the list (`127.0.0.1/32,10.0.0.0/8`); without it either,
    /// every client is served, and listening beyond loopback says so once on stderr.
    pub fn allow_client(mut self, cidr: impl Into<String>) -> Self {
        self.allowed_clients.push(cidr.into());
        self
    }

    /// Serves requests that name the exporter `name` in their `Host` header
    /// (`bot-1.internal`, as Prometheus' scrape config or a browser's address bar says it);
    /// may be given several times. IP literals and `localhost` are always served; any
    /// other name is refused with `403 Forbidden`, so that a web page whose name resolves
    /// to the bot (DNS rebinding) cannot read it from the operator's browser.
    pub fn host(mut self, name: impl Into<String>) -> Self {
        self.hosts.push(name.into());
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
    /// The server runs on a thread of its own with a runtime of its own, never on the bot's
    /// tokio runtime (there may be one or not), until the process exits.
    pub fn install(self) -> Result<ExporterHandle, InstallError> {
        let addr = if self.without_listener {
            None
        } else {
            Some(self.resolve_listen()?)
        };
        let allowed = self.parse_allowed()?;
        let hosts = self.parse_hosts()?;
        validate_global_labels(&self.global_labels)?;
        if INSTALLED.swap(true, Ordering::SeqCst) {
            return Err(InstallError::AlreadyInstalled);
        }
        match self.install_once(addr, Access { allowed, hosts }) {
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
        access: Access,
    ) -> Result<ExporterHandle, InstallError> {
        let listener = addr.map(bind).transpose()?;
        if let Some((_, local_addr)) = &listener {
            if let Some(warning) = access::open_to_all_warning(*local_addr, &access.allowed) {
                eprintln!("{warning}");
            }
        }

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
        // Guards are judged from now on, before the bot's first update or call.
        crate::guard::start();
        let process = metrics_process::Collector::default();
        process.describe();
        let endpoints = Arc::new(Endpoints {
            process,
            prometheus,
            global_labels: self.global_labels,
            started: Instant::now(),
            rules: OnceLock::new(),
            dashboard: OnceLock::new(),
        });
        let local_addr = match listener {
            Some((listener, local_addr)) => {
                server::spawn(listener, endpoints.clone(), access, UPKEEP_INTERVAL)
                    .map_err(InstallError::Runtime)?;
                Some(local_addr)
            }
            None => {
                server::spawn_upkeep(endpoints.clone(), UPKEEP_INTERVAL)
                    .map_err(InstallError::Runtime)?;
                None
            }
        };
        Ok(ExporterHandle::new(local_addr, endpoints))
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

    /// The code's allow-list when it gives one, else `BOTWATCH_ALLOW`'s (only with a
    /// listener: without one, the bot's own server decides who is served).
    fn parse_allowed(&self) -> Result<Vec<IpNet>, InstallError> {
        if !self.allowed_clients.is_empty() {
            return self
                .allowed_clients
                .iter()
                .map(|cidr| {
                    access::parse_client(cidr).ok_or_else(|| InstallError::InvalidAllowedClient {
                        value: cidr.clone(),
                    })
                })
                .collect();
        }
        if self.without_listener {
            return Ok(Vec::new());
        }
        match std::env::var(ALLOW_ENV) {
            Ok(value) => {
                access::parse_clients(&value).ok_or(InstallError::InvalidAllowEnv { value })
            }
            Err(_) => Ok(Vec::new()),
        }
    }

    fn parse_hosts(&self) -> Result<Vec<String>, InstallError> {
        self.hosts
            .iter()
            .map(|name| match access::is_host_name(name) {
                true => Ok(access::normalise(name)),
                false => Err(InstallError::InvalidHost {
                    value: name.clone(),
                }),
            })
            .collect()
    }
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
