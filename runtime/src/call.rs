//! One wrapper per instrumented function: however many botwatch attributes a function
//! carries, a call has one entry and one exit, reads the clock at most twice (shared by
//! `#[timed]` and the breaker's latency), and records into each attribute's static site.
//!
//! Outcomes are told apart where they happen, never guessed from `thread::panicking()`:
//! * the body returned: its value is classified (error or not, breaker outcome);
//! * the body itself panicked: a [`PanicGuard`] alive only across the body's run (or one
//!   `poll`) records an error and a breaker failure while the panic unwinds through it;
//! * the future was dropped before it completed, whatever else is unwinding: nothing is
//!   recorded and a half-open probe slot is given back.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::breaker::{nesting, Breaker, BreakerHooks, BreakerSite, CircuitOpen, Outcome, Permit};
use crate::clock;
use crate::histogram::OwnedHistogram;
use crate::in_flight::Track;
use crate::sites::{CallCounts, CountedSite, SetOf, TimedSite};

/// The sites of one function, as its attributes declared them.
#[derive(Debug)]
pub struct Instruments {
    /// `#[counted]`'s site.
    pub counted: Option<&'static CountedSite>,
    /// `#[timed]`'s site.
    pub timed: Option<&'static TimedSite>,
    /// `#[circuit_breaker]`'s site.
    pub breaker: Option<&'static BreakerSite>,
}

/// Where this call records, for a function with per-call labels: its label set's storage,
/// looked up at entry (`CountedSite::series`, `TimedSite::series`) before the body runs;
/// `None` for an attribute without per-call labels (its site's own storage).
#[derive(Clone, Copy, Debug)]
pub struct Series {
    /// `#[counted]`'s counts of this label set.
    pub counted: Option<SetOf<CallCounts>>,
    /// `#[timed]`'s histogram of this label set.
    pub timed: Option<SetOf<OwnedHistogram>>,
}

/// One admitted call in progress. `T` is what the function tracks of its calls in flight:
/// for a function that tracks nothing the token is `()`, so its calls carry exactly what
/// they carried before `in_flight` existed (an `Option` token here, though always `None`,
/// kept the closed breaker path's call out of registers: 5.7 → 10.8 ns).
#[derive(Debug)]
struct Call<T: Track> {
    instruments: &'static Instruments,
    series: Series,
    /// `None` without a breaker, or when the call is nested in one through the same breaker.
    permit: Option<Permit<'static>>,
    /// Raw clock reading at entry, when anything needs the duration.
    started: Option<u64>,
    /// In flight until this call is dropped: returned, panicked or its future dropped.
    _in_flight: T::Token,
}

impl<T: Track> Call<T> {
    /// Admits a call, or returns the rejection. A `per` breaker's hooks name the breaker of
    /// the call's key. An admitted call comes with its breaker marked as running on this
    /// thread (see `nesting`), for the caller to keep while the body runs; a call nested in
    /// one through the same breaker passes through, with no permit and no mark.
    ///
    /// The clock is read only once the call is admitted: a rejection has no duration (its
    /// body never ran), and timing it would make latency look better during an outage.
    #[inline(always)]
    fn enter<R>(
        instruments: &'static Instruments,
        series: Series,
        in_flight: T,
        hooks: &impl BreakerHooks<R>,
    ) -> Result<(Self, Option<nesting::Scope>), CircuitOpen> {
        let mut needs_clock = instruments.timed.is_some();
        let mut permit = None;
        let mut scope = None;
        if let Some(breaker) = breaker_of(instruments, hooks) {
            if let Some(mark) = nesting::enter(breaker) {
                let admitted = breaker.admit()?;
                needs_clock |= breaker.needs_duration();
                permit = Some(admitted);
                scope = Some(mark);
            }
        }
        let started = needs_clock.then(clock::now);
        let call = Call {
            instruments,
            series,
            permit,
            started,
            _in_flight: in_flight.enter(),
        };
        Ok((call, scope))
    }

