//! What the emitted rules do on data an SRE would try, checked with the real promtool on
//! hand-written unit tests (not the generated ones): each test is a defect the rules once
//! had.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

#[path = "common/scratch_crate.rs"]
mod scratch_crate;

use scratch_crate::{emit, emitted};

use botwatch_tests::{promtool_test_rules, run_ok, tool};

fn promtool(args: &[&OsStr]) -> Option<String> {
    let promtool = tool("promtool")?;
    Some(run_ok(&promtool, args))
}

/// Runs hand-written promtool unit tests (`tests:` items) against the crate's rules.
fn promtool_test(root: &Path, tests: &str) {
    let file = root.join("behaviour.test.yml");
    std::fs::write(
        &file,
        format!("rule_files:\n  - alerts.yml\nevaluation_interval: 15s\ntests:\n{tests}"),
    )
    .unwrap();
    if let Some(out) = promtool(&[OsStr::new("test"), OsStr::new("rules"), file.as_os_str()]) {
        assert!(out.contains("SUCCESS"), "{out}");
    }
}

/// The generated unit tests pass too.
fn generated_tests_pass(root: &Path) {
    if let Some(promtool) = tool("promtool") {
        let out = promtool_test_rules(&promtool, &root.join("alerts.test.yml"));
        assert!(out.contains("SUCCESS"), "{out}");
    }
}

#[test]
#[ignore = "slow: promtool"]
fn two_functions_with_slos_pass_lint_fatal() {
    let root = emitted(
        "behaviour-lint",
        r#"
#[botwatch::counted(slo(objective = 99%))]
#[botwatch::timed(slo(objective = 99%, latency = 100ms))]
pub fn quote() -> Result<(), String> { Ok(()) }

#[botwatch::counted(slo(objective = 99.9%))]
#[botwatch::timed(slo(objective = 99%, latency = 250ms))]
pub fn submit() -> Result<(), String> { Ok(()) }
"#,
    );
    let rules = root.join("alerts.yml");
    if let Some(out) = promtool(&[
        OsStr::new("check"),
        OsStr::new("rules"),
        OsStr::new("--lint-fatal"),
        rules.as_os_str(),
    ]) {
        assert!(out.contains("SUCCESS: 36 rules found"), "{out}");
    }
    let text = std::fs::read_to_string(&rules).unwrap();
    assert!(
        text.contains("  - name: \"botwatch.recording.long\"\n    interval: 2m\n"),
        "{text}"
    );
    generated_tests_pass(&root);
}

const BREAKER: &str = r#"
#[botwatch::circuit_breaker(name = "relay", alert(open, for = 5m), alert(flapping > 3, within = 10m))]
pub fn submit() -> Result<(), botwatch::CircuitOpen> { Ok(()) }
"#;

#[test]
#[ignore = "slow: promtool"]
fn flapping_counts_closed_to_open_trips_on_one_instance_and_exactly() {
    let root = emitted("behaviour-flapping", BREAKER);
    let trips = |instance: &str, from: &str, values: &str| {
        format!(
            "      - series: 'circuit_breaker_transitions_total{{breaker=\"relay\", from=\"{from}\", to=\"open\", instance=\"{instance}\"}}'\n        values: '{values}'\n"
        )
    };
    // Three trips on one instance that has been up for ten minutes, scraped every 20s:
    // increase() extrapolates to 3.1.
    let three = trips("a", "closed", "5x35 6x3 7x3 8x40");
    // Five replicas tripping once each: no replica flaps.
    let five: String = (0..5)
        .map(|i| trips(&format!("r{i}"), "closed", "0x4 1x40"))
        .collect();
    // A steady outage: half_open -> open every probe, one closed -> open.
    let outage = trips("a", "half_open", "0+1x45") + &trips("a", "closed", "0x4 1x40");
    // Four trips on one instance: flapping.
    let four = trips("a", "closed", "0x4 1x3 2x3 3x3 4x40");
    let silent = |name: &str, series: &str| {
        format!(
            "  - name: {name}\n    interval: 15s\n    input_series:\n{series}    alert_rule_test:\n      - alertname: CircuitBreakerFlapping\n        eval_time: 10m\n        exp_alerts: []\n"
        )
    };
    let mut tests = silent("exactly three", &three)
        .replace("interval: 15s", "interval: 20s")
        .replace("eval_time: 10m", "eval_time: 19m45s")
        + &silent("five replicas once each", &five)
        + &silent("a steady outage", &outage);
    tests.push_str(&format!(
        "  - name: four trips\n    interval: 15s\n    input_series:\n{four}    alert_rule_test:\n      - alertname: CircuitBreakerFlapping\n        eval_time: 10m\n        exp_alerts:\n          - exp_labels: {{severity: warning, breaker: relay}}\n            exp_annotations:\n              summary: Circuit breaker relay is flapping\n              description: Circuit breaker relay tripped from closed to open 4 times in the last 10m on one instance (more than 3).\n"
    ));
    promtool_test(&root, &tests);
    generated_tests_pass(&root);
}

