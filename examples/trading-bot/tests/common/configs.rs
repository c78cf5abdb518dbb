//! The Prometheus and Alertmanager configurations the example's end-to-end tests run: one
//! second scrapes and evaluations of the rules the build script generated, and a route that
//! notifies a webhook. Each test writes them into its own scratch directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::generated;

/// Where the alerts of a Prometheus go, and whether it is one of an HA pair.
pub(crate) struct Alerting<'a> {
    /// The Alertmanagers' loopback ports: every one of them gets every alert.
    pub(crate) alertmanagers: &'a [u16],
    /// `Some(name)`: one server of an HA pair, with external labels `bot: chimera` and
    /// `prometheus_replica: name`, the latter dropped from the alerts it sends so that both
    /// servers send the same alert.
    pub(crate) replica: Option<&'a str>,
}

/// Writes `name` in `dir`: a Prometheus scraping `bots` (job `trading-bot`) every second,
/// evaluating the generated `alerts.yml` every second and sending its alerts as `alerting`
/// says (nowhere: `None`).
pub(crate) fn prometheus_yml(
    dir: &Path,
    name: &str,
    bots: &[u16],
    alerting: Option<Alerting<'_>>,
) -> PathBuf {
    let mut yml = String::from("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
    let replica = alerting.as_ref().and_then(|a| a.replica);
    if let Some(replica) = replica {
        yml +=
            &format!("  external_labels:\n    bot: chimera\n    prometheus_replica: {replica}\n");
    }
    yml += &format!("rule_files:\n  - {}\n", generated("alerts.yml").display());
    if let Some(alerting) = &alerting {
        yml += "alerting:\n";
        if replica.is_some() {
            yml += "  alert_relabel_configs:\n    - action: labeldrop\n      regex: prometheus_replica\n";
        }
        yml += &format!(
            "  alertmanagers:\n    - static_configs:\n        - targets: [{}]\n",
            targets(alerting.alertmanagers)
        );
    }
    yml += &format!(
        "scrape_configs:\n  - job_name: trading-bot\n    static_configs:\n      - targets: [{}]\n",
        targets(bots)
    );
    let file = dir.join(name);
    std::fs::write(&file, yml).unwrap();
    file
}

/// Writes `alertmanager.yml` in `dir`: every alert to the webhook on `sink_port`, resolutions
/// included, in groups by `group_by` notified a second after they form and then every
/// `group_interval`; repeated only after an hour, so a second notification is a change.
pub(crate) fn alertmanager_yml(
    dir: &Path,
    sink_port: u16,
    group_by: &[&str],
    group_interval: Duration,
) -> PathBuf {
    let file = dir.join("alertmanager.yml");
    std::fs::write(
        &file,
        format!(
            "route:\n  receiver: sink\n  group_by: [{}]\n  group_wait: 1s\n  group_interval: {}s\n  repeat_interval: 1h\n\
             receivers:\n  - name: sink\n    webhook_configs:\n      - url: http://127.0.0.1:{sink_port}/\n        send_resolved: true\n",
            group_by.join(", "),
            group_interval.as_secs()
        ),
    )
    .unwrap();
    file
}

fn targets(ports: &[u16]) -> String {
    ports
        .iter()
        .map(|p| format!("'127.0.0.1:{p}'"))
        .collect::<Vec<_>>()
        .join(", ")
}
