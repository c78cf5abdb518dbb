//! The `breaker` label on the alerts of a guarded function: every alert of the function
//! (its conditions, its SLO burns, its label overflow) names the breaker that guards it, in
//! every output, so that an open breaker can inhibit them; alerts of an unguarded function,
//! and the breaker's own alerts, carry no second `breaker`. And `during`, the other key
//! the Alertmanager routing reads off an alert: parsed once, on the rule, not a label.

use botwatch_render::rules::{PrometheusRuleMeta, RuleSet};
use botwatch_spec::model::{AttributeKind, Site};
use botwatch_spec::parse::parse_attribute;

fn site(module: &str, function: &str, kind: AttributeKind, args: &str) -> Site {
    Site {
        function: function.to_owned().into(),
        module: module.to_owned().into(),
        attribute: parse_attribute(kind, args.parse().unwrap())
            .unwrap_or_else(|e| panic!("{args}: {e}"))
            .into_attribute(),
    }
}

/// `submit` is guarded by the shared `relay` breaker, `cancel` by its own unnamed one,
/// `quote` by none; `quote` in another module shares a name with nothing guarded.
fn bot() -> Vec<Site> {
    use AttributeKind::{CircuitBreaker, Counted, Timed};
    vec![
        site(
            "bot::relay",
            "submit",
            Counted,
            "labels(venue = venue), alert(error_rate > 20%, labels(team = \"execution\")), slo(objective = 99.5%)",
        ),
        site("bot::relay", "submit", Timed, "alert(p99 > 2s)"),
        site("bot::relay", "submit", CircuitBreaker, "name = \"relay\", alert(open), alert(flapping > 3)"),
        site("bot::relay", "cancel", Counted, "alert(idle > 10m)"),
        site("bot::relay", "cancel", CircuitBreaker, "alert(open)"),
        site("bot::feed", "quote", Counted, "alert(error_rate > 5%)"),
    ]
}

fn breaker_labels(set: &RuleSet, name: &str, function: &str) -> Vec<String> {
    let rules: Vec<_> = set
        .alerts
        .iter()
        .filter(|a| a.name == name)
        .filter(|a| {
            a.identity
                .iter()
                .any(|(k, v)| k == "function" && v == function)
        })
        .collect();
    assert!(!rules.is_empty(), "no {name} alert of {function}");
    rules
        .iter()
        .flat_map(|a| a.labels.iter().chain(&a.identity))
        .filter(|(k, _)| k == "breaker")
        .map(|(_, v)| v.clone())
        .collect()
}

#[test]
fn every_alert_of_a_guarded_function_names_its_breaker() {
    let set = RuleSet::build(&bot()).unwrap();
    for name in [
        "SubmitErrorRateHigh",
        "SubmitLatencyHigh",
        "SubmitLabelOverflow",
    ] {
        assert_eq!(breaker_labels(&set, name, "submit"), ["relay"], "{name}");
    }
    // The page and the ticket of the burn alerts.
    assert_eq!(
        breaker_labels(&set, "SubmitErrorBudgetBurn", "submit"),
        ["relay", "relay"]
    );
    assert_eq!(
        breaker_labels(&set, "CancelIdle", "cancel"),
        ["bot::relay::cancel"],
        "an unnamed breaker's label is the one its metrics carry"
    );
    assert_eq!(
        breaker_labels(&set, "QuoteErrorRateHigh", "quote"),
        Vec::<String>::new()
    );
}

#[test]
fn breaker_alerts_carry_their_breaker_once() {
    let set = RuleSet::build(&bot()).unwrap();
    for alert in set
        .alerts
        .iter()
        .filter(|a| a.name.starts_with("CircuitBreaker"))
    {
        let count = alert
            .labels
            .iter()
            .chain(&alert.identity)
            .filter(|(k, _)| k == "breaker")
            .count();
        assert_eq!(count, 1, "{}: {:?}", alert.name, alert.labels);
    }
}

#[test]
fn the_label_follows_the_users_labels_in_every_output() {
    let set = RuleSet::build(&bot()).unwrap();
    let meta = PrometheusRuleMeta {
        name: "bot".to_owned(),
        namespace: None,
        labels: Vec::new(),
    };
    let block = "severity: \"warning\"\n            function: \"submit\"\n            module: \"bot::relay\"\n            team: \"execution\"\n            breaker: \"relay\"";
    for (output, yaml) in [
        ("rules", set.prometheus_yaml()),
        ("PrometheusRule", set.prometheus_rule_yaml(&meta)),
        ("mimir", set.mimir_yaml("bots")),
    ] {
        let squeezed: String = yaml.split_whitespace().collect::<Vec<_>>().join(" ");
        let wanted: String = block.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(squeezed.contains(&wanted), "{output}:\n{yaml}");
    }
}

#[test]
fn during_is_parsed_once_into_the_model_and_reaches_the_rule() {
    let sites = vec![site(
        "bot",
        "quote",
        AttributeKind::Counted,
        "alert(idle > 10m, during = \"us_equities\"), alert(error_rate > 5%)",
    )];
    let set = RuleSet::build(&sites).unwrap();
    let during = |name: &str| {
        set.alerts
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.during.clone())
    };
    assert_eq!(during("QuoteIdle").as_deref(), Some("us_equities"));
    assert_eq!(during("QuoteErrorRateHigh"), None);
    // The rule file does not carry it: it is the Alertmanager's business, not a label.
    assert!(!set.prometheus_yaml().contains("us_equities"));
    let error = parse_attribute(
        AttributeKind::Counted,
        "alert(idle > 10m, during = \"us equities\")"
            .parse()
            .unwrap(),
    )
    .err()
    .expect("a name with a space")
    .to_string();
    assert!(error.contains("is not a time interval name"), "{error}");
}
