//! The emitted rules on what a real fleet does, checked with the real promtool on
//! hand-written unit tests: series scraped with `job` and `instance` like a real target,
//! replicas that come and go, restarts, failed scrapes, two deployments on one Prometheus,
//! a deploy that adds a bucket. None of the data is drawn from the generator's model; each
//! test is a defect the rules had while the generated tests passed.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

#[path = "common/scratch_crate.rs"]
mod scratch_crate;

use scratch_crate::{emit, emitted};

use botwatch_tests::{run_ok, tool};

/// The job a real scrape config gives the bot.
const JOB: &str = "mm-bot";
/// Two pods of it.
const POD_A: &str = "10.0.0.7:9000";
const POD_B: &str = "10.0.0.8:9000";
/// A third pod, deleted mid-run.
const POD_C: &str = "10.0.0.9:9000";

/// Runs hand-written promtool unit tests (`tests:` items) against the crate's rules,
/// evaluated every `interval` (recording rules first, as Prometheus' groups would have
/// them by the time an alert reads them).
fn promtool_test(root: &Path, interval: &str, tests: &str) {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let file = root.join("fleet.test.yml");
    std::fs::write(
        &file,
        format!(
            "rule_files:\n  - alerts.yml\nevaluation_interval: {interval}\ngroup_eval_order:\n  - botwatch.recording\n  - botwatch.recording.long\n  - botwatch.alerts\ntests:\n{tests}"
        ),
    )
    .unwrap();
    let out = run_ok(
        &promtool,
        &[OsStr::new("test"), OsStr::new("rules"), file.as_os_str()],
    );
    assert!(out.contains("SUCCESS"), "{out}");
}

/// One input series: `metric{labels}` with promtool's expanding notation (`stale` for a
/// stale marker, `_` for a scrape without the series).
fn series(metric: &str, labels: &[(&str, &str)], values: &str) -> String {
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!(
        "      - series: '{metric}{{{}}}'\n        values: '{values}'\n",
        labels.join(", ")
    )
}

/// An alert promtool should see firing: its labels (`alertname` aside) and annotations.
struct Firing<'a> {
    labels: &'a [(&'a str, &'a str)],
    summary: &'a str,
    description: &'a str,
}

/// One `alert_rule_test` item: `alertname` at `at`, firing exactly `firing`.
fn expect(alertname: &str, at: &str, firing: &[Firing<'_>]) -> String {
    let mut out = format!("      - alertname: {alertname}\n        eval_time: {at}\n");
    if firing.is_empty() {
        out.push_str("        exp_alerts: []\n");
        return out;
    }
    out.push_str("        exp_alerts:\n");
    for alert in firing {
        out.push_str("          - exp_labels:\n");
        for (k, v) in alert.labels {
            out.push_str(&format!("              {k}: '{v}'\n"));
        }
        out.push_str(&format!(
            "            exp_annotations:\n              summary: '{}'\n              description: '{}'\n",
            alert.summary, alert.description
        ));
    }
    out
}

/// One `tests:` item.
fn case(name: &str, interval: &str, input: &str, checks: &str) -> String {
    format!(
        "  - name: '{name}'\n    interval: {interval}\n    input_series:\n{input}    alert_rule_test:\n{checks}"
    )
}

/// `function_calls_total` of `bot::submit` on one pod of `job`, with per-call labels.
fn submit_calls(job: &str, pod: &str, call: &[(&str, &str)], result: &str, values: &str) -> String {
    let mut labels = vec![
        ("job", job),
        ("instance", pod),
        ("function", "submit"),
        ("module", "bot"),
    ];
    labels.extend_from_slice(call);
    labels.push(("result", result));
    series("function_calls_total", &labels, values)
}

// 1. Per-call labels come from the series: a static `venue` label paged a Kraken outage as
//    another venue, and two venues failing at once were one label set twice, an evaluation
//    error: nothing paged.

const VENUES: &str = r#"
#[botwatch::counted(labels(venue = venue), alert(error_rate > 5%))]
pub fn submit(venue: &str) -> Result<(), String> { let _ = venue; Ok(()) }
"#;

#[test]
#[ignore = "slow: promtool"]
fn error_rate_pages_each_failing_venue_with_its_own_venue() {
    let root = emitted("fleet-venues", VENUES);
    let venue = |v: &str, failing: bool| {
        let (error, ok) = if failing {
            ("0+4x80", "0+6x80")
        } else {
            ("0x80", "0+100x80")
        };
        [POD_A, POD_B]
            .iter()
            .map(|pod| {
                submit_calls(JOB, pod, &[("venue", v)], "error", error)
                    + &submit_calls(JOB, pod, &[("venue", v)], "ok", ok)
            })
            .collect::<String>()
    };
    let paged = |v: &'static str| Firing {
        labels: match v {
            "kraken" => &[
                ("severity", "warning"),
                ("job", JOB),
                ("function", "submit"),
                ("module", "bot"),
                ("venue", "kraken"),
            ],
            _ => &[
                ("severity", "warning"),
                ("job", JOB),
                ("function", "submit"),
                ("module", "bot"),
                ("venue", "binance"),
            ],
        },
        summary: "submit error rate above 5%",
        description:
            "40% of calls to bot::submit returned an error over the last 5m; the threshold is 5%.",
    };
    let tests = case(
        "Kraken alone failing",
        "15s",
        &(venue("kraken", true) + &venue("binance", false)),
        &expect("SubmitErrorRateHigh", "10m", &[paged("kraken")]),
    ) + &case(
        "Kraken and Binance failing at once",
        "15s",
        &(venue("kraken", true) + &venue("binance", true)),
        &expect(
            "SubmitErrorRateHigh",
            "10m",
            &[paged("binance"), paged("kraken")],
        ),
    );
    promtool_test(&root, "15s", &tests);
}

const PER_VENUE_BREAKER: &str = r#"
#[botwatch::circuit_breaker(name = "venue", per = venue, alert(open))]
pub fn submit(venue: &str) -> Result<(), botwatch::CircuitOpen> { let _ = venue; Ok(()) }
"#;

