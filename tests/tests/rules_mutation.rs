//! Do the generated promtool unit tests catch wrong rules? The rules the build helper emits
//! for the example bot and for the fixture bot (every alert kind) are mutated the ways an
//! alert goes wrong — a threshold halved or doubled, a range window ×4, `for` dropped or
//! ×4, another quantile, `and` → `or`, `instance` added to a `by (...)`, the
//! `result="error"` matcher dropped, and the ways a rule goes wrong in a fleet: an identity
//! matcher dropped (`function=`, `module=`, `breaker=`, `job=`), `job` dropped from a
//! `by (...)`, `min_rate` judged per replica, `max by (le)` for `sum`, `on (instance, job)`
//! narrowed to `on (instance)` — and each mutant runs the emitted unit tests with the
//! real promtool. A mutant the tests still pass on survives. Each bot's tests must kill
//! 95 %, and every mutant outside the known gaps (an SLO's day-long windows ×4, alerts
//! sharing a name that are not tested) must be killed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use botwatch::build::Rules;
use botwatch_tests::{scratch_dir, tool, with_companions};

/// One wrong rule file: line `line` of the rules replaced by `text`.
#[derive(Clone, Debug)]
struct Mutant {
    kind: &'static str,
    line: usize,
    text: Option<String>,
    /// The alerts whose tests can see this line (its own, or those reading a recording).
    alerts: Vec<String>,
}

const QUANTILES: [(&str, &str); 5] = [
    ("0.999", "0.99"),
    ("0.99", "0.95"),
    ("0.95", "0.9"),
    ("0.9", "0.5"),
    ("0.5", "0.9"),
];

fn scale_duration(text: &str, factor: u64) -> String {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let unit = &text[digits.len()..];
    format!("{}{unit}", digits.parse::<u64>().unwrap() * factor)
}

fn scale_number(text: &str, factor: f64) -> String {
    format!("{}", text.parse::<f64>().unwrap() * factor)
}

