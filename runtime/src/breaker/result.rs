//! What `#[circuit_breaker]` asks of a function's return type, and how it reads the result.

use super::{Breaker, BreakerSite, CircuitOpen, Outcome};

/// A return type a circuit breaker can guard: `Result<T, E>` where `E: From<CircuitOpen>`,
/// so a rejected call can return `Err(E::from(CircuitOpen { .. }))`.
#[diagnostic::on_unimplemented(
    message = "#[circuit_breaker] needs the function to return `Result<T, E>` with `E: From<botwatch::CircuitOpen>`; `{Self}` is not such a type",
    label = "this return type cannot carry `botwatch::CircuitOpen`",
    note = "a rejected call returns `Err(E::from(botwatch::CircuitOpen {{ .. }}))`: return a `Result` and add `impl From<botwatch::CircuitOpen> for` its error type (or use `Box<dyn std::error::Error + Send + Sync>`, which has one)"
)]
pub trait BreakerResult {
    /// The success type.
    type Ok;
    /// The error type.
    type Error;
    /// `Err(E::from(open))`.
    fn rejected(open: CircuitOpen) -> Self;
    /// The value as a `Result` of references.
    fn value(&self) -> Result<&Self::Ok, &Self::Error>;
}

// Not recommended: a `Result` whose error lacks `From<CircuitOpen>` is then reported as
// "the return type is not a BreakerResult" with the message above (naming the attribute and
// the fix), not as a bare `E: From<CircuitOpen>` that never mentions #[circuit_breaker].
#[diagnostic::do_not_recommend]
impl<T, E: From<CircuitOpen>> BreakerResult for Result<T, E> {
    type Ok = T;
    type Error = E;

    #[cold]
    fn rejected(open: CircuitOpen) -> Self {
        Err(E::from(open))
    }

    #[inline(always)]
    fn value(&self) -> Result<&T, &E> {
        self.as_ref()
    }
}

/// How a guarded function's results count for its breaker, and how it says "rejected".
pub trait BreakerHooks<R> {
    /// The value a rejected call returns.
    fn reject(&self, open: CircuitOpen) -> R;
    /// How a returned value counts.
    fn outcome(&self, result: &R) -> Outcome;
    /// The breaker of this call's key, for a `per` breaker.
    #[inline(always)]
    fn breaker(&self) -> Option<&'static Breaker> {
        None
    }
}

/// The hooks of a function without a breaker: nothing is ever rejected.
#[derive(Clone, Copy, Debug)]
pub struct NoBreaker;

impl<R> BreakerHooks<R> for NoBreaker {
    fn reject(&self, _: CircuitOpen) -> R {
        unreachable!("a function without #[circuit_breaker] is never rejected")
    }

    #[inline(always)]
    fn outcome(&self, _: &R) -> Outcome {
        Outcome::Success
    }
}

/// The hooks of a `#[circuit_breaker]` function: its predicates, and its return type's way
/// of saying `Err(CircuitOpen)`. Built by [`breaker_hooks`], the one generic call that
/// needs the return type to be a [`BreakerResult`], so an unsuitable type is one error.
#[derive(Clone, Copy, Debug)]
pub struct Guard<R, T, E, I, F, S> {
    keyed: Option<&'static Breaker>,
    rejected: fn(CircuitOpen) -> R,
    value: for<'a> fn(&'a R) -> Result<&'a T, &'a E>,
    ignore_if: I,
    failure_if: F,
    success_if: S,
}

/// The hooks for a function returning `R`: `ignore_if`, `failure_if` (on the error) and
/// `success_if` (on the `Ok` value).
#[inline(always)]
pub fn breaker_hooks<R, I, F, S>(
    ignore_if: I,
    failure_if: F,
    success_if: S,
) -> Guard<R, R::Ok, R::Error, I, F, S>
where
    R: BreakerResult,
    I: Fn(&R::Error) -> bool,
    F: Fn(&R::Error) -> bool,
    S: Fn(&R::Ok) -> bool,
{
    Guard {
        keyed: None,
        rejected: R::rejected,
        value: R::value,
        ignore_if,
        failure_if,
        success_if,
    }
}

impl<R, T, E, I, F, S> Guard<R, T, E, I, F, S> {
    /// For a `per` breaker: this call goes to the breaker of `key`.
    #[inline]
    #[must_use]
    pub fn keyed(mut self, site: &'static BreakerSite, key: &str) -> Self {
        self.keyed = Some(site.breaker().member(key));
        self
    }
}

impl<R, T, E, I, F, S> BreakerHooks<R> for Guard<R, T, E, I, F, S>
where
    I: Fn(&E) -> bool,
    F: Fn(&E) -> bool,
    S: Fn(&T) -> bool,
{
    #[cold]
    fn reject(&self, open: CircuitOpen) -> R {
        (self.rejected)(open)
    }

    /// `Ok` is a success unless `success_if` says otherwise; an `Err` is ignored if
    /// `ignore_if` says so, else a failure if `failure_if` says so, else (an error the user
    /// does not count) a success.
    #[inline(always)]
    fn outcome(&self, result: &R) -> Outcome {
        match (self.value)(result) {
            Ok(value) if (self.success_if)(value) => Outcome::Success,
            Ok(_) => Outcome::Failure,
            Err(error) if (self.ignore_if)(error) => Outcome::Ignored,
            Err(error) if (self.failure_if)(error) => Outcome::Failure,
            Err(_) => Outcome::Success,
        }
    }

    #[inline(always)]
    fn breaker(&self) -> Option<&'static Breaker> {
        self.keyed
    }
}
