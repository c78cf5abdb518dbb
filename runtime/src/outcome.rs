//! Whether a returned value is an error, decided at compile time by the value's type.
//!
//! Generated code calls `(&Probe(&value)).botwatch_is_err()`. Method resolution picks
//! [`ResultOutcome`] when the value is a `Result` (the impl on `Probe` matches before the
//! one on `&Probe` needs an extra reference) and [`OtherOutcome`] for every other type, so a
//! type alias such as `anyhow::Result<T>` or `io::Result<T>` is recognised too.

/// Wraps a returned value for the check.
#[derive(Debug)]
pub struct Probe<'a, T>(pub &'a T);

/// The check for `Result`: `Err(_)` is an error.
pub trait ResultOutcome {
    /// What `error_if` looks at: the `Ok` value.
    type Value;
    /// Whether the value is `Err(_)`.
    fn botwatch_is_err(&self) -> bool;
    /// The `Ok` value, for `error_if`.
    fn botwatch_ok(&self) -> Option<&Self::Value>;
}

impl<T, E> ResultOutcome for Probe<'_, Result<T, E>> {
    type Value = T;

    #[inline(always)]
    fn botwatch_is_err(&self) -> bool {
        self.0.is_err()
    }

    #[inline(always)]
    fn botwatch_ok(&self) -> Option<&T> {
        self.0.as_ref().ok()
    }
}

/// The check for every other type: never an error.
pub trait OtherOutcome {
    /// What `error_if` looks at: the whole value.
    type Value;
    /// Always `false`.
    fn botwatch_is_err(&self) -> bool;
    /// The whole value, for `error_if`.
    fn botwatch_ok(&self) -> Option<&Self::Value>;
}

impl<T> OtherOutcome for &Probe<'_, T> {
    type Value = T;

    #[inline(always)]
    fn botwatch_is_err(&self) -> bool {
        false
    }

    #[inline(always)]
    fn botwatch_ok(&self) -> Option<&T> {
        Some(self.0)
    }
}

/// What `ok_if` looks at: the `Err` value. Implemented only for `Result`, so `ok_if` on a
/// function that returns anything else fails to compile, at the option.
#[diagnostic::on_unimplemented(
    message = "`ok_if` needs a function that returns `Result<T, E>`, but this one returns `{Self}`",
    label = "`ok_if` counts some `Err`s as `ok`, and `{Self}` has no `Err`",
    note = "remove `ok_if`, or use `error_if = path` (a `fn(&{Self}) -> bool`) to count some returns as errors instead"
)]
pub trait ErrOutcome {
    /// The `Err` type.
    type Error;
    /// The `Err` value, if the value is one.
    fn botwatch_err(&self) -> Option<&Self::Error>;
}

impl<T, E> ErrOutcome for Result<T, E> {
    type Error = E;

    #[inline(always)]
    fn botwatch_err(&self) -> Option<&E> {
        self.as_ref().err()
    }
}

/// The `Err` value of a returned `Result`, for `ok_if`.
#[inline(always)]
pub fn err_of<R: ErrOutcome>(value: &R) -> Option<&R::Error> {
    value.botwatch_err()
}

/// Wraps a returned value to ask, at compile time, whether it is a future.
#[derive(Debug)]
pub struct FutureCheck<'a, T>(pub &'a T);

/// What a plain function's return must be checked as: not a future.
#[derive(Debug)]
pub struct NotAFuture;

/// The check's answer when the value is a future.
#[derive(Debug)]
pub struct IsAFuture;

/// The check for futures (picked first by method resolution).
pub trait ReturnsFuture {
    /// [`IsAFuture`].
    fn botwatch_future_check(&self) -> IsAFuture;
}

impl<T: std::future::Future> ReturnsFuture for FutureCheck<'_, T> {
    fn botwatch_future_check(&self) -> IsAFuture {
        IsAFuture
    }
}

/// The check for every other type.
pub trait ReturnsValue {
    /// [`NotAFuture`].
    fn botwatch_future_check(&self) -> NotAFuture;
}

impl<T> ReturnsValue for &FutureCheck<'_, T> {
    #[inline(always)]
    fn botwatch_future_check(&self) -> NotAFuture {
        NotAFuture
    }
}

/// Implemented only by [`NotAFuture`]: a function whose return type the attributes read as
/// a plain value must not return a future, or they would record its creation.
#[diagnostic::on_unimplemented(
    message = "this function returns a future under a name botwatch cannot see through (a type alias or a macro's `$ret:ty`), so its calls would be recorded when the future is created, not when it completes",
    label = "a future, returned as a plain value",
    note = "write the return type as `-> impl Future<Output = T>` (or `Pin<Box<dyn Future<Output = T> + Send + 'a>>`, or `futures::future::BoxFuture<'a, T>`), so the attributes wrap the future itself"
)]
pub trait PlainReturn {}

impl PlainReturn for NotAFuture {}

/// Fails to compile, with [`PlainReturn`]'s message, for a future.
#[inline(always)]
pub fn require_not_future<C: PlainReturn>(_: C) {}
