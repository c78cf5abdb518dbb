//! Declared metrics: the bot's own values (`#[botwatch::gauge]`, `#[botwatch::counter]`,
//! `#[botwatch::histogram]` on a `static`).
//!
//! Each value lives in its `static`: an update is one relaxed atomic operation on it, with
//! no key lookup, and the series exists (at zero) from the start. The attribute embeds the
//! parsed declaration in the static and adds it to a `linkme` slice, so `/metrics`,
//! `/rules` and [`crate::snapshot`] find every declared metric linked into the binary.
//!
//! A labelled family (`labels(symbol)`) keeps a table of at most `max_series` label sets,
//! like a function's per-call labels; `.labels(["BTC-USD"])` finds a set's series with one
//! hash and a lock-free probe, and a set idle for `label_idle` is evicted at scrape.

mod cell;
mod counter;
mod family;
mod gauge;
mod histogram;
mod stamp;

use botwatch_spec::declared::Declared;

pub use cell::{CounterCell, GaugeCell};
pub use counter::{Counter, CounterSeries};
pub use gauge::{Gauge, GaugeSeries};
pub use histogram::{Histogram, HistogramCell, HistogramSeries};
pub(crate) use stamp::unix_now;

pub(crate) use histogram::ValueHistogramSnapshot;

/// One declared metric's `static`, as the attribute registers it.
#[derive(Debug, Clone, Copy)]
pub enum DeclaredStatic {
    /// `#[gauge]`
    Gauge(&'static Gauge),
    /// `#[counter]`
    Counter(&'static Counter),
    /// `#[histogram]`
    Histogram(&'static Histogram),
}

impl DeclaredStatic {
    /// The declaration the attribute parsed (`None` only for a static built by hand, which
    /// the attribute never registers).
    pub fn spec(self) -> Option<&'static Declared> {
        match self {
            DeclaredStatic::Gauge(g) => g.spec(),
            DeclaredStatic::Counter(c) => c.spec(),
            DeclaredStatic::Histogram(h) => h.spec(),
        }
    }
}

/// Filled by the linker with one element per declared metric.
#[linkme::distributed_slice]
pub static DECLARED: [DeclaredStatic];

/// Every declared metric with its declaration, sorted like the build helper sorts them.
pub(crate) fn declared() -> Vec<(&'static Declared, DeclaredStatic)> {
    let mut all: Vec<(&'static Declared, DeclaredStatic)> = DECLARED
        .iter()
        .filter_map(|d| d.spec().map(|spec| (spec, *d)))
        .collect();
    all.sort_by(|a, b| Declared::order(a.0, b.0));
    all
}

/// What a ratio's denominator (`value / DAILY_LIMIT_USD > 80%`) must be: a declared
/// metric's `static`. Generated code calls [`declared_metric`] with it, so a path to
/// anything else is a compile error at that path.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a declared metric",
    label = "a ratio's denominator must be a `static` declared with #[botwatch::gauge]",
    note = "declare it: `#[botwatch::gauge] static DAILY_LIMIT_USD: botwatch::Gauge = botwatch::Gauge::new();`"
)]
pub trait DeclaredMetric {}

impl DeclaredMetric for Gauge {}
impl DeclaredMetric for Counter {}
impl DeclaredMetric for Histogram {}

/// Type-checks a ratio's denominator; never called.
pub fn declared_metric<M: DeclaredMetric>(_: &'static M) {}

/// What a gap's reference (`value - NODE_HEAD > 5`) must be: a declared gauge.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a gauge",
    label = "a gap's reference must be a `static` declared with #[botwatch::gauge]",
    note = "compare with a gauge: `#[botwatch::gauge] static NODE_HEAD: botwatch::Gauge = botwatch::Gauge::new();`"
)]
pub trait DeclaredGauge {}

impl DeclaredGauge for Gauge {}

/// Type-checks a gap's reference; never called.
pub fn declared_gauge<G: DeclaredGauge>(_: &'static G) {}

/// What an increase ratio's other counter (`increase / SUBMITTED < 20%`) must be: a
/// declared counter, whose increase means something.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a counter",
    label = "an increase ratio's other metric must be a `static` declared with #[botwatch::counter]",
    note = "divide by a counter: `#[botwatch::counter] static BUNDLES_SUBMITTED: botwatch::Counter = botwatch::Counter::new();`"
)]
pub trait DeclaredCounter {}

impl DeclaredCounter for Counter {}

/// Type-checks an increase ratio's other counter; never called.
pub fn declared_counter<C: DeclaredCounter>(_: &'static C) {}
