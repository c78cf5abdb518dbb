//! Loaded with #[path]; its module path is `fixture_bot::feed`.

#[botwatch::timed(name = "feed_latency_seconds", buckets = [0.001, 0.01, 0.1], alert(p99 > 5ms, summary = "Feed p99 is {{ $value | humanizeDuration }} (\"slow\" # : {{ odd }})"))]
pub(crate) fn price() -> f64 {
    3150.0
}