#[test]
#[ignore = "slow: promtool"]
fn per_key_breaker_pages_each_open_key_with_its_own_key() {
    let root = emitted("fleet-breaker-keys", PER_VENUE_BREAKER);
    // 0 closed, 1 open, 2 half-open.
    let state = |key: &str, values: &str| {
        [POD_A, POD_B]
            .iter()
            .map(|pod| {
                series(
                    "circuit_breaker_state",
                    &[
                        ("job", JOB),
                        ("instance", pod),
                        ("breaker", "venue"),
                        ("key", key),
                    ],
                    values,
                )
            })
            .collect::<String>()
    };
    let open = "0x4 1x40";
    let closed = "0x44";
    let paged = |key: &'static str| {
        Firing {
        labels: match key {
            "kraken" => &[
                ("severity", "critical"),
                ("job", JOB),
                ("breaker", "venue"),
                ("key", "kraken"),
            ],
            _ => &[
                ("severity", "critical"),
                ("job", JOB),
                ("breaker", "venue"),
                ("key", "binance"),
            ],
        },
        summary: match key {
            "kraken" => "Circuit breaker venue (kraken) is open",
            _ => "Circuit breaker venue (binance) is open",
        },
        description: match key {
            "kraken" => "Circuit breaker venue (kraken) has not been closed for 1m on 2 instance(s); calls through it are rejected.",
            _ => "Circuit breaker venue (binance) has not been closed for 1m on 2 instance(s); calls through it are rejected.",
        },
    }
    };
    let tests = case(
        "kraken open",
        "15s",
        &(state("kraken", open) + &state("binance", closed)),
        &expect("CircuitBreakerOpen", "5m", &[paged("kraken")]),
    ) + &case(
        "kraken and binance open",
        "15s",
        &(state("kraken", open) + &state("binance", open)),
        &expect(
            "CircuitBreakerOpen",
            "5m",
            &[paged("binance"), paged("kraken")],
        ),
    );
    promtool_test(&root, "15s", &tests);
}

// 2. `errors > N` fires at once by default: with `for` defaulting to `within`, a burst left
//    the window before `for` ran out and never paged.

#[test]
#[ignore = "slow: promtool"]
fn errors_burst_within_one_scrape_pages_at_once() {
    let root = emitted(
        "fleet-errors-burst",
        "#[botwatch::counted(alert(errors > 3))]\npub fn submit() -> Result<(), String> { Ok(()) }\n",
    );
    let input = submit_calls(JOB, POD_A, &[], "ok", "0+50x60")
        + &submit_calls(JOB, POD_A, &[], "error", "0x20 5x40");
    let paged = Firing {
        labels: &[
            ("severity", "warning"),
            ("job", JOB),
            ("function", "submit"),
            ("module", "bot"),
        ],
        summary: "submit failed more than 3 times in 5m",
        description: "5 calls to bot::submit returned an error in the last 5m (more than 3).",
    };
    let tests = case(
        "five errors in one scrape",
        "15s",
        &input,
        &(expect("SubmitErrors", "5m", &[]) + &expect("SubmitErrors", "5m15s", &[paged])),
    );
    promtool_test(&root, "15s", &tests);
}

#[test]
fn errors_with_for_not_shorter_than_within_is_a_build_error() {
    let (_, report) = emit(
        "fleet-errors-for",
        "#[botwatch::counted(alert(errors > 3, within = 5m, for = 5m))]\npub fn submit() -> Result<(), String> { Ok(()) }\n",
        |r| r,
    );
    let message = report.expect_err("for = within").to_string();
    assert!(
        message.contains(
            "src/lib.rs:1: #[counted] on `submit`: `for = 5m` is not shorter than `within = 5m`"
        ),
        "{message}"
    );
}

/// A ratio is taken per per-call label set: the other function must carry this one's
/// per-call labels, and be `#[counted]`; either mistake is a build error naming both.
#[test]
fn a_calls_ratio_to_a_function_without_its_labels_or_uncounted_is_a_build_error() {
    let (_, report) = emit(
        "fleet-ratio-labels",
        "#[botwatch::counted(labels(venue = venue), alert(calls / place_order < 20%))]\npub fn fill(venue: &str) { let _ = venue; }\n\n#[botwatch::counted]\npub fn place_order() {}\n",
        |r| r,
    );
    let message = report.expect_err("labels not shared").to_string();
    assert!(
        message.contains("bot::fill (src/lib.rs:1)")
            && message.contains("bot::place_order (src/lib.rs:4)")
            && message.contains("no per-call label `venue`"),
        "{message}"
    );
    let (_, report) = emit(
        "fleet-ratio-uncounted",
        "#[botwatch::counted(alert(calls / place_order < 20%))]\npub fn fill() {}\n\n#[botwatch::timed]\npub fn place_order() {}\n",
        |r| r,
    );
    let message = report.expect_err("not counted").to_string();
    assert!(
        message.contains("bot::fill (src/lib.rs:1)")
            && message.contains("`place_order`, which names no #[botwatch::counted] function"),
        "{message}"
    );
}

// 3. Two deployments of one code base on one Prometheus: summed together, the paper twin's
//    traffic hid the live bot's outage.

#[test]
#[ignore = "slow: promtool"]
fn error_rate_keeps_two_jobs_apart() {
    let root = emitted(
        "fleet-two-jobs",
        "#[botwatch::counted(alert(error_rate > 5%))]\npub fn submit() -> Result<(), String> { Ok(()) }\n",
    );
    let paper = "mm-bot-paper";
    let input = submit_calls(JOB, POD_A, &[], "error", "0+2x80")
        + &submit_calls(JOB, POD_A, &[], "ok", "0x80")
        + &submit_calls(paper, "10.0.1.7:9000", &[], "ok", "0+200x80")
        + &submit_calls(paper, "10.0.1.7:9000", &[], "error", "0x80");
    let paged = Firing {
        labels: &[
            ("severity", "warning"),
            ("job", JOB),
            ("function", "submit"),
            ("module", "bot"),
        ],
        summary: "submit error rate above 5%",
        description:
            "100% of calls to bot::submit returned an error over the last 5m; the threshold is 5%.",
    };
    let tests = case(
        "live bot failing, paper twin busy and fine",
        "15s",
        &input,
        &expect("SubmitErrorRateHigh", "10m", &[paged]),
    );
    promtool_test(&root, "15s", &tests);
}

// 4. A failed scrape stale-marks every series of the target; the balance alert's `for`
//    restarted at it.

const BALANCE: &str = r#"
/// Balance of the operator's wallet, in ETH.
#[botwatch::gauge(alert(value < 0.5, for = 5m, severity = "critical"))]
pub static OPERATOR_BALANCE_ETH: botwatch::Gauge = botwatch::Gauge::new();
"#;