#[test]
#[ignore = "slow: promtool"]
fn open_fires_while_not_closed_even_when_probing_at_some_scrapes() {
    let root = emitted("behaviour-open", BREAKER);
    // Open 95 % of the scrapes, half-open at every 20th (`for` is 20 scrapes): `== 1`
    // restarted `for` each time and never fired.
    let values: Vec<&str> = (0..40)
        .map(|i| if i % 20 == 19 { "2" } else { "1" })
        .collect();
    let tests = format!(
        "  - name: open or probing\n    interval: 15s\n    input_series:\n      - series: 'circuit_breaker_state{{breaker=\"relay\", instance=\"a\"}}'\n        values: '0 {}'\n    alert_rule_test:\n      - alertname: CircuitBreakerOpen\n        eval_time: 9m\n        exp_alerts:\n          - exp_labels: {{severity: critical, breaker: relay}}\n            exp_annotations:\n              summary: Circuit breaker relay is open\n              description: Circuit breaker relay has not been closed for 5m on 1 instance(s); calls through it are rejected.\n",
        values.join(" ")
    );
    promtool_test(&root, &tests);
}

#[test]
#[ignore = "slow: promtool"]
fn annotations_show_thresholds_without_float_noise() {
    let root = emitted(
        "behaviour-noise",
        r#"
#[botwatch::counted(alert(error_rate > 7%), slo(objective = 99.95%))]
pub fn quote() -> Result<(), String> { Ok(()) }
"#,
    );
    let text = std::fs::read_to_string(root.join("alerts.yml")).unwrap();
    assert!(text.contains("error rate above 7%\""), "{text}");
    assert!(text.contains("the threshold is 7%."), "{text}");
    assert!(text.contains("(99.95% objective)"), "{text}");
    assert!(!text.contains("0000000"), "{text}");
    generated_tests_pass(&root);
}

#[test]
#[ignore = "slow: promtool"]
fn static_labels_keep_two_functions_of_one_name_apart() {
    let root = emitted(
        "behaviour-static-labels",
        r#"
pub struct Binance;
pub struct Kraken;
impl Binance {
    #[botwatch::counted(labels(venue = "binance"), alert(error_rate > 10%), slo(objective = 99%))]
    pub fn submit() -> Result<(), String> { Ok(()) }
}
impl Kraken {
    #[botwatch::counted(labels(venue = "kraken"), alert(error_rate > 10%), slo(objective = 99%))]
    pub fn submit() -> Result<(), String> { Ok(()) }
}
"#,
    );
    let rules = root.join("alerts.yml");
    if let Some(out) = promtool(&[
        OsStr::new("check"),
        OsStr::new("rules"),
        OsStr::new("--lint-fatal"),
        rules.as_os_str(),
    ]) {
        assert!(out.contains("SUCCESS"), "{out}");
    }
    // Binance fails every call, Kraken none: only Binance's alerts fire.
    let calls = |venue: &str, result: &str, values: &str| {
        format!(
            "      - series: 'function_calls_total{{function=\"submit\", module=\"bot\", venue=\"{venue}\", result=\"{result}\", instance=\"a\"}}'\n        values: '{values}'\n"
        )
    };
    let series = calls("binance", "error", "0+10x80")
        + &calls("binance", "ok", "0x80")
        + &calls("kraken", "error", "0x80")
        + &calls("kraken", "ok", "0+1000x80");
    let tests = format!(
        "  - name: one venue failing\n    interval: 15s\n    input_series:\n{series}    alert_rule_test:\n      - alertname: SubmitErrorRateHigh\n        eval_time: 10m\n        exp_alerts:\n          - exp_labels: {{severity: warning, function: submit, module: bot, venue: binance}}\n            exp_annotations:\n              summary: submit error rate above 10%\n              description: 100% of calls to bot::submit returned an error over the last 5m; the threshold is 10%.\n      - alertname: SubmitErrorBudgetBurn\n        eval_time: 10m\n        exp_alerts:\n          - exp_labels: {{severity: critical, function: submit, module: bot, venue: binance}}\n            exp_annotations:\n              summary: submit is burning its error budget (99% objective)\n              description: 100% of calls to bot::submit fail; at this rate the 30-day error budget of a 99% objective is spent at least 6x as fast as it allows (gone in 5 days or less).\n"
    );
    promtool_test(&root, &tests);
    generated_tests_pass(&root);
}

