//! Emits the fixture's rules, their unit tests, a PrometheusRule, a mimirtool file and the
//! Grafana dashboard into OUT_DIR/botwatch.

use botwatch::build::{PrometheusRuleMeta, Rules};

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let meta = PrometheusRuleMeta {
        name: "fixture-bot".to_owned(),
        namespace: Some("bots".to_owned()),
        labels: vec![("release".to_owned(), "kube-prometheus".to_owned())],
    };
    Rules::new()
        .prometheus_rule_to(out.join("botwatch/prometheus-rule.yml"), meta)
        .mimir_to(out.join("botwatch/mimir.yml"), "bots")
        .dashboard_to(out.join("botwatch/dashboard.json"))
        .emit()
        .expect("botwatch rules");
}
