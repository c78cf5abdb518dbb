//! # botwatch
//!
//! Function metrics, circuit breakers and Prometheus alert rules for trading bots, MEV
//! bots and other long-running services, from one attribute per function.
//!
//! ```no_run
//! #[botwatch::counted(alert(error_rate > 5%))]
//! fn submit_order(size: u64) -> Result<u64, String> {
//!     if size == 0 { return Err("empty order".into()) }
//!     Ok(size)
//! }
//!
//! #[botwatch::timed(alert(p99 > 250ms))]
//! async fn fetch_quote() -> f64 { 101.5 }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let exporter = botwatch::install()?; // serves /metrics, /health, /rules on 127.0.0.1:9000
//! submit_order(3)?;
//! println!("scrape {}", exporter.metrics_url());
//! # Ok(()) }
//! ```
//!
//! * `#[counted]` counts calls in `function_calls_total{function, module, result}`; a call
//!   that returns `Err(_)` or panics is `result="error"`.
//! * `#[timed]` records `function_calls_duration_seconds{function, module}`.
//! * `#[circuit_breaker(...)]` guards a function returning `Result<T, E>` with
//!   `E: From<CircuitOpen>`: see [`Breaker`], [`breaker`] and `docs/breakers.md`.
//! * Every `alert(...)` and `slo(...)` becomes a Prometheus rule: [`rules::yaml()`] and
//!   `GET /rules` at run time, `build::Rules` (feature `build`) in build.rs.
//! * Each call costs about one relaxed atomic add (plus two clock reads for `#[timed]`):
//!   every annotated function owns static storage that the exporter renders at scrape time.
//!   Your own `botwatch::metrics::counter!` and friends are served on the same `/metrics`.
//! * [`snapshot()`] reads every function's counts and every breaker in process, for tests
//!   (`docs/testing.md`); [`Exporter::without_listener`] mounts `/metrics`, `/health` and
//!   `/rules` in your own HTTP server.
//! * `GET /` is a live page of the bot (functions, breakers, alerts), fed by
//!   `GET /snapshot.json`: `docs/live-page.md`.

#![deny(missing_docs)]

#[cfg(feature = "runtime")]
mod breaker;
#[cfg(feature = "build")]
pub mod build;
#[cfg(feature = "runtime")]
mod build_info;
#[cfg(feature = "runtime")]
mod call;
#[cfg(feature = "runtime")]
mod clock;
#[cfg(feature = "runtime")]
pub mod dashboard;
#[cfg(feature = "runtime")]
mod declared;
#[cfg(feature = "runtime")]
mod exporter;
#[cfg(feature = "runtime")]
mod guard;
#[cfg(feature = "runtime")]
mod health;
#[cfg(feature = "runtime")]
mod histogram;
#[cfg(feature = "runtime")]
mod in_flight;
#[cfg(feature = "runtime")]
mod labels;
#[cfg(feature = "runtime")]
mod live;
#[cfg(feature = "runtime")]
mod notice;
#[cfg(feature = "runtime")]
mod outcome;
#[cfg(feature = "runtime")]
mod registry;
#[cfg(feature = "runtime")]
mod render;
#[cfg(feature = "runtime")]
pub mod rules;
#[cfg(feature = "runtime")]
mod sites;
#[cfg(feature = "runtime")]
mod snapshot;
#[cfg(feature = "runtime")]
mod stripes;

#[cfg(feature = "runtime")]
pub use botwatch_macros::{circuit_breaker, counted, counter, gauge, histogram, timed};
#[cfg(feature = "runtime")]
pub use breaker::{breaker, Breaker, BreakerSnapshot, CircuitOpen, State};
#[cfg(feature = "runtime")]
pub use declared::{
    Counter, CounterCell, CounterSeries, Gauge, GaugeCell, GaugeSeries, Histogram, HistogramCell,
    HistogramSeries,
};
#[cfg(feature = "runtime")]
pub use exporter::{
    install, Exporter, ExporterHandle, InstallError, ALLOW_ENV, DEFAULT_LISTEN, LISTEN_ENV,
};
#[cfg(feature = "runtime")]
pub use guard::GuardSnapshot;
#[cfg(feature = "runtime")]
pub use snapshot::{snapshot, Calls, Durations, InFlightCalls, Snapshot, SnapshotError};

/// The `metrics` facade (version 0.24) whose recorder botwatch installs: what you record
/// with `botwatch::metrics::gauge!(...)` is served on the same `/metrics`. A different major
/// version of `metrics` in your own `Cargo.toml` has a recorder of its own that nobody
/// serves, so its values would never appear; use this re-export, or the same version.
#[cfg(feature = "runtime")]
pub use ::metrics;

/// The Prometheus text of every annotated function's series, as `/metrics` serves them
/// after the `metrics` recorder's own. Works with or without an installed exporter.
#[cfg(feature = "runtime")]
pub fn render() -> String {
    let mut out = String::new();
    render::render_sites(&mut out, &[]);
    out
}

/// What the benchmarks in `benches/` call; not part of the API.
#[doc(hidden)]
#[cfg(feature = "runtime")]
pub mod for_benches;

/// What generated code reaches; not a public API.
#[doc(hidden)]
#[cfg(feature = "runtime")]
pub mod __private {
    pub use ::botwatch_spec as spec;
    pub use ::linkme;
    pub use ::std::borrow::Cow;

    pub use crate::build_info::{CrateBuild, CRATES};

    pub use crate::breaker::{breaker_hooks, BreakerHooks, BreakerResult, BreakerSite, NoBreaker};
    pub use crate::call::{
        enter_diverging, run, run_async, run_returning_future, DivergingCall, Instrumented,
        Instruments, Series,
    };
    pub use crate::declared::{
        declared_counter, declared_gauge, declared_metric, DeclaredCounter, DeclaredGauge,
        DeclaredMetric, DeclaredStatic, DECLARED,
    };
    pub use crate::guard::{test_clock as guard_clock, tick as guards_tick};
    pub use crate::histogram::{histogram_lines, zero_line, Line};
    pub use crate::in_flight::{InFlight, InFlightCall, NotTracked, Track, Tracked};
    pub use crate::labels::{
        advance_clock as advance_label_clock, Found, LabelArg, LabelValue, ScalarLabelArg,
        SeriesRef, TextLabel,
    };
    pub use crate::outcome::{
        err_of, require_not_future, ErrOutcome, FutureCheck, OtherOutcome, Probe, ResultOutcome,
        ReturnsFuture, ReturnsValue,
    };
    pub use crate::registry::{RegisteredSite, SITES};
    pub use crate::sites::{CallCounts, CountedSite, SetOf, TimedSite};
}
