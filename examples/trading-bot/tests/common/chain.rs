//! The monitoring chain with one server of each kind: a Prometheus scraping the bots with
//! the generated rules, sending to an Alertmanager alone that notifies a webhook.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::{
    alertmanager_yml, free_port, prometheus_yml, spawn_alertmanager, spawn_prometheus, Alerting,
    Killed,
};

/// A running chain; both servers are killed when it is dropped.
pub(crate) struct Chain {
    /// The Prometheus' address, for its API.
    pub(crate) prometheus: SocketAddr,
    _servers: [Killed; 2],
}

/// Starts the chain, its files, data and logs in `dir`: Prometheus scrapes `bots` every
/// second and Alertmanager notifies the webhook on `sink_port` of groups by `group_by`,
/// every second.
pub(crate) fn start_chain(
    dir: &Path,
    (prometheus, alertmanager): (&Path, &Path),
    bots: &[u16],
    sink_port: u16,
    group_by: &[&str],
) -> Chain {
    let (prometheus_port, alertmanager_port) = (free_port(), free_port());
    let route = alertmanager_yml(dir, sink_port, group_by, Duration::from_secs(1));
    let scrape = prometheus_yml(
        dir,
        "prometheus.yml",
        bots,
        Some(Alerting {
            alertmanagers: &[alertmanager_port],
            replica: None,
        }),
    );
    let alertmanager = spawn_alertmanager(
        alertmanager,
        &route,
        &dir.join("alertmanager-data"),
        alertmanager_port,
        &[],
        &dir.join("alertmanager.log"),
    );
    let prometheus = spawn_prometheus(
        prometheus,
        &scrape,
        &dir.join("prometheus-data"),
        prometheus_port,
        &dir.join("prometheus.log"),
    );
    Chain {
        prometheus: SocketAddr::from(([127, 0, 0, 1], prometheus_port)),
        _servers: [prometheus, alertmanager],
    }
}
