//! The one grammar and model of botwatch's attributes.
//!
//! `#[counted]`, `#[timed]` and `#[circuit_breaker]` are parsed here (feature `syn`) into
//! the plain [`model`]; the macros embed that model in the user's binary, the build helper
//! parses the same source into the same model, and the runtime exports metrics from it;
//! `botwatch-render` renders alert rules and dashboards from it. [`names`] holds every
//! metric and label name botwatch exports.
//!
//! ```
//! # #[cfg(feature = "syn")] {
//! use botwatch_spec::parse::parse_timed;
//! let timed = parse_timed("alert(p99 > 250ms, for = 10m)".parse().unwrap()).unwrap();
//! assert_eq!(timed.alerts[0].alert_name("submit_bundle"), "SubmitBundleLatencyHigh");
//! # }
//! ```

#![deny(missing_docs)]

pub mod declared;
pub mod guard;
pub mod model;
pub mod names;
#[cfg(feature = "syn")]
pub mod parse;
pub mod suggest;
pub mod written;

pub use model::*;
