//! [`snapshot()`]: every annotated function's counts and every breaker's state, read in
//! process for tests, without an exporter.
//!
//! Counters are process-wide statics, so a test that shares its binary with other tests
//! compares two snapshots ([`Snapshot::since`]) instead of reading absolute values.

use std::fmt;
use std::time::Duration;

use crate::breaker::{all_breakers, BreakerSnapshot};
use crate::declared::{self, DeclaredStatic};
use crate::guard::GuardSnapshot;
use crate::registry::{self, RegisteredSite};

/// The counts of every annotated function and the state of every breaker at one moment.
///
/// ```
/// #[botwatch::counted]
/// fn place_order(size: u64) -> Result<u64, String> {
///     if size == 0 { return Err("empty order".into()) }
///     Ok(size)
/// }
///
/// # fn main() -> Result<(), botwatch::SnapshotError> {
/// let before = botwatch::snapshot();
/// place_order(0).unwrap_err();
/// let calls = botwatch::snapshot().since(&before).calls("place_order")?;
/// assert_eq!((calls.ok, calls.error), (0, 1));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Snapshot {
    functions: Vec<FunctionCounts>,
    breakers: Vec<BreakerSnapshot>,
    values: Vec<DeclaredValue>,
    guards: Vec<GuardSnapshot>,
}

/// One series of a declared metric: a gauge's value, a counter's total, or a histogram's
/// count of observations.
#[derive(Debug, Clone)]
struct DeclaredValue {
    name: String,
    labels: Vec<String>,
    value: f64,
    /// Counters and histograms count up: `since` takes their difference.
    counts: bool,
    /// How long before the snapshot the series was last updated, for a metric with
    /// `stale > D`.
    since_update: Option<std::time::Duration>,
}

#[derive(Debug, Clone)]
struct FunctionCounts {
    module: &'static str,
    function: &'static str,
    calls: Option<Calls>,
    durations: Option<Durations>,
    in_flight: Option<InFlightCalls>,
}

/// Calls in flight of a function tracking them (`in_flight`): a gauge, read as it is at
/// the snapshot (`since` keeps the later value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct InFlightCalls {
    /// Calls entered and not yet returned, panicked or dropped.
    pub count: u64,
    /// How long the oldest of them has been in flight; `None` while none is.
    pub oldest: Option<Duration>,
}

/// Calls of a `#[counted]` function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Calls {
    /// Calls counted as `result="ok"`.
    pub ok: u64,
    /// Calls counted as `result="error"` (`Err(_)`, a panic, or `error_if`).
    pub error: u64,
}

/// Durations recorded by a `#[timed]` function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Durations {
    /// Calls that completed and were timed.
    pub count: u64,
    /// Their total duration.
    pub sum: Duration,
}

/// Reads every annotated function linked into the binary and every breaker, now. Works
/// with or without an installed exporter.
pub fn snapshot() -> Snapshot {
    crate::notice::counts_are_read();
    let mut functions: Vec<FunctionCounts> = Vec::new();
    for site in registry::sites() {
        let spec = site.spec();
        let (module, function): (&'static str, &'static str) =
            (spec.module.as_ref(), spec.function.as_ref());
        let index = match functions
            .iter()
            .position(|f| f.module == module && f.function == function)
        {
            Some(index) => index,
            None => {
                functions.push(FunctionCounts {
                    module,
                    function,
                    calls: None,
                    durations: None,
                    in_flight: None,
                });
                functions.len() - 1
            }
        };
        let entry = &mut functions[index];
        let tracked = match site {
            RegisteredSite::Counted(counted) => counted.in_flight(),
            RegisteredSite::Timed(timed) => timed.in_flight(),
            RegisteredSite::Breaker(_) => None,
        };
        if let Some(in_flight) = tracked {
            entry.in_flight = Some(InFlightCalls {
                count: in_flight.count(),
                oldest: in_flight.oldest_age_seconds().map(Duration::from_secs_f64),
            });
        }
        match site {
            RegisteredSite::Counted(counted) => {
                entry.calls = Some(Calls {
                    ok: counted.ok_count(),
                    error: counted.error_count(),
                });
            }
            RegisteredSite::Timed(timed) => {
                let histogram = timed.snapshot();
                entry.durations = Some(Durations {
                    count: histogram.count,
                    sum: Duration::from_nanos(histogram.sum_nanos),
                });
            }
            RegisteredSite::Breaker(_) => {}
        }
    }
    Snapshot {
        functions,
        breakers: all_breakers().map(|breaker| breaker.snapshot()).collect(),
        values: declared_values(),
        guards: crate::guard::snapshots(),
    }
}

