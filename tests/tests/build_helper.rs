//! The build helper on crates written by the test: the module tree it follows, the warnings
//! it prints for malformed source and conflicting breakers, and the error for duplicate
//! alerts; for a bot made of several crates (small cargo workspaces whose `botwatch` is a
//! stub package, since sources are only scanned, never compiled), the crates it picks, their
//! features and cfgs, and the same warnings and errors across crates.

use std::path::Path;

use botwatch::build::{BuildError, Rules};
use botwatch_tests::scratch_dir;

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The builder of the scratch crate at `root`: its rules and unit tests under `monitoring/`.
fn rules_of(root: &Path) -> Rules {
    Rules::new()
        .only_this_crate()
        .crate_dir(root)
        .out_dir(root.join("out"))
        .crate_name("scan-bot")
        .write_to("monitoring/alerts.yml")
        .unit_tests_to("monitoring/alerts.test.yml")
}

fn emit(root: &Path) -> (Result<botwatch::build::Report, BuildError>, String) {
    let mut directives = Vec::new();
    let report = rules_of(root).emit_to(&mut directives);
    (report, String::from_utf8(directives).unwrap())
}

#[test]
fn follows_the_module_tree_and_warns_without_stopping() {
    let root = scratch_dir("build-helper-tree");
    write(
        &root,
        "src/main.rs",
        r#"
use botwatch::circuit_breaker as breaker;

mod exchange;
mod broken;
#[cfg(feature = "never-enabled")]
mod gated;

mod ops {
    pub mod deep {
        #[botwatch::counted(alert(idle > 5m))]
        pub fn heartbeat() {}
    }
}

#[breaker(name = "exchange", failures = 7)]
fn buy() -> Result<(), botwatch::CircuitOpen> { Ok(()) }

#[cfg(all(feature = "never-enabled", not(test)))]
#[botwatch::counted(alert(idle > 5m))]
fn gated_function() {}

fn main() {}
"#,
    );
    write(
        &root,
        "src/exchange.rs",
        r#"
mod sell_side;

pub struct Client;

impl Client {
    #[botwatch::circuit_breaker(name = "exchange", failures = 7, alert(open))]
    pub fn sell(&self) -> Result<(), botwatch::CircuitOpen> { Ok(()) }
}
"#,
    );
    write(
        &root,
        "src/exchange/sell_side.rs",
        r#"
#[botwatch::timed(alert(p95 > 20ms))]
pub fn quote() {}
"#,
    );
    write(&root, "src/broken.rs", "fn half() {\n    let x = ;\n}\n");
    write(
        &root,
        "src/gated.rs",
        "#[botwatch::counted(alert(idle > 5m))]\npub fn gated_module_function() {}\n",
    );

    let (report, directives) = emit(&root);
    let report = report.expect("warnings do not stop the build");
    assert_eq!(report.sites, 4, "{directives}");
    assert_eq!(report.files, 4);

    assert!(
        directives.contains(
            "cargo:warning=botwatch: cannot parse src/broken.rs:2:13: expected an expression"
        ),
        "{directives}"
    );
    assert!(
        !directives.contains("different options"),
        "both name \"exchange\" with failures = 7: {directives}"
    );
    for file in [
        "src/main.rs",
        "src/exchange.rs",
        "src/exchange/sell_side.rs",
        "src/broken.rs",
    ] {
        let line = format!("cargo:rerun-if-changed={}", root.join(file).display());
        assert!(
            directives.contains(&line),
            "{line} missing from {directives}"
        );
    }

    assert!(
        !directives.contains("gated.rs"),
        "a module behind an off feature is not read: {directives}"
    );

    let modules: Vec<(String, String)> = report
        .rules
        .alerts
        .iter()
        .map(|a| {
            (
                a.name.clone(),
                a.identity
                    .iter()
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join("|"),
            )
        })
        .collect();
    assert_eq!(
        modules,
        [
            ("CircuitBreakerOpen".to_owned(), "exchange".to_owned()),
            (
                "HeartbeatIdle".to_owned(),
                "heartbeat|scan_bot::ops::deep".to_owned()
            ),
            (
                "QuoteLatencyHigh".to_owned(),
                "quote|scan_bot::exchange::sell_side".to_owned()
            ),
        ]
    );

    // broken.rs's alerts would be missing: the files under the crate are not written.
    assert!(!root.join("monitoring/alerts.yml").exists(), "{directives}");
    assert!(
        directives.contains(
            "cargo:warning=botwatch: monitoring/alerts.yml, monitoring/alerts.test.yml, \
             monitoring/alerts.1m.test.yml, monitoring/alerts.5m.test.yml left as they were: \
             the alerts of src/broken.rs would be missing from them"
        ),
        "{directives}"
    );
    assert_eq!(report.written.len(), 4, "OUT_DIR's files only");

    write(&root, "src/broken.rs", "fn half() {}\n");
    let (report, directives) = emit(&root);
    let report = report.expect("the fixed crate builds");
    assert!(report.kept.is_empty(), "{directives}");
    let written = std::fs::read_to_string(root.join("monitoring/alerts.yml")).unwrap();
    assert_eq!(
        written,
        std::fs::read_to_string(root.join("out/botwatch/alerts.yml")).unwrap()
    );
    let tests = std::fs::read_to_string(root.join("monitoring/alerts.test.yml")).unwrap();
    assert!(
        tests.contains("rule_files:\n  - \"alerts.yml\"\nevaluation_interval: 15s\n"),
        "{tests}"
    );
    // The alerts reading hours are tested every minute, in a file of their own beside it.
    let hours = std::fs::read_to_string(root.join("monitoring/alerts.1m.test.yml")).unwrap();
    assert!(
        hours.contains("rule_files:\n  - \"alerts.yml\"\nevaluation_interval: 1m\n"),
        "{hours}"
    );
}