    /// [`enter`](Self::enter) when the call's breaker is closed and not already running on
    /// this thread — the healthy call — and `None` otherwise. A caller that finishes this
    /// call on its own code path lets the compiler see a closed-state permit (no probe, no
    /// pass-through) and drop every check of the other cases.
    #[inline(always)]
    fn enter_closed<R>(
        instruments: &'static Instruments,
        series: Series,
        in_flight: T,
        hooks: &impl BreakerHooks<R>,
    ) -> Option<(Self, nesting::Scope)> {
        let site = instruments.breaker?;
        let breaker = hooks.breaker().unwrap_or_else(|| site.breaker());
        let permit = breaker.admit_closed()?;
        let scope = nesting::enter(breaker)?;
        let started = (instruments.timed.is_some() || breaker.needs_duration()).then(clock::now);
        let call = Call {
            instruments,
            series,
            permit: Some(permit),
            started,
            _in_flight: in_flight.enter(),
        };
        Some((call, scope))
    }

    /// Marks the breaker as running again, for one poll of the call's future.
    #[inline(always)]
    fn mark(&self) -> Option<nesting::Scope> {
        self.permit.as_ref().map(|p| nesting::mark(p.breaker()))
    }

    #[inline(always)]
    fn nanos(&self) -> u64 {
        self.started.map_or(0, clock::nanos_since)
    }

    /// The body returned `result`.
    #[inline(always)]
    fn finish<R>(
        self,
        result: &R,
        is_error: impl FnOnce(&R) -> bool,
        hooks: &impl BreakerHooks<R>,
    ) {
        let nanos = self.nanos();
        if let Some(counted) = self.instruments.counted {
            counted.record(self.series.counted, is_error(result));
        }
        if let Some(timed) = self.instruments.timed {
            timed.record(self.series.timed, nanos);
        }
        if let Some(permit) = self.permit {
            permit.finish(hooks.outcome(result), nanos);
        }
    }

    /// The body panicked: an error and a breaker failure; the histogram is left alone.
    #[cold]
    #[inline(never)]
    fn panicked(self) {
        if let Some(counted) = self.instruments.counted {
            counted.record(self.series.counted, true);
        }
        let nanos = self.nanos();
        if let Some(permit) = self.permit {
            permit.finish(Outcome::Failure, nanos);
        }
    }
}

/// The breaker a call of this function goes through (its key's, for a `per` breaker).
#[inline(always)]
fn breaker_of<R>(
    instruments: &'static Instruments,
    hooks: &impl BreakerHooks<R>,
) -> Option<&'static Breaker> {
    let site = instruments.breaker?;
    Some(hooks.breaker().unwrap_or_else(|| site.breaker()))
}

/// A rejected call returns its rejection at once: counted as an error (the caller did not
/// get its result, whatever `ok_if` says of the `CircuitOpen` error), never timed — the
/// body never ran, so there is no duration to record.
#[cold]
fn rejected(instruments: &'static Instruments, series: Series) {
    if let Some(counted) = instruments.counted {
        counted.record(series.counted, true);
    }
}

/// Records a panic of the body if it is dropped while armed: it lives only across the
/// body's run or poll, so only a panic of the body itself can drop it armed.
struct PanicGuard<'a, T: Track> {
    call: &'a mut Option<Call<T>>,
}

impl<T: Track> PanicGuard<'_, T> {
    #[inline(always)]
    fn disarm(self) {
        std::mem::forget(self);
    }
}

impl<T: Track> Drop for PanicGuard<'_, T> {
    // In line, so that the call's state is reached only by inlined code and can stay in
    // registers on the normal path; the recording itself is a cold call.
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            call.panicked();
        }
    }
}

