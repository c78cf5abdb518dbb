//! Circuit breakers: the state machine behind `#[circuit_breaker]`.
//!
//! * **Closed**: every call runs. Consecutive failures (`failures = N`) or the failure share
//!   of the last `window` calls (`failure_rate`, once `min_calls` were seen, judged after
//!   every call) open it.
//! * **Open**: calls are rejected at once with [`CircuitOpen`] until `reset` has passed;
//!   the next call after that switches to half-open and is the first probe.
//! * **Half-open**: at most `half_open` probes run at once; `successes` successful probes
//!   close it, one failed probe opens it again for `reset × backoff^n` (capped by
//!   `max_reset`).
//!
//! Every change of state starts a new *epoch*, and a call's result only moves the state
//! machine if the epoch it was admitted in is still current: a slow call admitted before
//! the breaker opened cannot close it, nor can a probe from an earlier half-open period.
//! Such stale results still count in the success and failure totals, since the calls did
//! happen. A panic of the guarded call counts as a failure; a call whose future is dropped
//! before it completes counts as nothing and gives its probe slot back.
//!
//! Probe slots outlive epochs: a probe of an earlier half-open period that is still running
//! keeps its slot, so at most `half_open` probes ever run at once. Each probe times out on
//! its own, `probe_timeout` after it was admitted: judged at the moment it elapsed (by the
//! next call or result, whichever comes first), it frees its slot and, if it was a probe of
//! the current half-open period, counts as a failed probe at that moment. Its result, when
//! it comes, counts only in the totals. `reset()` forgets running probes the same way.
//!
//! The closed-state path is one atomic load to admit and a few relaxed atomic adds to
//! record; no lock is ever held across the user's call. Everything else — transitions,
//! the open and half-open admissions, probe results — takes a short internal lock, under
//! which alone the state word is written: a probe's slot and its start are taken together,
//! and a failed probe frees its slot and reopens the breaker in one step.

mod clock;
mod family;
mod held;
mod live;
pub(crate) mod nesting;
mod policy;
mod recent;
mod result;
mod table;
mod window;
mod word;

#[cfg(test)]
mod interleavings;
#[cfg(test)]
mod model_tests;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use botwatch_spec::model::CircuitBreaker;
use botwatch_spec::names::{duration_nanos, seconds_to_nanos, DEFAULT_BUCKETS};
use tokio::time::Instant;

use crate::histogram::{HistogramSnapshot, OwnedHistogram};
use crate::stripes::{self, CacheAligned, STRIPES};
use clock::BreakerClock;
use family::Family;
use policy::Policy;
use window::RateWindow;
use word::Word;

#[cfg(test)]
pub(crate) use clock::{BreakerClock as TestBreakerClock, MockClock};
pub(crate) use live::{LiveBreaker, WindowFill};
pub use result::{breaker_hooks, BreakerHooks, BreakerResult, NoBreaker};
pub(crate) use table::{all_breakers, lookup};
pub use table::{breaker, BreakerSite};

/// A breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Calls run.
    Closed,
    /// Calls are rejected with [`CircuitOpen`].
    Open,
    /// A limited number of probe calls run to test whether the callee recovered.
    HalfOpen,
}

impl State {
    /// The value of the `circuit_breaker_state` gauge: 0 closed, 1 open, 2 half-open.
    pub fn gauge_value(self) -> u8 {
        match self {
            State::Closed => 0,
            State::Open => 1,
            State::HalfOpen => 2,
        }
    }

    /// The state as the `from`/`to` labels and `/health` write it.
    pub fn label(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }
}

/// The error a call gets while its breaker is open (or while every half-open probe slot is
/// taken). Functions under `#[circuit_breaker]` return it through `E: From<CircuitOpen>`.
///
/// A per-key breaker's rejection also says which key was open ([`key`](CircuitOpen::key)),
/// so a bot logging the error can tell which venue it was. The key is a private field, so
/// a value is built with [`CircuitOpen::new`] rather than a struct literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitOpen {
    /// The breaker's name.
    pub breaker: &'static str,
    /// How long until the breaker may admit a call: until its reset ends while open, or
    /// until the running probes time out while every half-open slot is taken. Never zero,
    /// so a client that waits this long before retrying never spins.
    pub retry_after: Duration,
    key: Option<Arc<str>>,
    /// The guard holding the breaker open (`guard(..., open = "trading")`), if one is.
    guard: Option<&'static str>,
}

