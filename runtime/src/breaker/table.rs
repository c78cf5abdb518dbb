//! Breakers by name. Every function naming a breaker shares one instance, built the first
//! time any of them (or `botwatch::breaker`, or the exporter) asks, from the linked sites.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use botwatch_spec::model::{Attribute, Site};

use super::clock::BreakerClock;
use super::policy::Policy;
use super::{Breaker, CircuitOpen, Permit};
use crate::registry::{self, RegisteredSite};

static TABLE: OnceLock<BTreeMap<&'static str, &'static Breaker>> = OnceLock::new();

/// Storage of one `#[circuit_breaker]` function: its spec and, once resolved, its breaker.
#[derive(Debug)]
pub struct BreakerSite {
    spec: &'static Site,
    resolved: OnceLock<&'static Breaker>,
}

impl BreakerSite {
    /// A site described by `spec`.
    pub const fn new(spec: &'static Site) -> Self {
        BreakerSite {
            spec,
            resolved: OnceLock::new(),
        }
    }

    /// The function and its attribute.
    pub fn spec(&self) -> &'static Site {
        self.spec
    }

    /// The breaker this function uses.
    #[inline]
    pub fn breaker(&'static self) -> &'static Breaker {
        self.resolved.get_or_init(|| {
            let name = site_name(self.spec);
            let breaker = table()
                .get(name.as_ref())
                .copied()
                .expect("every linked breaker site is in the table");
            // A guard holding this breaker is judged before the first call is admitted.
            crate::guard::start();
            breaker
        })
    }

    /// Admits one call of this function, or rejects it.
    #[inline]
    pub fn admit(&'static self) -> Result<Permit<'static>, CircuitOpen> {
        self.breaker().admit()
    }
}

fn site_name(site: &'static Site) -> Cow<'static, str> {
    site.breaker_name().unwrap_or_default()
}

/// The breaker's name: the one written, or the function's own `module::function` (built
/// once per site, when the table is).
fn breaker_name(site: &'static Site) -> &'static str {
    match site.breaker_name() {
        Some(Cow::Borrowed(name)) => name,
        Some(Cow::Owned(name)) => Box::leak(name.into_boxed_str()),
        None => unreachable!("a breaker site holds a breaker spec"),
    }
}

fn table() -> &'static BTreeMap<&'static str, &'static Breaker> {
    TABLE.get_or_init(|| {
        let mut table: BTreeMap<&'static str, (&'static Breaker, &'static Site)> = BTreeMap::new();
        for site in registry::sites() {
            let RegisteredSite::Breaker(site) = site else { continue };
            let spec = site.spec;
            let Attribute::CircuitBreaker(options) = &spec.attribute else { continue };
            let name = breaker_name(spec);
            match table.get(name) {
                None => {
                    let breaker = if options.per.is_some() {
                        Breaker::family_head(name, options)
                    } else {
                        Breaker::new(name, options, BreakerClock::Tokio)
                    };
                    table.insert(name, (Box::leak(Box::new(breaker)), spec));
                }
                Some((breaker, first)) if breaker.policy != Policy::from_spec(options) => {
                    eprintln!(
                        "botwatch: warning: circuit breaker \"{name}\" is declared with different options \
                         at {}::{} and at {}::{}; the first one's options are used",
                        first.module, first.function, spec.module, spec.function
                    );
                }
                Some(_) => {}
            }
        }
        table.into_iter().map(|(name, (breaker, _))| (name, breaker)).collect()
    })
}

/// The breaker named `name`, if a function linked into this binary declares it.
///
/// ```no_run
/// if let Some(relay) = botwatch::breaker("relay") {
///     relay.force_open(); // stop submitting until an operator closes it
/// }
/// ```
pub fn breaker(name: &str) -> Option<&'static Breaker> {
    crate::guard::start();
    lookup(name)
}

/// The breaker named `name`, without setting the guards up (which look breakers up here).
pub(crate) fn lookup(name: &str) -> Option<&'static Breaker> {
    table().get(name).copied()
}

/// Every breaker that runs calls, by name: each key of a `per` breaker on its own.
pub(crate) fn all_breakers() -> impl Iterator<Item = &'static Breaker> {
    table().values().flat_map(|breaker| breaker.members())
}