#[test]
fn windows_under_four_scrapes_are_a_build_error_naming_the_attribute() {
    let source = r#"
pub mod feed {
    #[botwatch::counted(alert(idle > 1m))]
    pub fn on_block() {}
}
"#;
    let (_, report) = emit("behaviour-windows", source, |r| {
        r.scrape_interval(Duration::from_secs(60))
    });
    let message = report.expect_err("1m at a 1m scrape").to_string();
    assert_eq!(
        message,
        "#[counted(alert(idle > 1m))] on bot::feed::on_block (src/lib.rs:3) reads a 1m window, which holds fewer than 4 scrapes at the scrape interval of 1m (.scrape_interval(1m)); make the window at least 4m, or scrape more often"
    );
    // At the default 15s it holds 4 scrapes.
    let (_, report) = emit("behaviour-windows-ok", source, |r| r);
    report.expect("1m at 15s");
    // The 5m rate window of an error-rate alert at a 2m scrape.
    let (_, report) = emit(
        "behaviour-windows-rate",
        "#[botwatch::counted(alert(error_rate > 5%))]\npub fn quote() {}\n",
        |r| r.scrape_interval(Duration::from_secs(120)),
    );
    let message = report.expect_err("5m at a 2m scrape").to_string();
    assert!(
        message.starts_with(
            "#[counted(alert(error_rate > 5%))] on bot::quote (src/lib.rs:1) reads a 5m window"
        ),
        "{message}"
    );
}

#[test]
#[ignore = "slow: promtool"]
fn idle_and_rate_below_fire_while_the_series_are_absent() {
    let root = emitted(
        "behaviour-absent",
        r#"
#[botwatch::counted(alert(idle > 10m), alert(rate < 1/s, for = 2m))]
pub fn on_block() {}
"#,
    );
    // No series at all: the bot never started.
    let tests = "  - name: never started\n    interval: 15s\n    input_series: []\n    alert_rule_test:\n      - alertname: OnBlockIdle\n        eval_time: 5m\n        exp_alerts:\n          - exp_labels: {severity: warning, function: on_block, module: bot}\n            exp_annotations:\n              summary: on_block not called for 10m\n              description: No call of bot::on_block in the last 10m.\n      - alertname: OnBlockRateLow\n        eval_time: 2m\n        exp_alerts:\n          - exp_labels: {severity: warning, function: on_block, module: bot}\n            exp_annotations:\n              summary: on_block called less than 1/s\n              description: bot::on_block is called 0 times a second over the last 5m; the threshold is 1/s.\n";
    promtool_test(&root, tests);
    generated_tests_pass(&root);
}

