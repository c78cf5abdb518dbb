//! The build helper on crates written by the test: the module tree it follows, the warnings
//! it prints for malformed source and conflicting breakers, and the error for duplicate
//! alerts.

use std::path::Path;

use botwatch::build::{BuildError, Rules};
use botwatch_tests::scratch_dir;

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn emit(root: &Path) -> (Result<botwatch::build::Report, BuildError>, String) {
    let mut directives = Vec::new();
    let report = Rules::new()
        .crate_dir(root)
        .out_dir(root.join("out"))
        .crate_name("scan-bot")
        .write_to("monitoring/alerts.yml")
        .unit_tests_to("monitoring/alerts.test.yml")
        .emit_to(&mut directives);
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
#[cfg(feature = "never-enabled")]
mod broken;

mod ops {
    pub mod deep {
        #[botwatch::counted(alert(idle > 5m))]
        pub fn heartbeat() {}
    }
}

#[breaker(name = "exchange", failures = 3)]
fn buy() -> Result<(), botwatch::CircuitOpen> { Ok(()) }

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
        directives.contains(
            "cargo:warning=botwatch: circuit breaker \"exchange\" is declared with different options at \
             scan_bot::buy (src/main.rs:15) and at scan_bot::exchange::sell (src/exchange.rs:7)"
        ),
        "{directives}"
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

    let modules: Vec<(String, String)> = report
        .rules
        .alerts
        .iter()
        .map(|a| {
            (
                a.name.clone(),
                a.grouping
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

    let written = std::fs::read_to_string(root.join("monitoring/alerts.yml")).unwrap();
    assert_eq!(
        written,
        std::fs::read_to_string(root.join("out/botwatch/alerts.yml")).unwrap()
    );
    let tests = std::fs::read_to_string(root.join("monitoring/alerts.test.yml")).unwrap();
    assert!(
        tests.contains("rule_files:\n  - \"alerts.yml\"\n"),
        "{tests}"
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
    assert!(matches!(report, Err(BuildError::NoSource(_))));
}
