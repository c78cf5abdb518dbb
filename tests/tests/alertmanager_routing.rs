//! The Alertmanager configuration the build helper generates, checked with the real
//! Alertmanager tools: `amtool check-config` accepts every shape of bot, `amtool config
//! routes test` sends each generated alert to the receiver a reader of the routing would
//! name, and a running Alertmanager inhibits exactly what the code implies — an open
//! breaker silences the functions it guards and nothing else, the job down silences its
//! job, a critical alert its own warning — and groups each alert by its own labels.

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "common/scratch_crate.rs"]
#[allow(dead_code)] // `emitted` serves the other test files
mod scratch_crate;

#[path = "common/alertmanager.rs"]
#[allow(dead_code)] // the sink serves the end-to-end file
mod alertmanager;

use alertmanager::Alertmanager;
use botwatch::build::{BuildError, Receiver, Report, Routing, TimeInterval};
use botwatch_render::rules::AlertRule;
use botwatch_tests::{run_ok, tool, Scratch};
use serde_json::{json, Value};

/// Two breakers (one shared `relay`, one `feed`), per-call labels, two teams, a critical
/// team alert, an alert limited to market hours, an unguarded function and a declared
/// metric.
const BOT: &str = r#"
#[botwatch::counted(labels(venue = venue), alert(error_rate > 20%, labels(team = "execution")), alert(errors > 5, severity = "critical", labels(team = "execution")), slo(objective = 99.5%))]
#[botwatch::timed(alert(p99 > 2s))]
#[botwatch::circuit_breaker(name = "relay", alert(open), alert(flapping > 3))]
pub fn submit(venue: &str) -> Result<(), botwatch::CircuitOpen> { Ok(()) }

#[botwatch::counted(alert(error_rate > 5%, labels(team = "data")), alert(idle > 10m, during = "us_equities"))]
#[botwatch::circuit_breaker(name = "feed", alert(open))]
pub fn quote() -> Result<(), botwatch::CircuitOpen> { Ok(()) }

#[botwatch::counted(alert(error_rate > 5%))]
pub fn cancel() -> Result<(), String> { Ok(()) }

#[botwatch::gauge(alert(value < 0.5, severity = "critical"))]
static BALANCE: botwatch::Gauge = botwatch::Gauge::new();
"#;

fn market_hours() -> TimeInterval {
    TimeInterval::new()
        .weekdays("monday:friday")
        .times("13:30", "20:00")
        .location("America/New_York")
}

fn routing() -> Routing {
    Routing::new()
        .page(Receiver::webhook("pager", "http://127.0.0.1:5001/pager"))
        .ticket(Receiver::webhook(
            "tickets",
            "http://127.0.0.1:5001/tickets",
        ))
        .team(
            "execution",
            Receiver::webhook("exec", "http://127.0.0.1:5001/exec"),
        )
        .team(
            "data",
            Receiver::webhook("data", "http://127.0.0.1:5001/data"),
        )
        .dead_mans_switch("http://127.0.0.1:5001/watchdog")
        .time_interval("us_equities", market_hours())
}

fn generate(name: &str, source: &str, routing: Routing) -> (Scratch, Result<Report, BuildError>) {
    scratch_crate::emit(name, source, |r| {
        r.job("bot").alertmanager_to("alertmanager.yml", routing)
    })
}

fn generated(name: &str, source: &str, routing: Routing) -> (Scratch, Report) {
    let (root, report) = generate(name, source, routing);
    (root, report.expect("rules and routing emitted"))
}

fn amtool_check(amtool: &Path, file: &Path) {
    let out = run_ok(amtool, &[OsStr::new("check-config"), file.as_os_str()]);
    assert!(out.contains("SUCCESS"), "{out}");
}

/// The labels a generated alert fires with: its name, grouping (the test's sample values
/// of `job` and per-call labels), identity and rule labels.
fn fired_labels(alert: &AlertRule) -> Vec<(String, String)> {
    let mut labels = vec![("alertname".to_owned(), alert.name.clone())];
    for (k, v) in alert
        .grouping
        .iter()
        .chain(&alert.identity)
        .chain(&alert.labels)
    {
        if !labels.iter().any(|(key, _)| key == k) {
            labels.push((k.clone(), v.clone()));
        }
    }
    labels
}