fn declared_values() -> Vec<DeclaredValue> {
    let mut out = Vec::new();
    let now = declared::unix_now();
    for (spec, metric) in declared::declared() {
        let name = spec.metric_name().into_owned();
        let mut push = |values: &[Box<str>], value: f64, counts: bool, updated: Option<f64>| {
            out.push(DeclaredValue {
                name: name.clone(),
                labels: values.iter().map(|v| v.to_string()).collect(),
                value,
                counts,
                since_update: updated
                    .map(|at| std::time::Duration::from_secs_f64((now - at).max(0.0))),
            });
        };
        match metric {
            DeclaredStatic::Gauge(g) => g
                .series()
                .for_each(|v, c| push(v, c.get(), false, c.updated())),
            DeclaredStatic::Counter(c) => c
                .series()
                .for_each(|v, c| push(v, c.get(), true, c.updated())),
            DeclaredStatic::Histogram(h) => h
                .series()
                .for_each(|v, c| push(v, c.snapshot().count as f64, true, c.updated())),
        };
    }
    out
}

impl Snapshot {
    /// The calls of the `#[counted]` function `function` (`"place_order"`, or with its
    /// module, `"bot::venue::place_order"`, when two modules have one of that name).
    pub fn calls(&self, function: &str) -> Result<Calls, SnapshotError> {
        self.function(function, "#[counted]", |f| f.calls)
    }

    /// The durations of the `#[timed]` function `function` (named as for
    /// [`Snapshot::calls`]).
    pub fn durations(&self, function: &str) -> Result<Durations, SnapshotError> {
        self.function(function, "#[timed]", |f| f.durations)
    }

    /// The calls in flight of the function `function` (named as for [`Snapshot::calls`]),
    /// which tracks them with `in_flight` (or an `in_flight`/`oldest` alert).
    pub fn in_flight(&self, function: &str) -> Result<InFlightCalls, SnapshotError> {
        self.function(function, "in_flight", |f| f.in_flight)
    }

    /// The value of the declared metric `name` (`"operator_balance_eth"`): a gauge's value,
    /// a counter's total, a histogram's count of observations. A labelled family is read
    /// one label set at a time with [`Snapshot::value_of`].
    pub fn value(&self, name: &str) -> Result<f64, SnapshotError> {
        self.value_of(name, &[])
    }

    /// How long before this snapshot one label set (`&[]` for an unlabelled metric) of
    /// the declared metric `name` was last updated, dated as its
    /// `<name>_last_update_timestamp_seconds` is (by the first read after the update).
    /// `None` for a metric without `stale > D`, which keeps no update times.
    pub fn since_update(
        &self,
        name: &str,
        labels: &[&str],
    ) -> Result<Option<std::time::Duration>, SnapshotError> {
        self.declared_value(name, labels).map(|v| v.since_update)
    }

    /// The value of one label set of a labelled declared metric, values in declaration
    /// order: `snapshot.value_of("position_size", &["BTC-USD"])`.
    pub fn value_of(&self, name: &str, labels: &[&str]) -> Result<f64, SnapshotError> {
        self.declared_value(name, labels).map(|v| v.value)
    }

