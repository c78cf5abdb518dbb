//! Per-call-site metric storage: one static per annotated function, updated with a single
//! relaxed atomic add per call (on the calling thread's stripe), rendered next to the
//! exporter's output at scrape time.
//!
//! This is why `#[counted]` costs about one atomic add: there is no key lookup, hashing,
//! allocation or vtable call on the hot path, and nothing to register before the first call,
//! so calls made before `install()` are counted like any other. (Each call also reads one
//! flag that is set once: the first call arms the notice for a forgotten `install()`.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use botwatch_spec::model::{Attribute, Site};

use crate::histogram::{histogram_lines, Cells, HistogramSnapshot, Line, OwnedHistogram};
use crate::in_flight::InFlight;
use crate::labels::{Evicted, Found, LabelTable, LabelValue, Sealable, SeriesRef, SEALED};
use crate::stripes::{self, CacheAligned, STRIPES};

/// `[ok, error]` counts per thread stripe, each stripe on a cache line of its own.
pub type CallCounts = [CacheAligned<[AtomicU64; 2]>; STRIPES];

const fn zero_counts() -> CallCounts {
    [const { CacheAligned([const { AtomicU64::new(0) }; 2]) }; STRIPES]
}

/// A function's per-call label sets with what each recorded, and the calls sent to the
/// overflow series; at scrape, also the sets evicted by it, with what they recorded last.
pub(crate) struct Labelled<T> {
    pub(crate) sets: Vec<(Arc<[Box<str>]>, T)>,
    pub(crate) overflowed: u64,
    pub(crate) evictions: u64,
}

impl<T> Labelled<T> {
    /// With the sets `evicted` by this scrape, served one last time by their last values.
    /// A set made again since by a call that raced its eviction (it looked the set up
    /// before the sweep and recorded after it) is served by its last values now and by its
    /// new ones from the next scrape on, as a declared family's is: both in one exposition
    /// would be two series of one label set, one of which Prometheus drops. Prometheus reads
    /// the new counts' drop as a reset; should they reach the last ones by the next scrape,
    /// it reads no reset and misses up to the last counts of a set idle for `label_idle`.
    fn with_evicted(mut self, evicted: Vec<(Arc<[Box<str>]>, T)>) -> Self {
        self.sets
            .retain(|(values, _)| !evicted.iter().any(|(gone, _)| gone == values));
        self.sets.extend(evicted);
        self
    }
}

fn count_total(counts: &CallCounts, index: usize) -> u64 {
    counts
        .iter()
        .map(|stripe| stripe.0[index].load(Ordering::Relaxed) & !SEALED)
        .sum()
}

impl Sealable for CallCounts {
    type Last = (u64, u64);

    fn seal(&self) -> (u64, u64) {
        let mut last = (0, 0);
        for stripe in self {
            last.0 += stripe.0[0].fetch_or(SEALED, Ordering::AcqRel) & !SEALED;
            last.1 += stripe.0[1].fetch_or(SEALED, Ordering::AcqRel) & !SEALED;
        }
        last
    }

    fn clear(&self) {
        for stripe in self {
            for word in &stripe.0 {
                word.store(0, Ordering::Relaxed);
            }
        }
    }
}

/// Adds one call to this thread's stripe of `counts`; `false` if the counts were sealed.
#[inline(always)]
fn add_call(counts: &CallCounts, is_err: bool) -> bool {
    counts[stripes::current()].0[usize::from(is_err)].fetch_add(1, Ordering::Relaxed) & SEALED == 0
}

/// The per-call label sets of a function with per-call labels, made on its first call.
fn table<'a, S>(cell: &'a OnceLock<LabelTable<S>>, spec: &Site) -> &'a LabelTable<S> {
    cell.get_or_init(|| {
        let (bound, idle) = match &spec.attribute {
            Attribute::Counted(c) => (c.metric.series_bound(), c.label_idle()),
            Attribute::Timed(t) => (
                t.metric.series_bound(),
                t.metric.label_idle_or(Duration::ZERO),
            ),
            Attribute::CircuitBreaker(_) => (1, Duration::MAX),
        };
        LabelTable::new(bound, Some(idle))
    })
}

fn owner(spec: &Site) -> impl Fn() -> String + '_ {
    || format!("{}::{}", spec.module, spec.function)
}

/// Where an update of a label set lands: its set's storage, or the overflow series'.
pub type SetOf<S> = Found<'static, S>;

/// Storage of one `#[counted]` function: its call counts, or, with per-call labels, a table
/// of counts per label set.
#[derive(Debug)]
pub struct CountedSite {
    stripes: CallCounts,
    labelled: OnceLock<LabelTable<CallCounts>>,
    /// `[ok, error]` of the label sets evicted so far.
    evicted: [AtomicU64; 2],
    spec: &'static Site,
    in_flight: Option<&'static InFlight>,
}