#[test]
#[ignore = "slow: promtool"]
fn job_adds_bot_down_and_bot_restarting() {
    let (root, report) = emit(
        "behaviour-job",
        "#[botwatch::counted(alert(idle > 10m))]\npub fn on_block() {}\n",
        |r| r.job("trading-bot"),
    );
    report.expect("rules emitted");
    let text = std::fs::read_to_string(root.join("alerts.yml")).unwrap();
    assert!(text.contains("  - name: \"botwatch.bot\"\n"), "{text}");
    let up = |instance: &str, values: &str| {
        format!("      - series: 'up{{job=\"trading-bot\", instance=\"{instance}\"}}'\n        values: '{values}'\n")
    };
    let start = |instance: &str, values: &str| {
        format!("      - series: 'process_start_time_seconds{{job=\"trading-bot\", instance=\"{instance}\"}}'\n        values: '{values}'\n")
    };
    let down = up("a", "1 1 0x20") + &up("b", "1x22");
    let restarts = start("a", "1 2 3 4 5x20") + &start("b", "1 2 3 4x20");
    let tests = format!(
        "  - name: one target down\n    interval: 15s\n    input_series:\n{down}    alert_rule_test:\n      - alertname: BotDown\n        eval_time: 1m15s\n        exp_alerts: []\n      - alertname: BotDown\n        eval_time: 1m30s\n        exp_alerts:\n          - exp_labels: {{severity: critical, job: trading-bot, instance: a}}\n            exp_annotations:\n              summary: trading-bot a is down\n              description: 'Prometheus cannot scrape trading-bot a (no instance{}\n  - name: no target\n    interval: 15s\n    input_series: []\n    alert_rule_test:\n      - alertname: BotDown\n        eval_time: 1m\n        exp_alerts:\n          - exp_labels: {{severity: critical, job: trading-bot}}\n            exp_annotations:\n              summary: 'trading-bot  is down'\n              description: 'Prometheus cannot scrape trading-bot  (no instance{}\n  - name: restarts\n    interval: 15s\n    input_series:\n{restarts}    alert_rule_test:\n      - alertname: BotRestarting\n        eval_time: 2m\n        exp_alerts:\n          - exp_labels: {{severity: warning, job: trading-bot, instance: a}}\n            exp_annotations:\n              summary: trading-bot a keeps restarting\n              description: trading-bot a restarted 4 times in the last 15m (more than 3).\n",
        ": no target of the job can be scraped, or it has none); its other alerts cannot fire meanwhile.'",
        ": no target of the job can be scraped, or it has none); its other alerts cannot fire meanwhile.'"
    );
    promtool_test(&root, &tests);
    generated_tests_pass(&root);
}

/// One monitoring setup pages on a single restart within the hour, and names its alerts
/// after the bot: the build helper sets name, `for`, severity, restart count and window.
#[test]
#[ignore = "slow: promtool"]
fn job_alerts_take_their_settings_from_the_build_helper() {
    use botwatch::build::{BotDown, BotRestarting};
    let (root, report) = emit(
        "behaviour-job-settings",
        "#[botwatch::counted(alert(idle > 10m))]\npub fn on_block() {}\n",
        |r| {
            r.job("chimera")
                .bot_down(
                    BotDown::new()
                        .name("ChimeraDown")
                        .for_(Duration::from_secs(30))
                        .severity("page"),
                )
                .bot_restarting(
                    BotRestarting::new()
                        .name("ChimeraRestarted")
                        .restarts(0)
                        .within(Duration::from_secs(3600))
                        .for_(Duration::from_secs(30))
                        .severity("critical"),
                )
        },
    );
    report.expect("rules emitted");
    let text = std::fs::read_to_string(root.join("alerts.yml")).unwrap();
    assert!(
        !text.contains("BotDown") && !text.contains("BotRestarting"),
        "{text}"
    );
    let series = |metric: &str, instance: &str, values: &str| {
        format!("      - series: '{metric}{{job=\"chimera\", instance=\"{instance}\"}}'\n        values: '{values}'\n")
    };
    // a goes down at 30s; down for 30s (not the default 1m) pages at 1m.
    let down = series("up", "a", "1 1 0x20") + &series("up", "b", "1x22");
    // a restarts once at 30s, b never: one restart is one too many; for = 30s.
    let restarts = series("process_start_time_seconds", "a", "1 1 2x300")
        + &series("process_start_time_seconds", "b", "1x300");
    let down_a = "            exp_annotations:\n              summary: chimera a is down\n              description: 'Prometheus cannot scrape chimera a (no instance: no target of the job can be scraped, or it has none); its other alerts cannot fire meanwhile.'\n";
    let restarted_a = "            exp_annotations:\n              summary: chimera a keeps restarting\n              description: chimera a restarted 1 times in the last 1h (more than 0).\n";
    let restart_check = |at: &str| {
        format!("      - alertname: ChimeraRestarted\n        eval_time: {at}\n        exp_alerts:\n          - exp_labels: {{severity: critical, job: chimera, instance: a}}\n{restarted_a}")
    };
    let tests = format!(
        "  - name: down\n    interval: 15s\n    input_series:\n{down}    alert_rule_test:\n      - alertname: ChimeraDown\n        eval_time: 45s\n        exp_alerts: []\n      - alertname: ChimeraDown\n        eval_time: 1m\n        exp_alerts:\n          - exp_labels: {{severity: page, job: chimera, instance: a}}\n{down_a}  - name: one restart\n    interval: 15s\n    input_series:\n{restarts}    alert_rule_test:\n      - alertname: ChimeraRestarted\n        eval_time: 45s\n        exp_alerts: []\n{}{}      - alertname: ChimeraRestarted\n        eval_time: 61m\n        exp_alerts: []\n",
        restart_check("1m"),
        restart_check("59m"),
    );
    promtool_test(&root, &tests);
    generated_tests_pass(&root);
}

