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