impl CircuitOpen {
    /// A rejection by the breaker `breaker` (no key), retryable after `retry_after`.
    pub fn new(breaker: &'static str, retry_after: Duration) -> CircuitOpen {
        CircuitOpen {
            breaker,
            retry_after,
            key: None,
            guard: None,
        }
    }

    /// The key of a per-key breaker's rejection (`per = venue.id()`): which venue was open.
    /// `None` for a plain breaker.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The guard that holds the breaker open (the static's name in UpperCamelCase, as in
    /// `botwatch_guard_engaged{guard=...}`), when a guard rejected the call; `None` when the
    /// breaker opened on failures or by `force_open()` alone.
    pub fn guard(&self) -> Option<&'static str> {
        self.guard
    }
}

/// The shortest `retry_after` a rejection carries.
const MIN_RETRY_AFTER: Duration = Duration::from_millis(1);

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "circuit breaker \"{}\"{} is open{}; retry in {:.3}s",
            self.breaker,
            KeyPhrase(self.key()),
            held::GuardPhrase(self.guard),
            self.retry_after.as_secs_f64()
        )
    }
}

impl std::error::Error for CircuitOpen {}

/// ` (key "binance")` after a per-key breaker's name, nothing after a plain one's.
struct KeyPhrase<'a>(Option<&'a str>);

impl fmt::Display for KeyPhrase<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(key) => write!(f, " (key {key:?})"),
            None => Ok(()),
        }
    }
}

/// How a finished call counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The call succeeded (a slow success becomes a failure).
    Success,
    /// The call failed.
    Failure,
    /// The call counts as neither (`ignore_if`).
    Ignored,
}

/// The transitions `circuit_breaker_transitions_total` counts, as (from, to).
pub(crate) const TRANSITIONS: [(State, State); 5] = [
    (State::Closed, State::Open),
    (State::Open, State::HalfOpen),
    (State::HalfOpen, State::Open),
    (State::HalfOpen, State::Closed),
    (State::Open, State::Closed),
];

/// Counts of one breaker, for `/health` and dashboards.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BreakerSnapshot {
    /// The breaker's name.
    pub name: &'static str,
    /// The key of a per-key breaker (`per = ...`); `None` for a plain one.
    pub key: Option<String>,
    /// Its state now.
    pub state: State,
    /// Calls counted as successes.
    pub successes: u64,
    /// Calls counted as failures.
    pub failures: u64,
    /// Calls rejected without running.
    pub rejected: u64,
    /// Failures in a row while closed.
    pub consecutive_failures: u32,
    /// The guard holding it open (`guard(..., open = "...")`), shown as the reason
    /// `guard:<Static>`; `None` while no guard holds it.
    pub held_by: Option<&'static str>,
}

/// Indexes into a stripe of `Breaker::counts`.
const SUCCESSES: usize = 0;
const FAILURES: usize = 1;
const REJECTED: usize = 2;

/// What only the lock holder touches. Every write of the state word happens under this
/// lock too, so every transition sees the word it replaces.
#[derive(Debug)]
struct Side {
    /// When an open (not forced) breaker admits its first probe.
    open_until: Instant,
    /// Failed probes since the breaker last closed: the backoff exponent.
    failed_probes: u32,
    /// The running probes, each holding one of the `half_open` slots, across half-open
    /// periods (a probe of an earlier period still holds its slot until it ends or times
    /// out).
    probes: Vec<Probe>,
    /// Successful probes of the current half-open period.
    probe_successes: u32,
    /// The serial the next probe gets: a permit finds its slot by it.
    next_serial: u32,
    /// Who holds it open: the operator (`force_open()`) and the guards (see `held.rs`).
    holds: held::Holds,
}

/// One running probe.
#[derive(Clone, Copy, Debug)]
struct Probe {
    serial: u32,
    /// The half-open epoch it was admitted in.
    epoch: u32,
    admitted: Instant,
    /// [`Breaker::own_rejections`] at admission: a change by the time the probe fails says
    /// a call it made through its own breaker was rejected.
    own_rejections: u64,
}

/// `epoch << 32 | count`: consecutive failures, tagged with the closed epoch they were
/// counted in, so a result that raced a transition can never leak its count into the next
/// epoch.
#[derive(Debug, Default)]
struct Consecutive(AtomicU64);

