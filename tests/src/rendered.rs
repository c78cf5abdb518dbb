//! Reading botwatch's own series in process, through `botwatch::render()`.

use crate::Exposition;

/// The value of one series on the page `botwatch::render()` returns now. Panics naming the
/// series when it is not there.
pub fn rendered(name: &str, labels: &[(&str, &str)]) -> f64 {
    Exposition::parse(&botwatch::render())
        .value(name, labels)
        .unwrap_or_else(|| panic!("{name} {labels:?} is rendered"))
}

/// `function_calls_total{function, result}` now.
pub fn rendered_calls(function: &str, result: &str) -> f64 {
    rendered(
        "function_calls_total",
        &[("function", function), ("result", result)],
    )
}
