//! The example's generated Grafana dashboard against the real Prometheus: two replicas of
//! the bot with a relay outage are scraped every second; the variables are resolved the way
//! Grafana resolves them with "All" selected, and every panel's query, with them
//! substituted, returns data. A query that returns nothing fails naming its panel. Also: the checked-in `monitoring/dashboard.json`
//! is what the bot serves at `/dashboard.json`, every variable lists values, and every
//! series on `/metrics` (the declared metrics of `src/values.rs` too) is charted by some
//! panel and every charted metric exists.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use botwatch_tests::{http_get, scratch_dir, tool, Exposition};
use serde_json::Value;

mod common;

use common::{free_port, prometheus_yml, query, spawn_bots, spawn_prometheus, wait_for};

/// The job `prometheus_yml` scrapes the bots as.
const JOB: &str = "trading-bot";

/// Prometheus scrapes every second here, so Grafana's `$__rate_interval` is four scrapes:
/// `max(4 × scrape interval, step + scrape interval)` with a step of one second.
const RATE_INTERVAL: &str = "4s";

/// Series Prometheus makes itself: no exporter serves them.
const PROMETHEUS_OWN: [&str; 2] = ["up", "ALERTS"];

/// The standard process metrics the exporter serves (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, ...): the same for every process, charted by any
/// process dashboard; not part of the bot's model (its functions and declared metrics).
const PROCESS_PREFIX: &str = "process_";

fn committed_dashboard() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("monitoring/dashboard.json");
    std::fs::read_to_string(path).expect("monitoring/dashboard.json is checked in")
}