impl Consecutive {
    fn unpack(bits: u64) -> (u32, u32) {
        ((bits >> 32) as u32, bits as u32)
    }

    /// The count of `epoch` (0 if the stored count belongs to another epoch).
    fn get(&self, epoch: u32) -> u32 {
        let (stored, count) = Self::unpack(self.0.load(Ordering::Acquire));
        if stored == epoch {
            count
        } else {
            0
        }
    }

    /// A failure in `epoch`: returns the count in a row, including it.
    fn failed(&self, epoch: u32) -> u32 {
        let mut bits = self.0.load(Ordering::Acquire);
        loop {
            let (stored, count) = Self::unpack(bits);
            let next = if stored == epoch {
                count.saturating_add(1)
            } else {
                1
            };
            match self.0.compare_exchange_weak(
                bits,
                (u64::from(epoch) << 32) | u64::from(next),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return next,
                Err(actual) => bits = actual,
            }
        }
    }

    /// A success in `epoch`. Reads first: a healthy breaker's success writes nothing shared,
    /// and tests one register (no failure counted at all) before looking at epochs.
    #[inline(always)]
    fn succeeded(&self, epoch: u32) {
        let bits = self.0.load(Ordering::Relaxed);
        if bits as u32 != 0 {
            self.end_run(bits, epoch);
        }
    }

    /// Ends the run of `epoch`. A run of an earlier epoch reads as zero already; it is
    /// cleared too, so that the next successes take the one-register test again. A run of
    /// a later epoch belongs to calls admitted after this one: a success finishing late
    /// leaves it alone (the caller need not check the epoch first).
    #[cold]
    fn end_run(&self, bits: u64, epoch: u32) {
        let (stored, _) = Self::unpack(bits);
        if stored == epoch || Word::is_before(stored, epoch) {
            let _ = self.0.compare_exchange(
                bits,
                u64::from(epoch) << 32,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
        }
    }
}

/// A circuit breaker, shared by every function that names it.
#[derive(Debug)]
pub struct Breaker {
    name: &'static str,
    policy: Policy,
    clock: BreakerClock,
    /// Read by every call, written only on transitions and probes: kept off the lines the
    /// counters below are written on.
    word: CacheAligned<AtomicU64>,
    side: Mutex<Side>,
    consecutive: Consecutive,
    window: Option<RateWindow>,
    #[cfg_attr(not(test), allow(dead_code))]
    origin: Instant,
    /// Permits of epochs before this one belong to a key this breaker no longer serves:
    /// they count nowhere.
    recycled_before: AtomicU32,
    /// Rejections of calls made inside a call through this same breaker and run as tasks of
    /// their own (a probe spawning a call through its own breaker): a probe that fails after
    /// one of these is not counted as failed — a breaker never counts its own rejection.
    own_rejections: AtomicU64,
    /// A member of a per-key family: its rejections carry `key`.
    keyed: bool,
    /// The guard named by its rejections while guards hold it (see `held.rs`).
    held_by: held::HeldBy,
    /// The key of a per-key breaker.
    key: Mutex<Option<Arc<str>>>,
    /// Admitted since the eviction sweep last passed (per-key breakers).
    used: AtomicBool,
    /// The keys of a `per` breaker, on its handle (the breaker `botwatch::breaker` returns).
    family: Option<Box<Family>>,
    /// `[successes, failures, rejected]` per thread stripe.
    counts: [CacheAligned<[AtomicU64; 3]>; STRIPES],
    transitions: [AtomicU64; TRANSITIONS.len()],
    latency: OwnedHistogram,
    /// A success of a closed-state call records nothing but its latency, its count and
    /// the end of a failure run: no `slow` threshold, no failure-rate window. Derived from
    /// `policy` and `window`, kept as one byte because the hot path reads it on every call:
    /// reading the two fields instead measured slower (closed breaker: 36-37 vs 31-34 ns).
    plain_success: bool,
}

impl Breaker {
    pub(crate) fn new(name: &'static str, spec: &CircuitBreaker, clock: BreakerClock) -> Breaker {
        let policy = Policy::from_spec(spec);
        let mut bounds: Vec<u64> = DEFAULT_BUCKETS
            .iter()
            .map(|&s| seconds_to_nanos(s))
            .collect();
        bounds.extend(spec.slow.map(duration_nanos));
        bounds.sort_unstable();
        bounds.dedup();
        let now = clock.now();
        Breaker {
            name,
            plain_success: policy.slow_nanos.is_none() && policy.failure_rate.is_none(),
            window: policy.failure_rate.map(|_| RateWindow::new(policy.window)),
            policy,
            word: CacheAligned(AtomicU64::new(Word::INITIAL.pack())),
            side: Mutex::new(Side {
                open_until: now,
                failed_probes: 0,
                probes: Vec::new(),
                probe_successes: 0,
                next_serial: 0,
                holds: held::Holds::default(),
            }),
            clock,
            consecutive: Consecutive::default(),
            origin: now,
            recycled_before: AtomicU32::new(0),
            own_rejections: AtomicU64::new(0),
            keyed: false,
            held_by: held::HeldBy::default(),
            key: Mutex::new(None),
            used: AtomicBool::new(true),
            family: None,
            counts: Default::default(),
            transitions: Default::default(),
            latency: OwnedHistogram::new(bounds),
        }
    }