#[test]
fn duplicate_alerts_are_an_error_naming_both() {
    let root = scratch_dir("build-helper-duplicates");
    write(
        &root,
        "src/lib.rs",
        r#"
#[botwatch::counted(alert(error_rate > 5%, name = "VenueDown"))]
pub fn place() -> Result<(), String> { Ok(()) }

#[botwatch::counted(alert(error_rate > 5%, name = "VenueDown", labels(function_alias = "x")))]
pub fn cancel() -> Result<(), String> { Ok(()) }

#[botwatch::circuit_breaker(name = "venue", alert(open, for = 1m))]
pub fn a() -> Result<(), botwatch::CircuitOpen> { Ok(()) }

#[botwatch::circuit_breaker(name = "venue", alert(open, for = 5m))]
pub fn b() -> Result<(), botwatch::CircuitOpen> { Ok(()) }
"#,
    );
    let (report, _) = emit(&root);
    let error = report.expect_err("two different CircuitBreakerOpen alerts for one breaker");
    let message = error.to_string();
    assert!(
        message.contains("two different alerts named CircuitBreakerOpen")
            && message.contains("scan_bot::a (breaker venue) (src/lib.rs:8)")
            && message.contains("scan_bot::b (breaker venue) (src/lib.rs:11)"),
        "{message}"
    );
}

#[test]
fn a_crate_without_sources_is_an_error() {
    let root = scratch_dir("build-helper-empty");
    let (report, _) = emit(&root);
    let error = report.expect_err("no sources");
    assert!(matches!(error, BuildError::NoSource(_)));
    // `.expect("botwatch rules")` in a build.rs prints Debug: the sentence, not the variant.
    let debug = format!("{error:?}");
    assert_eq!(debug, error.to_string());
    assert!(debug.starts_with("no src/lib.rs, src/main.rs"), "{debug}");
}

