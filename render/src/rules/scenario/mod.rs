//! Synthetic data for an alert's unit tests: probes that show where its line is. Each probe
//! is a promtool test group: two replicas' series (`instance="replica-a"`, `"replica-b"`)
//! sampled every scrape interval, and checks at chosen times of which alerts fire with
//! which value. Probes are built with the scrape interval as the evaluation interval, so
//! "one evaluation before `for` elapses" is one scrape interval before.

pub(crate) mod data;
pub(crate) mod latency;
pub(crate) mod ratio;

use std::time::Duration;

/// The job of the probes' series: alerts group by it and carry it.
pub(crate) const JOB: &str = "bot";

/// The value of the per-call label (or breaker key) `key` in a probe's series set: a value
/// of its own per key, so no rule can pass by writing one value for every key.
pub(crate) fn call_value(key: &str) -> String {
    format!("{key}-1")
}

/// `series` (one per replica, as [`REPLICAS`] orders them) with the first replica leaving
/// after `samples` samples: a deleted pod.
pub(crate) fn first_replica_leaves(mut series: Vec<Series>, samples: u64) -> Vec<Series> {
    for s in series.iter_mut() {
        if s.labels
            .iter()
            .any(|(k, v)| k == "instance" && v == REPLICAS[0])
        {
            s.leaves_after = Some(samples);
        }
    }
    series
}

/// The two replicas every probe's data comes from.
pub(crate) const REPLICAS: [&str; 2] = ["replica-a", "replica-b"];

/// The step of the probes of alerts reading half an hour or more (SLOs, `increase` within
/// hours): promtool evaluates every rule at every step of a test file, so hours of data at
/// a 15 s step cost minutes of CPU, and the same scenario sampled and evaluated every minute
/// costs a sixteenth of that while every window still holds dozens of samples.
pub(crate) const LONG_STEP: Duration = Duration::from_secs(60);

/// Windows from this long on are tested at [`LONG_STEP`]: half an hour holds 30 samples,
/// and half-hour ratios at a 15 s step were a third of the example bot's 15 s test file.
const LONG_WINDOW: Duration = Duration::from_secs(1800);

/// The step of the probes of alerts (SLOs aside) reading six hours or more: their probes
/// span twice their window, and a promtool step costs an evaluation of every rule. Every
/// such window still holds 72 samples or more.
pub(crate) const DAY_STEP: Duration = Duration::from_secs(300);

/// Windows from this long on are tested at [`DAY_STEP`].
const DAY_WINDOW: Duration = Duration::from_secs(6 * 3600);

/// The step (sample and evaluation interval) of the probes of an alert whose longest range
/// window is `window`.
pub(crate) fn test_step(scrape: Duration, window: Option<Duration>) -> Duration {
    match window {
        Some(w) if w >= DAY_WINDOW => day_step(scrape),
        Some(w) if w >= LONG_WINDOW => long_step(scrape),
        _ => scrape,
    }
}

/// The step of probes of an alert with `for` that show its line and its `for` only (no
/// failed scrape, no replica leaving): [`LONG_STEP`] for a `for` of half an hour or more,
/// hundreds of scrape intervals.
pub(crate) fn for_step(step: Duration, for_: Duration) -> Duration {
    if for_ >= LONG_WINDOW {
        long_step(step)
    } else {
        step
    }
}

/// [`DAY_STEP`], or the scrape interval when it is longer.
pub(crate) fn day_step(scrape: Duration) -> Duration {
    scrape.max(DAY_STEP)
}

/// [`LONG_STEP`], or the scrape interval when it is longer.
pub(crate) fn long_step(scrape: Duration) -> Duration {
    scrape.max(LONG_STEP)
}

/// An input series: its samples given as runs, then held at its last value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) shape: Shape,
    /// The replica leaves after this many samples: Prometheus writes a stale marker at the
    /// next scrape, and the series has no sample after it.
    pub(crate) leaves_after: Option<u64>,
    /// No samples before this many steps: the series (its shape and `leaves_after`) starts
    /// that late, as a replica deployed then would. Probes of one alert delayed so they end
    /// together share one test (see `slo/probes.rs`).
    pub(crate) arrives_after: u64,
}

/// How a series' samples move.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Shape {
    /// A counter from 0 at time 0: `(samples, increase per sample)` runs.
    Counter(Vec<(u64, f64)>),
    /// A gauge: `(samples, value)` runs; a `NaN` value is a failed scrape (stale markers).
    Gauge(Vec<(u64, f64)>),
    /// Like `Counter`, with steps written as given: the caller keeps them exact in binary
    /// (small multiples of a power of two), however small.
    ExactCounter(Vec<(u64, f64)>),
}

impl Series {
    /// A series of `name` with exactly `labels` (no replica added): the unit tests' input.
    #[cfg(test)]
    pub(crate) fn with_labels(name: &str, labels: &[(&str, &str)], shape: Shape) -> Series {
        Series {
            name: name.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            shape,
            leaves_after: None,
            arrives_after: 0,
        }
    }

