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
    /// Whether the value is `Err(_)`.
    fn botwatch_is_err(&self) -> bool;
}

impl<T, E> ResultOutcome for Probe<'_, Result<T, E>> {
    #[inline(always)]
    fn botwatch_is_err(&self) -> bool {
        self.0.is_err()
    }
}

/// The check for every other type: never an error.
pub trait OtherOutcome {
    /// Always `false`.
    fn botwatch_is_err(&self) -> bool;
}

impl<T> OtherOutcome for &Probe<'_, T> {
    #[inline(always)]
    fn botwatch_is_err(&self) -> bool {
        false
    }
}