/// Where a reader of [`routing`] expects each alert: the switch for the Watchdog, the pager
/// for anything critical (a team's too), a team's receiver for its warnings, tickets for
/// the rest.
fn expected_receiver(labels: &[(String, String)]) -> &'static str {
    let label = |key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match (label("alertname"), label("severity"), label("team")) {
        (Some("Watchdog"), _, _) => "dead-mans-switch",
        (_, Some("critical"), _) => "pager",
        (_, _, Some("execution")) => "exec",
        (_, _, Some("data")) => "data",
        _ => "tickets",
    }
}

#[test]
#[ignore = "slow: amtool"]
fn amtool_accepts_every_generated_configuration() {
    let Some(amtool) = tool("amtool") else {
        return;
    };
    let (fixture, _) = generated("am-fixture", BOT, routing());
    amtool_check(&amtool, &fixture.join("alertmanager.yml"));

    let no_breakers = "#[botwatch::counted(alert(error_rate > 5%), alert(idle > 10m))]\npub fn cancel() -> Result<(), String> { Ok(()) }\n";
    let (plain, _) = generated(
        "am-no-breakers",
        no_breakers,
        Routing::new().ticket(Receiver::webhook("tickets", "http://127.0.0.1:5001/t")),
    );
    let text = std::fs::read_to_string(plain.join("alertmanager.yml")).unwrap();
    assert!(!text.contains("CircuitBreakerOpen"), "{text}");
    amtool_check(&amtool, &plain.join("alertmanager.yml"));

    // Twelve teams, each with an alert of its own, and the other integrations.
    let mut source = String::new();
    let mut many = Routing::new()
        .page(Receiver::pagerduty("pager", "/etc/bot/pagerduty_key"))
        .ticket(
            Receiver::email("tickets", "ops@example.com", "smtp.example.com:587")
                .from("bot@example.com")
                .auth("bot", "/etc/bot/smtp_password"),
        );
    for i in 0..12 {
        source.push_str(&format!(
            "#[botwatch::counted(alert(error_rate > 5%, labels(team = \"team{i}\")))]\npub fn f{i}() -> Result<(), String> {{ Ok(()) }}\n"
        ));
        many = many.team(
            format!("team{i}"),
            Receiver::slack(
                format!("slack{i}"),
                "/etc/bot/slack_url",
                format!("#team{i}"),
            ),
        );
    }
    let (teams, _) = generated("am-teams", &source, many);
    amtool_check(&amtool, &teams.join("alertmanager.yml"));
}

#[test]
#[ignore = "slow: amtool, once per alert"]
fn amtool_routes_every_alert_of_the_bot_to_the_expected_receiver() {
    let Some(amtool) = tool("amtool") else {
        return;
    };
    let (root, report) = generated("am-routes", BOT, routing());
    let config = root.join("alertmanager.yml");
    let alerts: Vec<&AlertRule> = report
        .rules
        .alerts
        .iter()
        .chain(&report.rules.bot)
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for alert in &alerts {
        let labels = fired_labels(alert);
        let expected = expected_receiver(&labels);
        seen.insert(expected);
        let mut args = vec![
            "config".to_owned(),
            "routes".to_owned(),
            "test".to_owned(),
            format!("--config.file={}", config.display()),
            format!("--verify.receivers={expected}"),
        ];
        args.extend(labels.iter().map(|(k, v)| format!("{k}={v}")));
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        let out = run_ok(&amtool, &args);
        assert_eq!(out.lines().next(), Some(expected), "{}: {out}", alert.name);
    }
    // The walk reached every receiver, so none of the checks above is vacuous.
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["data", "dead-mans-switch", "exec", "pager", "tickets"]
    );
}

fn alert(name: &str, labels: Value) -> Value {
    let mut labels = labels;
    labels["alertname"] = json!(name);
    json!({ "labels": labels, "annotations": { "summary": name } })
}