#[test]
#[ignore = "slow: promtool"]
fn a_restart_alert_that_could_never_fire_is_a_build_error() {
    use botwatch::build::BotRestarting;
    let (_, report) = emit(
        "behaviour-job-never",
        "#[botwatch::counted(alert(idle > 10m))]\npub fn on_block() {}\n",
        |r| {
            r.job("chimera").bot_restarting(
                BotRestarting::new()
                    .within(Duration::from_secs(300))
                    .for_(Duration::from_secs(300)),
            )
        },
    );
    let error = report.expect_err("a for as long as the window").to_string();
    assert!(
        error.contains("BotRestarting") && error.contains("make `within` longer"),
        "{error}"
    );
    // At the line: the count is above 3 from the fourth restart (1m30s after the first)
    // until the first leaves the 5m window, and `for` must pass within that.
    let at = |for_secs: u64| {
        emit(
            &format!("behaviour-job-line-{for_secs}"),
            "#[botwatch::counted(alert(idle > 10m))]\npub fn on_block() {}\n",
            |r| {
                r.job("chimera").bot_restarting(
                    BotRestarting::new()
                        .within(Duration::from_secs(300))
                        .for_(Duration::from_secs(for_secs)),
                )
            },
        )
    };
    assert!(at(210).1.is_err(), "1m30s + 3m30s is the whole window");
    let (root, report) = at(195);
    report.expect("1m30s + 3m15s fits");
    // And the generated tests prove it fires there.
    generated_tests_pass(&root);
}

#[test]
fn mimir_groups_are_named_after_the_crate() {
    let (root, report) = emit(
        "behaviour-mimir",
        "#[botwatch::counted(alert(idle > 10m), slo(objective = 99%))]\npub fn on_block() {}\n",
        |r| r.mimir_to("mimir.yml", "bots"),
    );
    report.expect("rules emitted");
    let text = std::fs::read_to_string(root.join("mimir.yml")).unwrap();
    // Two bots loading into one namespace keep their own groups.
    for group in [
        "bot.botwatch.recording",
        "bot.botwatch.recording.long",
        "bot.botwatch.alerts",
    ] {
        assert!(text.contains(&format!("  - name: \"{group}\"\n")), "{text}");
    }
    assert!(!text.contains("  - name: \"botwatch."), "{text}");
}

const SPARSE: &str = r#"
#[botwatch::counted(alert(error_rate > 40%, for = 1m, min_rate = 0.1/s))]
pub fn submit() -> Result<(), String> { Ok(()) }

#[botwatch::counted(alert(error_rate > 40%, for = 1m))]
pub fn cancel() -> Result<(), String> { Ok(()) }
"#;