    /// The handle of a `per` breaker: it runs no call itself; its keys do.
    pub(crate) fn family_head(name: &'static str, spec: &CircuitBreaker) -> Breaker {
        Breaker {
            family: Some(Box::new(Family::new(name, spec))),
            ..Breaker::new(name, spec, BreakerClock::Tokio)
        }
    }

    /// The breaker's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// For a per-key breaker (`per = venue.id()`), the breaker of `key`, if a call has used
    /// that key (or `"__overflow__"`, where calls go while every slot is busy). `None` for
    /// a plain breaker.
    ///
    /// ```no_run
    /// if let Some(binance) = botwatch::breaker("venue").and_then(|v| v.key("binance")) {
    ///     binance.force_open(); // stop trading on one venue
    /// }
    /// ```
    pub fn key(&self, key: &str) -> Option<&'static Breaker> {
        self.family.as_ref()?.get(key)
    }

    /// Its key, for a breaker of a per-key family.
    pub fn key_name(&self) -> Option<String> {
        self.key
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref()
            .map(str::to_owned)
    }

    /// The breakers that run calls: itself, or every key of a `per` breaker.
    pub(crate) fn members(&'static self) -> Vec<&'static Breaker> {
        match &self.family {
            Some(family) => family.members(),
            None => vec![self],
        }
    }

    /// The breaker of `key` in this `per` breaker (made if new); itself for a plain one.
    #[inline]
    pub(crate) fn member(&'static self, key: &str) -> &'static Breaker {
        match &self.family {
            Some(family) => family.member(key),
            None => self,
        }
    }

    fn set_key(&self, key: &str) {
        *self.key.lock().unwrap_or_else(PoisonError::into_inner) = Some(key.into());
    }

    fn key_arc(&self) -> Option<Arc<str>> {
        if !self.keyed {
            return None;
        }
        self.key
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    #[inline]
    fn mark_used(&self) {
        if !self.used.load(Ordering::Relaxed) {
            self.used.store(true, Ordering::Relaxed);
        }
    }

    /// Serves `key` from now on: closed, counters at zero, no running probe, and every
    /// permit of the old key left counting nowhere.
    fn recycle(&self, key: &str) {
        let mut side = self.lock();
        self.let_go(&mut side);
        side.failed_probes = 0;
        side.probes.clear();
        let next = self.load().next(State::Closed);
        self.store(&side, next);
        side.probe_successes = 0;
        self.recycled_before.store(next.epoch, Ordering::Release);
        if let Some(window) = &self.window {
            window.clear();
        }
        for stripe in &self.counts {
            for count in &stripe.0 {
                count.store(0, Ordering::Relaxed);
            }
        }
        for count in &self.transitions {
            count.store(0, Ordering::Relaxed);
        }
        self.latency.clear();
        self.set_key(key);
        self.used.store(true, Ordering::Relaxed);
        drop(side);
    }

    /// Its state now. An open breaker whose reset has passed reads `Open` until the next
    /// call switches it to half-open.
    pub fn state(&self) -> State {
        self.load().state
    }

    /// Opens the breaker and holds it open, admitting no probe, until [`force_closed`] or
    /// [`reset`]: a kill switch for a venue. On the handle of a `per` breaker, every key,
    /// including keys first used afterwards (the same goes for `force_closed` and `reset`,
    /// which end that hold).
    ///
    /// [`force_closed`]: Breaker::force_closed
    /// [`reset`]: Breaker::reset
    pub fn force_open(&self) {
        if let Some(family) = &self.family {
            family.hold_open(true);
            family.members().iter().for_each(|b| b.force_open());
        }
        let mut side = self.lock();
        side.holds.operator = true;
        side.open_until = self.clock.now() + self.policy.reset;
        self.transition(&mut side, None, State::Open, true);
    }

    /// Closes the breaker now, ending a forced open too. Failures counted so far are
    /// forgotten; the backoff of earlier failed probes is kept, and so are the slots of
    /// probes still running. A guard holding it open lets go: the operator wins until
    /// that guard clears (or, latched, for good) or engages again.
    pub fn force_closed(&self) {
        if let Some(family) = &self.family {
            family.hold_open(false);
            family.release_guards();
            family.members().iter().for_each(|b| b.force_closed());
        }
        let mut side = self.lock();
        self.let_go(&mut side);
        self.transition(&mut side, None, State::Closed, false);
    }

    /// Returns the breaker to its initial state: closed, no failures, no backoff, no running
    /// probe (a probe still running when it is reset decides nothing and holds no slot).
    /// Guards holding it let go, as with [`force_closed`](Breaker::force_closed); this is
    /// how a latched guard's breakers close.
    pub fn reset(&self) {
        if let Some(family) = &self.family {
            family.hold_open(false);
            family.release_guards();
            family.members().iter().for_each(|b| b.reset());
        }
        let mut side = self.lock();
        self.let_go(&mut side);
        side.failed_probes = 0;
        side.probes.clear();
        self.transition(&mut side, None, State::Closed, false);
    }

    /// Its state and counts now.
    pub fn snapshot(&self) -> BreakerSnapshot {
        BreakerSnapshot {
            name: self.name,
            key: self.key_name(),
            state: self.state(),
            successes: self.total(SUCCESSES),
            failures: self.total(FAILURES),
            rejected: self.total(REJECTED),
            consecutive_failures: self.consecutive_failures(),
            held_by: self.holding_guard(),
        }
    }

    fn consecutive_failures(&self) -> u32 {
        let word = self.load();
        if word.state == State::Closed {
            self.consecutive.get(word.epoch)
        } else {
            0
        }
    }

    /// Whether a finished call's duration is needed: for the latency histogram or `slow`.
    pub(crate) fn needs_duration(&self) -> bool {
        self.policy.latency || self.policy.slow_nanos.is_some()
    }

    pub(crate) fn transition_count(&self, index: usize) -> u64 {
        self.transitions[index].load(Ordering::Relaxed)
    }

    pub(crate) fn latency_snapshot(&self) -> HistogramSnapshot {
        self.latency.cells().snapshot()
    }

    /// A call made inside a call through this breaker, run as a task of its own, was
    /// rejected (see [`Breaker::own_rejections`]).
    pub(crate) fn note_own_rejection(&self) {
        self.own_rejections.fetch_add(1, Ordering::AcqRel);
    }

    /// Admits a call, or says why not.
    #[inline(always)]
    pub(crate) fn admit(&self) -> Result<Permit<'_>, CircuitOpen> {
        self.admit_closed().map_or_else(|| self.admit_any(), Ok)
    }

    /// A permit if the breaker is closed now, without looking further: the healthy call's
    /// admission. `None` says nothing about the call: [`admit`](Self::admit) decides.
    #[inline(always)]
    pub(crate) fn admit_closed(&self) -> Option<Permit<'_>> {
        let bits = self.word.0.load(Ordering::Acquire);
        Word::closed_epoch(bits).map(|epoch| self.closed_permit(epoch))
    }

    /// [`admit`](Self::admit) in any state, under the lock: open → half-open once the reset
    /// passed, and a probe slot taken with its start time in one step, so no caller ever
    /// sees a slot taken without its start (issue 35, race 7).
    #[inline(never)]
    fn admit_any(&self) -> Result<Permit<'_>, CircuitOpen> {
        let word = self.load();
        if word.forced {
            // Held open: nothing to judge (running probes are of earlier epochs, and their
            // timeouts can wait for the next look), so no lock.
            return Err(self.reject(self.policy.reset));
        }
        let mut side = self.lock();
        let now = self.clock.now();
        self.settle(&mut side, now);
        let word = self.load();
        let retry_after = match word.state {
            State::Closed => return Ok(self.closed_permit(word.epoch)),
            State::Open if word.forced => Some(self.policy.reset),
            State::Open if now < side.open_until => Some(side.open_until - now),
            State::Open => {
                self.transition(
                    &mut side,
                    Some((word.epoch, State::Open)),
                    State::HalfOpen,
                    false,
                );
                None
            }
            State::HalfOpen => None,
        };
        if let Some(retry_after) = retry_after {
            drop(side);
            return Err(self.reject(retry_after));
        }
        if side.probes.len() >= self.policy.half_open as usize {
            // Every slot is held: wait for the first of them to end or time out.
            let first_timeout = side
                .probes
                .iter()
                .map(|p| p.admitted + self.policy.probe_timeout)
                .min()
                .unwrap_or(now);
            drop(side);
            return Err(self.reject(first_timeout.saturating_duration_since(now)));
        }
        let epoch = self.load().epoch;
        let serial = side.next_serial;
        side.next_serial = serial.wrapping_add(1) & SERIAL_MASK;
        side.probes.push(Probe {
            serial,
            epoch,
            admitted: now,
            own_rejections: self.own_rejections.load(Ordering::Acquire),
        });
        Ok(self.probe_permit(epoch, serial))
    }

