//! Helpers shared by the end-to-end tests: a plain HTTP/1.1 client for loopback, a reader
//! of the Prometheus text format, access to external tools, the servers the tests start
//! ([`processes`]) and the error type of the tests' venues ([`VenueError`]).

/// The README's examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../../README.md")]
mod readme {}

/// docs/testing.md's examples, compiled and run as doctests.
#[doc = include_str!("../../docs/testing.md")]
mod testing_guide {}

/// docs/metrics.md's examples (declared metrics), compiled and run as doctests.
#[doc = include_str!("../../docs/metrics.md")]
mod metrics_guide {}

/// docs/live-page.md's examples, compiled as doctests.
#[doc = include_str!("../../docs/live-page.md")]
mod live_page_guide {}

mod browser;
mod exposition;
mod http;
pub mod processes;
mod promtool;
mod rendered;
mod scratch;
mod served;
mod tools;
mod venue;

pub use browser::{chromium, dump_dom, screenshot};
pub use exposition::{Exposition, Sample};
pub use http::{http_get, raw_request, request, Response};
pub use promtool::{promtool_test_rules, with_companions, write_unit_tests};
pub use rendered::{rendered, rendered_calls};
pub use scratch::{scratch_dir, Scratch};
pub use served::{serve, Served};
pub use tools::{run_ok, run_ok_with_input, tool, REQUIRE_TOOLS_ENV};
pub use venue::VenueError;
