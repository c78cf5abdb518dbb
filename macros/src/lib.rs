//! The attributes of [botwatch](https://docs.rs/botwatch). Use them through the `botwatch`
//! crate (`#[botwatch::counted]`); this crate is an implementation detail.

use botwatch_spec::model::AttributeKind;
use proc_macro::TokenStream;

mod expand;
mod function;
mod shape;
mod spec_tokens;

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