/// Every mutant of `rules` (a Prometheus rule file as botwatch renders it).
fn mutants(rules: &str) -> Vec<Mutant> {
    let lines: Vec<&str> = rules.lines().collect();
    // Which rule each line belongs to, and every alert's expression.
    let mut owner = Vec::with_capacity(lines.len());
    let mut current = (false, String::new());
    let mut alert_exprs: Vec<(String, String)> = Vec::new();
    for line in &lines {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("- alert: ") {
            current = (true, name.to_owned());
        } else if let Some(record) = trimmed.strip_prefix("- record: ") {
            current = (false, record.trim_matches('"').to_owned());
        }
        if current.0 && trimmed.starts_with("expr: ") {
            alert_exprs.push((current.1.clone(), trimmed.to_owned()));
        }
        owner.push(current.clone());
    }
    let mut out = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let (is_alert, name) = &owner[index];
        let alerts = if *is_alert {
            vec![name.clone()]
        } else {
            let used = format!("{name}{{");
            alert_exprs
                .iter()
                .filter(|(_, expr)| expr.contains(&used))
                .map(|(alert, _)| alert.clone())
                .collect()
        };
        let mut push = |kind: &'static str, text: Option<String>| {
            out.push(Mutant {
                kind,
                line: index,
                text,
                alerts: alerts.clone(),
            });
        };
        let trimmed = line.trim_start();
        if let Some(duration) = trimmed.strip_prefix("for: ") {
            push("for dropped", None);
            push(
                "for ×4",
                Some(line.replace(duration, &scale_duration(duration, 4))),
            );
            continue;
        }
        if !trimmed.starts_with("expr: ") {
            continue;
        }
        // Thresholds: the number after a comparison (zero scales to itself).
        for op in [" > ", " < ", " == ", " != "] {
            let mut from = 0;
            while let Some(at) = line[from..].find(op) {
                let start = from + at + op.len();
                let number: String = line[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == '-')
                    .collect();
                from = start;
                if number.is_empty() || number.parse::<f64>().map_or(true, |n| n == 0.0) {
                    continue;
                }
                for (kind, factor) in [("threshold ×0.5", 0.5), ("threshold ×2", 2.0)] {
                    let mut text = line.to_string();
                    text.replace_range(start..start + number.len(), &scale_number(&number, factor));
                    push(kind, Some(text));
                }
            }
        }
        // Range windows: every window of the rule ×4 (a ratio's two rates together).
        let mut text = String::new();
        let mut rest: &str = line;
        while let Some(at) = rest.find('[') {
            let end = at + 1 + rest[at + 1..].find(']').unwrap();
            let window = &rest[at + 1..end];
            text.push_str(&rest[..=at]);
            if window.starts_with(|c: char| c.is_ascii_digit()) {
                text.push_str(&scale_duration(window, 4));
            } else {
                text.push_str(window);
            }
            rest = &rest[end..];
        }
        text.push_str(rest);
        if text != *line {
            push("window ×4", Some(text));
        }
        for (q, other) in QUANTILES {
            let needle = format!("histogram_quantile({q},");
            if line.contains(&needle) {
                push(
                    "quantile changed",
                    Some(line.replace(&needle, &format!("histogram_quantile({other},"))),
                );
            }
        }
        // `and` → `or` one at a time; `instance` into every `by (...)` of the rule; the
        // error matcher dropped.
        let mut from = 0;
        while let Some(at) = line[from..].find(" and ") {
            let start = from + at;
            let mut text = line.to_string();
            text.replace_range(start..start + 5, " or ");
            push("and → or", Some(text));
            from = start + 5;
        }
        for (needle, replacement, kind) in [
            ("by (", "by (instance, ", "instance added to by (...)"),
            (", result=\"error\"", "", "result=\"error\" dropped"),
            ("by (job, ", "by (", "job dropped from by (...)"),
            (
                "on (instance, job)",
                "on (instance)",
                "on (instance, job) narrowed",
            ),
        ] {
            if line.contains(needle) {
                push(kind, Some(line.replace(needle, replacement)));
            }
        }
        // An identity matcher lost: the rule reads other functions', breakers' or jobs'
        // series too.
        for (label, kind) in [
            ("function", "function= dropped"),
            ("module", "module= dropped"),
            ("breaker", "breaker= dropped"),
            ("job", "job= dropped"),
        ] {
            if let Some(text) = drop_matcher(line, label) {
                push(kind, Some(text));
            }
        }
        // `min_rate` judged per replica: the traffic sum kept apart by instance.
        if let Some(at) = line
            .rfind(" >= ")
            .and_then(|at| line[..at].rfind("sum by ("))
        {
            let mut text = line.to_string();
            text.replace_range(at..at + "sum by (".len(), "sum by (instance, ");
            push("min_rate per replica", Some(text));
        }
        // The buckets of the replicas not added up but the busiest one's taken.
        if line.contains("histogram_quantile(") {
            push(
                "max by (le) for sum",
                Some(line.replace("sum by (", "max by (")),
            );
        }
    }
    out
}

