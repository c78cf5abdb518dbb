//! Everything botwatch renders from its model: alert and recording rules, their promtool
//! unit tests, the Grafana dashboard, and the Alertmanager configuration.
//!
//! The model ([`botwatch_spec`]) is parsed once and embedded in the user's binary; every
//! output here is a pure function of it, so the build helper (at build time) and the
//! runtime (at `/rules` and `/dashboard.json`) render the same bytes. The macros never
//! depend on this crate: a clean build of the proc-macro crate compiles none of it.
//!
//! The floors, from the bottom: `promql` is the shared PromQL vocabulary (identity
//! selectors, regex escaping, `le` matching) and [`text`] the quoting of YAML and
//! PromQL text; [`rules`] builds a [`rules::RuleSet`] one condition per file and renders
//! it per target; [`dashboard`] charts the same series; [`alertmanager`] routes its alerts.
//!
//! ```
//! let set = botwatch_render::rules::RuleSet::build(&[]).unwrap();
//! assert!(set.prometheus_yaml().contains("groups:"));
//! ```

#![deny(missing_docs)]

pub mod alertmanager;
pub mod dashboard;
pub mod json_string;
mod promql;
pub mod rules;
pub mod text;