/// A panel's title and its queries' PromQL.
fn panel_queries(dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            out.push((
                panel["title"].as_str().unwrap().to_owned(),
                target["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

/// `expr` as Grafana sends it: each variable replaced by its value (`resolved`, in
/// dashboard order) and `$__rate_interval` by four scrapes.
fn substitute(expr: &str, resolved: &[(String, String)]) -> String {
    let mut out = expr.replace("$__rate_interval", RATE_INTERVAL);
    // Longest names first, so `$instance` is never read as `$in` + `stance`.
    let mut names: Vec<&(String, String)> = resolved.iter().collect();
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    for (name, value) in names {
        out = out.replace(&format!("${name}"), value);
    }
    assert!(
        !out.contains('$'),
        "a variable the dashboard does not define, or defines later: {out}"
    );
    out
}

/// A value in a multi-value regex as Grafana's Prometheus data source escapes it.
fn regex_escaped(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if "\\^$.|?*+()[]{}'".contains(c) {
            out.push_str("\\\\");
        }
        out.push(c);
    }
    out
}

/// Each query variable's value with "All" selected, the way Grafana computes it: its
/// `label_values(series, label)` evaluated with the variables before it, then either its
/// `allValue` or the regex of every value listed. Fails naming a variable that lists none.
fn resolve_variables(prom: SocketAddr, dashboard: &Value) -> Vec<(String, String)> {
    let mut resolved: Vec<(String, String)> = Vec::new();
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        if variable["type"] != "query" {
            continue;
        }
        let name = variable["name"].as_str().unwrap().to_owned();
        let definition = variable["query"]["query"].as_str().unwrap();
        let inner = definition
            .strip_prefix("label_values(")
            .and_then(|d| d.strip_suffix(')'))
            .expect("label_values(series, label)");
        let (series, label) = inner.rsplit_once(", ").unwrap();
        let promql = format!("count by ({label}) ({})", substitute(series, &resolved));
        let values: BTreeSet<String> = wait_for(
            &format!("values of the variable {name}: {promql}"),
            Duration::from_secs(30),
            || {
                let found: BTreeSet<String> = query(prom, &promql)?
                    .iter()
                    .filter_map(|v| v["metric"][label].as_str().map(str::to_owned))
                    .collect();
                (!found.is_empty()).then_some(found)
            },
        );
        let value = match variable["allValue"].as_str() {
            Some(all) => all.to_owned(),
            None => format!(
                "({})",
                values
                    .iter()
                    .map(|v| regex_escaped(v))
                    .collect::<Vec<_>>()
                    .join("|")
            ),
        };
        resolved.push((name, value));
    }
    resolved
}

/// Metric names a PromQL expression selects (`name{...}`).
fn selected_metrics(expr: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in expr.match_indices('{') {
        let start = expr[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |p| p + 1);
        let name = &expr[start..i];
        if !name.is_empty() {
            out.insert(name.to_owned());
        }
    }
    out
}

/// A histogram's series name without its `_bucket`, `_count` or `_sum`.
fn family(name: &str, histograms: &BTreeSet<String>) -> String {
    for suffix in ["_bucket", "_count", "_sum"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if histograms.contains(base) {
                return base.to_owned();
            }
        }
    }
    name.to_owned()
}

/// Catches: a dropped or doubled `_total`, a metric or label name the exporter does not
/// use, a selector on a label value that does not exist, a histogram queried without
/// `_bucket`, a variable left unsubstituted, a checked-in dashboard that is not the build's
/// output, and a botwatch series that no panel charts.
#[test]
#[ignore = "slow: prometheus"]
fn every_panel_query_returns_data_from_the_real_prometheus() {
    let Some(prometheus) = tool("prometheus") else {
        return;
    };
    let dir = scratch_dir("dashboard-queries");
    let bots = [free_port(), free_port()];
    let prometheus_port = free_port();
    let _prometheus = spawn_prometheus(
        &prometheus,
        &prometheus_yml(&dir, "prometheus.yml", &bots, None),
        &dir.join("prometheus-data"),
        prometheus_port,
        &dir.join("prometheus.log"),
    );
    // An outage from 1s to 5s: the relay breaker opens, rejects and recovers, so its
    // transitions and rejections are real data rather than zeros.
    let started = Instant::now();
    let _replicas = spawn_bots(&dir, &bots, "outage-at=1s,for=4s,flaky=0%", "90s", 21);
    let prom: SocketAddr = format!("127.0.0.1:{prometheus_port}").parse().unwrap();
    let bot: SocketAddr = format!("127.0.0.1:{}", bots[0]).parse().unwrap();

    // The bot serves the checked-in file, byte for byte.
    let served = wait_for("the bot's /dashboard.json", Duration::from_secs(20), || {
        http_get(bot, "/dashboard.json")
            .ok()
            .filter(|r| r.status == 200)
    });
    assert_eq!(
        served.body,
        committed_dashboard(),
        "monitoring/dashboard.json is not what the bot serves: build the example and commit the file"
    );
    let dashboard: Value = serde_json::from_str(&served.body).expect("valid JSON");

    wait_for(
        "both replicas up in Prometheus",
        Duration::from_secs(30),
        || {
            let up = query(prom, &format!("up{{job=\"{JOB}\"}} == 1"))?;
            (up.len() == 2).then_some(())
        },
    );

    // The variables as Grafana resolves them with "All" selected: every one lists values.
    let variables = resolve_variables(prom, &dashboard);
    let job = &variables.iter().find(|(n, _)| n == "job").unwrap().1;
    assert_eq!(job, &format!("({JOB})"), "All is this bot's jobs");

    // Every query, until all return data or the time is up; then name the empty ones.
    let queries = panel_queries(&dashboard);
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut empty: Vec<(String, String)>;
    loop {
        empty = queries
            .iter()
            .filter(|(_, expr)| {
                query(prom, &substitute(expr, &variables)).is_none_or(|r| r.is_empty())
            })
            .cloned()
            .collect();
        if empty.is_empty() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let named: Vec<String> = empty
        .iter()
        .map(|(title, expr)| format!("panel \"{title}\": {}", substitute(expr, &variables)))
        .collect();
    assert!(
        empty.is_empty(),
        "{} of {} panel queries returned no data after {:.0}s:\n{}",
        empty.len(),
        queries.len(),
        started.elapsed().as_secs_f64(),
        named.join("\n")
    );
    eprintln!(
        "{} panel queries returned data, {:.1}s after the bots started",
        queries.len(),
        started.elapsed().as_secs_f64()
    );

    // Nothing orphaned either way: botwatch's series are all charted, charted metrics exist.
    let exposition = Exposition::parse(&http_get(bot, "/metrics").unwrap().body);
    let histograms: BTreeSet<String> = exposition
        .samples
        .iter()
        .filter_map(|s| s.name.strip_suffix("_bucket").map(str::to_owned))
        .collect();
    let exported: BTreeSet<String> = exposition
        .samples
        .iter()
        .map(|s| family(&s.name, &histograms))
        .collect();
    let charted: BTreeSet<String> = queries
        .iter()
        .flat_map(|(_, expr)| selected_metrics(expr))
        .map(|name| family(&name, &histograms))
        .collect();
    for metric in exported.iter().filter(|m| !m.starts_with(PROCESS_PREFIX)) {
        assert!(
            charted.contains(metric),
            "{metric} is on /metrics but no panel charts it"
        );
    }
    for metric in &charted {
        assert!(
            exported.contains(metric) || PROMETHEUS_OWN.contains(&metric.as_str()),
            "a panel charts {metric}, which /metrics does not export"
        );
    }

    // The declared metrics of `src/values.rs` in their row, each alert's kind of panel (their
    // queries returned data above).
    let titles: BTreeSet<&str> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    for title in [
        "Values",
        "operator_balance_eth",
        "mempool_pending_transactions",
        "daily_volume_usd / daily_limit_usd",
        "eth_usd_price: changes over 5m",
        "profit_eth_total: increase over 6h",
        "node_block_number - rpc_block_number",
        "node_block_number: behind the best replica",
        "inventory_eth: total",
        "operator_balance_eth: now",
        "bot_state: now",
        "simulate_bundle: latency heatmap",
        "bundle_profit_eth: heatmap",
        "place_hedge: top venue, side by calls/s",
        "place_hedge: top venue, side by error ratio",
        "inventory_eth: by venue",
        "inventory_eth: every venue",
        "inventory_eth: change over 24h",
        "operator_balance_eth: change over 24h",
        "profit_eth_total: total over 24h",
        "profit_eth_total: 24h against the day before",
        "profit_eth_total: per day",
        "bundles_total: total over 24h",
        "bundles_total: by outcome over 24h",
        "simulate_bundle: SLO 99% over 30d",
        "Alerts firing and pending",
        "Build",
        "Uptime",
    ] {
        assert!(titles.contains(title), "no panel {title}: {titles:#?}");
    }
}

/// Catches a docker-compose stack that does not provision the generated dashboard: the
/// provider's folder is where docker-compose mounts `dashboard.json`.
#[test]
fn the_compose_stack_provisions_the_generated_dashboard() {
    let monitoring = Path::new(env!("CARGO_MANIFEST_DIR")).join("monitoring");
    let read = |file: &str| std::fs::read_to_string(monitoring.join(file)).unwrap();
    let provider = read("grafana-dashboards.yml");
    let folder = provider
        .lines()
        .find_map(|l| l.trim().strip_prefix("path: "))
        .expect("the provider's path");
    let compose = read("docker-compose.yml");
    assert!(
        compose.contains(&format!("- ./dashboard.json:{folder}/")),
        "docker-compose.yml mounts dashboard.json under {folder}"
    );
    assert!(compose.contains(
        "- ./grafana-dashboards.yml:/etc/grafana/provisioning/dashboards/botwatch.yml:ro"
    ));
    let dashboard: Value = serde_json::from_str(&committed_dashboard()).unwrap();
    assert_eq!(dashboard["templating"]["list"][0]["query"], "prometheus");
}
