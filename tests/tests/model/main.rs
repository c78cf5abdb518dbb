//! The rule and dashboard model and its one grammar, tested without the runtime's registry:
//! nothing here annotates a function or installs an exporter, so the files share a binary
//! (one link instead of one per file).

mod breaker_label;
mod dashboard;
mod dashboard_daily;
mod dashboard_links;
mod grammar_fuzz;
