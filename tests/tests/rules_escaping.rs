//! Any user string — quotes, backslashes, newlines, `{{`, `}}`, `#`, `:`, control and
//! exotic characters — keeps the rule files valid YAML and PromQL and shows up in the alert
//! exactly as written: checked with a YAML parser for many random strings, and end to end
//! with promtool's own unit tests.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::time::Duration;

use botwatch_render::rules::RuleSet;
use botwatch_render::text::{literal, template};
use botwatch_spec::model::{Alert, Attribute, CircuitBreaker, Condition, Counted, Label, Site};
use botwatch_tests::{promtool_test_rules, run_ok, scratch_dir, tool, write_unit_tests};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use yaml_rust2::{Yaml, YamlLoader};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop_oneof![
                Just("{{".to_owned()),
                Just("}}".to_owned()),
                Just("{{ $value }}".to_owned()),
                Just("{{ $labels.function }}".to_owned()),
                Just("\"".to_owned()),
                Just("'".to_owned()),
                Just("\\".to_owned()),
                Just("\n".to_owned()),
                Just("# ".to_owned()),
                Just(": ".to_owned()),
                Just("- ".to_owned()),
                Just("\t".to_owned()),
                Just("\u{0}".to_owned()),
                Just("é€😀".to_owned()),
                "[a-z ]{0,6}".prop_map(|s| s),
            ],
            0..8
        )
        .prop_map(|parts| parts.concat()),
    ]
}

fn alert(
    condition: Condition,
    summary: &str,
    description: &str,
    runbook: &str,
    label: &str,
) -> Alert {
    Alert {
        for_: Some(Duration::from_secs(60)),
        summary: Some(Cow::Owned(summary.to_owned())),
        description: Some(Cow::Owned(description.to_owned())),
        runbook: Some(Cow::Owned(runbook.to_owned())),
        labels: Cow::Owned(vec![Label {
            key: Cow::Borrowed("note"),
            value: Cow::Owned(label.to_owned()),
        }]),
        ..Alert::new(condition)
    }
}

/// One counted function and one breaker carrying the strings.
fn sites(index: usize, strings: &[String; 5]) -> Vec<Site> {
    let [summary, description, runbook, label, breaker] = strings;
    // Only names the grammar accepts reach the renderer.
    let breaker = if CircuitBreaker::check_name(breaker).is_ok() {
        breaker.clone()
    } else {
        "b".to_owned()
    };
    vec![
        Site {
            function: Cow::Owned(format!("f{index}")),
            module: Cow::Borrowed("escaping"),
            attribute: Attribute::Counted(Counted {
                alerts: Cow::Owned(vec![alert(
                    Condition::ErrorRate { above: 0.05 },
                    summary,
                    description,
                    runbook,
                    label,
                )]),
                ..Counted::default()
            }),
        },
        Site {
            function: Cow::Owned(format!("g{index}")),
            module: Cow::Borrowed("escaping"),
            attribute: Attribute::CircuitBreaker(CircuitBreaker {
                name: Some(Cow::Owned(format!("{breaker}#{index}"))),
                alerts: Cow::Owned(vec![alert(
                    Condition::Open,
                    summary,
                    description,
                    runbook,
                    label,
                )]),
                ..CircuitBreaker::default()
            }),
        },
    ]
}

fn lookup<'a>(yaml: &'a Yaml, key: &str) -> &'a Yaml {
    &yaml[key]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_string_survives_yaml(strings in prop::array::uniform5(text())) {
        let set = RuleSet::build(&sites(0, &strings)).unwrap();
        let yaml = set.prometheus_yaml();
        let docs = YamlLoader::load_from_str(&yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        let rules = &docs[0]["groups"][0]["rules"];
        let rules = rules.as_vec().expect("a rule list");
        prop_assert_eq!(rules.len(), 2);
        let expected = [template(&strings[0]), template(&strings[1]), template(&strings[2]), literal(&strings[3])];
        for rule in rules {
            let annotations = lookup(rule, "annotations");
            prop_assert_eq!(annotations["summary"].as_str(), Some(expected[0].as_str()));
            prop_assert_eq!(annotations["description"].as_str(), Some(expected[1].as_str()));
            prop_assert_eq!(annotations["runbook_url"].as_str(), Some(expected[2].as_str()));
            prop_assert_eq!(rule["labels"]["note"].as_str(), Some(expected[3].as_str()));
        }
        for file in set.unit_tests("alerts.yml") {
            prop_assert!(YamlLoader::load_from_str(&file.yaml).is_ok(), "{}", file.yaml);
        }
    }
}

#[test]
#[ignore = "slow: promtool"]
fn promtool_accepts_random_strings_and_shows_them_as_written() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = prop::array::uniform5(text());
    let mut all = Vec::new();
    for index in 0..40 {
        let strings = strategy.new_tree(&mut runner).unwrap().current();
        all.extend(sites(index, &strings));
    }
    let set = RuleSet::build(&all).unwrap();
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = scratch_dir("rules-escaping");
    std::fs::write(dir.join("alerts.yml"), set.prometheus_yaml()).unwrap();
    let tests = write_unit_tests(&dir, &set, "alerts.yml");
    let checked = run_ok(
        &promtool,
        &[
            OsStr::new("check"),
            OsStr::new("rules"),
            dir.join("alerts.yml").as_os_str(),
        ],
    );
    assert!(checked.contains("SUCCESS: 80 rules found"), "{checked}");
    let tested = promtool_test_rules(&promtool, &tests);
    assert!(tested.contains("SUCCESS"), "{tested}");
}