#[test]
#[ignore = "slow: promtool"]
fn low_balance_pages_across_one_failed_scrape() {
    let root = emitted("fleet-balance", BALANCE);
    let input = series(
        "operator_balance_eth",
        &[("job", JOB), ("instance", POD_A)],
        "0.3x10 stale 0.3x30",
    );
    let paged = Firing {
        labels: &[("severity", "critical"), ("job", JOB)],
        summary: "operator_balance_eth below 0.5",
        description: "operator_balance_eth is 0.3 on the lowest replica; the threshold is 0.5.",
    };
    let tests = case(
        "0.3 ETH, one failed scrape",
        "15s",
        &input,
        &(expect("OperatorBalanceEthLow", "4m45s", &[])
            + &expect("OperatorBalanceEthLow", "5m", &[paged])),
    );
    promtool_test(&root, "15s", &tests);
}

// 5. `unchanged` judged a deleted pod's tail and a new pod's first minute: neither says the
//    feed is stale.

const HEIGHT: &str = r#"
/// The last block the bot has seen.
#[botwatch::gauge(alert(unchanged > 5m, for = 1m))]
pub static BLOCK_HEIGHT: botwatch::Gauge = botwatch::Gauge::new();
"#;

#[test]
#[ignore = "slow: promtool"]
fn unchanged_ignores_a_deleted_pods_tail_and_a_new_pods_first_minutes() {
    let root = emitted("fleet-unchanged", HEIGHT);
    let height = |pod: &str, values: &str| {
        series("block_height", &[("job", JOB), ("instance", pod)], values)
    };
    // Pod A follows the chain for 10m, stops on SIGTERM and drains for 2m, then is deleted
    // (stale, then never scraped again); pod B replaces it at 11m and follows the chain.
    let rollout = height(POD_A, "100+1x40 140x7 stale") + &height(POD_B, "_x44 144+1x80");
    // Pod A follows the chain all along; pod B joins at 10m and has not moved yet.
    let scale_up = height(POD_A, "100+1x100") + &height(POD_B, "_x40 7x60");
    let paged = Firing {
        labels: &[("severity", "warning"), ("job", JOB)],
        summary: "block_height has not changed for 5m",
        description: "block_height has kept the same value for the last 5m on at least one replica: whatever updates it has stopped.",
    };
    let tests = case(
        "a pod deleted mid-run",
        "15s",
        &rollout,
        &(expect("BlockHeightStale", "16m", &[])
            + &expect("BlockHeightStale", "17m", &[])
            + &expect("BlockHeightStale", "18m", &[])),
    ) + &case(
        "a new pod with a constant value",
        "15s",
        &scale_up,
        &(expect("BlockHeightStale", "11m", &[])
            + &expect("BlockHeightStale", "12m", &[])
            + &expect("BlockHeightStale", "14m", &[])
            + &expect("BlockHeightStale", "17m", &[paged])),
    );
    promtool_test(&root, "15s", &tests);
}

// 6. After a restart a labelled function has no series until its first call; `absent(...)`
//    paged `idle` right after every restart.

#[test]
#[ignore = "slow: promtool"]
fn idle_stays_silent_across_a_restart_shorter_than_its_window() {
    let root = emitted(
        "fleet-idle-restart",
        r#"
#[botwatch::counted(labels(venue = venue), alert(idle > 10m))]
pub fn submit(venue: &str) -> Result<(), String> { let _ = venue; Ok(()) }
"#,
    );
    // Calls every scrape for 20m, a restart (stale), the first call 7m later.
    let input = submit_calls(
        JOB,
        POD_A,
        &[("venue", "kraken")],
        "ok",
        "1+3x80 stale _x27 1+3x40",
    );
    // The same restart, and no call since: idle, once a whole window has no call, named
    // by the job and the venue that went silent.
    let gone = submit_calls(JOB, POD_A, &[("venue", "kraken")], "ok", "1+3x80 stale");
    let paged = Firing {
        labels: &[
            ("severity", "warning"),
            ("function", "submit"),
            ("module", "bot"),
            ("job", JOB),
            ("venue", "kraken"),
        ],
        summary: "submit not called for 10m",
        description: "No call of bot::submit in the last 10m.",
    };
    let tests = case(
        "a restart, the first call 7m later",
        "15s",
        &input,
        &(expect("SubmitIdle", "24m", &[])
            + &expect("SubmitIdle", "26m", &[])
            + &expect("SubmitIdle", "27m45s", &[])
            + &expect("SubmitIdle", "32m", &[])),
    ) + &case(
        "a restart, no call since",
        "15s",
        &gone,
        &(expect("SubmitIdle", "30m", &[]) + &expect("SubmitIdle", "36m", &[paged])),
    );
    promtool_test(&root, "15s", &tests);
}

#[test]
#[ignore = "slow: promtool"]
fn idle_counts_the_call_that_creates_a_label_set() {
    let root = emitted(
        "fleet-idle-first-call",
        r#"
#[botwatch::counted(labels(venue = venue), alert(idle > 10m))]
pub fn submit(venue: &str) -> Result<(), String> { let _ = venue; Ok(()) }
"#,
    );
    // Kraken is called every scrape; Bybit, a venue just added, at 2m and every 6m after.
    let input = submit_calls(JOB, POD_A, &[("venue", "kraken")], "ok", "1+3x80")
        + &submit_calls(
            JOB,
            POD_A,
            &[("venue", "bybit")],
            "ok",
            "_x8 1x23 2x23 3x23 4x10",
        );
    let tests = case(
        "a new venue called every 6m",
        "15s",
        &input,
        &(expect("SubmitIdle", "7m30s", &[]) + &expect("SubmitIdle", "19m", &[])),
    );
    promtool_test(&root, "15s", &tests);
}

#[test]
#[ignore = "slow: promtool"]
fn idle_pages_one_job_while_another_job_still_calls() {
    let root = emitted(
        "fleet-idle-two-jobs",
        "#[botwatch::counted(alert(idle > 10m))]\npub fn on_block() {}\n",
    );
    let calls = |job: &str, pod: &str, values: &str| {
        series(
            "function_calls_total",
            &[
                ("job", job),
                ("instance", pod),
                ("function", "on_block"),
                ("module", "bot"),
                ("result", "ok"),
            ],
            values,
        )
    };
    // The live bot calls on_block all along; its paper twin restarts at 10m and hangs
    // before its first call.
    let input =
        calls(JOB, POD_A, "0+5x160") + &calls("mm-bot-paper", "10.0.1.7:9000", "0+5x40 stale");
    let paged = Firing {
        labels: &[
            ("severity", "warning"),
            ("job", "mm-bot-paper"),
            ("function", "on_block"),
            ("module", "bot"),
        ],
        summary: "on_block not called for 10m",
        description: "No call of bot::on_block in the last 10m.",
    };
    let tests = case(
        "the paper twin hangs after a restart",
        "15s",
        &input,
        &expect("OnBlockIdle", "30m", &[paged]),
    );
    promtool_test(&root, "15s", &tests);
}