/// A bot made of several crates: `bot` (package `scan-bot`) uses `core` (package `bot-core`,
/// library `core_lib`, with feature `live` on and `paper` off), which uses `strategy`; `util`
/// does not depend on botwatch; `testkit` is only a dev-dependency and `tooling` only a
/// build-dependency of the bot. `botwatch` is a stub: nothing here is compiled.
fn bot_workspace(name: &str) -> botwatch_tests::Scratch {
    let root = scratch_dir(name);
    write(
        &root,
        "Cargo.toml",
        r#"[workspace]
resolver = "2"
members = ["bot", "core", "strategy", "util", "testkit", "tooling", "botwatch"]
"#,
    );
    let package = |dir: &str, name: &str, extra: &str| {
        write(
            &root,
            &format!("{dir}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{extra}"
            ),
        );
    };
    package("botwatch", "botwatch", "");
    write(&root, "botwatch/src/lib.rs", "");
    package(
        "bot",
        "scan-bot",
        r#"
[features]
default = ["risk"]
risk = []
backtest = ["bot-core/paper"]

[dependencies]
botwatch = { path = "../botwatch" }
bot-core = { path = "../core", features = ["live"] }
bot-util = { path = "../util" }

[dev-dependencies]
testkit = { path = "../testkit" }

[build-dependencies]
tooling = { path = "../tooling" }
"#,
    );
    write(
        &root,
        "bot/src/main.rs",
        r#"
#[botwatch::timed(alert(p99 > 250ms))]
fn tick() {}

#[cfg(feature = "risk")]
#[botwatch::counted(alert(rate > 100/s))]
fn risk_check() {}

#[cfg(feature = "backtest")]
#[botwatch::counted(alert(idle > 5m))]
fn replay() {}

#[cfg(debug_assertions)]
#[botwatch::counted(alert(idle > 5m))]
fn debug_probe() {}

fn main() {}
"#,
    );
    package(
        "core",
        "bot-core",
        r#"
[lib]
name = "core_lib"

[features]
live = []
paper = []

[dependencies]
botwatch = { path = "../botwatch" }
bot-strategy = { path = "../strategy" }
"#,
    );
    write(
        &root,
        "core/src/lib.rs",
        r#"
pub mod exchange;
pub mod simulator;

#[cfg(feature = "paper")]
mod paper;
"#,
    );
    write(
        &root,
        "core/src/simulator.rs",
        "#![cfg(feature = \"paper\")]\n\n#[botwatch::counted(alert(idle > 5m))]\npub fn simulated_fill() {}\n",
    );
    write(
        &root,
        "core/src/exchange.rs",
        r#"
use botwatch::counted;

#[counted(alert(error_rate > 5%))]
pub fn place_order() -> Result<(), String> { Ok(()) }

#[cfg(feature = "live")]
#[botwatch::timed(alert(p95 > 100ms))]
pub fn live_quote() {}

#[cfg(not(feature = "live"))]
#[botwatch::timed(alert(p95 > 100ms))]
pub fn simulated_quote() {}

#[botwatch::circuit_breaker(name = "venue", failures = 3, alert(open, for = 1m))]
pub fn cancel() -> Result<(), botwatch::CircuitOpen> { Ok(()) }

pub struct Book;

#[cfg(any(feature = "paper", test))]
impl Book {
    #[botwatch::counted(alert(idle > 5m))]
    pub fn paper_book(&self) {}
}

#[cfg(feature = "paper")]
pub fn paper_outer() {
    #[botwatch::counted(alert(idle > 5m))]
    fn paper_inner() {}
}
"#,
    );
    write(
        &root,
        "core/src/paper.rs",
        "#[botwatch::counted(alert(idle > 5m))]\npub fn paper_fill() {}\n",
    );
    package(
        "strategy",
        "bot-strategy",
        "[dependencies]\nbotwatch = { path = \"../botwatch\" }\n",
    );
    write(
        &root,
        "strategy/src/lib.rs",
        "mod broken;\n\n#[botwatch::counted(alert(idle > 10m))]\npub fn detect() {}\n",
    );
    write(&root, "strategy/src/broken.rs", "fn half( {\n");
    package("util", "bot-util", "");
    write(
        &root,
        "util/src/lib.rs",
        "#[botwatch::counted(alert(idle > 1m))]\npub fn not_a_botwatch_crate() {}\n",
    );
    for (dir, name) in [("testkit", "testkit"), ("tooling", "tooling")] {
        package(
            dir,
            name,
            "[dependencies]\nbotwatch = { path = \"../botwatch\" }\n",
        );
        write(
            &root,
            &format!("{dir}/src/lib.rs"),
            "#[botwatch::counted(alert(idle > 1m))]\npub fn not_linked() {}\n",
        );
    }
    root
}