#[test]
#[ignore = "slow: promtool"]
fn min_rate_silences_an_error_rate_on_too_little_traffic_only() {
    let root = emitted("behaviour-min-rate", SPARSE);
    let calls = |function: &str, result: &str, values: &str| {
        format!(
            "      - series: 'function_calls_total{{function=\"{function}\", module=\"bot\", result=\"{result}\", instance=\"a\"}}'\n        values: '{values}'\n"
        )
    };
    let check = |name: &str, function: &str, alert: &str, series: &str, firing: Option<&str>| {
        let expected = match firing {
            None => "        exp_alerts: []\n".to_owned(),
            Some(share) => format!(
                "        exp_alerts:\n          - exp_labels: {{severity: warning, function: {function}, module: bot}}\n            exp_annotations:\n              summary: {function} error rate above 40%\n              description: {share} of calls to bot::{function} returned an error over the last 5m; the threshold is 40%.\n"
            ),
        };
        format!(
            "  - name: {name}\n    interval: 15s\n    input_series:\n{series}    alert_rule_test:\n      - alertname: {alert}\n        eval_time: 4m\n{expected}"
        )
    };
    // 0.5 calls a second, 90 % failing: an outage, with or without a minimum.
    let busy = |f: &str| calls(f, "error", "0+6.75x40") + &calls(f, "ok", "0+0.75x40");
    // Two calls in all, one failed: 50 % errors, on 1/150 of a call a second.
    let sparse = |f: &str| calls(f, "error", "0x3 1x40") + &calls(f, "ok", "0x3 1x40");
    let tests = check(
        "busy and failing",
        "submit",
        "SubmitErrorRateHigh",
        &busy("submit"),
        Some("90%"),
    ) + &check(
        "one failure in two calls",
        "submit",
        "SubmitErrorRateHigh",
        &sparse("submit"),
        None,
    ) + &check(
        "one failure in two calls, no minimum",
        "cancel",
        "CancelErrorRateHigh",
        &sparse("cancel"),
        Some("50%"),
    );
    promtool_test(&root, &tests);
    generated_tests_pass(&root);
}

#[test]
#[ignore = "slow: promtool"]
fn errors_counts_failed_calls_across_instances_exactly() {
    let root = emitted(
        "behaviour-errors",
        "#[botwatch::counted(alert(errors > 3, within = 10m, for = 0s))]\npub fn submit() -> Result<(), String> { Ok(()) }\n",
    );
    let rules = std::fs::read_to_string(root.join("alerts.yml")).unwrap();
    assert!(rules.contains("- alert: SubmitErrors\n"), "{rules}");
    let errors = |instance: &str, values: &str| {
        format!(
            "      - series: 'function_calls_total{{function=\"submit\", module=\"bot\", result=\"error\", instance=\"{instance}\"}}'\n        values: '{values}'\n"
        )
    };
    let ok = "      - series: 'function_calls_total{function=\"submit\", module=\"bot\", result=\"ok\", instance=\"a\"}'\n        values: '0+100x40'\n";
    // Three errors on a replica up for ten minutes, scraped every 20s: increase() would
    // extrapolate them past 3.
    let three = errors("a", "5x35 6x3 7x3 8x40");
    // Two errors on each of two replicas: four in the fleet.
    let four = errors("a", "0x4 1x3 2x40") + &errors("b", "0x6 1x3 2x40");
    let test = |name: &str, series: &str, expected: &str| {
        format!(
            "  - name: {name}\n    interval: 15s\n    input_series:\n{series}{ok}    alert_rule_test:\n      - alertname: SubmitErrors\n        eval_time: 9m45s\n{expected}"
        )
    };
    let tests = test("exactly three", &three, "        exp_alerts: []\n")
        .replace("interval: 15s", "interval: 20s")
        .replace("eval_time: 9m45s", "eval_time: 19m45s")
        + &test(
            "four across two replicas",
            &four,
            "        exp_alerts:\n          - exp_labels: {severity: warning, function: submit, module: bot}\n            exp_annotations:\n              summary: submit failed more than 3 times in 10m\n              description: 4 calls to bot::submit returned an error in the last 10m (more than 3).\n",
        );
    promtool_test(&root, &tests);
    generated_tests_pass(&root);
}