// 7. `errors > N` counted only what the counter rose by since the window's minimum: a new
//    label set's first sample and the errors before a restart were not counted.

#[test]
#[ignore = "slow: promtool"]
fn errors_count_a_new_label_sets_first_sample_and_across_a_restart() {
    let root = emitted(
        "fleet-errors-count",
        r#"
#[botwatch::counted(labels(venue = venue), alert(errors > 3))]
pub fn submit(venue: &str) -> Result<(), String> { let _ = venue; Ok(()) }
"#,
    );
    let kraken = [("venue", "kraken")];
    // The error series of Kraken appears at 5m with the five errors of its first scrape.
    let first = submit_calls(JOB, POD_A, &kraken, "ok", "0+50x60")
        + &submit_calls(JOB, POD_A, &kraken, "error", "_x20 5x40");
    // Three errors, a restart at 3m (one failed scrape, one without the series yet), two
    // errors after it.
    let restart = submit_calls(JOB, POD_A, &kraken, "ok", "0+50x11 stale _ 0+50x30")
        + &submit_calls(JOB, POD_A, &kraken, "error", "0x8 1 2 3 stale _ 1 2x30");
    let paged = |description: &'static str| Firing {
        labels: &[
            ("severity", "warning"),
            ("job", JOB),
            ("function", "submit"),
            ("module", "bot"),
            ("venue", "kraken"),
        ],
        summary: "submit failed more than 3 times in 5m",
        description,
    };
    let five = "5 calls to bot::submit returned an error in the last 5m (more than 3).";
    let four = "4 calls to bot::submit returned an error in the last 5m (more than 3).";
    let tests = case(
        "a label set first seen with five errors",
        "15s",
        &first,
        &expect("SubmitErrors", "5m", &[paged(five)]),
    ) + &case(
        "three errors, a restart, two errors",
        "15s",
        &restart,
        &(expect("SubmitErrors", "3m15s", &[])
            + &expect("SubmitErrors", "3m30s", &[paged(four)])
            + &expect("SubmitErrors", "3m45s", &[paged(five)])),
    );
    promtool_test(&root, "15s", &tests);
}

// 8. The latency SLO counted every call of a replica without the threshold's bucket (built
//    before the deploy that added it) as slow.

#[test]
#[ignore = "slow: promtool"]
fn latency_slo_ignores_replicas_without_the_threshold_bucket() {
    let root = emitted(
        "fleet-slo-bucket",
        "#[botwatch::timed(slo(objective = 99%, latency = 100ms))]\npub fn quote() {}\n",
    );
    let bucket = |pod: &str, le: &str, values: &str| {
        series(
            "function_calls_duration_seconds_bucket",
            &[
                ("job", JOB),
                ("instance", pod),
                ("function", "quote"),
                ("module", "bot"),
                ("le", le),
            ],
            values,
        )
    };
    let count = |pod: &str, values: &str| {
        series(
            "function_calls_duration_seconds_count",
            &[
                ("job", JOB),
                ("instance", pod),
                ("function", "quote"),
                ("module", "bot"),
            ],
            values,
        )
    };
    // 100 calls a minute on each replica, all under 50ms. The old replica's buckets have no
    // 0.1; the new one, deployed at 30m, has it.
    let old = ["0.05", "0.25", "1", "+Inf"]
        .iter()
        .map(|le| bucket(POD_A, le, "0+100x60"))
        .collect::<String>()
        + &count(POD_A, "0+100x60");
    let new = ["0.05", "0.1", "0.25", "1", "+Inf"]
        .iter()
        .map(|le| bucket(POD_B, le, "_x30 0+100x30"))
        .collect::<String>()
        + &count(POD_B, "_x30 0+100x30");
    // The same rollout, with every call of the new replica slow: that burns the budget.
    let slow = ["0.05", "0.1"]
        .iter()
        .map(|le| bucket(POD_B, le, "_x30 0x30"))
        .collect::<String>()
        + &["0.25", "1", "+Inf"]
            .iter()
            .map(|le| bucket(POD_B, le, "_x30 0+100x30"))
            .collect::<String>()
        + &count(POD_B, "_x30 0+100x30");
    let burn = |severity: &'static str, description: &'static str| Firing {
        labels: match severity {
            "critical" => &[
                ("severity", "critical"),
                ("job", JOB),
                ("function", "quote"),
                ("module", "bot"),
            ],
            _ => &[
                ("severity", "warning"),
                ("job", JOB),
                ("function", "quote"),
                ("module", "bot"),
            ],
        },
        summary: "quote is burning its latency budget (99% objective)",
        description,
    };
    let tests = case(
        "an old replica without the bucket, a new one with it, all calls fast",
        "1m",
        &(old.clone() + &new),
        &(expect("QuoteLatencyBudgetBurn", "35m", &[])
            + &expect("QuoteLatencyBudgetBurn", "45m", &[])
            + &expect("QuoteLatencyBudgetBurn", "60m", &[])),
    ) + &case(
        "an old replica without the bucket, a new one with it, its calls slow",
        "1m",
        &(old + &slow),
        &expect(
            "QuoteLatencyBudgetBurn",
            "60m",
            &[
                burn("critical", "100% of calls to bot::quote are slower than 0.1s; at this rate the 30-day budget of a 99% objective is spent at least 6x as fast as it allows (gone in 5 days or less)."),
                burn("warning", "100% of calls to bot::quote are slower than 0.1s; at this rate the 30-day budget of a 99% objective runs out before the 30 days are over."),
            ],
        ),
    );
    promtool_test(&root, "1m", &tests);
}

// 9. One slow call a minute at night is not a page; the same share at day traffic is.

