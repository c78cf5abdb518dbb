//! The exporter: [`Exporter`] builds and installs it, [`ExporterHandle`] is what the bot
//! keeps, [`InstallError`] says why installing failed.
//!
//! Inside, one floor per concern, each depending only on the floors below it:
//! * `builder.rs` checks the settings, installs the recorder and starts the server;
//! * `server.rs` is the HTTP server: it accepts, admits and times connections, and turns
//!   each request into a question to the endpoints;
//! * `access.rs` says who is answered: the allow-list, and the `Host` names served;
//! * `budget.rs` keeps the server to a quarter of one core, so a flood cannot starve the bot;
//! * `conns.rs` is the server's connection table (bounded, quietest evicted first);
//! * `endpoints.rs` says what each path answers, apart from HTTP, for the server and for a
//!   bot that mounts the handle in its own server;
//! * `handle.rs` and `error.rs` are the public handle and error.

mod access;
mod budget;
mod builder;
mod conns;
mod endpoints;
mod error;
mod handle;
mod server;

pub use builder::{install, Exporter, ALLOW_ENV, DEFAULT_LISTEN, LISTEN_ENV};
pub use error::InstallError;
pub use handle::ExporterHandle;