impl CountedSite {
    /// A site at zero, described by `spec`.
    pub const fn new(spec: &'static Site) -> Self {
        CountedSite {
            stripes: zero_counts(),
            labelled: OnceLock::new(),
            evicted: [const { AtomicU64::new(0) }; 2],
            spec,
            in_flight: None,
        }
    }

    /// The same site, exporting the function's calls in flight.
    pub const fn with_in_flight(mut self, in_flight: &'static InFlight) -> Self {
        self.in_flight = Some(in_flight);
        self
    }

    /// The function's calls in flight, if this site exports them.
    pub fn in_flight(&self) -> Option<&'static InFlight> {
        self.in_flight
    }

    fn total(&self, index: usize) -> u64 {
        let labelled: u64 = self
            .labelled
            .get()
            .map(|t| t.entries().map(|(_, c)| count_total(c, index)).sum())
            .unwrap_or(0);
        count_total(&self.stripes, index) + labelled + self.evicted[index].load(Ordering::Relaxed)
    }

    /// The counts of this call's per-call label set.
    #[inline(always)]
    pub fn series(&'static self, values: &[LabelValue<'_>]) -> SetOf<CallCounts> {
        table(&self.labelled, self.spec).lookup(owner(self.spec), values, zero_counts)
    }

    /// The label sets live, each with (ok, error).
    pub(crate) fn labelled(&self) -> Option<Labelled<(u64, u64)>> {
        let table = self.labelled.get()?;
        Some(Labelled {
            sets: table
                .entries()
                .map(|(values, c)| (values, (count_total(c, 0), count_total(c, 1))))
                .collect(),
            overflowed: table.overflowed(),
            evictions: table.evictions(),
        })
    }

    /// [`Self::labelled`] for a scrape: first evicts the idle sets, which this scrape
    /// serves one last time.
    pub(crate) fn scrape(&self) -> Option<Labelled<(u64, u64)>> {
        let evicted = self.labelled.get()?.sweep();
        self.served_with(evicted)
    }

    /// The live sets and those `evicted` by this scrape, with their last counts (kept in
    /// the totals from now on).
    fn served_with(&self, evicted: Vec<Evicted<(u64, u64)>>) -> Option<Labelled<(u64, u64)>> {
        let labelled = self.labelled()?;
        let evicted = evicted
            .into_iter()
            .map(|Evicted { values, last }| {
                self.evicted[0].fetch_add(last.0, Ordering::Relaxed);
                self.evicted[1].fetch_add(last.1, Ordering::Relaxed);
                (values, last)
            })
            .collect();
        Some(labelled.with_evicted(evicted))
    }

    /// The function and its attribute.
    pub fn spec(&self) -> &'static Site {
        self.spec
    }

    /// Calls that returned anything but `Err(_)`.
    pub fn ok_count(&self) -> u64 {
        self.total(0)
    }

    /// Calls that returned `Err(_)` or panicked.
    pub fn error_count(&self) -> u64 {
        self.total(1)
    }

    /// Records a call that returned (or panicked: `is_err`), in its label set's counts if
    /// it has per-call labels.
    #[inline(always)]
    pub(crate) fn record(&self, series: Option<SetOf<CallCounts>>, is_err: bool) {
        crate::notice::on_call();
        match series {
            None => {
                add_call(&self.stripes, is_err);
            }
            Some(Found::Overflow(counts)) => {
                add_call(counts, is_err);
            }
            Some(Found::Set(set)) => {
                if let Err(moved) = set.record(|counts| add_call(counts, is_err)) {
                    self.record_moved(moved, is_err);
                }
            }
        }
    }

    /// A call whose label set was evicted while it ran: counted in the set's live entry.
    #[cold]
    fn record_moved(&self, moved: SeriesRef<'static, CallCounts>, is_err: bool) {
        let table = self.labelled.get().expect("a set was looked up in it");
        let counts = table.relocate(moved, owner(self.spec), zero_counts);
        if !add_call(counts, is_err) {
            // Evicted again in between: the overflow series is never sealed.
            add_call(table.overflow_of(self.spec_labels(), &zero_counts), is_err);
        }
    }

    fn spec_labels(&self) -> usize {
        match &self.spec.attribute {
            Attribute::Counted(c) => c.metric.call_labels.len(),
            _ => 0,
        }
    }
}

