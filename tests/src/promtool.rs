//! `promtool test rules` on a file of many tests, on every core: the tests of one file are
//! independent (promtool evaluates each from time zero on its own series), so running them
//! in several promtool processes gives the same verdicts in a fraction of the wall time.
//! A generated file's SLO tests hold hours of data each and take minutes on one core.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `promtool test rules` on `file` and the files the generator writes beside it
/// (`alerts.test.yml` and `alerts.1m.test.yml`), each file's tests spread over up to one
/// process per core, and returns their combined output. Panics with promtool's output if
/// any test fails.
pub fn promtool_test_rules(promtool: &Path, file: &Path) -> String {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // In a scratch directory (the original may be checked in), naming the rule files by
    // their absolute paths.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let dir = crate::scratch_dir(&format!(
        "promtool-parts-{}",
        CALLS.fetch_add(1, Ordering::Relaxed)
    ));
    let mut paths: Vec<PathBuf> = Vec::new();
    for (f, file) in with_companions(file).iter().enumerate() {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        let base = file.parent().unwrap_or(Path::new("."));
        for (i, chunk) in split_tests(&text, cores.min(4)).iter().enumerate() {
            let path = dir.join(format!("file{f}-part{i}.test.yml"));
            std::fs::write(&path, absolute_rule_files(chunk, base))
                .expect("write a part of the tests");
            paths.push(path);
        }
    }
    let outputs: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = paths
            .iter()
            .map(|path| {
                scope.spawn(move || {
                    crate::run_ok(
                        promtool,
                        &["test".as_ref(), "rules".as_ref(), path.as_os_str()],
                    )
                })
            })
            .collect();
        runs.into_iter()
            .map(|run| {
                run.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let output = outputs.concat();
    // promtool names each file it tested: every part ran.
    for path in &paths {
        let name = path.file_name().expect("a file").to_string_lossy();
        assert!(output.contains(&*name), "{name} was not tested:\n{output}");
    }
    output
}

/// `file` (`alerts.test.yml`) and the test files of other intervals the generator writes
/// beside it (`alerts.1m.test.yml`).
pub fn with_companions(file: &Path) -> Vec<PathBuf> {
    let mut files = vec![file.to_path_buf()];
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let Some(stem) = name.as_deref().and_then(|n| n.strip_suffix(".test.yml")) else {
        return files;
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut others: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            name.as_deref()
                .and_then(|n| n.strip_prefix(stem))
                .and_then(|n| n.strip_prefix('.'))
                .and_then(|n| n.strip_suffix(".test.yml"))
                .is_some_and(|interval| {
                    !interval.is_empty() && interval.chars().all(|c| c.is_ascii_alphanumeric())
                })
        })
        .collect();
    others.sort();
    files.extend(others);
    files
}

/// Writes the unit-test files of `set` into `dir`, referring to the rule file
/// `rule_file`, the first as `alerts.test.yml`; returns its path.
pub fn write_unit_tests(dir: &Path, set: &botwatch::rules::RuleSet, rule_file: &str) -> PathBuf {
    let first = dir.join("alerts.test.yml");
    for file in set.unit_tests(rule_file) {
        let path = file.path(&first, set.options.scrape_interval);
        std::fs::write(&path, &file.yaml).expect("write a unit-test file");
    }
    first
}

/// `text` (a promtool test file) as up to `parts` files with the same header and a share of
/// its `tests:` items each, dealt round-robin (a file's long tests come together). One part
/// when there is nothing to split.
fn split_tests(text: &str, parts: usize) -> Vec<String> {
    let Some(start) = text.find("\ntests:\n") else {
        return vec![text.to_owned()];
    };
    let (header, items) = text.split_at(start + "\ntests:\n".len());
    let mut tests: Vec<String> = Vec::new();
    for line in items.split_inclusive('\n') {
        // A comment (the generated files note tests they leave out) goes with its test.
        let continues = line.starts_with("    ")
            || line.trim().is_empty()
            || line.trim_start().starts_with('#');
        match tests.last_mut() {
            _ if line.starts_with("  - ") => tests.push(line.to_owned()),
            Some(test) if continues => test.push_str(line),
            // Anything before the first item, or after the list (a top-level key): keep
            // the file whole rather than guess.
            _ => return vec![text.to_owned()],
        }
    }
    let parts = parts.clamp(1, tests.len().max(1));
    let mut out = vec![header.to_owned(); parts];
    for (i, test) in tests.iter().enumerate() {
        out[i % parts].push_str(test);
    }
    out
}

