//! The label sets of a labelled family (`labels(symbol)`), bounded by `max_series` like a
//! function's per-call labels, and evicted like them: a set with no update for its
//! `label_idle` (see [`Declared::label_idle`]) leaves `/metrics` at the next scrape and
//! its place goes to the next new set.
//!
//! `.labels(..)` hands the bot a handle ([`Found`]: the set's entry as it was looked up),
//! not a reference to storage: an entry is reused for another set after an eviction, and
//! the handle tells an update that lands too late, which [`Family::update`] then records
//! in the set's live entry (see `labels::evict`). A handle the bot keeps marks its set used
//! on every update, so a set in use is never evicted under it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use botwatch_spec::declared::Declared;

use crate::labels::{Evicted, Found, LabelTable, LabelValue, Sealable, SeriesRef};

/// A family's table, made on its first `.labels(...)`.
#[derive(Debug)]
pub(crate) struct Family<S> {
    table: OnceLock<LabelTable<S>>,
    warned: AtomicBool,
}

/// A family's label sets with their storage, and the updates sent to the overflow series;
/// for a scrape, also the sets it evicted, with what they held last.
pub(crate) struct FamilySeries<'a, S> {
    pub(crate) sets: Vec<(Arc<[Box<str>]>, &'a S)>,
    pub(crate) evicted: Vec<Evicted<S>>,
    pub(crate) counts: FamilyCounts,
}

/// What `botwatch_label_overflow_total` and `botwatch_label_evictions_total` serve for a
/// family.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FamilyCounts {
    /// Updates recorded in the overflow series.
    pub(crate) overflowed: u64,
    /// Label sets evicted idle.
    pub(crate) evictions: u64,
}

fn owner(spec: Option<&'static Declared>) -> impl Fn() -> String {
    move || spec.map_or_else(|| "an undeclared metric".to_owned(), Declared::origin)
}

impl<S> Family<S> {
    pub(crate) const fn new() -> Family<S> {
        Family {
            table: OnceLock::new(),
            warned: AtomicBool::new(false),
        }
    }

    /// The series of `values`, in declaration order. With a number of values other than
    /// the declared labels (or on a static declared without labels), the update goes to the
    /// overflow series and a notice is printed once.
    #[inline]
    pub(crate) fn series<V: AsRef<str>, const N: usize>(
        &self,
        spec: Option<&'static Declared>,
        values: &[V; N],
        make: impl Fn() -> S,
    ) -> Found<'_, S> {
        let keys = spec.map_or(0, |d| d.label_keys.len());
        let table = self.table.get_or_init(|| {
            LabelTable::new(
                spec.map_or(1, Declared::series_bound),
                spec.map(Declared::label_idle),
            )
        });
        if keys != N || keys == 0 {
            self.warn_arity(spec, N);
            return Found::Overflow(table.overflow_of(keys, &make));
        }
        let values: [LabelValue<'_>; N] = values.each_ref().map(|v| LabelValue::Str(v.as_ref()));
        table.lookup(owner(spec), &values, make)
    }

    /// Applies `write` to the storage `found` names, which returns `false` when it found
    /// the storage sealed (its set evicted since the lookup); the write then goes to the
    /// set's live entry. Returns the storage written.
    #[inline(always)]
    pub(crate) fn update<'a>(
        &'a self,
        spec: Option<&'static Declared>,
        found: Found<'a, S>,
        write: impl Fn(&S) -> bool,
        make: impl Fn() -> S,
    ) -> &'a S {
        match found {
            Found::Overflow(storage) => {
                write(storage);
                storage
            }
            Found::Set(set) => {
                set.touch();
                match set.record(&write) {
                    Ok(()) => set.storage(),
                    Err(moved) => self.update_moved(spec, moved, &write, &make),
                }
            }
        }
    }

    /// A write whose set was evicted since its lookup: in the set's live entry (made again
    /// if need be), or the overflow series when that too is gone.
    #[cold]
    #[inline(never)]
    fn update_moved<'a>(
        &'a self,
        spec: Option<&'static Declared>,
        moved: SeriesRef<'a, S>,
        write: &impl Fn(&S) -> bool,
        make: &impl Fn() -> S,
    ) -> &'a S {
        let table = self.table.get().expect("a set was looked up in it");
        let storage = table.relocate(moved, owner(spec), make);
        if write(storage) {
            return storage;
        }
        // Evicted again in between: the overflow series is never sealed.
        let labels = spec.map_or(0, |d| d.label_keys.len());
        let overflow = table.overflow_of(labels, make);
        write(overflow);
        overflow
    }

    #[cold]
    fn warn_arity(&self, spec: Option<&'static Declared>, given: usize) {
        if self.warned.swap(true, Ordering::Relaxed) {
            return;
        }
        match spec {
            Some(d) if d.label_keys.is_empty() => eprintln!(
                "botwatch: {} declares no labels, but .labels(..) was given {given} value(s); \
                 declare them, like labels(symbol)",
                d.origin()
            ),
            Some(d) => eprintln!(
                "botwatch: {} declares {} label(s) ({}), but .labels(..) was given {given} value(s); \
                 those updates go to the \"__overflow__\" series",
                d.origin(),
                d.label_keys.len(),
                d.label_keys.join(", ")
            ),
            None => eprintln!(
                "botwatch: .labels(..) on a metric without #[botwatch::gauge], #[counter] or #[histogram]; it is not served"
            ),
        }
    }

    /// Every live label set, with its storage.
    pub(crate) fn all(&self) -> Option<FamilySeries<'_, S>> {
        let table = self.table.get()?;
        Some(FamilySeries {
            sets: table.entries().collect(),
            evicted: Vec::new(),
            counts: FamilyCounts {
                overflowed: table.overflowed(),
                evictions: table.evictions(),
            },
        })
    }
}