/// Runs a synchronous body under the function's instruments.
#[inline(always)]
pub fn run<R, B, E, H, T>(
    instruments: &'static Instruments,
    series: Series,
    in_flight: T,
    body: B,
    is_error: E,
    hooks: H,
) -> R
where
    B: FnOnce() -> R,
    E: FnOnce(&R) -> bool,
    H: BreakerHooks<R>,
    T: Track,
{
    if let Some((call, scope)) = Call::enter_closed(instruments, series, in_flight, &hooks) {
        return run_entered(call, Some(scope), body, is_error, &hooks);
    }
    let (call, scope) = match Call::enter(instruments, series, in_flight, &hooks) {
        Ok(entered) => entered,
        Err(open) => {
            let rejection = hooks.reject(open);
            rejected(instruments, series);
            return rejection;
        }
    };
    run_entered(call, scope, body, is_error, &hooks)
}

/// Runs a synchronous body as the admitted `call`, then records it.
#[inline(always)]
fn run_entered<R, B, E, H, T>(
    call: Call<T>,
    scope: Option<nesting::Scope>,
    body: B,
    is_error: E,
    hooks: &H,
) -> R
where
    B: FnOnce() -> R,
    E: FnOnce(&R) -> bool,
    H: BreakerHooks<R>,
    T: Track,
{
    let mut call = Some(call);
    let guard = PanicGuard { call: &mut call };
    // Not dropped if recording unwinds (a bug of ours, never the user's): so the result
    // needs no drop on that path and is built where it is returned.
    let result = std::mem::ManuallyDrop::new(body());
    guard.disarm();
    drop(scope);
    if let Some(call) = call {
        call.finish(&*result, is_error, hooks);
    }
    std::mem::ManuallyDrop::into_inner(result)
}

/// A call of a `-> !` function in progress: it never returns, so the only outcome to record
/// is a panic unwinding through it, which drops this guard.
#[derive(Debug)]
pub struct DivergingCall<T: Track> {
    instruments: &'static Instruments,
    series: Series,
    _in_flight: T::Token,
}

/// Starts a call of a `-> !` function.
#[inline(always)]
pub fn enter_diverging<T: Track>(
    instruments: &'static Instruments,
    series: Series,
    in_flight: T,
) -> DivergingCall<T> {
    DivergingCall {
        instruments,
        series,
        _in_flight: in_flight.enter(),
    }
}