/// `text` with each entry of its `rule_files:` list (`  - path`, quoted or not) made
/// absolute against `base`.
fn absolute_rule_files(text: &str, base: &Path) -> String {
    let mut in_rule_files = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if !line.starts_with(' ') {
            in_rule_files = line.trim_end() == "rule_files:";
        } else if let Some(entry) = line.strip_prefix("  - ").filter(|_| in_rule_files) {
            let entry = entry.trim_end();
            let unquoted = entry
                .strip_prefix('"')
                .and_then(|e| e.strip_suffix('"'))
                .or_else(|| entry.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')))
                .unwrap_or(entry);
            let path = base.join(unquoted);
            let quoted = path.to_string_lossy().replace('\'', "''");
            out.push_str(&format!("  - '{quoted}'\n"));
            continue;
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "rule_files:\n  - alerts.yml\nevaluation_interval: 15s\ntests:\n  - name: a\n    interval: 15s\n  - name: b\n    interval: 15s\n    input_series:\n      - series: x\n  - name: c\n";

    #[test]
    fn each_test_goes_to_exactly_one_part_with_the_header() {
        let parts = split_tests(FILE, 2);
        assert_eq!(parts.len(), 2);
        let header = "rule_files:\n  - alerts.yml\nevaluation_interval: 15s\ntests:\n";
        assert!(parts.iter().all(|p| p.starts_with(header)));
        assert_eq!(
            parts[0],
            format!("{header}  - name: a\n    interval: 15s\n  - name: c\n")
        );
        assert_eq!(
            parts[1],
            format!(
                "{header}  - name: b\n    interval: 15s\n    input_series:\n      - series: x\n"
            )
        );
    }

    /// Through the real promtool: parts that all pass pass, and a failing test fails the
    /// run though it is not in the first part.
    #[test]
    #[ignore = "slow: promtool"]
    fn a_failing_test_in_any_part_fails_the_run() {
        let Some(promtool) = crate::tool("promtool") else {
            return;
        };
        let dir = crate::scratch_dir("promtool-parts-check");
        std::fs::write(
            dir.join("rules.yml"),
            "groups:\n  - name: g\n    rules:\n      - record: doubled\n        expr: x * 2\n",
        )
        .unwrap();
        let test = |name: &str, value: u32| {
            format!(
                "  - name: {name}\n    interval: 1m\n    input_series:\n      - series: x\n        \
                 values: \"1\"\n    promql_expr_test:\n      - expr: doubled\n        \
                 eval_time: 0m\n        exp_samples:\n          - labels: doubled\n            \
                 value: {value}\n"
            )
        };
        let header = "rule_files:\n  - rules.yml\nevaluation_interval: 1m\ntests:\n";
        let tests = |wrong: Option<usize>| -> String {
            (0..5)
                .map(|i| test(&format!("t{i}"), if Some(i) == wrong { 3 } else { 2 }))
                .collect()
        };
        let good = dir.join("good.test.yml");
        std::fs::write(&good, format!("{header}{}", tests(None))).unwrap();
        let out = promtool_test_rules(&promtool, &good);
        assert!(out.contains("SUCCESS"), "{out}");
        // The second test: in the second part whenever the file is split.
        let bad = dir.join("bad.test.yml");
        std::fs::write(&bad, format!("{header}{}", tests(Some(1)))).unwrap();
        let run = std::panic::catch_unwind(|| promtool_test_rules(&promtool, &bad));
        assert!(run.is_err(), "a failing test passed: {run:?}");
    }

    /// The generator's file of hours-long alerts is run with the first: a helper that
    /// missed it would let every SLO test go unrun.
    #[test]
    fn the_files_of_other_intervals_go_with_the_first() {
        let dir = crate::scratch_dir("promtool-companions");
        for name in [
            "alerts.test.yml",
            "alerts.1m.test.yml",
            "alerts.2h.test.yml",
            "other.test.yml",
            "alerts.test.yml.bak",
            "alerts..test.yml",
            "alerts.old-1m.test.yml",
        ] {
            std::fs::write(dir.join(name), "tests: []\n").unwrap();
        }
        let found: Vec<String> = with_companions(&dir.join("alerts.test.yml"))
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            found,
            [
                "alerts.test.yml",
                "alerts.1m.test.yml",
                "alerts.2h.test.yml"
            ]
        );
    }

    #[test]
    fn rule_files_are_made_absolute_and_nothing_else_changes() {
        let text = "rule_files:\n  - \"alerts.yml\"\n  - other's.yml\nevaluation_interval: 15s\ntests:\n  - name: a\n";
        assert_eq!(
            absolute_rule_files(text, Path::new("/srv/bot")),
            "rule_files:\n  - '/srv/bot/alerts.yml'\n  - '/srv/bot/other''s.yml'\nevaluation_interval: 15s\ntests:\n  - name: a\n"
        );
    }

    #[test]
    fn a_comment_between_tests_does_not_stop_the_split() {
        let noted = FILE.replace(
            "  - name: c\n",
            "  # X (f): 2 alerts share this name; not tested\n  - name: c\n",
        );
        let parts = split_tests(&noted, 2);
        assert_eq!(parts.len(), 2);
        assert!(parts[1]
            .ends_with("      - series: x\n  # X (f): 2 alerts share this name; not tested\n"));
    }

    #[test]
    fn files_it_cannot_read_for_sure_stay_whole() {
        assert_eq!(split_tests(FILE, 1), vec![FILE.to_owned()]);
        let trailing = format!("{FILE}group_eval_order:\n  - g\n");
        assert_eq!(split_tests(&trailing, 2), vec![trailing.clone()]);
        let no_tests = "rule_files:\n  - alerts.yml\n";
        assert_eq!(split_tests(no_tests, 2), vec![no_tests.to_owned()]);
        let one = "tests:\n  - name: a\n";
        assert_eq!(split_tests(&format!("x: 1\n{one}"), 3).len(), 1);
    }
}