impl<S: Sealable<Last = S>> Family<S> {
    /// [`Self::all`] for a scrape: first evicts the sets idle for `label_idle`, which this
    /// scrape serves one last time.
    pub(crate) fn scrape(&self) -> Option<FamilySeries<'_, S>> {
        let evicted = self.table.get()?.sweep();
        let mut all = self.all()?;
        all.evicted = evicted;
        Some(all)
    }
}

/// The series of a declared metric to render.
pub(crate) enum Series<'a, S> {
    /// An unlabelled metric's one series.
    One(&'a S),
    /// A labelled family's sets (none before the first `.labels(..)`).
    Family(Option<FamilySeries<'a, S>>),
}

impl<S> Series<'_, S> {
    /// Calls `f` with each series' label values (none for an unlabelled metric) and
    /// storage, a scrape's evicted sets last. Returns a labelled family's overflow and
    /// eviction counts (zero before its first `.labels(..)`), `None` for an unlabelled
    /// metric.
    pub(crate) fn for_each(self, mut f: impl FnMut(&[Box<str>], &S)) -> Option<FamilyCounts> {
        match self {
            Series::One(one) => {
                f(&[], one);
                None
            }
            Series::Family(Some(family)) => {
                // A set evicted by this scrape and made again since by an update that raced
                // the eviction is served by its last values now and by the new ones from
                // the next scrape on: Prometheus then reads the counter's drop as a reset
                // and counts everything the new set recorded.
                let evicted_again = |values: &Arc<[Box<str>]>| {
                    family.evicted.iter().any(|gone| gone.values == *values)
                };
                for (values, storage) in family.sets {
                    if !evicted_again(&values) {
                        f(&values, storage);
                    }
                }
                for Evicted { values, last } in &family.evicted {
                    f(values, last);
                }
                Some(family.counts)
            }
            Series::Family(None) => Some(FamilyCounts::default()),
        }
    }
}

/// The series to read: a labelled family's live sets, or the one series of an unlabelled
/// metric.
pub(crate) fn series<'a, S>(
    spec: Option<&'static Declared>,
    one: &'a S,
    family: &'a Family<S>,
) -> Series<'a, S> {
    match spec {
        Some(d) if !d.label_keys.is_empty() => Series::Family(family.all()),
        _ => Series::One(one),
    }
}

/// [`series`] for a scrape of `/metrics`: a family first evicts its idle sets and serves
/// them once more. Only the scrape evicts: the values Prometheus last saw of a set are its
/// last ones.
pub(crate) fn scraped<'a, S: Sealable<Last = S>>(
    spec: Option<&'static Declared>,
    one: &'a S,
    family: &'a Family<S>,
) -> Series<'a, S> {
    match spec {
        Some(d) if !d.label_keys.is_empty() => Series::Family(family.scrape()),
        _ => Series::One(one),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use botwatch_spec::declared::MetricKind;

    use super::*;
    use crate::declared::CounterCell;

    fn labelled_counter() -> &'static Declared {
        let mut spec = Declared::new(MetricKind::Counter, "FILLS", "bot");
        spec.label_keys = Cow::Owned(vec![Cow::Borrowed("venue")]);
        Box::leak(Box::new(spec))
    }

    /// What a scrape serves, as `(values, total)`.
    fn served(series: Series<'_, CounterCell>) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        series.for_each(|values, cell| out.push((values.join(","), cell.get())));
        out
    }

    #[test]
    fn a_set_made_again_by_a_racing_update_is_served_by_its_last_total_first() {
        let spec = labelled_counter();
        let family: Family<CounterCell> = Family::new();
        let make = || CounterCell::stamped(false);
        let found = family.series(Some(spec), &["okx"], make);
        family.update(
            Some(spec),
            found,
            CounterCell::increment_unless_sealed,
            make,
        );
        let table = family.table.get().expect("made by the lookup");
        let idle = u64::try_from(spec.label_idle().as_millis()).expect("an hour");
        assert!(table.sweep_at(0).is_empty(), "dates the update");
        // The scrape's sweep evicts the set; an update through the handle taken before
        // makes it again before the scrape lists the live sets.
        let evicted = table.sweep_at(idle);
        assert_eq!(evicted.len(), 1);
        family.update(Some(spec), found, |c| c.add_unless_sealed(2.0), make);
        let scrape = Series::Family(Some(FamilySeries {
            sets: table.entries().collect(),
            evicted,
            counts: FamilyCounts::default(),
        }));
        assert_eq!(
            served(scrape),
            [("okx".to_owned(), 1.0)],
            "once, its last total"
        );
        let next = Series::Family(family.all());
        assert_eq!(served(next), [("okx".to_owned(), 2.0)], "then the new set");
    }
}
