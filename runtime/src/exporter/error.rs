//! [`InstallError`]: why [`super::Exporter::install`] failed, in a sentence that says the fix.

use std::fmt;
use std::net::SocketAddr;

use super::{ALLOW_ENV, LISTEN_ENV};

/// Why [`super::Exporter::install`] failed. Nothing was installed unless the message says so.
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
    /// An [`super::Exporter::allow_client`] value is not a CIDR block or IP address.
    InvalidAllowedClient {
        /// The value given.
        value: String,
    },
    /// `BOTWATCH_ALLOW` is not a comma-separated list of CIDR blocks or IP addresses.
    InvalidAllowEnv {
        /// The variable's value.
        value: String,
    },
    /// An [`super::Exporter::host`] value is not a DNS name.
    InvalidHost {
        /// The value given.
        value: String,
    },
    /// A [`super::Exporter::global_label`] is not a Prometheus label name, is given twice, or its
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
            InstallError::InvalidAllowEnv { value } => write!(
                f,
                "{ALLOW_ENV}={value:?} is not a list of clients to serve; write CIDR blocks or \
                 addresses separated by commas, like 127.0.0.1/32,10.0.0.0/8"
            ),
            InstallError::InvalidHost { value } => write!(
                f,
                "host {value:?} is not a DNS name; give the name clients use for the bot, like \
                 bot-1.internal (IP literals and localhost are always served)"
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
