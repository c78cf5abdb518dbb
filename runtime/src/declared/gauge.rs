//! `botwatch::Gauge`: a value that goes up and down.

use botwatch_spec::declared::Declared;

use super::cell::GaugeCell;
use super::family::{scraped, series, Family, Series};
use crate::guard::Watch;
use crate::labels::Found;

/// A value that goes up and down — a wallet balance, an open position, a queue length —
/// declared once on a `static` with `#[botwatch::gauge]` and served on `/metrics` under
/// the static's name in lower case.
///
/// ```
/// /// Balance of the operator's wallet, in ETH.
/// #[botwatch::gauge(alert(value < 0.5, for = 5m, severity = "critical"))]
/// static OPERATOR_BALANCE_ETH: botwatch::Gauge = botwatch::Gauge::new();
///
/// /// Open position per symbol.
/// #[botwatch::gauge(labels(symbol), max_series = 50)]
/// static POSITION_SIZE: botwatch::Gauge = botwatch::Gauge::new();
///
/// OPERATOR_BALANCE_ETH.set(1.25);
/// OPERATOR_BALANCE_ETH.sub(0.05);
/// POSITION_SIZE.labels(["BTC-USD"]).set(0.5);
/// assert_eq!(botwatch::snapshot().value("operator_balance_eth").unwrap(), 1.2);
/// ```
#[derive(Debug)]
pub struct Gauge {
    value: GaugeCell,
    family: Family<GaugeCell>,
    spec: Option<&'static Declared>,
    /// Whether its series keep their update times (`stale > D`).
    stamps_updates: bool,
    /// The guards that read it (`guard(...)` on it, or a ratio or gap naming it).
    watch: Watch,
}

impl Gauge {
    /// A gauge at zero. `#[botwatch::gauge]` on its `static` declares it; without the
    /// attribute it is not served.
    #[allow(clippy::new_without_default)] // a `static` needs a const constructor
    pub const fn new() -> Gauge {
        Gauge {
            value: GaugeCell::new(),
            family: Family::new(),
            spec: None,
            stamps_updates: false,
            watch: Watch::new(false),
        }
    }

    #[doc(hidden)]
    /// What `#[botwatch::gauge]` puts in the static: a gauge with its declaration.
    pub const fn __declared(spec: &'static Declared, stamps_updates: bool) -> Gauge {
        Gauge {
            value: GaugeCell::stamped(stamps_updates),
            family: Family::new(),
            spec: Some(spec),
            stamps_updates,
            watch: Watch::new(spec.guard.is_some()),
        }
    }

    /// Sets the value: one relaxed atomic store (and, for a gauge a guard reads, one
    /// comparison with the guard's line).
    #[inline]
    pub fn set(&self, value: f64) {
        self.value.set(value);
        self.watch.updated(value);
    }

    /// Adds `delta`.
    #[inline]
    pub fn add(&self, delta: f64) {
        self.value.add(delta);
        self.watch.updated(self.value.get());
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: f64) {
        self.value.sub(delta);
        self.watch.updated(self.value.get());
    }

    /// The value now (of the unlabelled series).
    pub fn get(&self) -> f64 {
        self.value.get()
    }

    /// The series of one label set of a labelled family (`labels(symbol)`), values in
    /// declaration order: `POSITION_SIZE.labels(["BTC-USD"]).set(0.5)`. Past `max_series`
    /// distinct sets, updates go to one `"__overflow__"` series. A set not updated for
    /// `label_idle` (an hour by default) is evicted: its series leaves `/metrics` and a
    /// later update starts it again from zero.
    #[inline]
    pub fn labels<V: AsRef<str>, const N: usize>(&self, values: [V; N]) -> GaugeSeries<'_> {
        GaugeSeries {
            found: self.family.series(self.spec, &values, || self.make_cell()),
            gauge: self,
        }
    }

    fn make_cell(&self) -> GaugeCell {
        GaugeCell::stamped(self.stamps_updates)
    }

    /// The guards that read it.
    pub(crate) fn watch(&self) -> &Watch {
        &self.watch
    }

    pub(crate) fn spec(&self) -> Option<&'static Declared> {
        self.spec
    }

    /// Every series: the unlabelled one, or each label set of a labelled family.
    pub(crate) fn series(&self) -> Series<'_, GaugeCell> {
        series(self.spec, &self.value, &self.family)
    }

    /// [`Self::series`] for a scrape of `/metrics`, which evicts idle label sets.
    pub(crate) fn scraped(&self) -> Series<'_, GaugeCell> {
        scraped(self.spec, &self.value, &self.family)
    }
}

/// One label set's series of a labelled gauge, as [`Gauge::labels`] returns it.
#[derive(Debug, Clone, Copy)]
pub struct GaugeSeries<'a> {
    found: Found<'a, GaugeCell>,
    gauge: &'a Gauge,
}

impl GaugeSeries<'_> {
    /// Sets the value.
    #[inline]
    pub fn set(&self, value: f64) {
        self.write(|cell| cell.set_unless_sealed(value));
        self.gauge.watch.updated(value);
    }

    /// Adds `delta`.
    #[inline]
    pub fn add(&self, delta: f64) {
        let cell = self.write(|cell| cell.add_unless_sealed(delta));
        self.gauge.watch.updated(cell.get());
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: f64) {
        let cell = self.write(|cell| cell.add_unless_sealed(-delta));
        self.gauge.watch.updated(cell.get());
    }

    #[inline(always)]
    fn write(&self, write: impl Fn(&GaugeCell) -> bool) -> &GaugeCell {
        let gauge = self.gauge;
        gauge
            .family
            .update(gauge.spec, self.found, write, || gauge.make_cell())
    }

    /// The value now.
    pub fn get(&self) -> f64 {
        match self.found {
            Found::Set(set) => set.storage().get(),
            Found::Overflow(cell) => cell.get(),
        }
    }
}