#[test]
#[ignore = "slow: promtool"]
fn latency_min_rate_silences_the_night_and_pages_the_day() {
    let root = emitted(
        "fleet-latency-min-rate",
        "#[botwatch::timed(alert(p99 > 250ms, min_rate = 1/s))]\npub fn quote() {}\n",
    );
    let histogram = |per_scrape: &dyn Fn(usize) -> u64| {
        // Every call takes about 400ms: in 0.5, 1 and +Inf, not in 0.1 or 0.25.
        let values: Vec<String> = (0..=60).map(|i| per_scrape(i).to_string()).collect();
        let values = values.join(" ");
        let labels = |le: &'static str| {
            [
                ("job", JOB),
                ("instance", POD_A),
                ("function", "quote"),
                ("module", "bot"),
                ("le", le),
            ]
        };
        let zeros = vec!["0"; 61].join(" ");
        series(
            "function_calls_duration_seconds_bucket",
            &labels("0.1"),
            &zeros,
        ) + &series(
            "function_calls_duration_seconds_bucket",
            &labels("0.25"),
            &zeros,
        ) + &series(
            "function_calls_duration_seconds_bucket",
            &labels("0.5"),
            &values,
        ) + &series(
            "function_calls_duration_seconds_bucket",
            &labels("1"),
            &values,
        ) + &series(
            "function_calls_duration_seconds_bucket",
            &labels("+Inf"),
            &values,
        ) + &series(
            "function_calls_duration_seconds_count",
            &labels("")[..4],
            &values,
        )
    };
    // Scraped every 15s: one call a minute, and 10 calls a second.
    let night = histogram(&|i| (i / 4) as u64);
    let day = histogram(&|i| 150 * i as u64);
    let paged = Firing {
        labels: &[
            ("severity", "warning"),
            ("job", JOB),
            ("function", "quote"),
            ("module", "bot"),
        ],
        summary: "p99 latency of quote above 250ms",
        description:
            "The p99 latency of bot::quote is 497.5ms over the last 5m; the threshold is 250ms.",
    };
    let tests = case(
        "one slow call a minute",
        "15s",
        &night,
        &(expect("QuoteLatencyHigh", "10m", &[]) + &expect("QuoteLatencyHigh", "15m", &[])),
    ) + &case(
        "slow calls at 10/s",
        "15s",
        &day,
        &expect("QuoteLatencyHigh", "10m", &[paged]),
    );
    promtool_test(&root, "15s", &tests);
}

// 10. Prometheus looks back 5m for an instant read: a recording group evaluated every 5m
//     leaves its ratios absent whenever one evaluation is late.

#[test]
#[ignore = "slow: promtool"]
fn long_recording_group_is_evaluated_within_the_lookback() {
    let root = emitted(
        "fleet-long-interval",
        "#[botwatch::counted(slo(objective = 99%))]\npub fn quote() -> Result<(), String> { Ok(()) }\n",
    );
    let text = std::fs::read_to_string(root.join("alerts.yml")).unwrap();
    let group = text
        .split("  - name: ")
        .find(|g| g.starts_with("\"botwatch.recording.long\""))
        .unwrap_or_else(|| panic!("no long recording group: {text}"));
    let interval = group
        .lines()
        .find_map(|l| l.trim().strip_prefix("interval: "))
        .unwrap_or_else(|| panic!("the long group has no interval: {group}"));
    let seconds = match interval.trim_matches('"').split_at(interval.len() - 1) {
        (n, "s") => n.parse::<u64>().unwrap(),
        (n, "m") => n.parse::<u64>().unwrap() * 60,
        _ => panic!("unexpected interval {interval}"),
    };
    assert!(
        Duration::from_secs(seconds) < Duration::from_secs(300),
        "botwatch.recording.long is evaluated every {interval}, not under Prometheus' 5m lookback"
    );
}

// 15. Label overflow: calls recorded as `__overflow__` page each deployment that had them,
//     for an hour, whatever the replica, restart or other function did.

const OVERFLOWING: &str = r#"
#[botwatch::counted(labels(symbol = symbol), max_series = 20)]
#[botwatch::timed(labels(symbol = symbol), max_series = 20)]
pub fn quote(symbol: &str) -> usize { symbol.len() }
#[botwatch::counted(labels(pool = pool))]
pub fn route(pool: &str) -> usize { pool.len() }
"#;

#[test]
#[ignore = "slow: promtool"]
fn label_overflow_pages_the_deployment_that_overflowed_for_an_hour() {
    let root = emitted("fleet-overflow", OVERFLOWING);
    let overflow = |job: &str, pod: &str, function: &str, values: &str| {
        series(
            "botwatch_label_overflow_total",
            &[
                ("job", job),
                ("instance", pod),
                ("function", function),
                ("module", "bot"),
            ],
            values,
        )
    };
    // Scraped every 15s, for 70 minutes before anything happens: the canary had overflowed
    // 7 calls more than an hour ago (still on its counter), which no longer count. Then it
    // overflows 2 calls on pod A at 70m15s; pod A restarts at 70m45s and overflows 3 more
    // (71m); pod B of the canary is new (a rollout) and overflows once at its first scrape
    // (70m30s), which `increase()` would miss; its next scrape fails (70m45s), and the one
    // after must not count its call again. The main deployment never does; `route`
    // overflows on it at the same time, which is another alert.
    let input = [
        overflow("mm-bot", POD_A, "quote", "0x600"),
        overflow("mm-bot", POD_B, "quote", "0x600"),
        overflow("mm-bot-canary", POD_A, "quote", "7x280 9 9 0 3x316"),
        overflow("mm-bot-canary", POD_B, "quote", "_x282 1 stale 1x315"),
        overflow("mm-bot", POD_A, "route", "0x281 5x318"),
    ]
    .concat();
    let description = |value: &str| -> &'static str {
        let text = format!(
            "{value} calls of bot::quote went to its \"__overflow__\" series in the last hour: \
             more label sets than its max_series were live at once, and those calls were not \
             recorded under their own labels (alerts on them were blind). Raise max_series, or \
             lower label_idle so that idle sets leave sooner."
        );
        Box::leak(text.into_boxed_str())
    };
    let canary = |value: &str| Firing {
        labels: &[
            ("severity", "warning"),
            ("job", "mm-bot-canary"),
            ("function", "quote"),
            ("module", "bot"),
        ],
        summary: "bot::quote recorded calls as \"__overflow__\"",
        description: description(value),
    };
    let checks = [
        expect("QuoteLabelOverflow", "70m", &[]),
        expect("QuoteLabelOverflow", "70m15s", &[canary("2")]),
        // The restart forgets nothing: 2 before it, 3 after, 1 on pod B.
        expect("QuoteLabelOverflow", "71m", &[canary("6")]),
        // Each call counts for an hour: at 130m30s only the 3 calls of 71m are left, and
        // they are gone by 131m15s (the instants between differ on Prometheus 2's closed
        // ranges and 3's left-open ones).
        expect("QuoteLabelOverflow", "130m30s", &[canary("3")]),
        expect("QuoteLabelOverflow", "131m15s", &[]),
    ]
    .concat();
    promtool_test(
        &root,
        "15s",
        &case("quote overflows on the canary only", "15s", &input, &checks),
    );
}