fn emit_bot(root: &Path, rules: Rules) -> (Result<botwatch::build::Report, BuildError>, String) {
    let mut directives = Vec::new();
    let report = rules
        .crate_dir(root.join("bot"))
        .out_dir(root.join("out"))
        .emit_to(&mut directives);
    (report, String::from_utf8(directives).unwrap())
}

/// `(alert, function, module)` for each alert with function and module labels.
fn functions(report: &botwatch::build::Report) -> Vec<(String, String, String)> {
    report
        .rules
        .alerts
        .iter()
        .filter_map(|a| {
            let label = |key: &str| {
                a.grouping
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            };
            Some((a.name.clone(), label("function")?, label("module")?))
        })
        .collect()
}

fn owned(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn scans_every_linked_crate_that_uses_botwatch_with_its_features() {
    let root = bot_workspace("build-helper-bot");
    let (report, directives) = emit_bot(&root, Rules::new());
    let report = report.expect("warnings do not stop the build");
    assert_eq!(report.crates, ["scan-bot", "bot-core", "bot-strategy"]);
    assert_eq!(
        functions(&report),
        owned(&[
            ("DebugProbeIdle", "debug_probe", "scan_bot"),
            ("DetectIdle", "detect", "bot_strategy"),
            ("LiveQuoteLatencyHigh", "live_quote", "core_lib::exchange"),
            (
                "PlaceOrderErrorRateHigh",
                "place_order",
                "core_lib::exchange"
            ),
            ("RiskCheckRateHigh", "risk_check", "scan_bot"),
            ("TickLatencyHigh", "tick", "scan_bot"),
        ])
    );

    for file in [
        "bot/src/main.rs",
        "bot/Cargo.toml",
        "core/src/lib.rs",
        "core/src/exchange.rs",
        "core/Cargo.toml",
        "strategy/src/lib.rs",
        "strategy/src/broken.rs",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        let line = format!("cargo:rerun-if-changed={}\n", root.join(file).display());
        assert!(
            directives.contains(&line),
            "{line} missing from {directives}"
        );
    }
    for unread in ["paper.rs", "util/", "testkit/", "tooling/"] {
        assert!(
            !directives.contains(unread),
            "{unread} is not scanned: {directives}"
        );
    }
    assert!(
        directives.contains("cargo:warning=botwatch: cannot parse strategy/src/broken.rs:1:10: "),
        "{directives}"
    );
    assert!(
        directives.contains(
            "cargo:warning=botwatch: src/main.rs:14: `debug_probe` is compiled only under \
             cfg(debug_assertions), which the build helper cannot evaluate; its alerts are included"
        ),
        "{directives}"
    );
}

#[test]
fn this_crates_features_can_be_given() {
    let root = bot_workspace("build-helper-features");
    let (report, directives) = emit_bot(&root, Rules::new().features(["backtest"]));
    let functions: Vec<String> = functions(&report.unwrap())
        .into_iter()
        .map(|(_, function, module)| format!("{module}::{function}"))
        .collect();
    // Without `risk` (not asked for, nor the defaults), with `backtest`, which turns on
    // `bot-core/paper` as cargo resolves it: the paper module is read.
    assert_eq!(
        functions,
        [
            "scan_bot::debug_probe",
            "bot_strategy::detect",
            "core_lib::exchange::live_quote",
            "core_lib::exchange::paper_book",
            "core_lib::paper::paper_fill",
            "core_lib::exchange::paper_inner",
            "core_lib::exchange::place_order",
            "scan_bot::replay",
            "core_lib::simulator::simulated_fill",
            "scan_bot::tick",
        ]
    );
    assert!(directives.contains("core/src/paper.rs"), "{directives}");
}

#[test]
fn explicit_crates_and_this_crate_alone() {
    let root = bot_workspace("build-helper-explicit");
    let (report, _) = emit_bot(&root, Rules::new().crates(["bot-strategy", "bot_util"]));
    let report = report.unwrap();
    assert_eq!(report.crates, ["scan-bot", "bot-strategy", "bot-util"]);
    assert!(functions(&report)
        .iter()
        .any(|(_, f, m)| f == "not_a_botwatch_crate" && m == "bot_util"));
    assert!(!functions(&report)
        .iter()
        .any(|(_, f, _)| f == "place_order"));

    let (report, directives) = emit_bot(&root, Rules::new().only_this_crate());
    // Named after its directory: CARGO_PKG_NAME is the build script's own crate's.
    assert_eq!(report.unwrap().crates, ["bot"]);
    assert!(!directives.contains("core/"), "{directives}");

    let (report, _) = emit_bot(&root, Rules::new().crates(["bot-strateg"]));
    let error = report.expect_err("not a dependency");
    assert!(matches!(error, BuildError::UnknownCrate { .. }));
    assert_eq!(
        error.to_string(),
        "`bot-strateg` is not a dependency of scan-bot: Rules::crates takes names of packages \
         scan-bot depends on; those that use botwatch: bot-core, bot-strategy"
    );
    let (report, _) = emit_bot(&root, Rules::new().crates(["testkit"]));
    assert!(
        matches!(report, Err(BuildError::UnknownCrate { .. })),
        "a dev-dependency is not linked into the bot"
    );
}

#[test]
fn breakers_and_alerts_are_checked_across_crates() {
    let root = bot_workspace("build-helper-across");
    write(
        &root,
        "bot/src/main.rs",
        r#"
#[botwatch::circuit_breaker(name = "venue", failures = 5)]
fn cancel_all() -> Result<(), botwatch::CircuitOpen> { Ok(()) }

fn main() {}
"#,
    );
    let (report, _) = emit_bot(&root, Rules::new());
    let error = report.expect_err("a breaker conflict fails the build");
    assert!(matches!(error, BuildError::BreakerConflict { .. }));
    assert_eq!(
        format!("{error:?}"),
        "circuit breaker \"venue\" is declared with different options at \
         core_lib::exchange::cancel (core/src/exchange.rs:15) and at scan_bot::cancel_all \
         (src/main.rs:2) (failures = 3 vs 5); functions sharing a breaker must give it the same \
         options: write them the same in both places, or give one of them another name"
    );

    write(
        &root,
        "bot/src/main.rs",
        r#"
#[botwatch::circuit_breaker(name = "venue", failures = 3, alert(open, for = 5m))]
fn close_all() -> Result<(), botwatch::CircuitOpen> { Ok(()) }

fn main() {}
"#,
    );
    let (report, _) = emit_bot(&root, Rules::new());
    let message = report.expect_err("one alert name, two rules").to_string();
    assert!(
        message.contains("two different alerts named CircuitBreakerOpen")
            && message
                .contains("core_lib::exchange::cancel (breaker venue) (core/src/exchange.rs:15)")
            && message.contains("scan_bot::close_all (breaker venue) (src/main.rs:2)"),
        "{message}"
    );
}

#[test]
fn cargo_metadata_failures_are_errors_not_panics() {
    let root = bot_workspace("build-helper-metadata");
    write(
        &root,
        "core/Cargo.toml",
        "[package]\nname = \"bot-core\"\nversion = \"0.1.0\"\n[dependencies]\nmissing = { path = \"../missing\" }\n",
    );
    let (report, _) = emit_bot(&root, Rules::new());
    let error = report.expect_err("a dependency that does not exist");
    assert!(matches!(error, BuildError::Metadata { .. }));
    let message = error.to_string();
    assert!(
        message.starts_with("cannot list the bot's crates: `cargo metadata --manifest-path ")
            && message.contains("missing")
            && message.ends_with("or scan this crate alone with Rules::new().only_this_crate()"),
        "{message}"
    );
    // Alone, the bot's own crate still builds its rules.
    let (report, _) = emit_bot(&root, Rules::new().only_this_crate());
    assert!(report.is_ok());
}

/// `.scrape_interval(5s)` is what rule windows are checked against: `idle > 30s` holds six
/// scrapes at 5s (and only two at the default 15s).
#[test]
fn rule_windows_are_checked_against_the_given_scrape_interval() {
    let root = scratch_dir("build-helper-scrape-interval");
    write(
        &root,
        "src/lib.rs",
        "#[botwatch::counted(alert(idle > 30s))]\npub fn heartbeat() {}\n",
    );
    let mut directives = Vec::new();
    let report = Rules::new()
        .only_this_crate()
        .crate_dir(root.to_path_buf())
        .out_dir(root.join("out"))
        .crate_name("scan-bot")
        .scrape_interval(std::time::Duration::from_secs(5))
        .emit_to(&mut directives)
        .expect("30s holds six scrapes at 5s");
    assert!(
        report
            .rules
            .alerts
            .iter()
            .any(|a| a.name == "HeartbeatIdle"),
        "{:?}",
        report.rules.alerts
    );
    let (report, _) = emit(&root);
    let message = report.expect_err("two scrapes at 15s").to_string();
    assert!(message.contains("heartbeat"), "{message}");
}

/// A ratio to a misspelt static (`DAILY_LIMT_USD` for the declared `DAILY_LIMIT_USD`) is a
/// build error naming the attribute, the declaration and the nearest declared name.
#[test]
fn a_ratio_to_a_misspelt_static_is_an_error_with_a_suggestion() {
    let root = scratch_dir("build-helper-misspelt-ratio");
    write(
        &root,
        "src/lib.rs",
        r#"
/// Volume traded today, in USD.
#[botwatch::gauge(alert(value / DAILY_LIMT_USD > 80%, name = "VolumeLimitApproaching"))]
static DAILY_VOLUME_USD: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge]
static DAILY_LIMIT_USD: botwatch::Gauge = botwatch::Gauge::new();
"#,
    );
    let (report, _) = emit(&root);
    let message = report
        .expect_err("a ratio to an undeclared static")
        .to_string();
    assert!(
        message.contains("DAILY_LIMT_USD")
            && message.contains("DAILY_VOLUME_USD")
            && message.contains("src/lib.rs:3")
            && message.contains("did you mean `DAILY_LIMIT_USD`?"),
        "{message}"
    );
}

