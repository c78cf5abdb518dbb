//! Synthetic data for an alert's unit test: series that must make it fire and series that
//! must keep it silent, each sent by two replicas (`instance="replica-a"`, `"replica-b"`),
//! so the test also proves the rule aggregates across instances into one alert.

use std::time::Duration;

/// A counter-like input series: `start`, then `+step` every minute.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) start: f64,
    pub(crate) step: f64,
}

impl Series {
    pub(crate) fn new(name: &str, labels: &[(&str, &str)], start: f64, step: f64) -> Series {
        Series {
            name: name.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            start,
            step,
        }
    }
}

/// What a unit test feeds an alert and expects of it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scenario {
    /// Data under which the alert fires (per replica).
    pub(crate) firing: Vec<Series>,
    /// Data under which it stays silent (per replica).
    pub(crate) silent: Vec<Series>,
    /// The value the alert's expression has on the firing data, as its annotations show it.
    pub(crate) firing_value: f64,
    /// False when no data can make it fire (a threshold at the top of its range); the test
    /// then only proves silence.
    pub(crate) can_fire: bool,
    /// How long the data must run before the expression holds (its longest window).
    pub(crate) warm_up: Duration,
}