// 11. Freshness and relations on declared metrics (issue 28), each on a fleet of two pods
//     with real label values, one of them restarting (two scrapes without its series).

const PRICE_FEED: &str = r#"
/// Last price per venue, in USD; its updater may die while the price stays put.
#[botwatch::gauge(labels(venue), alert(stale > 2m, for = 1m))]
pub static PRICE_USD: botwatch::Gauge = botwatch::Gauge::new();
"#;

#[test]
#[ignore = "slow: promtool"]
fn stale_pages_the_venue_whose_updater_died_while_its_price_stayed_put() {
    let root = emitted("fleet-stale", PRICE_FEED);
    let feed = |pod: &str, venue: &str, price: &str, updated: &str| {
        let labels = [("job", JOB), ("instance", pod), ("venue", venue)];
        series("price_usd", &labels, price)
            + &series("price_usd_last_update_timestamp_seconds", &labels, updated)
    };
    // Pod A's Binance updater dies at 10m and comes back at 15m; its price never moves
    // (a constant price written every scrape looks the same). Pod B restarts at 5m; pod C
    // drains (its Binance updater stops at 7m) and is deleted at 8m (a scale-down): its
    // last update times are no verdict on the feed.
    let input = feed(POD_A, "binance", "3150x80", "0+15x40 600x18 900+15x20")
        + &feed(POD_A, "kraken", "3151x80", "0+15x80")
        + &feed(
            POD_B,
            "binance",
            "3150x19 stale _ 3150x58",
            "0+15x19 stale _ 330+15x58",
        )
        + &feed(
            POD_B,
            "kraken",
            "3151x19 stale _ 3151x58",
            "0+15x19 stale _ 330+15x58",
        )
        + &feed(POD_C, "binance", "3150x32 stale", "0+15x28 420x3 stale")
        + &feed(POD_C, "kraken", "3151x32 stale", "0+15x32 stale");
    let paged = Firing {
        labels: &[("severity", "warning"), ("job", JOB), ("venue", "binance")],
        summary: "price_usd not updated for 2m",
        description: "price_usd has not been updated for 3m 15s on the replica updated longest ago (the line is 2m): whatever updates it has stopped, even if its value looks fine.",
    };
    let tests = case(
        "Binance updater dies on pod A, pod B restarts",
        "15s",
        &input,
        &(expect("PriceUsdNotUpdated", "6m", &[])
            + &expect("PriceUsdNotUpdated", "10m30s", &[])
            + &expect("PriceUsdNotUpdated", "12m", &[])
            + &expect("PriceUsdNotUpdated", "13m", &[])
            + &expect("PriceUsdNotUpdated", "13m15s", &[paged])
            + &expect("PriceUsdNotUpdated", "15m", &[])),
    );
    promtool_test(&root, "15s", &tests);
}

const BLOCK_TIME: &str = r#"
/// Timestamp of the latest block the node has seen (Unix seconds).
#[botwatch::gauge(alert(age > 1m, for = 30s))]
pub static LATEST_BLOCK_TIME: botwatch::Gauge = botwatch::Gauge::new();
"#;

#[test]
#[ignore = "slow: promtool"]
fn age_pages_a_node_whose_head_stopped_and_clears_when_it_moves() {
    let root = emitted("fleet-age", BLOCK_TIME);
    let block_time = |pod: &str, values: &str| {
        series(
            "latest_block_time",
            &[("job", JOB), ("instance", pod)],
            values,
        )
    };
    // Blocks are 10 s old when scraped. Pod A's node stalls at 10m and recovers at 15m15s,
    // with one failed scrape at 11m15s; pod B restarts at 4m.
    let input = block_time(POD_A, "-10+15x40 590x3 stale 590x14 905+15x10")
        + &block_time(POD_B, "-10+15x15 stale _ 260+15x53");
    let paged = Firing {
        labels: &[("severity", "warning"), ("job", JOB)],
        summary: "latest_block_time older than 1m",
        description:
            "The time latest_block_time holds is 1m 40s old on the oldest replica (the line is 1m).",
    };
    let tests = case(
        "the node of pod A stalls, pod B restarts",
        "15s",
        &input,
        &(expect("LatestBlockTimeTooOld", "5m", &[])
            + &expect("LatestBlockTimeTooOld", "11m15s", &[])
            + &expect("LatestBlockTimeTooOld", "11m30s", &[paged])
            + &expect("LatestBlockTimeTooOld", "15m15s", &[])),
    );
    promtool_test(&root, "15s", &tests);
}

const NODE_HEADS: &str = r#"
/// The node's head block.
#[botwatch::gauge(alert(lag > 3, for = 1m))]
pub static NODE_HEAD: botwatch::Gauge = botwatch::Gauge::new();
"#;

#[test]
#[ignore = "slow: promtool"]
fn lag_pages_the_one_pod_resyncing_after_a_restart_with_its_instance() {
    let root = emitted("fleet-lag", NODE_HEADS);
    let head =
        |pod: &str, values: &str| series("node_head", &[("job", JOB), ("instance", pod)], values);
    // A block a scrape. Pod B restarts at 5m, comes back 5 blocks behind (one scrape of it
    // fails at 6m) and catches up at 10m15s.
    let input = head(POD_A, "19000000+1x80")
        + &head(
            POD_B,
            "19000000+1x19 stale _ 19000017+1x1 stale 19000020+1x15 19000041+1x39",
        );
    let paged = Firing {
        labels: &[("severity", "warning"), ("job", JOB), ("instance", POD_B)],
        summary: "node_head on 10.0.0.8:9000 behind the fleet",
        description: "node_head on 10.0.0.8:9000 is 5 below the best replica; the line is 3.",
    };
    let tests = case(
        "pod B resyncs after a restart",
        "15s",
        &input,
        &(expect("NodeHeadLagging", "5m", &[])
            + &expect("NodeHeadLagging", "6m15s", &[])
            + &expect("NodeHeadLagging", "6m30s", &[paged])
            + &expect("NodeHeadLagging", "10m15s", &[])),
    );
    promtool_test(&root, "15s", &tests);
}

const HEAD_GAP: &str = r#"
/// The node's head block.
#[botwatch::gauge(alert(value - rpc::PUBLIC_HEAD < -5, for = 1m))]
pub static NODE_HEAD: botwatch::Gauge = botwatch::Gauge::new();