/// Every file the build helper writes, each holding `previous` bytes.
const OUTPUTS: [&str; 7] = [
    "monitoring/alerts.yml",
    "monitoring/alerts.test.yml",
    "monitoring/alerts.1m.test.yml",
    "monitoring/alerts.5m.test.yml",
    "monitoring/prometheus-rule.yml",
    "monitoring/dashboard.json",
    "out/botwatch/alerts.yml",
];

fn emit_everything(root: &Path) -> (Result<botwatch::build::Report, BuildError>, String) {
    let mut directives = Vec::new();
    let report = rules_of(root)
        .prometheus_rule_to(
            "monitoring/prometheus-rule.yml",
            botwatch::build::PrometheusRuleMeta {
                name: "bot".to_owned(),
                namespace: None,
                labels: Vec::new(),
            },
        )
        .dashboard_to("monitoring/dashboard.json")
        .emit_to(&mut directives);
    (report, String::from_utf8(directives).unwrap())
}

/// A build that fails, for whatever reason, writes nothing: `monitoring/alerts.yml` keeps the
/// alerts it had, rather than losing the one whose attribute is wrong.
#[test]
fn a_failed_build_leaves_every_previous_file_as_it_was() {
    let good = "#[botwatch::counted(alert(error_rate > 5%))]\npub fn place() -> Result<(), String> { Ok(()) }\n";
    let failing = [
        // An attribute the scan cannot parse (the crate's compile fails on it too).
        "#[botwatch::counted(alert(error_rat > 5%))]\npub fn cancel() -> Result<(), String> { Ok(()) }\n",
        "#[botwatch::counted(retries = 3)]\npub fn cancel() {}\n",
        "#[botwatch::counted = 3]\npub fn cancel() {}\n",
        "#[botwatch::gauge(alert(value <> 3))]\nstatic SPEND: botwatch::Gauge = botwatch::Gauge::new();\n",
        // Errors of the whole: a duplicate alert, a ratio to an undeclared static.
        "#[botwatch::circuit_breaker(name = \"venue\", alert(open, for = 1m))]\npub fn a() -> Result<(), botwatch::CircuitOpen> { Ok(()) }\n\
         #[botwatch::circuit_breaker(name = \"venue\", alert(open, for = 5m))]\npub fn b() -> Result<(), botwatch::CircuitOpen> { Ok(()) }\n",
        "#[botwatch::gauge(alert(value / LIMT > 80%))]\nstatic SPEND: botwatch::Gauge = botwatch::Gauge::new();\n",
        // A file that does not parse: a warning, and the files under the crate are kept.
        "pub fn cancel( {\n",
    ];
    for (case, bad) in failing.iter().enumerate() {
        let root = scratch_dir(&format!("build-helper-failed-{case}"));
        write(&root, "src/lib.rs", &format!("{good}\nmod bad;\n"));
        write(&root, "src/bad.rs", bad);
        for (i, file) in OUTPUTS.iter().enumerate() {
            write(&root, file, &format!("previous {i}\n"));
        }
        let (report, directives) = emit_everything(&root);
        match (case, report) {
            (6, Ok(report)) => assert_eq!(report.kept.len(), 6, "{directives}"),
            (_, Err(_)) => {}
            (_, Ok(_)) => panic!("case {case} must fail: {bad}\n{directives}"),
        }
        for (i, file) in OUTPUTS
            .iter()
            .enumerate()
            .take(if case == 6 { 5 } else { 6 })
        {
            assert_eq!(
                std::fs::read_to_string(root.join(file)).unwrap(),
                format!("previous {i}\n"),
                "case {case}: {file} was rewritten\n{directives}"
            );
        }
        let leftovers: Vec<_> = std::fs::read_dir(root.join("monitoring"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

/// The error for an attribute the scan cannot parse says where, what, and that nothing was
/// written.
#[test]
fn an_attribute_that_does_not_parse_is_an_error_naming_it() {
    let root = scratch_dir("build-helper-bad-attribute");
    write(
        &root,
        "src/lib.rs",
        "#[botwatch::counted(alert(error_rat > 5%))]\npub fn cancel() -> Result<(), String> { Ok(()) }\n",
    );
    let (report, _) = emit(&root);
    let message = report.expect_err("a malformed attribute").to_string();
    assert!(
        message.starts_with("1 botwatch attribute cannot be read, so no file was written")
            && message.contains("src/lib.rs:1: #[counted] on `cancel`: ")
            && message.contains("error_rate"),
        "{message}"
    );
}

/// A guard opening a breaker no function declares (`tradng` for `trading`) is a build
/// error naming the guard's declaration and the breaker; one naming a declared breaker
/// builds. Catches a kill switch that would silently hold nothing.
#[test]
fn a_guard_opening_an_undeclared_breaker_is_an_error_naming_both() {
    let root = scratch_dir("build-helper-guard-breaker");
    write(
        &root,
        "src/lib.rs",
        r#"
/// Drawdown of the day.
#[botwatch::gauge(guard(value > 5%, open = ["trading", "tradng"]))]
static DRAWDOWN: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::circuit_breaker(name = "trading")]
fn place_order() -> Result<(), botwatch::CircuitOpen> { Ok(()) }
"#,
    );
    let (report, _) = emit(&root);
    let message = report.expect_err("an undeclared breaker").to_string();
    assert!(
        message.contains("guard Drawdown")
            && message.contains("DRAWDOWN")
            && message.contains("src/lib.rs:3")
            && message.contains("\"tradng\"")
            && message.contains("did you mean \"trading\"?"),
        "{message}"
    );
    write(
        &root,
        "src/lib.rs",
        r#"
#[botwatch::gauge(guard(value > 5%, open = "trading"))]
static DRAWDOWN: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::circuit_breaker(name = "trading")]
fn place_order() -> Result<(), botwatch::CircuitOpen> { Ok(()) }
"#,
    );
    let (report, _) = emit(&root);
    let report = report.expect("a declared breaker builds");
    assert!(report
        .rules
        .alerts
        .iter()
        .any(|a| a.name == "DrawdownGuardEngaged"));
}
