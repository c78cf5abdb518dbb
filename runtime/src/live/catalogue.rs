//! The functions and breakers the live page lists, gathered once from the linked sites.
//!
//! The list of annotated functions is fixed at link time, so it is built on the first look
//! and kept: a poll then only reads counters.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use botwatch_spec::model::{Alert, Attribute, Quantile};

use crate::registry::{self, RegisteredSite};
use crate::sites::{CountedSite, TimedSite};

/// One annotated function: its storage and the alerts written on it.
#[derive(Debug)]
pub(crate) struct Function {
    pub(crate) module: &'static str,
    pub(crate) function: &'static str,
    pub(crate) counted: Option<&'static CountedSite>,
    pub(crate) timed: Option<&'static TimedSite>,
    /// `#[timed]`: the histogram's finite bucket bounds, in nanoseconds.
    pub(crate) bounds: Vec<u64>,
    /// `#[timed]`: the quantiles its columns show, as its dashboard panel draws them
    /// (`quantiles(...)`, or p50, p90 and p99; plus any quantile an alert names).
    pub(crate) quantiles: Vec<Quantile>,
    /// The breaker guarding it, by name.
    pub(crate) breaker: Option<&'static str>,
    /// Its calls in flight, when it tracks them.
    pub(crate) in_flight: Option<&'static crate::in_flight::InFlight>,
    /// Alerts of `#[counted]` and `#[timed]` (breaker alerts belong to the breaker).
    pub(crate) alerts: Vec<&'static Alert>,
}

/// Every annotated function, in the registry's order (module, function), and the alerts of
/// every breaker by name (each once, however many functions share the breaker).
#[derive(Debug, Default)]
pub(crate) struct Catalogue {
    pub(crate) functions: Vec<Function>,
    pub(crate) breaker_alerts: BTreeMap<String, Vec<&'static Alert>>,
}

/// The catalogue of this binary.
pub(crate) fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(build)
}

fn build() -> Catalogue {
    let mut catalogue = Catalogue::default();
    // Sorted by (module, function): every site of one function is next to the others.
    for site in registry::sites() {
        let spec = site.spec();
        let same = catalogue
            .functions
            .last()
            .is_some_and(|f| f.module == spec.module && f.function == spec.function);
        if !same {
            catalogue.functions.push(Function {
                module: module_of(site),
                function: function_of(site),
                counted: None,
                timed: None,
                bounds: Vec::new(),
                quantiles: Vec::new(),
                breaker: None,
                in_flight: None,
                alerts: Vec::new(),
            });
        }
        let entry = catalogue
            .functions
            .last_mut()
            .expect("pushed above when missing");
        match site {
            RegisteredSite::Counted(counted) => {
                entry.counted = Some(counted);
                entry.in_flight = entry.in_flight.or(counted.in_flight());
            }
            RegisteredSite::Timed(timed) => {
                entry.timed = Some(timed);
                entry.in_flight = entry.in_flight.or(timed.in_flight());
                entry.bounds = timed.snapshot().bounds;
                if let Attribute::Timed(spec) = &spec.attribute {
                    entry.quantiles = spec.drawn_quantiles();
                }
            }
            RegisteredSite::Breaker(_) => {}
        }
        match &spec.attribute {
            Attribute::CircuitBreaker(options) => {
                let name = spec.breaker_name().unwrap_or_default().into_owned();
                let alerts = catalogue.breaker_alerts.entry(name.clone()).or_default();
                for alert in options.alerts.iter() {
                    if !alerts.contains(&alert) {
                        alerts.push(alert);
                    }
                }
                entry.breaker = crate::breaker(&name).map(|b| b.name());
            }
            other => entry.alerts.extend(other.alerts().iter()),
        }
    }
    catalogue
}

fn module_of(site: RegisteredSite) -> &'static str {
    site.spec().module.as_ref()
}

fn function_of(site: RegisteredSite) -> &'static str {
    site.spec().function.as_ref()
}