/// `line` with every `label="..."` matcher removed; `None` when it has none.
fn drop_matcher(line: &str, label: &str) -> Option<String> {
    let needle = format!("{label}=\"");
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut dropped = false;
    while let Some(at) = rest.find(&needle) {
        // A matcher starts a selector's braces or follows a comma.
        let before = &rest[..at];
        let starts = before.ends_with('{') || before.ends_with(", ");
        let value_start = at + needle.len();
        let Some(len) = rest[value_start..].find('"') else {
            break;
        };
        let end = value_start + len + 1;
        if !starts {
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        dropped = true;
        let mut kept = before.to_owned();
        let mut after = &rest[end..];
        if let Some(stripped) = after.strip_prefix(", ") {
            after = stripped;
        } else if kept.ends_with(", ") {
            kept.truncate(kept.len() - 2);
        }
        out.push_str(&kept);
        rest = after;
    }
    out.push_str(rest);
    dropped.then_some(out)
}

/// The unit-test file reduced to the groups checking one of `alerts`, each with only the
/// checks of `alerts`: a group holds the probes of several alerts (packed where their
/// series cannot meet), and the reduced rule file (`rules_for`) has none of the others.
fn tests_for(tests: &str, alerts: &[String]) -> String {
    let (head, groups) = tests.split_once("tests:\n").expect("a tests: list");
    let mut kept = String::new();
    for group in groups
        .split("\n  - name: ")
        .filter(|g| !g.trim().is_empty())
    {
        let group = group.strip_prefix("  - name: ").unwrap_or(group);
        if alerts
            .iter()
            .any(|a| group.contains(&format!("      - alertname: {a}\n")))
        {
            kept.push_str("  - name: ");
            kept.push_str(&checks_of(group.trim_end_matches('\n'), alerts));
            kept.push('\n');
        }
    }
    if kept.is_empty() {
        format!("{head}tests: []\n")
    } else {
        format!("{head}tests:\n{kept}")
    }
}

/// `group` (a test group's text) without the checks of alerts other than `alerts`.
fn checks_of(group: &str, alerts: &[String]) -> String {
    let Some((head, checks)) = group.split_once("    alert_rule_test:\n") else {
        return group.to_owned();
    };
    let mut out = format!("{head}    alert_rule_test:\n");
    for check in checks
        .split_inclusive('\n')
        .fold(Vec::<String>::new(), |mut checks, line| {
            match checks.last_mut() {
                Some(last) if !line.starts_with("      - alertname: ") => last.push_str(line),
                _ => checks.push(line.to_owned()),
            }
            checks
        })
    {
        let name = check
            .strip_prefix("      - alertname: ")
            .and_then(|rest| rest.lines().next())
            .unwrap_or("");
        if alerts.iter().any(|a| a == name) {
            out.push_str(&check);
        }
    }
    out.trim_end_matches('\n').to_owned()
}

/// The rule file reduced to the groups' headers, the rules named `alerts` and the recording
/// rules they read: a mutant's tests evaluate only what can change their outcome, which
/// keeps promtool fast without changing any verdict.
fn rules_for(rules: &str, alerts: &[String]) -> String {
    let mut out = String::new();
    let mut block = String::new();
    let mut keep_block = false;
    let keep = |rule: &str| -> bool {
        let rule = rule.trim_start();
        if let Some(name) = rule.strip_prefix("- alert: ") {
            let name = name.lines().next().unwrap_or("");
            return alerts.iter().any(|a| a == name);
        }
        if let Some(record) = rule.strip_prefix("- record: ") {
            let record = record.lines().next().unwrap_or("").trim_matches('"');
            let used = format!("{record}{{");
            let exprs: Vec<&str> = rules
                .split("\n      - alert: ")
                .skip(1)
                .filter(|b| alerts.iter().any(|a| b.starts_with(&format!("{a}\n"))))
                .collect();
            return exprs.iter().any(|b| b.contains(&used));
        }
        true
    };
    for line in rules.lines() {
        let starts_rule =
            line.starts_with("      - alert: ") || line.starts_with("      - record: ");
        let starts_group = line.starts_with("  - name: ") || !line.starts_with("    ");
        if starts_rule || starts_group {
            if keep_block {
                out.push_str(&block);
            }
            block.clear();
            keep_block = if starts_rule { keep(line) } else { true };
        }
        block.push_str(line);
        block.push('\n');
    }
    if keep_block {
        out.push_str(&block);
    }
    // A group left without rules has an empty list.
    let lines: Vec<&str> = out.lines().collect();
    let mut fixed = String::new();
    for (i, line) in lines.iter().enumerate() {
        let empty = line.trim_end() == "rules:"
            && !lines
                .get(i + 1)
                .is_some_and(|next| next.starts_with("      - "));
        fixed.push_str(line);
        if empty {
            fixed.push_str(" []");
        }
        fixed.push('\n');
    }
    fixed
}

/// Runs promtool on `tests` (the generated files, each with its evaluation interval)
/// beside `rules`; true when the tests pass. One group at a time, stopping at the first
/// that fails: most mutants fail early.
fn passes(promtool: &Path, dir: &Path, rules: &str, tests: &[String]) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("alerts.yml"), rules).unwrap();
    tests.iter().all(|tests| {
        // No test for these alerts: nothing can fail.
        let Some((head, groups)) = tests.split_once("tests:\n") else {
            return true;
        };
        let groups: Vec<&str> = groups
            .split("\n  - name: ")
            .filter(|g| !g.trim().is_empty() && !g.trim_start().starts_with('['))
            .collect();
        groups.iter().all(|group| {
            let group = group.strip_prefix("  - name: ").unwrap_or(group);
            let file = dir.join("alerts.test.yml");
            std::fs::write(
                &file,
                format!("{head}tests:\n  - name: {}\n", group.trim_end_matches('\n')),
            )
            .unwrap();
            Command::new(promtool)
                .args(["test", "rules"])
                .arg(&file)
                .output()
                .expect("run promtool")
                .status
                .success()
        })
    })
}

struct Outcome {
    mutant: Mutant,
    killed: bool,
    line: String,
}

