//! Writes the bot's alert rules, their promtool unit tests, a PrometheusRule and a Grafana
//! dashboard and an Alertmanager configuration into monitoring/, from the #[counted], #[timed] and #[circuit_breaker]
//! attributes in src/, plus the bot-level BotDown and BotRestarting of the `trading-bot` job.
//!
//! When the bot grows into a workspace — say a `bot-core` library with the relay client,
//! the strategy and their breakers, and this binary wiring them up — this file stays as it
//! is: `Rules::new()` also scans every crate in the binary's dependency graph that depends
//! on botwatch (found with `cargo metadata`), each under its own crate name and with the
//! features this build enables for it, so `monitoring/alerts.yml` keeps matching what the
//! binary serves at `/rules`. `.crates(["bot-core"])` names the crates to scan instead, and
//! `.only_this_crate()` scans this one alone; `docs/alerts.md`, "A bot made of several
//! crates", says what other `cfg`s do. `tests/fixture-multi-bot` is such a bot, tested.

use botwatch::build::{PrometheusRuleMeta, Receiver, Routing, Rules};

fn main() {
    Rules::new()
        // The job in prometheus.yml: adds BotDown and BotRestarting.
        .job("trading-bot")
        .write_to("monitoring/alerts.yml")
        .unit_tests_to("monitoring/alerts.test.yml")
        // The Grafana dashboard the docker-compose stack provisions; GET /dashboard.json
        // serves the same bytes.
        .dashboard_to("monitoring/dashboard.json")
        // The docker-compose stack's Grafana: every alert links to its own panel.
        .grafana_url("http://127.0.0.1:3000")
        .prometheus_rule_to(
            "monitoring/prometheus-rule.yml",
            PrometheusRuleMeta {
                name: "trading-bot".to_owned(),
                namespace: Some("bots".to_owned()),
                labels: vec![("release".to_owned(), "kube-prometheus".to_owned())],
            },
        )
        // Who is paged and who gets a ticket; the grouping, the inhibitions (the bot down,
        // the relay's breaker open) and the Watchdog's route come from the attributes.
        // Replace the URLs with your pager's and ticket system's integrations.
        .alertmanager_to(
            "monitoring/alertmanager.yml",
            Routing::new()
                .page(Receiver::webhook("pager", "http://127.0.0.1:5001/pager"))
                .ticket(Receiver::webhook(
                    "tickets",
                    "http://127.0.0.1:5001/tickets",
                ))
                .dead_mans_switch("http://127.0.0.1:5001/watchdog")
                // prometheus.yml's external label: bots sharing this Alertmanager never
                // silence each other.
                .distinct_by("bot"),
        )
        .emit()
        .expect("botwatch rules");
}
