//! `botwatch::Counter`: a total that only grows.

use botwatch_spec::declared::Declared;

use super::cell::CounterCell;
use super::family::{scraped, series, Family, Series};
use crate::labels::Found;

/// A total that only grows — realised profit, bundles landed, volume traded — declared on a
/// `static` with `#[botwatch::counter]`.
///
/// ```
/// /// Realised profit, in ETH.
/// #[botwatch::counter(alert(increase < 0.01, within = 6h))]
/// static PROFIT_ETH_TOTAL: botwatch::Counter = botwatch::Counter::new();
///
/// PROFIT_ETH_TOTAL.add(0.02);
/// PROFIT_ETH_TOTAL.add(-1.0); // ignored: a counter never goes down
/// assert_eq!(botwatch::snapshot().value("profit_eth_total").unwrap(), 0.02);
/// ```
#[derive(Debug)]
pub struct Counter {
    value: CounterCell,
    family: Family<CounterCell>,
    spec: Option<&'static Declared>,
    /// Whether its series keep their update times (`stale > D`).
    stamps_updates: bool,
}

impl Counter {
    /// A counter at zero. `#[botwatch::counter]` on its `static` declares it.
    #[allow(clippy::new_without_default)] // a `static` needs a const constructor
    pub const fn new() -> Counter {
        Counter {
            value: CounterCell::new(),
            family: Family::new(),
            spec: None,
            stamps_updates: false,
        }
    }

    #[doc(hidden)]
    /// What `#[botwatch::counter]` puts in the static.
    pub const fn __declared(spec: &'static Declared, stamps_updates: bool) -> Counter {
        Counter {
            value: CounterCell::stamped(stamps_updates),
            family: Family::new(),
            spec: Some(spec),
            stamps_updates,
        }
    }

    /// Adds `amount` (ignored unless positive and finite).
    #[inline]
    pub fn add(&self, amount: f64) {
        self.value.add(amount);
    }

    /// Adds one.
    #[inline]
    pub fn increment(&self) {
        self.value.increment();
    }

    /// The total now (of the unlabelled series).
    pub fn get(&self) -> f64 {
        self.value.get()
    }

    /// The series of one label set of a labelled family, values in declaration order:
    /// `ORDERS_TOTAL.labels(["binance", "buy"]).increment()`. A set not updated for
    /// `label_idle` (an hour by default) is evicted: its series leaves `/metrics` after
    /// serving its last total, and a later update starts it again from zero (which
    /// Prometheus reads as a counter reset).
    #[inline]
    pub fn labels<V: AsRef<str>, const N: usize>(&self, values: [V; N]) -> CounterSeries<'_> {
        CounterSeries {
            found: self.family.series(self.spec, &values, || self.make_cell()),
            counter: self,
        }
    }

    fn make_cell(&self) -> CounterCell {
        CounterCell::stamped(self.stamps_updates)
    }

    pub(crate) fn spec(&self) -> Option<&'static Declared> {
        self.spec
    }

    pub(crate) fn series(&self) -> Series<'_, CounterCell> {
        series(self.spec, &self.value, &self.family)
    }

    /// [`Self::series`] for a scrape of `/metrics`, which evicts idle label sets.
    pub(crate) fn scraped(&self) -> Series<'_, CounterCell> {
        scraped(self.spec, &self.value, &self.family)
    }
}

/// One label set's series of a labelled counter, as [`Counter::labels`] returns it.
#[derive(Debug, Clone, Copy)]
pub struct CounterSeries<'a> {
    found: Found<'a, CounterCell>,
    counter: &'a Counter,
}

impl CounterSeries<'_> {
    /// Adds `amount` (ignored unless positive and finite).
    #[inline]
    pub fn add(&self, amount: f64) {
        self.write(|cell| cell.add_unless_sealed(amount));
    }

    /// Adds one.
    #[inline]
    pub fn increment(&self) {
        self.write(CounterCell::increment_unless_sealed);
    }

    #[inline(always)]
    fn write(&self, write: impl Fn(&CounterCell) -> bool) {
        let counter = self.counter;
        counter
            .family
            .update(counter.spec, self.found, write, || counter.make_cell());
    }

    /// The total now (of this label set, since it was last evicted).
    pub fn get(&self) -> f64 {
        match self.found {
            Found::Set(set) => set.storage().get(),
            Found::Overflow(cell) => cell.get(),
        }
    }
}