pub mod rpc {
    /// A public RPC's head block, as each pod polls it.
    #[botwatch::gauge]
    pub static PUBLIC_HEAD: botwatch::Gauge = botwatch::Gauge::new();
}
"#;

#[test]
#[ignore = "slow: promtool"]
fn gap_pages_a_pod_whose_node_stalls_behind_the_public_rpc() {
    let root = emitted("fleet-gap", HEAD_GAP);
    let pod = |pod: &str, node: &str, public: &str| {
        let labels = [("job", JOB), ("instance", pod)];
        series("node_head", &labels, node) + &series("public_head", &labels, public)
    };
    // Pod A restarts at 2m. Pod B's node stalls at 5m while the public RPC goes on: its
    // gap passes -5 at 6m30s; one scrape of pod B fails at 7m.
    let input = pod(
        POD_A,
        "19000000+1x7 stale _ 19000010+1x50",
        "19000001+1x7 stale _ 19000011+1x50",
    ) + &pod(
        POD_B,
        "19000000+1x20 19000020x6 stale 19000020x32",
        "19000000+1x27 stale 19000029+1x32",
    );
    let paged = Firing {
        labels: &[("severity", "warning"), ("job", JOB)],
        summary: "node_head - public_head < -5",
        description:
            "node_head minus public_head is -10 on the worst replica, below the line of -5.",
    };
    let tests = case(
        "the node of pod B stalls, pod A restarts",
        "15s",
        &input,
        &(expect("NodeHeadGapLow", "5m", &[])
            + &expect("NodeHeadGapLow", "7m15s", &[])
            + &expect("NodeHeadGapLow", "7m30s", &[paged])),
    );
    promtool_test(&root, "15s", &tests);
}

const INVENTORY: &str = r#"
/// Net inventory per venue, in ETH.
#[botwatch::gauge(labels(venue), alert(total > 10, for = 1m))]
pub static INVENTORY_ETH: botwatch::Gauge = botwatch::Gauge::new();
"#;

#[test]
#[ignore = "slow: promtool"]
fn total_pages_a_pods_inventory_summed_across_venues() {
    let root = emitted("fleet-total", INVENTORY);
    let inventory = |pod: &str, venue: &str, values: &str| {
        series(
            "inventory_eth",
            &[("job", JOB), ("instance", pod), ("venue", venue)],
            values,
        )
    };
    // Pod A holds 6 on Binance and 3 on OKX, 6 from 5m: 12 in all. Pod B holds 9.5 and -2
    // and restarts at 3m; one scrape of pod A fails at 5m30s. No venue alone, and no venue
    // summed over pods, is what counts.
    let input = inventory(POD_A, "binance", "6x21 stale 6x37")
        + &inventory(POD_A, "okx", "3x19 6x1 stale 6x37")
        + &inventory(POD_B, "binance", "9.5x11 stale _ 9.5x46")
        + &inventory(POD_B, "okx", "-2x11 stale _ -2x46");
    let paged = Firing {
        labels: &[("severity", "warning"), ("job", JOB)],
        summary: "inventory_eth total above 10",
        description:
            "inventory_eth summed over its label sets is 12 on the worst replica; the line is 10.",
    };
    let tests = case(
        "the inventory of pod A over the line across venues",
        "15s",
        &input,
        &(expect("InventoryEthTotalHigh", "3m", &[])
            + &expect("InventoryEthTotalHigh", "5m45s", &[])
            + &expect("InventoryEthTotalHigh", "6m", &[paged])),
    );
    promtool_test(&root, "15s", &tests);
}

// 12. Funnels (issue 29): an inclusion rate per builder, on two pods of the live bot (one
//     restarting, its labelled series gone until used again) beside its paper twin.

const INCLUSION: &str = r#"
/// Bundles sent to each builder.
#[botwatch::counter(labels(builder))]
pub static BUNDLES_SUBMITTED: botwatch::Counter = botwatch::Counter::new();

/// Bundles each builder put on chain.
#[botwatch::counter(labels(builder), alert(increase / BUNDLES_SUBMITTED < 20%, min_rate = 2/m))]
pub static BUNDLES_INCLUDED: botwatch::Counter = botwatch::Counter::new();
"#;

#[test]
#[ignore = "slow: promtool"]
fn inclusion_rate_pages_each_builder_that_stops_including_across_a_restart() {
    let root = emitted("fleet-funnel", INCLUSION);
    let counter = |metric: &str, job: &str, pod: &str, builder: &str, values: &str| {
        series(
            metric,
            &[("job", job), ("instance", pod), ("builder", builder)],
            values,
        )
    };
    let submitted = |job: &str, pod: &str, builder: &str, values: &str| {
        counter("bundles_submitted", job, pod, builder, values)
    };
    let included = |job: &str, pod: &str, builder: &str, values: &str| {
        counter("bundles_included", job, pod, builder, values)
    };
    // Per minute. Beaver includes half of what either pod sends. Titan includes 2 of pod A's
    // 8 and 2 of pod B's 6, and nothing from 20m on; its fleet ratio passes under 20 % at
    // 29m. Flashbots never includes a bundle: its `bundles_included` series never exists.
    // Rsync gets one bundle a minute from pod A, under `min_rate`, none included. Pod B
    // restarts at 30m (its series stale, a scrape missed, its counters from zero, titan's
    // included series not recreated). The paper twin's titan includes everything.
    // At 34m titan's fleet included 40 on pod A and 40.69 on pod B (its ended series
    // extrapolated half a scrape past 29m) of 272 + 174 + 12 submitted (pod B's series
    // counted across its reset): 17.62 %.
    let restart = |per: u32| format!("0+{per}x29 stale _ 0+{per}x38");
    let input = submitted(JOB, POD_A, "beaver", "0+8x70")
        + &included(JOB, POD_A, "beaver", "0+4x70")
        + &submitted(JOB, POD_B, "beaver", &restart(6))
        + &included(JOB, POD_B, "beaver", &restart(3))
        + &submitted(JOB, POD_A, "titan", "0+8x70")
        + &included(JOB, POD_A, "titan", "0+2x20 40x50")
        + &submitted(JOB, POD_B, "titan", &restart(6))
        + &included(JOB, POD_B, "titan", "0+2x20 40x8 stale")
        + &submitted(JOB, POD_A, "flashbots", "0+6x70")
        + &submitted(JOB, POD_B, "flashbots", &restart(6))
        + &submitted(JOB, POD_A, "rsync", "0+1x70")
        + &submitted(PAPER, POD_A, "titan", "0+8x70")
        + &included(PAPER, POD_A, "titan", "0+8x70");
    // `(builder, ratio as shown)` of each alert firing at `at`.
    let check = |at: &str, paged: &[(&str, &str)]| {
        let labels: Vec<[(&str, &str); 3]> = paged
            .iter()
            .map(|&(builder, _)| [("severity", "warning"), ("job", JOB), ("builder", builder)])
            .collect();
        let summaries: Vec<String> = paged
            .iter()
            .map(|(_, ratio)| format!("bundles_included at {ratio} of bundles_submitted"))
            .collect();
        let descriptions: Vec<String> = paged
            .iter()
            .map(|(_, ratio)| format!("bundles_included grew by {ratio} of what bundles_submitted grew by over the last 1h, summed over the fleet, below the line of 20%."))
            .collect();
        let list: Vec<Firing<'_>> = labels
            .iter()
            .zip(&summaries)
            .zip(&descriptions)
            .map(|((labels, summary), description)| Firing {
                labels,
                summary,
                description,
            })
            .collect();
        expect("BundlesIncludedRatioLow", at, &list)
    };
    let tests = case(
        "titan stops including, flashbots never did, pod B restarts",
        "1m",
        &input,
        &(check("8m", &[])
            + &check("28m", &[("flashbots", "0%")])
            + &check("33m", &[("flashbots", "0%")])
            + &check("34m", &[("flashbots", "0%"), ("titan", "17.62%")])),
    );
    promtool_test(&root, "1m", &tests);
}

