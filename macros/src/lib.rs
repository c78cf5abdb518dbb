//! The attributes of [botwatch](https://docs.rs/botwatch). Use them through the `botwatch`
//! crate (`#[botwatch::counted]`); this crate is an implementation detail.

use botwatch_spec::declared::MetricKind;
use botwatch_spec::model::AttributeKind;
use proc_macro::TokenStream;

mod breaker;
mod declared;
mod expand;
mod function;
mod shape;
mod spec_tokens;
mod stacked;

/// Counts calls in `function_calls_total{function, module, result}`.
///
/// `result="error"` when the function returns `Err(_)` or panics; `"ok"` otherwise.
/// Options: `name = "..."`, `help = "..."`, `labels(k = "v")`, `alert(error_rate > 5%)`,
/// `alert(idle > 10m)`, `alert(rate < 1/s)`, `slo(objective = 99.5%)`.
#[proc_macro_attribute]
pub fn counted(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(AttributeKind::Counted, args.into(), item.into()).into()
}

/// Records call durations in `function_calls_duration_seconds{function, module}`.
///
/// Options: `name = "..."`, `help = "..."`, `labels(k = "v")`, `buckets = [0.001, ...]`,
/// `alert(p99 > 250ms)`, `slo(objective = 99.9%, latency = 250ms)`.
#[proc_macro_attribute]
pub fn timed(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(AttributeKind::Timed, args.into(), item.into()).into()
}

/// Guards a function returning `Result<T, E>` (with `E: From<botwatch::CircuitOpen>`) with
/// a circuit breaker: while it is open, the body does not run and the call returns
/// `Err(E::from(CircuitOpen { .. }))` at once.
///
/// Options: `name = "exchange"`, `failures = 5`, `failure_rate = 50%`, `window = 20`,
/// `min_calls = 10`, `slow = 2s`, `reset = 30s`, `backoff = 2.0`, `max_reset = 5m`,
/// `half_open = 1`, `successes = 1`, `failure_if = path`, `ignore_if = path`,
/// `alert(open)`, `alert(flapping > 3, within = 15m)`.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(AttributeKind::CircuitBreaker, args.into(), item.into()).into()
}

/// Declares a gauge on a `static botwatch::Gauge`: a value that goes up and down, served
/// as `<static name in lower case>`.
///
/// Options: `name = "..."`, `help = "..."` (default: the doc comment), `labels(k = "v")`,
/// `labels(symbol)` with `max_series = N`, `alert(value < 0.5)`, `alert(value > X)`,
/// `alert(value == X)`, `alert(value != X)`, `alert(value / OTHER_STATIC > 80%)`,
/// `alert(unchanged > 10m)`.
#[proc_macro_attribute]
pub fn gauge(args: TokenStream, item: TokenStream) -> TokenStream {
    declared::expand(MetricKind::Gauge, args.into(), item.into()).into()
}

/// Declares a counter on a `static botwatch::Counter`: a total that only grows.
///
/// Options as for `gauge`, with the alerts `increase < X` / `increase > X` (`within = 1h`),
/// `rate < N/s`, `rate > N/s` and `idle > 10m`.
#[proc_macro_attribute]
pub fn counter(args: TokenStream, item: TokenStream) -> TokenStream {
    declared::expand(MetricKind::Counter, args.into(), item.into()).into()
}

/// Declares a histogram on a `static botwatch::Histogram`: a distribution of values.
///
/// Options as for `gauge`, plus `buckets = [0.5, 0.9, 0.99]`, with the alerts
/// `p50`/`p90`/`p95`/`p99`/`p999 < X` or `> X`.
#[proc_macro_attribute]
pub fn histogram(args: TokenStream, item: TokenStream) -> TokenStream {
    declared::expand(MetricKind::Histogram, args.into(), item.into()).into()
}