/// Storage of one `#[timed]` function: a fixed-bucket histogram of nanoseconds, striped
/// per thread.
#[derive(Debug)]
pub struct TimedSite {
    /// Upper bounds of the finite buckets, ascending.
    bounds: &'static [u64],
    /// Per stripe: one count per bucket (plus `+Inf`) and the sum, in whole cache lines.
    lines: &'static [Line],
    labelled: OnceLock<LabelTable<OwnedHistogram>>,
    /// The durations of the label sets evicted so far.
    evicted: Mutex<Option<HistogramSnapshot>>,
    spec: &'static Site,
    in_flight: Option<&'static InFlight>,
}

impl TimedSite {
    /// A site at zero. `lines` must hold [`histogram_lines`]`(bounds.len())` lines.
    pub const fn new(spec: &'static Site, bounds: &'static [u64], lines: &'static [Line]) -> Self {
        assert!(
            lines.len() == histogram_lines(bounds.len()),
            "one row of counters per stripe"
        );
        TimedSite {
            bounds,
            lines,
            labelled: OnceLock::new(),
            evicted: Mutex::new(None),
            spec,
            in_flight: None,
        }
    }

    /// The same site, exporting the function's calls in flight.
    pub const fn with_in_flight(mut self, in_flight: &'static InFlight) -> Self {
        self.in_flight = Some(in_flight);
        self
    }

