//! What several declared-metric conditions share: their rate window, how `$value` reads
//! in an annotation, and which replica a line's side makes the worst.

use std::time::Duration;

use botwatch_spec::declared::ValueComparison;
use botwatch_spec::model::Alert;

/// Rate windows of declared metrics: 5 minutes, like a function alert without `window`.
pub(super) const RATE_WINDOW: Duration = Alert::DEFAULT_WINDOW;

/// `$value` as an annotation shows it: four significant digits, no SI prefix.
pub(super) const VALUE: &str = "{{ $value | printf \"%.4g\" }}";

/// How replicas are folded into one value per label set: the lowest for a `<` line, else
/// the highest, so `$value` is the worst replica's.
pub(super) fn aggregate(comparison: ValueComparison) -> &'static str {
    match comparison {
        ValueComparison::Below => "min",
        _ => "max",
    }
}