    /// Judges the probe timeouts that elapsed by `now`, each at the moment it elapsed and in
    /// that order, whatever the other slots do: the probe no longer holds its slot and its
    /// result will decide nothing; if it was a probe of the current half-open period, it
    /// counts as a failed probe at that moment (open again until that moment plus the next
    /// reset).
    fn settle(&self, side: &mut MutexGuard<'_, Side>, now: Instant) {
        loop {
            let timeout = self.policy.probe_timeout;
            let Some(index) = side
                .probes
                .iter()
                .enumerate()
                .filter(|(_, p)| p.admitted + timeout <= now)
                .min_by_key(|(_, p)| p.admitted)
                .map(|(index, _)| index)
            else {
                return;
            };
            let probe = side.probes.swap_remove(index);
            if self.is_current(probe.epoch, State::HalfOpen) {
                self.fail_probe(side, probe.epoch, probe.admitted + timeout);
            }
        }
    }

    /// A probe of the current half-open period `epoch` failed at `at`: open again, backed
    /// off, until `at` plus the next reset. The probe's slot is already free: both happen
    /// under the lock, so no other probe gets into this half-open period (issue 35, race 6).
    fn fail_probe(&self, side: &mut MutexGuard<'_, Side>, epoch: u32, at: Instant) {
        side.failed_probes = side.failed_probes.saturating_add(1);
        side.open_until = at + self.policy.reset_after(side.failed_probes);
        self.transition(side, Some((epoch, State::HalfOpen)), State::Open, false);
    }

