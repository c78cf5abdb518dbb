//! The label sets of a labelled family (`labels(symbol)`), bounded by `max_series` like a
//! function's per-call labels.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use botwatch_spec::declared::Declared;

use crate::labels::{Found, LabelTable, LabelValue};

/// A family's table, made on its first `.labels(...)`.
#[derive(Debug)]
pub(crate) struct Family<S> {
    table: OnceLock<LabelTable<S>>,
    warned: AtomicBool,
}

/// A family's label sets with their storage, and the updates sent to the overflow series.
pub(crate) struct FamilySeries<'a, S> {
    pub(crate) sets: Vec<(Arc<[Box<str>]>, &'a S)>,
    pub(crate) overflowed: u64,
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
    ) -> &S {
        let keys = spec.map_or(0, |d| d.label_keys.len());
        let table = self
            .table
            .get_or_init(|| LabelTable::new(spec.map_or(1, Declared::series_bound), None));
        let owner = || spec.map_or_else(|| "an undeclared metric".to_owned(), Declared::origin);
        if keys != N || keys == 0 {
            self.warn_arity(spec, N);
            return table.overflow_of(keys, &make);
        }
        let values: [LabelValue<'_>; N] = values.each_ref().map(|v| LabelValue::Str(v.as_ref()));
        // A family's sets are never evicted: `.labels(..)` hands out a reference the bot
        // may keep, so an entry never goes to another set.
        match table.lookup(owner, &values, make) {
            Found::Set(set) => set.storage(),
            Found::Overflow(storage) => storage,
        }
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

    /// Every label set seen, with its storage.
    pub(crate) fn all(&self) -> Option<FamilySeries<'_, S>> {
        let table = self.table.get()?;
        Some(FamilySeries {
            sets: table.entries().collect(),
            overflowed: table.overflowed(),
        })
    }
}

/// The series of a declared metric to render.
pub(crate) enum Series<'a, S> {
    /// An unlabelled metric's one series.
    One(&'a S),
    /// A labelled family's sets (none before the first `.labels(..)`).
    Family(Option<FamilySeries<'a, S>>),
}

impl<'a, S> Series<'a, S> {
    /// Calls `f` with each series' label values (none for an unlabelled metric) and
    /// storage. Returns how many updates a labelled family sent to its overflow series
    /// (zero before its first `.labels(..)`), `None` for an unlabelled metric.
    pub(crate) fn for_each(self, mut f: impl FnMut(&[Box<str>], &'a S)) -> Option<u64> {
        match self {
            Series::One(one) => {
                f(&[], one);
                None
            }
            Series::Family(Some(family)) => {
                for (values, storage) in family.sets {
                    f(&values, storage);
                }
                Some(family.overflowed)
            }
            Series::Family(None) => Some(0),
        }
    }
}

/// The series to render: a labelled family's sets, or the one series of an unlabelled
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