/// The mutants of one bot's rules and what its tests made of them, with the alerts its
/// tests leave untested.
fn run(
    promtool: &Path,
    name: &str,
    crate_dir: &Path,
    configure: impl FnOnce(Rules) -> Rules,
) -> (Vec<Outcome>, Vec<String>) {
    let dir = scratch_dir(&format!("mutation-{name}"));
    let mut warnings = Vec::new();
    let report = configure(
        Rules::new()
            .only_this_crate()
            .crate_dir(crate_dir)
            .out_dir(dir.to_path_buf()),
    )
    .emit_to(&mut warnings)
    .expect("rules emitted");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let rules = std::fs::read_to_string(dir.join("botwatch/alerts.yml")).unwrap();
    let tests: Vec<String> = with_companions(&dir.join("botwatch/alerts.test.yml"))
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap())
        .collect();
    assert!(
        tests.len() > 1,
        "the tests of hours-long alerts have a file of their own"
    );
    assert!(
        passes(promtool, &dir.join("original"), &rules, &tests),
        "the unmutated rules fail their own tests: {}",
        dir.display()
    );
    let mutants = mutants(&rules);
    let lines: Vec<&str> = rules.lines().collect();
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::new());
    // Two promtools at a time: the machine is shared.
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(mutant) = mutants.get(index) else {
                    break;
                };
                let mut mutated: Vec<&str> = lines.clone();
                match &mutant.text {
                    Some(text) => mutated[mutant.line] = text,
                    None => {
                        mutated.remove(mutant.line);
                    }
                }
                let text = mutated.join("\n") + "\n";
                let killed = !passes(
                    promtool,
                    &dir.join(format!("mutant-{index}")),
                    &rules_for(&text, &mutant.alerts),
                    &tests
                        .iter()
                        .map(|t| tests_for(t, &mutant.alerts))
                        .collect::<Vec<_>>(),
                );
                outcomes.lock().unwrap().push(Outcome {
                    mutant: mutant.clone(),
                    killed,
                    line: mutant
                        .text
                        .clone()
                        .unwrap_or_else(|| format!("(dropped) {}", lines[mutant.line])),
                });
            });
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    let untested = tests
        .iter()
        .flat_map(|t| t.lines())
        .filter_map(|l| l.strip_prefix("  # "))
        .filter(|l| l.ends_with("not tested"))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_owned)
        .collect();
    (outcomes.into_inner().unwrap(), untested)
}

fn table(name: &str, outcomes: &[Outcome]) -> (usize, usize, String) {
    let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let entry = kinds.entry(o.mutant.kind).or_default();
        entry.1 += 1;
        if o.killed {
            entry.0 += 1;
        }
    }
    let killed = outcomes.iter().filter(|o| o.killed).count();
    let mut text = format!("{name}: {killed}/{} mutants killed\n", outcomes.len());
    for (kind, (k, n)) in &kinds {
        text.push_str(&format!("  {kind:<28} {k}/{n}\n"));
    }
    for o in outcomes.iter().filter(|o| !o.killed) {
        text.push_str(&format!(
            "  survived ({}, {}): {}\n",
            o.mutant.kind,
            o.mutant.alerts.join(", "),
            o.line.trim()
        ));
    }
    (killed, outcomes.len(), text)
}

/// Survivors the generated tests are known to let through (see docs/alerts.md): an SLO's
/// day-long ratios read over 4 or 12 days instead of 1 or 3, which only data longer than a
/// day could tell apart; the traffic window of an SLO's `min_rate` ×4 (the probes hold
/// traffic steady, either side of the minimum); a declared histogram's quantile read with
/// `max by (le)` instead of `sum` (its probes give every replica the same distribution, on
/// which the busiest replica's buckets and the fleet's read one quantile; the latency
/// alerts' probes now have replicas apart, a declared histogram's not yet); a `stale` or
/// `age` alert's last-time read ×4 (`time() - min by ...`), equivalent when `for` outlasts
/// the extra windows a departed replica's time is read for; and alerts sharing a name and
/// labels that are not tested.
fn known_gap(outcome: &Outcome, untested: &[String]) -> bool {
    let window = outcome.mutant.kind == "window ×4";
    let day_window = window && (outcome.line.contains("[4d]") || outcome.line.contains("[12d]"));
    let slo_traffic_window =
        window && outcome.line.contains("_ratio_rate") && outcome.line.contains(" >= ");
    let declared_quantile_max = outcome.mutant.kind == "max by (le) for sum"
        && !outcome
            .line
            .contains("function_calls_duration_seconds_bucket");
    let since_window = window && outcome.line.contains("time() - min by");
    day_window
        || slo_traffic_window
        || since_window
        || declared_quantile_max
        || outcome.mutant.alerts.iter().any(|a| untested.contains(a))
}