    pub(crate) fn new(
        name: &str,
        labels: &[(String, String)],
        instance: &str,
        shape: Shape,
    ) -> Series {
        let mut labels = labels.to_vec();
        labels.push(("instance".to_owned(), instance.to_owned()));
        Series {
            name: name.to_owned(),
            labels,
            shape,
            leaves_after: None,
            arrives_after: 0,
        }
    }
}

/// What one check expects of one rule of the case: it fires with this value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Expect {
    /// Which rule: its `severity` label (an SLO's page and ticket alerts share a name).
    pub(crate) severity: String,
    /// `$value` as the annotations show it.
    pub(crate) value: f64,
    /// Labels the expression adds to the grouping (`instance` of a per-target alert), or
    /// sets to another value; an empty value: a grouping label the alert does not carry.
    pub(crate) labels: Vec<(String, String)>,
}

/// The alerts expected firing at one evaluation time (none: silent).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Check {
    pub(crate) at: Duration,
    pub(crate) firing: Vec<Expect>,
}

/// One promtool test group.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Probe {
    pub(crate) name: String,
    pub(crate) series: Vec<Series>,
    pub(crate) checks: Vec<Check>,
    /// The probe may start later by any multiple of this (its series arriving late, its
    /// checks as late): its rules read no absence and no clock, so it then behaves as it
    /// does from time 0. The packer delays it to end with the longest probe of its test
    /// group, so its long windows are not read past its end.
    pub(crate) may_start_late_by: Option<Duration>,
    /// The step it is built at, when its rule's `test_step` is not (`None`: that one): it
    /// is written to that step's file. An SLO's hours-long shapes, every 5 minutes.
    pub(crate) step: Option<Duration>,
}

impl Probe {
    pub(crate) fn new(name: impl Into<String>) -> Probe {
        Probe {
            name: name.into(),
            series: Vec::new(),
            checks: Vec::new(),
            may_start_late_by: None,
            step: None,
        }
    }

    pub(crate) fn silent(mut self, at: Duration) -> Probe {
        self.checks.push(Check {
            at,
            firing: Vec::new(),
        });
        self
    }

    /// [`Probe::may_start_late_by`] `unit`.
    pub(crate) fn may_start_late_by(mut self, unit: Duration) -> Probe {
        self.may_start_late_by = Some(unit);
        self
    }

    /// [`Probe::step`] `step`: the probe's series and checks must be built at it.
    pub(crate) fn at_step(mut self, step: Duration) -> Probe {
        self.step = Some(step);
        self
    }

    pub(crate) fn with(mut self, series: Vec<Series>) -> Probe {
        self.series.extend(series);
        self
    }

    pub(crate) fn fires(self, at: Duration, severity: &str, value: f64) -> Probe {
        self.fires_on(at, severity, value, &[])
    }

    pub(crate) fn fires_on(
        mut self,
        at: Duration,
        severity: &str,
        value: f64,
        labels: &[(&str, &str)],
    ) -> Probe {
        self.checks.push(Check {
            at,
            firing: vec![Expect {
                severity: severity.to_owned(),
                value,
                labels: labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            }],
        });
        self
    }

    /// Every alert it expects fires without `job`: `absent(...)` of a selector that names
    /// no job (a function whose series are gone everywhere) cannot know it.
    pub(crate) fn without_job(mut self) -> Probe {
        for expect in self.checks.iter_mut().flat_map(|c| c.firing.iter_mut()) {
            expect
                .labels
                .push((botwatch_spec::names::LABEL_JOB.to_owned(), String::new()));
        }
        self
    }

    pub(crate) fn check(mut self, at: Duration, firing: Vec<Expect>) -> Probe {
        self.checks.push(Check { at, firing });
        self
    }

    /// The `for` edge: silent one evaluation (`step`) before `onset + for`, firing at it.
    /// The alert's condition must hold from `onset` on, and not just before.
    pub(crate) fn for_edge(
        self,
        onset: Duration,
        for_: Duration,
        step: Duration,
        severity: &str,
        value: f64,
    ) -> Probe {
        self.for_edge_on(onset, for_, step, severity, value, &[])
    }

    /// [`for_edge`](Self::for_edge) of an alert that carries `labels` too (a lagging
    /// replica's `instance`).
    pub(crate) fn for_edge_on(
        self,
        onset: Duration,
        for_: Duration,
        step: Duration,
        severity: &str,
        value: f64,
        labels: &[(&str, &str)],
    ) -> Probe {
        let fires_at = onset + round_up(for_, step);
        let probe = if for_.is_zero() {
            self
        } else {
            self.silent(fires_at - step)
        };
        probe.fires_on(fires_at, severity, value, labels)
    }
}

/// `d` rounded up to a whole number of `step`s.
pub(crate) fn round_up(d: Duration, step: Duration) -> Duration {
    let step_ms = step.as_millis().max(1);
    let n = d.as_millis().div_ceil(step_ms);
    Duration::from_millis((n * step_ms) as u64)
}

/// How many whole `step`s fit in `d`, rounded up.
pub(crate) fn samples(d: Duration, step: Duration) -> u64 {
    (d.as_millis().div_ceil(step.as_millis().max(1))) as u64
}