    /// A closed-state permit: on every healthy call, so in line.
    #[inline(always)]
    fn closed_permit(&self, epoch: u32) -> Permit<'_> {
        Permit {
            breaker: self,
            ticket: u64::from(epoch),
        }
    }

    /// A probe's permit, with its serial.
    fn probe_permit(&self, epoch: u32, serial: u32) -> Permit<'_> {
        Permit {
            breaker: self,
            ticket: u64::from(epoch) | PROBE_BIT | (u64::from(serial) << SERIAL_SHIFT),
        }
    }

    fn reject(&self, retry_after: Duration) -> CircuitOpen {
        self.count(REJECTED);
        CircuitOpen {
            breaker: self.name,
            retry_after: retry_after.max(MIN_RETRY_AFTER),
            key: self.key_arc(),
            guard: self.holding_guard(),
        }
    }

    /// Records a finished call that took `nanos`.
    #[inline(always)]
    fn complete(&self, epoch: u32, probe: Option<u32>, outcome: Outcome, nanos: u64) {
        // The healthy call of a closed breaker without a `slow` threshold or a failure-rate
        // window, in line: its latency, a count and a read of the consecutive failures.
        // (The same steps as below.)
        if probe.is_none() && outcome == Outcome::Success && self.plain_success {
            if !Word::is_before(epoch, self.recycled_before.load(Ordering::Relaxed)) {
                // Loads first: a load after a locked add waits for it to finish.
                self.consecutive.succeeded(epoch);
                if self.policy.latency {
                    self.latency.cells().record(nanos);
                }
                self.count(SUCCESSES);
            }
            return;
        }
        self.complete_any(epoch, probe, outcome, nanos);
    }

    /// [`complete`](Self::complete) for every other call.
    #[inline(never)]
    fn complete_any(&self, epoch: u32, probe: Option<u32>, outcome: Outcome, nanos: u64) {
        if Word::is_before(epoch, self.recycled_before.load(Ordering::Relaxed)) {
            return;
        }
        if self.policy.latency {
            self.latency.cells().record(nanos);
        }
        let outcome = match outcome {
            Outcome::Success if self.policy.is_slow(nanos) => Outcome::Failure,
            other => other,
        };
        let counted = match probe {
            Some(serial) => self.complete_probe(serial, outcome),
            None => outcome,
        };
        match counted {
            Outcome::Success => self.count(SUCCESSES),
            Outcome::Failure => self.count(FAILURES),
            Outcome::Ignored => {}
        }
        if probe.is_none() {
            self.complete_closed(epoch, outcome);
        }
    }

    fn complete_closed(&self, epoch: u32, outcome: Outcome) {
        if outcome == Outcome::Success && self.window.is_none() {
            // The common case, without reading the shared word: see `Consecutive::succeeded`.
            self.consecutive.succeeded(epoch);
            return;
        }
        let word = self.load();
        if word.epoch != epoch || word.state != State::Closed {
            return;
        }
        let opens = match outcome {
            Outcome::Ignored => false,
            Outcome::Success => {
                self.consecutive.succeeded(epoch);
                // The rate is judged after every call, a success too (nine failures and one
                // success of `min_calls = 10` open it, as in resilience4j).
                self.rate_reached(false)
            }
            Outcome::Failure => {
                let in_a_row = self.consecutive.failed(epoch);
                let by_count = self
                    .policy
                    .consecutive_failures
                    .is_some_and(|limit| in_a_row >= limit);
                // Recorded whatever the count says: the window holds every call.
                let by_rate = self.rate_reached(true);
                by_count || by_rate
            }
        };
        if opens {
            let mut side = self.lock();
            side.open_until = self.clock.now() + self.policy.reset_after(side.failed_probes);
            self.transition(&mut side, Some((epoch, State::Closed)), State::Open, false);
        }
    }

    /// Records one outcome in the failure-rate window; whether the rate is now reached.
    fn rate_reached(&self, failed: bool) -> bool {
        match (&self.window, self.policy.failure_rate) {
            (Some(window), Some(rate)) => {
                let (failures, calls) = window.record(failed);
                calls >= self.policy.min_calls
                    && f64::from(failures) / f64::from(calls) >= rate - 1e-12
            }
            _ => false,
        }
    }

    /// A probe's result; returns how it counts in the totals.
    fn complete_probe(&self, serial: u32, outcome: Outcome) -> Outcome {
        let mut side = self.lock();
        let now = self.clock.now();
        // A timeout that elapsed before this result came is judged first: then this probe
        // finds its slot gone and decides nothing.
        self.settle(&mut side, now);
        let Some(probe) = Self::take_probe(&mut side, serial) else {
            return outcome;
        };
        if outcome == Outcome::Failure
            && self.own_rejections.load(Ordering::Acquire) != probe.own_rejections
        {
            // It failed after a call it made through this breaker was rejected: that is the
            // breaker's own rejection, not the callee's failure. It counts nowhere.
            return Outcome::Ignored;
        }
        if !self.is_current(probe.epoch, State::HalfOpen) {
            return outcome;
        }
        match outcome {
            Outcome::Ignored => {}
            Outcome::Failure => self.fail_probe(&mut side, probe.epoch, now),
            Outcome::Success => {
                side.probe_successes += 1;
                if side.probe_successes >= self.policy.successes {
                    let expected = Some((probe.epoch, State::HalfOpen));
                    if self.transition(&mut side, expected, State::Closed, false) {
                        side.failed_probes = 0;
                    }
                }
            }
        }
        outcome
    }

    /// Frees the slot of the probe `serial`, if it still holds one (not timed out, not
    /// forgotten by `reset`).
    fn take_probe(side: &mut MutexGuard<'_, Side>, serial: u32) -> Option<Probe> {
        let index = side.probes.iter().position(|p| p.serial == serial)?;
        Some(side.probes.swap_remove(index))
    }

    /// A probe's permit was dropped before its call completed: its slot is free again.
    fn cancel_probe(&self, serial: u32) {
        let mut side = self.lock();
        Self::take_probe(&mut side, serial);
    }

    /// Moves to a new epoch in `to`, if the breaker is still in `expected` (epoch, state),
    /// or from anywhere when `expected` is `None`. Only the lock holder writes the word, so
    /// this is a plain store. Returns whether it moved.
    fn transition(
        &self,
        side: &mut MutexGuard<'_, Side>,
        expected: Option<(u32, State)>,
        to: State,
        forced: bool,
    ) -> bool {
        let current = self.load();
        if let Some((epoch, state)) = expected {
            if current.epoch != epoch || current.state != state {
                return false;
            }
        }
        if to == State::Closed {
            // Clean the window before any call of the new epoch can be admitted. (The
            // consecutive count is tagged with its epoch and needs no cleaning.)
            if let Some(window) = &self.window {
                window.clear();
            }
        }
        side.probe_successes = 0;
        self.store(
            side,
            Word {
                forced,
                ..current.next(to)
            },
        );
        self.count_transition(current.state, to);
        true
    }

    /// Publishes `word`; the lock (`_side`) proves no other writer.
    fn store(&self, _side: &MutexGuard<'_, Side>, word: Word) {
        self.word.0.store(word.pack(), Ordering::Release);
    }

    #[inline(always)]
    fn count(&self, which: usize) {
        self.counts[stripes::current()].0[which].fetch_add(1, Ordering::Relaxed);
    }

    fn total(&self, which: usize) -> u64 {
        self.counts
            .iter()
            .map(|c| c.0[which].load(Ordering::Relaxed))
            .sum()
    }

    fn count_transition(&self, from: State, to: State) {
        if let Some(index) = TRANSITIONS.iter().position(|&t| t == (from, to)) {
            self.transitions[index].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn is_current(&self, epoch: u32, state: State) -> bool {
        let word = self.load();
        word.epoch == epoch && word.state == state
    }

    fn load(&self) -> Word {
        Word::unpack(self.word.0.load(Ordering::Acquire))
    }

    fn lock(&self) -> MutexGuard<'_, Side> {
        #[cfg(test)]
        self.clock.preemption_point();
        // No user code runs under this lock, so a poisoned lock holds consistent data.
        self.side.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Bit 32 of a permit's ticket: a probe.
const PROBE_BIT: u64 = 1 << 32;
/// Where a probe's serial sits in its ticket (31 bits).
const SERIAL_SHIFT: u32 = 33;
const SERIAL_MASK: u32 = u32::MAX >> 1;

/// The right to run one call. Finish it with its outcome; dropping it instead (a future
/// dropped before it completed) counts nothing and gives a probe slot back. A panic of the
/// guarded call is finished as a failure by the caller, which alone can tell it from
/// unrelated unwinding.
#[must_use = "a permit records nothing until finished"]
#[derive(Debug)]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    /// The epoch admitted in (low 32 bits), whether this is a probe (bit 32) and a probe's
    /// serial (above): one word, so a permit is two words with no padding, which the
    /// compiler keeps in registers instead of copying through the stack on every call
    /// (measured: two stalled reloads, about 10 ns of the closed path).
    ticket: u64,
}

impl Permit<'_> {
    #[inline(always)]
    fn epoch(&self) -> u32 {
        self.ticket as u32
    }

    /// A probe's serial; `None` for a closed-state permit.
    #[inline(always)]
    fn probe(&self) -> Option<u32> {
        (self.ticket & PROBE_BIT != 0).then_some((self.ticket >> SERIAL_SHIFT) as u32)
    }

    /// Records the call's outcome and how long it took (`nanos` is read only for the
    /// latency histogram and `slow`, see [`Breaker::needs_duration`]).
    #[inline(always)]
    pub(crate) fn finish(self, outcome: Outcome, nanos: u64) {
        self.breaker
            .complete(self.epoch(), self.probe(), outcome, nanos);
        std::mem::forget(self);
    }

    /// The breaker this permit admits to.
    pub(crate) fn breaker(&self) -> &Breaker {
        self.breaker
    }
}

impl Drop for Permit<'_> {
    // In line (see `PanicGuard`'s drop): a closed-state permit is dropped with no call.
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(serial) = self.probe() {
            self.breaker.cancel_probe(serial);
        }
    }
}
