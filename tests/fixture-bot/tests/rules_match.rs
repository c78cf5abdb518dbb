//! The fixture's build-time rules equal `botwatch::rules::yaml()` and `GET /rules` byte for
//! byte; every metric they query is on `/metrics`; their module labels are the ones the
//! binary exports; promtool accepts every emitted file and passes the emitted unit tests.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use botwatch_tests::{http_get, promtool_test_rules, run_ok, scratch_dir, serve, tool, Exposition};

const BUILD_TIME_RULES: &str = include_str!(concat!(env!("OUT_DIR"), "/botwatch/alerts.yml"));
const BIN: &str = env!("CARGO_BIN_EXE_fixture-bot");

fn generated(file: &str) -> PathBuf {
    Path::new(env!("OUT_DIR")).join("botwatch").join(file)
}

#[test]
fn build_time_rules_equal_runtime_rules_and_the_endpoint() {
    let printed = run_ok(Path::new(BIN), &[OsStr::new("print-rules")]);
    assert_eq!(printed, BUILD_TIME_RULES);

    let served = serve(BIN);
    let addr = served.addr;

    let rules = http_get(addr, "/rules").unwrap();
    assert_eq!(rules.status, 200);
    assert_eq!(rules.body, BUILD_TIME_RULES);

    let metrics = Exposition::parse(&http_get(addr, "/metrics").unwrap().body);
    drop(served);
    let exported: BTreeSet<&str> = metrics.samples.iter().map(|s| s.name.as_str()).collect();
    let queried = queried_metrics(BUILD_TIME_RULES);
    assert!(!queried.is_empty());
    for metric in &queried {
        assert!(
            exported.contains(metric.as_str()),
            "the rules query {metric}, which /metrics does not export"
        );
    }
    let exported_modules: BTreeSet<&str> = metrics
        .samples
        .iter()
        .filter_map(|s| s.labels.get("module").map(String::as_str))
        .collect();
    let rule_modules = label_values(BUILD_TIME_RULES, "module");
    assert_eq!(
        rule_modules,
        [
            "fixture_bot::feed",
            "fixture_bot::strategy",
            "fixture_bot::strategy::scoring",
            "fixture_bot::relay",
            "fixture_bot::venues::binance"
        ]
        .into_iter()
        .map(String::from)
        .collect::<BTreeSet<_>>()
    );
    for module in &rule_modules {
        assert!(
            exported_modules.contains(module.as_str()),
            "module {module} is not exported"
        );
    }
    assert!(
        !BUILD_TIME_RULES.contains("only_in_tests"),
        "cfg(test) code is not scanned"
    );
}

/// Metric names a PromQL expression selects (`name{...}`), recorded series excluded.
fn queried_metrics(yaml: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in yaml.lines().filter_map(|l| l.trim().strip_prefix("expr: ")) {
        let bytes = line.as_bytes();
        for (i, _) in line.match_indices('{') {
            let start = line[..i]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(0, |p| p + 1);
            let name = &line[start..i];
            if !name.is_empty() && !name.contains(':') && bytes[start].is_ascii_alphabetic() {
                out.insert(name.to_owned());
            }
        }
    }
    out
}

fn label_values(yaml: &str, label: &str) -> BTreeSet<String> {
    let needle = format!("{label}=\"");
    let mut out = BTreeSet::new();
    for line in yaml.lines() {
        for (i, _) in line.match_indices(&needle) {
            let rest = &line[i + needle.len()..];
            out.insert(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    out
}

#[test]
#[ignore = "slow: promtool"]
fn promtool_accepts_every_emitted_file_and_passes_the_emitted_tests() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let check = |path: &Path| {
        run_ok(
            &promtool,
            &[OsStr::new("check"), OsStr::new("rules"), path.as_os_str()],
        )
    };
    assert!(check(&generated("alerts.yml")).contains("SUCCESS"));
    let tested = promtool_test_rules(&promtool, &generated("alerts.test.yml"));
    assert!(tested.contains("SUCCESS"), "{tested}");

    // The PrometheusRule's spec and the mimir file hold the same groups.
    let dir = scratch_dir("fixture-targets");
    let rule = std::fs::read_to_string(generated("prometheus-rule.yml")).unwrap();
    assert!(rule.contains("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n"));
    assert!(rule.contains("  namespace: \"bots\"\n  labels:\n    release: \"kube-prometheus\"\n"));
    let spec: String = rule
        .split_once("spec:\n")
        .unwrap()
        .1
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    assert_eq!(
        spec,
        BUILD_TIME_RULES
            .split_once("groups:")
            .map(|(_, g)| format!("groups:{g}"))
            .unwrap()
    );
    std::fs::write(dir.join("spec.yml"), &spec).unwrap();
    assert!(check(&dir.join("spec.yml")).contains("SUCCESS"));

    let mimir = std::fs::read_to_string(generated("mimir.yml")).unwrap();
    let groups = mimir
        .split_once("namespace: \"bots\"\n")
        .expect("a namespace")
        .1;
    std::fs::write(dir.join("mimir-groups.yml"), groups).unwrap();
    assert!(check(&dir.join("mimir-groups.yml")).contains("SUCCESS"));
}