    /// The function's calls in flight, if this site exports them.
    pub fn in_flight(&self) -> Option<&'static InFlight> {
        self.in_flight
    }

    /// Records a call that took `nanos`, in its label set's histogram if it has per-call
    /// labels.
    #[inline(always)]
    pub(crate) fn record(&self, series: Option<SetOf<OwnedHistogram>>, nanos: u64) {
        crate::notice::on_call();
        match series {
            None => self.cells().record(nanos),
            Some(Found::Overflow(histogram)) => histogram.cells().record(nanos),
            Some(Found::Set(set)) => {
                if let Err(moved) = set.record(|h| h.cells().record_unless_sealed(nanos)) {
                    self.record_moved(moved, nanos);
                }
            }
        }
    }

    /// A call whose label set was evicted while it ran: recorded in the set's live entry.
    #[cold]
    fn record_moved(&self, moved: SeriesRef<'static, OwnedHistogram>, nanos: u64) {
        let table = self.labelled.get().expect("a set was looked up in it");
        let make = || OwnedHistogram::new(self.bounds.to_vec());
        let histogram = table.relocate(moved, owner(self.spec), make);
        if !histogram.cells().record_unless_sealed(nanos) {
            let labels = match &self.spec.attribute {
                Attribute::Timed(t) => t.metric.call_labels.len(),
                _ => 0,
            };
            table.overflow_of(labels, &make).cells().record(nanos);
        }
    }

    /// The histogram of this call's per-call label set.
    #[inline(always)]
    pub fn series(&'static self, values: &[LabelValue<'_>]) -> SetOf<OwnedHistogram> {
        table(&self.labelled, self.spec).lookup(owner(self.spec), values, || {
            OwnedHistogram::new(self.bounds.to_vec())
        })
    }

    /// The label sets live with their histograms.
    pub(crate) fn labelled(&self) -> Option<Labelled<HistogramSnapshot>> {
        let table = self.labelled.get()?;
        Some(Labelled {
            sets: table
                .entries()
                .map(|(values, h)| (values, h.cells().snapshot()))
                .collect(),
            overflowed: table.overflowed(),
            evictions: table.evictions(),
        })
    }

    /// [`Self::labelled`] for a scrape: first evicts the idle sets, which this scrape
    /// serves one last time.
    pub(crate) fn scrape(&self) -> Option<Labelled<HistogramSnapshot>> {
        let evicted = self.labelled.get()?.sweep();
        self.served_with(evicted)
    }

    /// The live sets and those `evicted` by this scrape, with their last durations (kept
    /// in the totals from now on).
    fn served_with(
        &self,
        evicted: Vec<Evicted<HistogramSnapshot>>,
    ) -> Option<Labelled<HistogramSnapshot>> {
        let labelled = self.labelled()?;
        if evicted.is_empty() {
            return Some(labelled);
        }
        let mut all = self.evicted.lock().unwrap_or_else(PoisonError::into_inner);
        let evicted = evicted
            .into_iter()
            .map(|Evicted { values, last }| {
                match all.as_mut() {
                    Some(all) => {
                        all.merge(&last);
                    }
                    None => *all = Some(last.clone()),
                }
                (values, last)
            })
            .collect();
        Some(labelled.with_evicted(evicted))
    }

    fn cells(&self) -> Cells<'_> {
        Cells {
            bounds: self.bounds,
            lines: self.lines,
        }
    }

    /// The function and its attribute.
    pub fn spec(&self) -> &'static Site {
        self.spec
    }

    /// Every call's durations: with per-call labels, all label sets together.
    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let mut all = self.cells().snapshot();
        if let Some(table) = self.labelled.get() {
            for (_, histogram) in table.entries() {
                all.merge(&histogram.cells().snapshot());
            }
        }
        if let Some(evicted) = &*self.evicted.lock().unwrap_or_else(PoisonError::into_inner) {
            all.merge(evicted);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use botwatch_spec::model::{Counted, MetricOptions, Timed};
    use std::borrow::Cow;

    /// `labels(venue = venue)`, and the rest as the defaults.
    fn venue_label() -> MetricOptions {
        MetricOptions {
            call_labels: Cow::Owned(vec![Cow::Borrowed("venue")]),
            ..MetricOptions::default()
        }
    }

    /// The spec of function `function` with `attribute`, for the life of the tests.
    fn leaked_spec(function: &'static str, attribute: Attribute) -> &'static Site {
        Box::leak(Box::new(Site {
            function: Cow::Borrowed(function),
            module: Cow::Borrowed("bot"),
            attribute,
        }))
    }

    /// A `#[counted(labels(venue = venue))]` site, as the macro makes one.
    fn counted_site() -> &'static CountedSite {
        let counted = Counted {
            metric: venue_label(),
            ..Counted::default()
        };
        let spec = leaked_spec("place", Attribute::Counted(counted));
        Box::leak(Box::new(CountedSite::new(spec)))
    }

    /// A `#[timed(labels(venue = venue))]` site with one bucket, as the macro makes one.
    fn timed_site() -> &'static TimedSite {
        let timed = Timed {
            metric: venue_label(),
            ..Timed::default()
        };
        let spec = leaked_spec("quote", Attribute::Timed(timed));
        let bounds: &'static [u64] = Box::leak(Box::new([1_000_000]));
        let lines = (0..histogram_lines(bounds.len()))
            .map(|_| crate::histogram::zero_line())
            .collect::<Vec<_>>();
        Box::leak(Box::new(TimedSite::new(spec, bounds, lines.leak())))
    }

    /// The served sets as `(values, count)`.
    fn served<T>(labelled: &Labelled<T>, count: impl Fn(&T) -> u64) -> Vec<(String, u64)> {
        labelled
            .sets
            .iter()
            .map(|(values, recorded)| (values.join(","), count(recorded)))
            .collect()
    }

    /// An hour, the default `label_idle`, in the label tables' milliseconds.
    const IDLE_MS: u64 = 3_600_000;

    /// A call through a set looked up before the scrape evicted it, landing between the
    /// sweep and the listing of the live sets, makes the set again. The scrape serves it
    /// once, by its last counts (two series of one label set in one exposition are a
    /// duplicate Prometheus drops one of), and the next scrape by its new ones.
    #[test]
    fn a_set_made_again_by_a_racing_call_is_served_once_by_its_last_counts() {
        let site = counted_site();
        let set = site.series(&[LabelValue::Str("okx")]);
        site.record(Some(set), false);
        let table = site.labelled.get().expect("made by the lookup");
        assert!(table.sweep_at(0).is_empty(), "dates the call");
        let evicted = table.sweep_at(IDLE_MS);
        assert_eq!(evicted.len(), 1);
        site.record(Some(set), false);
        let scrape = site.served_with(evicted).expect("labelled");
        assert_eq!(served(&scrape, |c| c.0), [("okx".to_owned(), 1)]);
        let next = site.labelled().expect("labelled");
        assert_eq!(served(&next, |c| c.0), [("okx".to_owned(), 1)]);
        assert_eq!(site.ok_count(), 2, "no call lost");
    }

    /// The same for a `#[timed]` site's histograms.
    #[test]
    fn a_histogram_made_again_by_a_racing_call_is_served_once_by_its_last_durations() {
        let site = timed_site();
        let set = site.series(&[LabelValue::Str("okx")]);
        site.record(Some(set), 500);
        let table = site.labelled.get().expect("made by the lookup");
        assert!(table.sweep_at(0).is_empty(), "dates the call");
        let evicted = table.sweep_at(IDLE_MS);
        assert_eq!(evicted.len(), 1);
        site.record(Some(set), 700);
        let scrape = site.served_with(evicted).expect("labelled");
        assert_eq!(served(&scrape, |h| h.sum_nanos), [("okx".to_owned(), 500)]);
        let next = site.labelled().expect("labelled");
        assert_eq!(served(&next, |h| h.sum_nanos), [("okx".to_owned(), 700)]);
        assert_eq!(site.snapshot().count, 2, "no call lost");
    }
}
