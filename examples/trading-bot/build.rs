//! Writes the bot's alert rules, their promtool unit tests and a PrometheusRule into
//! monitoring/, from the #[counted], #[timed] and #[circuit_breaker] attributes in src/,
//! plus the bot-level BotDown and BotRestarting of the `trading-bot` job.

use botwatch::build::{PrometheusRuleMeta, Rules};

fn main() {
    Rules::new()
        // The job in prometheus.yml: adds BotDown and BotRestarting.
        .job("trading-bot")
        .write_to("monitoring/alerts.yml")
        .unit_tests_to("monitoring/alerts.test.yml")
        .prometheus_rule_to(
            "monitoring/prometheus-rule.yml",
            PrometheusRuleMeta {
                name: "trading-bot".to_owned(),
                namespace: Some("bots".to_owned()),
                labels: vec![("release".to_owned(), "kube-prometheus".to_owned())],
            },
        )
        .emit()
        .expect("botwatch rules");
}
