//! Every annotated function linked into the binary, collected at link time.
//!
//! Each expansion adds one element to a `linkme` distributed slice, so the exporter can
//! render every function's series at zero from `install()` on, and the rules endpoint can
//! render from the same specs the macros parsed, without any registration call at run time.

use botwatch_spec::model::Site;

use crate::breaker::BreakerSite;
use crate::sites::{CountedSite, TimedSite};

/// One annotated function's storage.
#[derive(Debug, Clone, Copy)]
pub enum RegisteredSite {
    /// A `#[counted]` function.
    Counted(&'static CountedSite),
    /// A `#[timed]` function.
    Timed(&'static TimedSite),
    /// A `#[circuit_breaker]` function.
    Breaker(&'static BreakerSite),
}

impl RegisteredSite {
    /// The function and its attribute.
    pub fn spec(self) -> &'static Site {
        match self {
            RegisteredSite::Counted(site) => site.spec(),
            RegisteredSite::Timed(site) => site.spec(),
            RegisteredSite::Breaker(site) => site.spec(),
        }
    }
}

/// Filled by the linker with one element per annotated function.
#[linkme::distributed_slice]
pub static SITES: [RegisteredSite];

/// Every registered site, in a stable order (module, function, attribute).
pub(crate) fn sites() -> Vec<RegisteredSite> {
    let mut all: Vec<RegisteredSite> = SITES.iter().copied().collect();
    all.sort_by(|a, b| {
        let (a, b) = (a.spec(), b.spec());
        (&a.module, &a.function, a.attribute.kind()).cmp(&(
            &b.module,
            &b.function,
            b.attribute.kind(),
        ))
    });
    all
}