    fn declared_value(&self, name: &str, labels: &[&str]) -> Result<&DeclaredValue, SnapshotError> {
        let found = self.values.iter().find(|v| {
            v.name == name
                && v.labels
                    .iter()
                    .map(String::as_str)
                    .eq(labels.iter().copied())
        });
        match found {
            Some(v) => Ok(v),
            None => Err(SnapshotError::Unknown {
                what: "declared metric",
                name: if labels.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}{labels:?}")
                },
                suggestion: closest(name, self.values.iter().map(|v| v.name.as_str())),
            }),
        }
    }

    /// The breaker named `name` (`"relay"`, or `"module::function"` for a function's own
    /// breaker). A per-key breaker is read with [`Snapshot::breaker_key`].
    pub fn breaker(&self, name: &str) -> Result<BreakerSnapshot, SnapshotError> {
        let named: Vec<&BreakerSnapshot> =
            self.breakers.iter().filter(|b| b.name == name).collect();
        if let Some(plain) = named.iter().find(|b| b.key.is_none()) {
            return Ok((*plain).clone());
        }
        if named.is_empty() {
            return Err(SnapshotError::Unknown {
                what: "circuit breaker",
                name: name.to_owned(),
                suggestion: closest(name, self.breakers.iter().map(|b| b.name)),
            });
        }
        Err(SnapshotError::PerKey {
            breaker: name.to_owned(),
            keys: named.iter().filter_map(|b| b.key.clone()).collect(),
        })
    }

    /// The guard named `name` (`guard(...)` on the static `DRAWDOWN_PCT` is
    /// `"DrawdownPct"`): whether it is engaged, since when, which breakers it holds.
    pub fn guard(&self, name: &str) -> Result<GuardSnapshot, SnapshotError> {
        self.guards
            .iter()
            .find(|g| g.name == name)
            .cloned()
            .ok_or_else(|| SnapshotError::Unknown {
                what: "guard",
                name: name.to_owned(),
                suggestion: closest(name, self.guards.iter().map(|g| g.name)),
            })
    }

    /// The breaker of `key` in the per-key breaker `name` (`per = ...`).
    pub fn breaker_key(&self, name: &str, key: &str) -> Result<BreakerSnapshot, SnapshotError> {
        self.breakers
            .iter()
            .find(|b| b.name == name && b.key.as_deref() == Some(key))
            .cloned()
            .ok_or_else(|| SnapshotError::Unknown {
                what: "breaker key",
                name: format!("{name} / {key}"),
                suggestion: None,
            })
    }

    /// What happened between `earlier` and this snapshot: call and duration counts and
    /// breaker successes, failures and rejections are differences; a breaker's `state` and
    /// `consecutive_failures` are this snapshot's.
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        let functions = self
            .functions
            .iter()
            .map(|now| {
                let before = earlier
                    .functions
                    .iter()
                    .find(|f| f.module == now.module && f.function == now.function);
                let calls_before = before.and_then(|f| f.calls).unwrap_or_default();
                let durations_before = before.and_then(|f| f.durations).unwrap_or_default();
                FunctionCounts {
                    calls: now.calls.map(|c| Calls {
                        ok: c.ok.saturating_sub(calls_before.ok),
                        error: c.error.saturating_sub(calls_before.error),
                    }),
                    durations: now.durations.map(|d| Durations {
                        count: d.count.saturating_sub(durations_before.count),
                        sum: d.sum.saturating_sub(durations_before.sum),
                    }),
                    ..now.clone()
                }
            })
            .collect();
        let breakers = self
            .breakers
            .iter()
            .map(|now| {
                let mut delta = now.clone();
                if let Some(before) = earlier
                    .breakers
                    .iter()
                    .find(|b| b.name == now.name && b.key == now.key)
                {
                    delta.successes = now.successes.saturating_sub(before.successes);
                    delta.failures = now.failures.saturating_sub(before.failures);
                    delta.rejected = now.rejected.saturating_sub(before.rejected);
                }
                delta
            })
            .collect();
        let values = self
            .values
            .iter()
            .map(|now| {
                let before = earlier
                    .values
                    .iter()
                    .find(|v| v.name == now.name && v.labels == now.labels);
                let mut delta = now.clone();
                if let (true, Some(before)) = (now.counts, before) {
                    delta.value = now.value - before.value;
                }
                delta
            })
            .collect();
        Snapshot {
            functions,
            breakers,
            values,
            guards: self.guards.clone(),
        }
    }

    fn function<T>(
        &self,
        name: &str,
        attribute: &'static str,
        pick: impl Fn(&FunctionCounts) -> Option<T>,
    ) -> Result<T, SnapshotError> {
        let matches = |f: &&FunctionCounts| match name.rsplit_once("::") {
            Some((module, function)) => f.module == module && f.function == function,
            None => f.function == name,
        };
        let found: Vec<&FunctionCounts> = self
            .functions
            .iter()
            .filter(matches)
            .filter(|f| pick(f).is_some())
            .collect();
        match found.as_slice() {
            [one] => Ok(pick(one).expect("filtered on is_some")),
            [] => Err(SnapshotError::Unknown {
                what: attribute,
                name: name.to_owned(),
                suggestion: closest(
                    name,
                    self.functions
                        .iter()
                        .filter(|f| pick(f).is_some())
                        .map(|f| f.function),
                ),
            }),
            many => Err(SnapshotError::Ambiguous {
                name: name.to_owned(),
                candidates: many
                    .iter()
                    .map(|f| format!("{}::{}", f.module, f.function))
                    .collect(),
            }),
        }
    }
}

/// Why a [`Snapshot`] lookup found nothing. `Debug` prints the same sentence as `Display`,
/// so `.unwrap()` in a test says what to write instead.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// No function with that attribute, breaker or metric of that name is linked into the
    /// binary.
    Unknown {
        /// What was looked for: `#[counted]`, `#[timed]`, `circuit breaker`, ...
        what: &'static str,
        /// The name given.
        name: String,
        /// A name that exists and is close to it.
        suggestion: Option<String>,
    },
    /// Functions of that name exist in several modules.
    Ambiguous {
        /// The name given.
        name: String,
        /// Each one, as `module::function`.
        candidates: Vec<String>,
    },
    /// The breaker is a per-key breaker: ask for one key.
    PerKey {
        /// The breaker's name.
        breaker: String,
        /// The keys it has now.
        keys: Vec<String>,
    },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Unknown {
                what,
                name,
                suggestion,
            } => {
                let what = match *what {
                    "#[counted]" | "#[timed]" => format!("{what} function"),
                    other => other.to_owned(),
                };
                write!(f, "no {what} named `{name}` is linked into this binary")?;
                match suggestion {
                    Some(close) => write!(f, "; did you mean `{close}`?"),
                    None => Ok(()),
                }
            }
            SnapshotError::Ambiguous { name, candidates } => write!(
                f,
                "`{name}` names several functions; write one with its module: {}",
                candidates
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            SnapshotError::PerKey { breaker, keys } => write!(
                f,
                "circuit breaker `{breaker}` has one breaker per key; read one with \
                 snapshot.breaker_key({breaker:?}, key) (keys now: {})",
                if keys.is_empty() {
                    "none yet".to_owned()
                } else {
                    keys.join(", ")
                }
            ),
        }
    }
}

impl fmt::Debug for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for SnapshotError {}

fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    botwatch_spec::suggest::closest(word, candidates).map(str::to_owned)
}