/// The share of mutants every bot's tests must kill.
const GOAL_PERCENT: usize = 95;

#[test]
#[ignore = "slow: promtool, the mutation harness"]
fn generated_unit_tests_kill_wrong_rules() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let started = Instant::now();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let example: PathBuf = workspace.join("examples/trading-bot");
    let fixture: PathBuf = workspace.join("tests/fixture-bot");
    // The fixture bot (two SLOs) takes minutes: with BOTWATCH_MUTATION_FULL set.
    let full = std::env::var_os("BOTWATCH_MUTATION_FULL").is_some();
    let mut targets = vec![("trading-bot", &example, Some("trading-bot"))];
    if full {
        targets.push(("fixture-bot", &fixture, None));
    }
    let mut report = String::new();
    let mut failed = Vec::new();
    for (name, dir, job) in targets {
        let (outcomes, untested) = run(&promtool, name, dir, |rules| {
            let rules = rules.crate_name(name.replace('-', "_"));
            match job {
                Some(job) => rules.job(job),
                None => rules,
            }
        });
        let (killed, total, text) = table(name, &outcomes);
        // Each bot's table as soon as it is known: the fixture takes minutes more.
        eprintln!("{text}");
        report.push_str(&text);
        if killed * 100 < total * GOAL_PERCENT {
            failed.push(format!(
                "{name}: {killed}/{total} killed, under {GOAL_PERCENT} %"
            ));
        }
        for o in outcomes
            .iter()
            .filter(|o| !o.killed && !known_gap(o, &untested))
        {
            failed.push(format!(
                "{name}: {} survived on {}",
                o.mutant.kind,
                o.line.trim()
            ));
        }
    }
    eprintln!("{report}took {:.0?}", started.elapsed());
    assert!(failed.is_empty(), "{failed:#?}\n{report}");
}

#[test]
fn a_dropped_matcher_leaves_a_valid_selector() {
    let line = r#"expr: 'sum by (job) (x{function="f", module="m"}) / y{function="f"} and z{module="m", function="f"}'"#;
    assert_eq!(
        drop_matcher(line, "function").as_deref(),
        Some(r#"expr: 'sum by (job) (x{module="m"}) / y{} and z{module="m"}'"#)
    );
    assert_eq!(
        drop_matcher(line, "module").as_deref(),
        Some(r#"expr: 'sum by (job) (x{function="f"}) / y{function="f"} and z{function="f"}'"#)
    );
    assert_eq!(drop_matcher(line, "job"), None);
    // A label value that merely contains the needle is no matcher.
    assert_eq!(
        drop_matcher(r#"x{a="function="", b="c"}"#, "function"),
        None
    );
}

/// A packed group keeps only the mutated alert's checks: the reduced rule file has no other
/// alert, whose checks would then fail and count the mutant as killed.
#[test]
fn a_packed_group_keeps_only_the_mutated_alerts_checks() {
    let tests = "rule_files:\n  - \"alerts.yml\"\ntests:\n  - name: \"A: p + B: q\"\n    interval: 15s\n    input_series:\n      - series: 'a{}'\n        values: \"1x3\"\n    alert_rule_test:\n      - alertname: A\n        eval_time: 1m\n        exp_alerts: []\n      - alertname: B\n        eval_time: 2m\n        exp_alerts:\n          - exp_labels:\n              job: \"bot\"\n  - name: \"C: r\"\n    interval: 15s\n    input_series: []\n    alert_rule_test:\n      - alertname: C\n        eval_time: 1m\n        exp_alerts: []\n";
    let reduced = tests_for(tests, &["B".to_owned()]);
    assert_eq!(
        reduced,
        "rule_files:\n  - \"alerts.yml\"\ntests:\n  - name: \"A: p + B: q\"\n    interval: 15s\n    input_series:\n      - series: 'a{}'\n        values: \"1x3\"\n    alert_rule_test:\n      - alertname: B\n        eval_time: 2m\n        exp_alerts:\n          - exp_labels:\n              job: \"bot\"\n"
    );
}
