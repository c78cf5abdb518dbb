//! `Watchdog`: an alert that always fires, added when the Alertmanager configuration has a
//! dead-man's switch. Its notifications, repeated every minute or so, are what the switch
//! waits for: when Prometheus, its rule evaluation or the Alertmanager dies, they stop, and
//! the service on the other end pages about the silence that nothing else could report.

use std::time::Duration;

use super::scenario::Probe;
use super::set::AlertRule;

/// The always-firing alert's name, matched by the dead-man's-switch route.
pub const WATCHDOG: &str = "Watchdog";

/// Its `severity`: neither a page nor a ticket, so no severity route takes it.
pub const WATCHDOG_SEVERITY: &str = "none";

pub(super) fn alert(step: Duration) -> AlertRule {
    AlertRule {
        name: WATCHDOG.to_owned(),
        expr: "vector(1)".to_owned(),
        for_: Duration::ZERO,
        grouping: Vec::new(),
        identity: Vec::new(),
        labels: vec![("severity".to_owned(), WATCHDOG_SEVERITY.to_owned())],
        annotations: vec![
            (
                "summary".to_owned(),
                "Alerting works: this alert always fires".to_owned(),
            ),
            (
                "description".to_owned(),
                "Always firing, so that the dead-man's switch it is routed to hears from Prometheus and the Alertmanager every few minutes; when it stops, the monitoring itself is down.".to_owned(),
            ),
        ],
        origin: "Routing::dead_mans_switch".to_owned(),
        during: None,
        probes: vec![Probe::new("always")
            .fires_on(Duration::ZERO, WATCHDOG_SEVERITY, 1.0, &[])
            .fires_on(step * 10, WATCHDOG_SEVERITY, 1.0, &[])],
        latency: None,
        test_step: step,
    }
}
