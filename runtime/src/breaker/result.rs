//! What `#[circuit_breaker]` asks of a function's return type, and how it reads the result.

use std::future::Future;

use super::{BreakerSite, CircuitOpen, Outcome};

/// A return type a circuit breaker can guard: `Result<T, E>` where `E: From<CircuitOpen>`,
/// so a rejected call can return `Err(E::from(CircuitOpen { .. }))`.
#[diagnostic::on_unimplemented(
    message = "#[circuit_breaker] needs the function to return `Result<T, E>` with `E: From<botwatch::CircuitOpen>`; `{Self}` is not such a type",
    label = "this return type cannot carry `botwatch::CircuitOpen`",
    note = "return a `Result` and implement `From<botwatch::CircuitOpen>` for its error type (or wrap it, e.g. in `Box<dyn std::error::Error + Send + Sync>`)"
)]
pub trait BreakerResult {
    /// The error type.
    type Error;
    /// `Err(E::from(open))`.
    fn rejected(open: CircuitOpen) -> Self;
    /// `Some(&e)` for `Err(e)`.
    fn error(&self) -> Option<&Self::Error>;
}

impl<T, E: From<CircuitOpen>> BreakerResult for Result<T, E> {
    type Error = E;

    #[cold]
    fn rejected(open: CircuitOpen) -> Self {
        Err(E::from(open))
    }

    #[inline(always)]
    fn error(&self) -> Option<&E> {
        self.as_ref().err()
    }
}

/// How a result counts: `Ok` is a success; an `Err` is ignored if `ignore_if` says so,
/// else a failure if `failure_if` says so, else (an error the user does not count) a
/// success.
#[inline(always)]
pub(crate) fn breaker_outcome<R: BreakerResult>(
    result: &R,
    ignore_if: impl FnOnce(&R::Error) -> bool,
    failure_if: impl FnOnce(&R::Error) -> bool,
) -> Outcome {
    match result.error() {
        None => Outcome::Success,
        Some(error) if ignore_if(error) => Outcome::Ignored,
        Some(error) if failure_if(error) => Outcome::Failure,
        Some(_) => Outcome::Success,
    }
}

/// Runs a sync body under a breaker: rejected at once while open, outcome recorded after.
/// One generic call, so a return type that is not a `Result<T, E: From<CircuitOpen>>` is
/// one error, at the user's return type.
#[inline(always)]
pub fn guard_call<R, F, I, P>(site: &'static BreakerSite, ignore_if: I, failure_if: P, body: F) -> R
where
    R: BreakerResult,
    F: FnOnce() -> R,
    I: FnOnce(&R::Error) -> bool,
    P: FnOnce(&R::Error) -> bool,
{
    let permit = match site.admit() {
        Ok(permit) => permit,
        Err(open) => return R::rejected(open),
    };
    let result = body();
    permit.finish(breaker_outcome(&result, ignore_if, failure_if));
    result
}

/// Runs a future under a breaker. Admission happens when it is first polled; if it is
/// dropped before it completes, its permit is given back and nothing is recorded.
pub async fn guard_future<R, F, I, P>(
    site: &'static BreakerSite,
    ignore_if: I,
    failure_if: P,
    body: F,
) -> R
where
    R: BreakerResult,
    F: Future<Output = R>,
    I: FnOnce(&R::Error) -> bool,
    P: FnOnce(&R::Error) -> bool,
{
    let permit = match site.admit() {
        Ok(permit) => permit,
        Err(open) => return R::rejected(open),
    };
    let result = body.await;
    permit.finish(breaker_outcome(&result, ignore_if, failure_if));
    result
}