/// `(alertname, distinguishing label value, state)` of every alert the Alertmanager lists,
/// once it lists `count` of them and inhibition has settled on at least `suppressed`.
fn settled(
    am: &Alertmanager,
    alerts: &Value,
    count: usize,
    suppressed: usize,
    key: &str,
) -> Vec<(String, String, String)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        am.post(alerts);
        let listed = am.alerts();
        if listed.len() == count {
            let mut states: Vec<(String, String, String)> = listed
                .iter()
                .map(|a| {
                    (
                        a["labels"]["alertname"].as_str().unwrap_or("").to_owned(),
                        a["labels"][key].as_str().unwrap_or("").to_owned(),
                        a["status"]["state"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect();
            states.sort();
            if states.iter().filter(|s| s.2 == "suppressed").count() >= suppressed {
                return states;
            }
        }
        assert!(
            Instant::now() < deadline,
            "alertmanager did not settle: {listed:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
#[ignore = "slow: prometheus-alertmanager"]
fn a_running_alertmanager_inhibits_exactly_what_the_code_implies() {
    let Some(binary) = tool("prometheus-alertmanager") else {
        return;
    };
    let (root, _) = generated("am-inhibit", BOT, routing());
    let am = Alertmanager::start(&binary, &root.join("alertmanager.yml"), &root);
    let bot = |extra: Value| {
        let mut labels = json!({"job": "bot", "severity": "warning"});
        for (k, v) in extra.as_object().unwrap() {
            labels[k] = v.clone();
        }
        labels
    };
    // `case` tells the alerts apart in the result.
    let alerts = json!([
        alert(
            "CircuitBreakerOpen",
            bot(json!({"severity": "critical", "breaker": "relay", "case": "relay open"}))
        ),
        // The functions behind the open breaker: silenced.
        alert(
            "SubmitErrorRateHigh",
            bot(
                json!({"function": "submit", "module": "bot", "venue": "a", "breaker": "relay", "team": "execution", "case": "guarded"})
            )
        ),
        alert(
            "SubmitLatencyHigh",
            bot(
                json!({"function": "submit", "module": "bot", "breaker": "relay", "case": "guarded latency"})
            )
        ),
        // The breaker's own flapping, another breaker's function, an unguarded function,
        // the same function in another job: delivered.
        alert(
            "CircuitBreakerFlapping",
            bot(json!({"breaker": "relay", "case": "own flapping"}))
        ),
        alert(
            "QuoteErrorRateHigh",
            bot(
                json!({"function": "quote", "module": "bot", "breaker": "feed", "team": "data", "case": "other breaker"})
            )
        ),
        alert(
            "CancelErrorRateHigh",
            bot(json!({"function": "cancel", "module": "bot", "case": "unguarded"}))
        ),
        alert(
            "SubmitErrorRateHigh",
            json!({"job": "paper", "severity": "warning", "function": "submit", "module": "bot", "venue": "a", "breaker": "relay", "team": "execution", "case": "other job"})
        ),
        // A burning budget's page silences its own ticket, not another function's.
        alert(
            "QuoteErrorBudgetBurn",
            bot(
                json!({"severity": "critical", "function": "quote", "module": "bot", "breaker": "feed", "case": "burn page"})
            )
        ),
        alert(
            "QuoteErrorBudgetBurn",
            bot(
                json!({"function": "quote", "module": "bot", "breaker": "feed", "case": "burn ticket"})
            )
        ),
        alert(
            "QuoteErrorBudgetBurn",
            bot(
                json!({"function": "quote", "module": "other", "breaker": "feed", "case": "burn ticket elsewhere"})
            )
        ),
        // The whole of job `down` is down: its alerts are silenced, one replica down is not.
        alert(
            "BotDown",
            json!({"job": "down", "severity": "critical", "case": "job down"})
        ),
        alert(
            "CancelErrorRateHigh",
            json!({"job": "down", "severity": "warning", "function": "cancel", "module": "bot", "case": "job down's"})
        ),
        alert(
            "BotDown",
            json!({"job": "bot", "instance": "10.0.0.7:9000", "severity": "critical", "case": "replica down"})
        ),
        // Series gone everywhere: `absent(...)` fires without a job; this bot's are silenced
        // while a job of it is down, another code base's are not.
        alert(
            "CancelIdle",
            json!({"severity": "warning", "function": "cancel", "module": "bot", "case": "absent"})
        ),
        alert(
            "FetchIdle",
            json!({"severity": "warning", "function": "fetch", "module": "bottle::feed", "case": "absent elsewhere"})
        ),
    ]);
    let states = settled(&am, &alerts, 15, 5, "case");
    let suppressed: Vec<&str> = states
        .iter()
        .filter(|s| s.2 == "suppressed")
        .map(|s| s.1.as_str())
        .collect();
    let mut expected = vec![
        "absent",
        "burn ticket",
        "guarded",
        "guarded latency",
        "job down's",
    ];
    expected.sort_unstable();
    let mut suppressed = suppressed;
    suppressed.sort_unstable();
    assert_eq!(suppressed, expected, "{states:?}");
}

#[test]
#[ignore = "slow: prometheus-alertmanager"]
fn each_alert_is_grouped_by_its_own_labels() {
    let Some(binary) = tool("prometheus-alertmanager") else {
        return;
    };
    let (root, _) = generated("am-groups", BOT, routing());
    let am = Alertmanager::start(&binary, &root.join("alertmanager.yml"), &root);
    let labels = |venue: &str| json!({"job": "bot", "severity": "warning", "function": "submit", "module": "bot", "venue": venue, "breaker": "relay", "team": "execution"});
    // Two venues of one function: two notifications (one per label set), one per breaker.
    let alerts = json!([
        alert("SubmitErrorRateHigh", labels("a")),
        alert("SubmitErrorRateHigh", labels("b")),
        alert(
            "CircuitBreakerFlapping",
            json!({"job": "bot", "severity": "warning", "breaker": "relay"})
        ),
        alert(
            "CircuitBreakerFlapping",
            json!({"job": "bot", "severity": "warning", "breaker": "feed"})
        ),
    ]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let groups = loop {
        am.post(&alerts);
        let groups = am.groups();
        let total: usize = groups
            .iter()
            .map(|g| g["alerts"].as_array().map_or(0, Vec::len))
            .sum();
        if total == 4 {
            break groups;
        }
        assert!(Instant::now() < deadline, "{groups:?}");
        std::thread::sleep(Duration::from_millis(250));
    };
    let mut keys: Vec<(String, String, usize)> = groups
        .iter()
        .map(|g| {
            (
                g["receiver"]["name"].as_str().unwrap_or("").to_owned(),
                g["labels"]["venue"]
                    .as_str()
                    .or(g["labels"]["breaker"].as_str())
                    .unwrap_or("")
                    .to_owned(),
                g["alerts"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("exec".to_owned(), "a".to_owned(), 1),
            ("exec".to_owned(), "b".to_owned(), 1),
            ("tickets".to_owned(), "feed".to_owned(), 1),
            ("tickets".to_owned(), "relay".to_owned(), 1),
        ],
        "{groups:?}"
    );
}

#[test]
fn an_undefined_time_interval_is_a_build_error_naming_the_alert() {
    let source =
        "#[botwatch::counted(alert(idle > 10m, during = \"us_equitie\"))]\npub fn quote() {}\n";
    let (_, report) = generate("am-undefined", source, routing());
    let error = report.expect_err("undefined interval").to_string();
    assert!(
        error.contains("QuoteIdle on bot::quote")
            && error.contains("during = \"us_equitie\"")
            && error.contains("(defined: us_equities)"),
        "{error}"
    );
}

#[test]
fn routing_mistakes_are_build_errors_with_the_fix() {
    let source = "#[botwatch::counted(alert(idle > 10m))]\npub fn quote() {}\n";
    let cases = [
        (Routing::new(), "has no receiver"),
        (
            Routing::new()
                .page(Receiver::webhook("ops", "http://a/"))
                .ticket(Receiver::webhook("ops", "http://b/")),
            "two different receivers are named \"ops\"",
        ),
        (
            Routing::new()
                .ticket(Receiver::webhook("t", "http://a/"))
                .time_interval("night", TimeInterval::new().times("22:00", "06:00")),
            "end before they start",
        ),
        (
            Routing::new()
                .ticket(Receiver::webhook("t", "http://a/"))
                .time_interval("weekend", TimeInterval::new().weekdays("saturday:sundy")),
            "not a day or a range of days",
        ),
    ];
    for (i, (routing, message)) in cases.into_iter().enumerate() {
        let (root, report) = generate(&format!("am-mistake-{i}"), source, routing);
        let error = report.expect_err(message).to_string();
        assert!(error.contains(message), "{error}");
        assert!(
            !root.join("alertmanager.yml").exists(),
            "nothing is written"
        );
    }
}

#[test]
fn secrets_stay_in_their_files_and_the_watchdog_comes_with_the_switch() {
    let secrets = botwatch_tests::scratch_dir("am-secrets");
    let secret = |name: &str| {
        let path = secrets.join(name);
        std::fs::write(&path, "s3cr3t-value").unwrap();
        path
    };
    let secret_routing = Routing::new()
        .page(Receiver::pagerduty("pager", secret("pagerduty")))
        .ticket(Receiver::email("mail", "ops@example.com", "smtp:587").auth("bot", secret("smtp")))
        .team(
            "execution",
            Receiver::telegram("tg", -1001234, secret("telegram")),
        )
        .team("data", Receiver::slack("slack", secret("slack"), "#data"))
        .time_interval("us_equities", market_hours());
    let (root, report) = generated("am-secrets-bot", BOT, secret_routing);
    let text = std::fs::read_to_string(root.join("alertmanager.yml")).unwrap();
    assert!(!text.contains("s3cr3t"), "{text}");
    for (key, file) in [
        ("routing_key_file", "pagerduty"),
        ("auth_password_file", "smtp"),
        ("bot_token_file", "telegram"),
        ("api_url_file", "slack"),
    ] {
        let line = format!("{key}: \"{}\"", secrets.join(file).display());
        assert!(text.contains(&line), "{line}\n{text}");
    }
    // No switch: no Watchdog in the rules nor a route for it.
    assert!(!report.rules.bot.iter().any(|a| a.name == "Watchdog"));
    assert!(!text.contains("Watchdog"), "{text}");
    let (_, with_switch) = generated("am-secrets-switch", BOT, routing());
    assert!(with_switch.rules.bot.iter().any(|a| a.name == "Watchdog"));
}

/// The route of `alertname` directly under the root, as YAML.
fn watchdog_route(text: &str) -> yaml_rust2::Yaml {
    let docs = yaml_rust2::YamlLoader::load_from_str(text).expect("the configuration is YAML");
    let routes = docs[0]["route"]["routes"].as_vec().expect("routes").clone();
    routes
        .into_iter()
        .find(|r| {
            r["matchers"].as_vec().is_some_and(|m| {
                m.iter()
                    .any(|m| m.as_str() == Some("alertname=\"Watchdog\""))
            })
        })
        .expect("a route for the Watchdog")
}

#[test]
fn the_watchdog_is_repeated_to_the_switch_at_its_own_pace() {
    let (root, _) = generated("am-watchdog", BOT, routing());
    let text = std::fs::read_to_string(root.join("alertmanager.yml")).unwrap();
    let route = watchdog_route(&text);
    assert_eq!(route["receiver"].as_str(), Some("dead-mans-switch"));
    assert_eq!(route["group_wait"].as_str(), Some("0s"));
    // Every minute by default, not the root's 4 hours.
    assert_eq!(route["repeat_interval"].as_str(), Some("1m"), "{text}");
    assert_eq!(route["group_interval"].as_str(), Some("1m"), "{text}");
    let (root, _) = generated(
        "am-watchdog-every",
        BOT,
        routing().dead_mans_switch_every(Duration::from_secs(20)),
    );
    let text = std::fs::read_to_string(root.join("alertmanager.yml")).unwrap();
    assert_eq!(
        watchdog_route(&text)["repeat_interval"].as_str(),
        Some("20s"),
        "{text}"
    );
    assert!(
        text.contains("url: \"http://127.0.0.1:5001/watchdog\"\n        send_resolved: false"),
        "{text}"
    );
}

#[test]
fn an_alert_with_during_gets_a_route_active_only_in_its_interval() {
    let (root, _) = generated("am-during", BOT, routing());
    let text = std::fs::read_to_string(root.join("alertmanager.yml")).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("YAML");
    let config = &docs[0];
    let leaves: Vec<&yaml_rust2::Yaml> = config["route"]["routes"]
        .as_vec()
        .unwrap()
        .iter()
        .flat_map(|r| std::iter::once(r).chain(r["routes"].as_vec().into_iter().flatten()))
        .collect();
    let timed: Vec<String> = leaves
        .iter()
        .filter(|r| !r["active_time_intervals"].is_badvalue())
        .map(|r| format!("{:?} {:?}", r["matchers"], r["active_time_intervals"]))
        .collect();
    assert_eq!(timed.len(), 1, "{text}");
    assert!(
        timed[0].contains("alertname=\\\"QuoteIdle\\\"") && timed[0].contains("us_equities"),
        "{timed:?}"
    );
    let interval = &config["time_intervals"][0];
    assert_eq!(interval["name"].as_str(), Some("us_equities"));
    let spec = &interval["time_intervals"][0];
    assert_eq!(spec["weekdays"][0].as_str(), Some("monday:friday"));
    assert_eq!(spec["times"][0]["start_time"].as_str(), Some("13:30"));
    assert_eq!(spec["times"][0]["end_time"].as_str(), Some("20:00"));
    assert_eq!(spec["location"].as_str(), Some("America/New_York"));
}