/// The paper twin of the bot, scraped by the same Prometheus.
const PAPER: &str = "mm-bot-paper";

const BOT_STATE: &str = r#"
/// Where the bot's state machine is.
#[botwatch::gauge(
    states(0 = "running", 1 = "paused", 3 = "halted"),
    alert(state == "halted", for = 1m, severity = "critical")
)]
pub static BOT_STATE: botwatch::Gauge = botwatch::Gauge::new();
"#;

/// Catches a state alert that reads another state as halted (`>= 1`, or `> 0`: pod B is
/// paused throughout), that drops `job` from its grouping (the paper twin halted all along
/// would merge into the live bot's alert), or that resolves on one failed scrape.
#[test]
#[ignore = "slow: promtool"]
fn halted_pages_each_job_with_a_halted_pod_across_a_failed_scrape() {
    let root = emitted("fleet-state", BOT_STATE);
    let state = |job: &str, pod: &str, values: &str| {
        series("bot_state", &[("job", job), ("instance", pod)], values)
    };
    // Pod A halts at 2m (one failed scrape at 2m45s) and runs again at 6m15s; pod B is paused
    // and restarts at 2m45s; the paper twin's pod is halted throughout.
    let input = state(JOB, POD_A, "0x7 3x2 _ 3x12 0x20")
        + &state(JOB, POD_B, "1x10 stale _ 1x32")
        + &state("mm-bot-paper", POD_C, "3x44");
    let halted = |job| Firing {
        labels: if job == JOB {
            &[("severity", "critical"), ("job", JOB)]
        } else {
            &[("severity", "critical"), ("job", "mm-bot-paper")]
        },
        summary: "bot_state is halted",
        description: "bot_state is 3 (halted) on at least one replica.",
    };
    let tests = case(
        "pod A halts across a failed scrape, pod B paused, the paper twin halted",
        "15s",
        &input,
        &(expect("BotStateHalted", "2m30s", &[halted("paper")])
            + &expect("BotStateHalted", "3m", &[halted(JOB), halted("paper")])
            + &expect("BotStateHalted", "5m", &[halted(JOB), halted("paper")])
            + &expect("BotStateHalted", "7m", &[halted("paper")])),
    );
    promtool_test(&root, "15s", &tests);
}

const DRAWDOWN_GUARD: &str = r#"
/// The day's drawdown, as a fraction: past 5 % the bot is marked degraded.
#[botwatch::gauge(guard(value > 5%))]
pub static DRAWDOWN: botwatch::Gauge = botwatch::Gauge::new();
"#;

/// Catches a guard alert that reads another guard's series (pod B's `Exposure` guard is
/// engaged throughout), that drops `job` (the paper twin), that resolves on one failed
/// scrape, or that keeps firing for a pod that left while engaged.
#[test]
#[ignore = "slow: promtool"]
fn guard_engaged_pages_its_own_guard_per_job_and_clears_when_the_pod_leaves() {
    let root = emitted("fleet-guard", DRAWDOWN_GUARD);
    let engaged = |job: &str, pod: &str, guard: &str, values: &str| {
        series(
            "botwatch_guard_engaged",
            &[
                ("job", job),
                ("instance", pod),
                ("guard", guard),
                ("breaker", ""),
            ],
            values,
        )
    };
    // Pod A's guard engages at 1m (one failed scrape at 1m45s); the pod leaves at 3m15s.
    let input = engaged(JOB, POD_A, "Drawdown", "0x3 1x2 _ 1x4 stale")
        + &engaged(JOB, POD_B, "Exposure", "1x20")
        + &engaged("mm-bot-paper", POD_C, "Drawdown", "1x20");
    let paged = |job| Firing {
        labels: if job == JOB {
            &[
                ("severity", "critical"),
                ("job", JOB),
                ("guard", "Drawdown"),
            ]
        } else {
            &[
                ("severity", "critical"),
                ("job", "mm-bot-paper"),
                ("guard", "Drawdown"),
            ]
        },
        summary: "Guard Drawdown engaged: value > 0.05",
        description: if job == JOB {
            "The guard on drawdown (value > 0.05) is engaged on a replica of mm-bot. It opens no breaker: the bot is marked degraded (/health answers 503) and keeps running."
        } else {
            "The guard on drawdown (value > 0.05) is engaged on a replica of mm-bot-paper. It opens no breaker: the bot is marked degraded (/health answers 503) and keeps running."
        },
    };
    let tests = case(
        "the guard of pod A engages across a failed scrape and leaves, another guard, the paper twin",
        "15s",
        &input,
        &(expect("DrawdownGuardEngaged", "45s", &[paged("paper")])
            + &expect("DrawdownGuardEngaged", "1m", &[paged(JOB), paged("paper")])
            + &expect("DrawdownGuardEngaged", "1m45s", &[paged(JOB), paged("paper")])
            // Its last sample is read for the 45 s lookback after it left, then no more.
            + &expect("DrawdownGuardEngaged", "3m30s", &[paged(JOB), paged("paper")])
            + &expect("DrawdownGuardEngaged", "4m", &[paged("paper")])),
    );
    promtool_test(&root, "15s", &tests);
}
