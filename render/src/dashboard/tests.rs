//! The exact bytes of a small dashboard with every kind of panel, so a change to how the
//! JSON is written cannot change the output unnoticed (the example's checked-in dashboard
//! pins the same, but only in a test of the whole workspace).

use std::borrow::Cow;
use std::time::Duration;

use botwatch_spec::declared::{
    Declared, MetricKind, StateName, ValueAlert, ValueComparison, ValueCondition,
};
use botwatch_spec::model::{
    Alert, Attribute, CircuitBreaker, Comparison, Condition, Counted, Label, MetricOptions,
    Quantile, Site, Slo, Timed,
};

/// The file the expected bytes live in, and the variable that rewrites it.
const PINNED: &str = "src/dashboard/testdata/small.json";
const BLESS: &str = "BOTWATCH_BLESS";

fn site(function: &'static str, attribute: Attribute) -> Site {
    Site {
        function: Cow::Borrowed(function),
        module: Cow::Borrowed("bot::relay"),
        attribute,
    }
}

/// Static and per-call labels, both kinds of SLO, a latency alert off the default
/// quantiles, and a per-key breaker recording latency.
fn sites() -> Vec<Site> {
    let metric = MetricOptions {
        labels: Cow::Owned(vec![Label {
            key: Cow::Borrowed("kind"),
            value: Cow::Borrowed("spot"),
        }]),
        call_labels: Cow::Owned(vec![Cow::Borrowed("venue")]),
        ..MetricOptions::default()
    };
    let slo = |objective, latency| Slo {
        objective,
        latency,
        min_rate: None,
    };
    vec![
        site(
            "submit",
            Attribute::Counted(Counted {
                metric: metric.clone(),
                alerts: Cow::Owned(vec![Alert::new(Condition::ErrorRate { above: 0.2 })]),
                slos: Cow::Owned(vec![slo(0.995, None)]),
                ..Counted::default()
            }),
        ),
        site(
            "submit",
            Attribute::Timed(Timed {
                metric,
                alerts: Cow::Owned(vec![Alert::new(Condition::Latency {
                    quantile: Quantile::P95,
                    threshold: Duration::from_millis(250),
                })]),
                slos: Cow::Owned(vec![slo(0.999, Some(Duration::from_millis(100)))]),
                ..Timed::default()
            }),
        ),
        site(
            "submit",
            Attribute::CircuitBreaker(CircuitBreaker {
                name: Some(Cow::Borrowed("relay")),
                per: Some(Cow::Borrowed("venue")),
                ..CircuitBreaker::default()
            }),
        ),
    ]
}

/// A labelled gauge whose HELP needs escaping, a counter with an `increase` window, a
/// histogram with a threshold too small for an integer, a gauge with named states and a
/// share drawn as a dial.
fn declared() -> Vec<Declared> {
    let mut gauge = Declared::new(MetricKind::Gauge, "POSITION", "bot::values");
    gauge.help = Some(Cow::Borrowed("Open \"size\"\tper\u{2028}desk \u{1}\\"));
    gauge.label_keys = Cow::Owned(vec![Cow::Borrowed("symbol")]);
    gauge.alerts = Cow::Owned(vec![
        ValueAlert {
            severity: Some(Cow::Borrowed("critical")),
            ..Alert::new(ValueCondition::Value {
                comparison: ValueComparison::Above,
                threshold: 10.0,
            })
        },
        Alert::new(ValueCondition::Unchanged {
            window: Duration::from_secs(300),
        }),
    ]);
    let mut counter = Declared::new(MetricKind::Counter, "PROFIT_ETH_TOTAL", "bot::values");
    counter.alerts = Cow::Owned(vec![ValueAlert {
        within: Some(Duration::from_secs(3600)),
        ..Alert::new(ValueCondition::Increase {
            comparison: Comparison::Above,
            amount: 5.0,
        })
    }]);
    let mut histogram = Declared::new(MetricKind::Histogram, "FILL_SIZE", "bot::values");
    histogram.alerts = Cow::Owned(vec![Alert::new(ValueCondition::Quantile {
        quantile: Quantile::P99,
        comparison: Comparison::Above,
        threshold: 1.5e-7,
    })]);
    let mut state = Declared::new(MetricKind::Gauge, "BOT_STATE", "bot::values");
    state.states = Cow::Owned(vec![
        StateName {
            value: 0.0,
            name: Cow::Borrowed("running"),
        },
        StateName {
            value: 3.0,
            name: Cow::Borrowed("halted"),
        },
    ]);
    state.alerts = Cow::Owned(vec![ValueAlert {
        severity: Some(Cow::Borrowed("critical")),
        ..Alert::new(ValueCondition::State {
            name: Cow::Borrowed("halted"),
            value: 3.0,
        })
    }]);
    let mut pool = Declared::new(MetricKind::Gauge, "POOL_USE", "bot::values");
    pool.unit = Some(Cow::Borrowed("percent"));
    pool.alerts = Cow::Owned(vec![Alert::new(ValueCondition::Value {
        comparison: ValueComparison::Above,
        threshold: 90.0,
    })]);
    vec![gauge, counter, histogram, state, pool]
}

/// Compares with the pinned bytes; `BOTWATCH_BLESS=1` rewrites them after a change to the
/// dashboard that is meant (review the diff of the file).
#[test]
fn a_small_dashboard_is_exactly_the_pinned_bytes() {
    let json = super::json(&sites(), &declared());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PINNED);
    if std::env::var_os(BLESS).is_some() {
        std::fs::write(&path, &json).expect("write the pinned dashboard");
        return;
    }
    let pinned = std::fs::read_to_string(&path).expect("read the pinned dashboard");
    if json != pinned {
        let line = json
            .lines()
            .zip(pinned.lines())
            .position(|(a, b)| a != b)
            .map_or(json.lines().count().min(pinned.lines().count()), |i| i);
        panic!(
            "the dashboard differs from {PINNED} from line {}: {:?} (pinned {:?}); \
             if the change is meant, rerun with {BLESS}=1",
            line + 1,
            json.lines().nth(line),
            pinned.lines().nth(line)
        );
    }
}

/// Two sites of one function and attribute, told apart only by their static labels, come
/// in the order of their labels (a label list before the longer list it begins), whichever
/// order they are given in: the build helper and the runtime find them in different orders.
#[test]
fn sites_of_one_function_are_ordered_by_their_series() {
    let counted = |labels: &[(&'static str, &'static str)]| {
        site(
            "place",
            Attribute::Counted(Counted {
                metric: MetricOptions {
                    labels: Cow::Owned(
                        labels
                            .iter()
                            .map(|(k, v)| Label {
                                key: Cow::Borrowed(*k),
                                value: Cow::Borrowed(*v),
                            })
                            .collect(),
                    ),
                    ..MetricOptions::default()
                },
                ..Counted::default()
            }),
        )
    };
    let shorter = counted(&[("desk", "a")]);
    let longer = counted(&[("desk", "a"), ("kind", "b")]);
    let forward = crate::dashboard::json(&[shorter.clone(), longer.clone()], &[]);
    let backward = crate::dashboard::json(&[longer, shorter], &[]);
    assert_eq!(forward, backward);
    let first_shorter = forward
        .find(r#"desk=\"a\", job="#)
        .expect("the shorter site's query");
    let first_longer = forward
        .find(r#"kind=\"b\""#)
        .expect("the longer site's query");
    assert!(
        first_shorter < first_longer,
        "the longer label list came first"
    );
}
