//! Kill switches in the bot itself: `guard(CONDITION, open = "trading", for = 2s, latch)`
//! on a declared metric holds the named breakers open while the condition holds.
//!
//! The guards are set up once, from the declarations linked into the binary, by whichever
//! comes first: `install()`, a breaker's first use, a guarded gauge's first update,
//! `snapshot()`. Setting up finds each guard's breakers and other gauge, fills the slot of
//! every gauge a guard reads ([`watch`]), judges every guard on the values held then, and
//! starts the one shared ticker ([`ticker`]) only if some guard reads time (`stale`, `age`,
//! or a `for`). After that a value guard is judged on the update path of the gauges it
//! reads ([`entry`]); the breaker's side of a hold is `breaker/held.rs`.

mod clock;
mod debounce;
mod entry;
mod judge;
mod ticker;
mod watch;

use std::sync::OnceLock;

use botwatch_spec::declared::{Declared, ValueCondition};

use crate::declared::DeclaredStatic;
use entry::GuardEntry;
pub use entry::GuardSnapshot;
use watch::Reader;
pub(crate) use watch::Watch;

/// The test clock: `botwatch::__private::guard_clock::{hold, advance}`.
pub mod test_clock {
    pub use super::clock::{advance, hold};
}

/// Every guard linked into the binary.
#[derive(Debug)]
pub(crate) struct Guards {
    all: Vec<&'static GuardEntry>,
}

static GUARDS: OnceLock<Guards> = OnceLock::new();

/// Sets the guards up if nothing did yet; every guard, judged.
pub(crate) fn start() -> &'static Guards {
    GUARDS.get_or_init(set_up)
}

/// The name of the guard with index `index`, for a held breaker's rejection.
pub(crate) fn name_of(index: u32) -> Option<&'static str> {
    let guards = GUARDS.get()?;
    guards.all.get(index as usize).map(|g| g.name)
}

/// Every guard as it is now, in the order of their metrics.
pub(crate) fn snapshots() -> Vec<GuardSnapshot> {
    start().all.iter().map(|g| g.snapshot()).collect()
}

/// Judges every guard that reads time now (what the ticker does on each tick); tests call
/// it after moving the held clock.
pub fn tick() {
    start().tick();
}

impl Guards {
    fn tick(&self) {
        for guard in self.all.iter().filter(|g| g.spec.reads_time()) {
            guard.judge();
        }
    }
}

fn set_up() -> Guards {
    let declared = crate::declared::declared();
    let specs: Vec<Declared> = declared.iter().map(|(d, _)| (*d).clone()).collect();
    let mut all: Vec<&'static GuardEntry> = Vec::new();
    for (spec, metric) in &declared {
        let Some(guard) = &spec.guard else { continue };
        let other = other_gauge(&declared, &specs, spec, &guard.condition);
        let breakers = guard
            .open
            .iter()
            .map(|name| {
                let found = crate::breaker::lookup(name);
                if found.is_none() {
                    eprintln!(
                        "botwatch: guard {} on {} opens breaker \"{name}\", which no #[circuit_breaker] \
                         function in this binary declares; it holds nothing there",
                        botwatch_spec::guard::Guard::guard_name(&spec.static_name),
                        spec.origin()
                    );
                }
                (static_text(name), found)
            })
            .collect();
        let index = u32::try_from(all.len()).unwrap_or(u32::MAX);
        all.push(Box::leak(Box::new(GuardEntry::new(
            index, spec, guard, *metric, other, breakers,
        ))));
    }
    for (_, metric) in &declared {
        let DeclaredStatic::Gauge(gauge) = metric else {
            continue;
        };
        let readers: Vec<Reader> = all
            .iter()
            .filter_map(|g| {
                if g.is_own(gauge) {
                    Some(Reader {
                        guard: g,
                        own: true,
                    })
                } else if g.reads_other(gauge) {
                    Some(Reader {
                        guard: g,
                        own: false,
                    })
                } else {
                    None
                }
            })
            .collect();
        if !readers.is_empty() {
            gauge.watch().fill(readers);
        }
    }
    for guard in &all {
        guard.judge();
    }
    let guards = Guards { all };
    if guards.all.iter().any(|g| g.spec.reads_time()) {
        ticker::start();
    }
    guards
}

/// The gauge a ratio's denominator or a gap's reference names, if it is a declared gauge.
fn other_gauge(
    declared: &[(&'static Declared, DeclaredStatic)],
    specs: &[Declared],
    spec: &Declared,
    condition: &ValueCondition,
) -> Option<&'static crate::declared::Gauge> {
    let written = match condition {
        ValueCondition::Ratio { denominator, .. } => denominator,
        ValueCondition::Gap { reference, .. } => reference,
        _ => return None,
    };
    let found = Declared::resolve(specs, spec, written)?;
    declared.iter().find_map(|(d, metric)| match metric {
        DeclaredStatic::Gauge(g)
            if d.static_name == found.static_name && d.module == found.module =>
        {
            Some(*g)
        }
        _ => None,
    })
}

fn static_text(text: &botwatch_spec::model::Text) -> &'static str {
    match text {
        std::borrow::Cow::Borrowed(s) => s,
        std::borrow::Cow::Owned(s) => Box::leak(s.clone().into_boxed_str()),
    }
}
