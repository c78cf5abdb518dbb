//! Random and mutated attribute arguments: the one grammar (shared by the macros and the
//! build helper) never panics, and an invalid input is at least one error and never a
//! cascade: at most one error per comma-separated option (two independent mistakes are
//! reported together, each at its own place, as the style asks).
//!
//! `cargo test` runs 2,000 cases per test; `BOTWATCH_FUZZ_CASES=100000 cargo test --release
//! -p botwatch-tests --test model grammar_fuzz` is the long run (about 1.3 s). Inputs that do not
//! lex (an unbalanced bracket) are skipped: rustc rejects them before any macro runs.

use botwatch_spec::parse::parse_attribute;
use botwatch_spec::AttributeKind;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Fragments the grammar knows, near-misses, and junk.
const FRAGMENTS: &[&str] = &[
    "name",
    "help",
    "labels",
    "alert",
    "slo",
    "error_if",
    "ok_if",
    "buckets",
    "failures",
    "failure_rate",
    "window",
    "min_calls",
    "slow",
    "reset",
    "backoff",
    "max_reset",
    "half_open",
    "successes",
    "failure_if",
    "ignore_if",
    "success_if",
    "probe_timeout",
    "latency",
    "per",
    "max_keys",
    "objective",
    "for",
    "severity",
    "summary",
    "within",
    "min_rate",
    "error_rate",
    "eror_rate",
    "idle",
    "rate",
    "open",
    "flapping",
    "errors",
    "p50",
    "p99",
    "p999",
    "venue",
    "x",
    "=",
    "==",
    ",",
    ">",
    "<",
    "%",
    "/",
    ".",
    ":",
    "::",
    "-",
    "!",
    "#",
    "&",
    "*",
    "+",
    "0",
    "1",
    "5",
    "100",
    "0.5",
    "1e309",
    "-1",
    "18446744073709551616",
    "250ms",
    "30s",
    "5m",
    "1h",
    "1d",
    "2.0",
    "99.9%",
    "5%",
    "1/s",
    "100/m",
    "\"relay\"",
    "\"\"",
    "\"5m\"",
    "\"a b\"",
    "\"team\"",
    "true",
    "false",
    "self",
    "crate",
    "r#type",
    "'a",
    "()",
    "[]",
    "{}",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "alert(open)",
    "alert(error_rate > 5%)",
    "labels(team = \"x\")",
    "slo(objective = 99.9%)",
    "venue.name()",
];

/// Valid arguments to mutate, per attribute.
const VALID: &[(AttributeKind, &str)] = &[
    (
        AttributeKind::Counted,
        "alert(error_rate > 5%, for = 2m), labels(team = \"x\")",
    ),
    (
        AttributeKind::Counted,
        "name = \"orders_total\", slo(objective = 99.5%)",
    ),
    (
        AttributeKind::Timed,
        "alert(p99 > 250ms), buckets = [0.001, 0.01, 0.1]",
    ),
    (
        AttributeKind::Timed,
        "slo(objective = 99.9%, latency = 250ms)",
    ),
    (
        AttributeKind::Counted,
        "alert(errors > 3, within = 10m), alert(error_rate > 5%, window = 10m, min_rate = 0.1/s)",
    ),
    (
        AttributeKind::Counted,
        "slo(objective = 99.5%, min_rate = 1/m)",
    ),
    (
        AttributeKind::CircuitBreaker,
        "name = \"relay\", failures = 5, reset = 30s, alert(open)",
    ),
    (
        AttributeKind::CircuitBreaker,
        "failure_rate = 50%, window = 20, min_calls = 10, alert(flapping > 3, within = 15m)",
    ),
];

fn cases() -> u32 {
    std::env::var("BOTWATCH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn kind_strategy() -> impl Strategy<Value = AttributeKind> {
    prop_oneof![
        Just(AttributeKind::Counted),
        Just(AttributeKind::Timed),
        Just(AttributeKind::CircuitBreaker),
    ]
}

/// Parses `text` as `kind`'s arguments: `Ok`, or one error per faulty option at most,
/// never a panic.
fn check(kind: AttributeKind, text: &str) -> Result<(), TestCaseError> {
    let Ok(tokens) = text.parse::<proc_macro2::TokenStream>() else {
        return Ok(()); // not tokens at all: rustc rejects it before any macro runs
    };
    let options = option_lists(&tokens);
    let outcome = std::panic::catch_unwind(|| parse_attribute(kind, tokens));
    let Ok(result) = outcome else {
        return Err(TestCaseError::fail(format!(
            "{kind:?} panicked on `{text}`"
        )));
    };
    if let Err(error) = result {
        let errors: Vec<syn::Error> = error.into_iter().collect();
        prop_assert!(
            !errors.is_empty() && errors.len() <= options,
            "{:?} on `{}`: {} errors for {} options: {:?}",
            kind,
            text,
            errors.len(),
            options,
            errors
        );
        for error in &errors {
            prop_assert!(!error.to_string().is_empty());
        }
    }
    Ok(())
}

/// How many options the input holds at most: one per comma-separated item, in the
/// arguments and in every nested list (`alert(...)`, `labels(...)`).
fn option_lists(tokens: &proc_macro2::TokenStream) -> usize {
    let mut items = 1;
    for token in tokens.clone() {
        match token {
            proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => items += 1,
            proc_macro2::TokenTree::Group(group) => items += option_lists(&group.stream()),
            _ => {}
        }
    }
    items
}

#[test]
fn random_token_streams_never_panic_nor_cascade() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        kind_strategy(),
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..14),
    );
    let result = runner.run(&strategy, |(kind, fragments)| {
        check(kind, &fragments.join(" "))
    });
    let _ = std::panic::take_hook();
    result.unwrap();
}

#[test]
fn mutated_valid_arguments_never_panic_nor_cascade() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::sample::select(VALID),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                0..3u8,
                prop::sample::select(FRAGMENTS),
            ),
            1..4,
        ),
    );
    let result = runner.run(&strategy, |((kind, valid), mutations)| {
        let mut tokens: Vec<String> = valid
            .parse::<proc_macro2::TokenStream>()
            .unwrap()
            .into_iter()
            .map(|t| t.to_string())
            .collect();
        for (at, how, fragment) in mutations {
            let i = at.index(tokens.len() + 1);
            match how {
                0 => tokens.insert(i, fragment.to_owned()),
                1 if i < tokens.len() => {
                    tokens.remove(i);
                }
                _ if i < tokens.len() => tokens[i] = fragment.to_owned(),
                _ => tokens.push(fragment.to_owned()),
            }
        }
        check(kind, &tokens.join(" "))
    });
    let _ = std::panic::take_hook();
    result.unwrap();
}