impl<T: Track> Drop for DivergingCall<T> {
    #[cold]
    fn drop(&mut self) {
        // The guard lives in the function's own frame and the function never returns, so
        // it is dropped only when a panic unwinds out of this very call.
        if std::thread::panicking() {
            if let Some(counted) = self.instruments.counted {
                counted.record(self.series.counted, true);
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of an instrumented `async fn` or `-> impl Future` function.
    #[must_use = "futures do nothing unless polled"]
    pub struct Instrumented<F, R, E, H, T: Track> {
        #[pin]
        body: Option<F>,
        instruments: &'static Instruments,
        series: Series,
        in_flight: T,
        call: Option<Call<T>>,
        // Admitted yet (at the first poll for `async fn`, at the call for `impl Future`).
        entered: bool,
        // A rejected call's value, returned at the first poll.
        rejection: Option<R>,
        // Made while a call through the same breaker ran on the creating task: if it is
        // run as a task of its own and rejected, that is the breaker's own rejection.
        created_inside: bool,
        is_error: Option<E>,
        hooks: H,
        _output: PhantomData<fn() -> R>,
    }
}

/// An `async fn`'s body: nothing runs before the first poll, so admission (and the clock)
/// start there.
#[inline(always)]
pub fn run_async<R, F, E, H, T>(
    instruments: &'static Instruments,
    series: Series,
    in_flight: T,
    body: F,
    is_error: E,
    hooks: H,
) -> Instrumented<F, R, E, H, T>
where
    F: Future<Output = R>,
    E: FnOnce(&R) -> bool,
    H: BreakerHooks<R>,
    T: Track,
{
    let created_inside = breaker_of(instruments, &hooks).is_some_and(nesting::is_running_here);
    Instrumented {
        body: Some(body),
        instruments,
        series,
        in_flight,
        call: None,
        entered: false,
        rejection: None,
        created_inside,
        is_error: Some(is_error),
        hooks,
        _output: PhantomData,
    }
}

/// An `-> impl Future` (or boxed future) function: admission happens at the call, before
/// the synchronous part of the body (which builds the future) runs, so no part of the body
/// runs while the breaker is open; a panic in that part counts like any other.
///
/// Made inside a call through the same breaker on this task, the future is not admitted
/// yet: awaited there, its first poll finds that call running on its task and passes
/// through; spawned, it is polled on a task of its own and admitted (or rejected) then, as
/// a call of its own.
#[inline(always)]
pub fn run_returning_future<R, M, F, E, H, T>(
    instruments: &'static Instruments,
    series: Series,
    in_flight: T,
    make_body: M,
    is_error: E,
    hooks: H,
) -> Instrumented<F, R, E, H, T>
where
    M: FnOnce() -> F,
    F: Future<Output = R>,
    E: FnOnce(&R) -> bool,
    H: BreakerHooks<R>,
    T: Track,
{
    if breaker_of(instruments, &hooks).is_some_and(nesting::is_running_here) {
        let mut future = run_async(instruments, series, in_flight, make_body(), is_error, hooks);
        future.created_inside = true;
        return future;
    }
    let entered = Call::enter(instruments, series, in_flight, &hooks);
    let (mut call, body, rejection, is_error) = match entered {
        Ok((call, scope)) => {
            let mut call = Some(call);
            let guard = PanicGuard { call: &mut call };
            let body = make_body();
            guard.disarm();
            drop(scope);
            (call, Some(body), None, Some(is_error))
        }
        Err(open) => {
            let rejection = hooks.reject(open);
            rejected(instruments, series);
            (None, None, Some(rejection), None)
        }
    };
    Instrumented {
        body,
        instruments,
        series,
        in_flight,
        call: call.take(),
        entered: true,
        rejection,
        created_inside: false,
        is_error,
        hooks,
        _output: PhantomData,
    }
}

impl<F, E, H, T> Future for Instrumented<F, F::Output, E, H, T>
where
    F: Future,
    E: FnOnce(&F::Output) -> bool,
    H: BreakerHooks<F::Output>,
    T: Track,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        if let Some(rejection) = this.rejection.take() {
            return Poll::Ready(rejection);
        }
        // Marks made during this poll belong to the task polling it (see `nesting`).
        let _task = this
            .instruments
            .breaker
            .map(|_| nesting::in_task(nesting::task_of(cx)));
        if !*this.entered {
            *this.entered = true;
            match Call::enter(this.instruments, *this.series, *this.in_flight, this.hooks) {
                // The admission's mark ends here; each poll marks again below.
                Ok((call, _)) => *this.call = Some(call),
                Err(open) => {
                    if *this.created_inside {
                        if let Some(breaker) = breaker_of(this.instruments, this.hooks) {
                            breaker.note_own_rejection();
                        }
                    }
                    let rejection = this.hooks.reject(open);
                    this.is_error.take();
                    rejected(this.instruments, *this.series);
                    this.body.set(None);
                    return Poll::Ready(rejection);
                }
            }
        }
        let body = this
            .body
            .as_pin_mut()
            .expect("an instrumented future polled after it completed");
        let scope = this.call.as_ref().and_then(Call::mark);
        let guard = PanicGuard {
            call: &mut *this.call,
        };
        let poll = body.poll(cx);
        guard.disarm();
        drop(scope);
        let Poll::Ready(result) = poll else {
            return Poll::Pending;
        };
        if let (Some(call), Some(is_error)) = (this.call.take(), this.is_error.take()) {
            call.finish(&result, is_error, this.hooks);
        }
        Poll::Ready(result)
    }
}
