//! The Grafana dashboard of every annotated function and declared metric linked into the
//! binary, rendered by the same code as the build helper's `.dashboard_to(...)`, from the
//! specs the macros embedded: `GET /dashboard.json` serves it.

use crate::registry;

/// The Grafana dashboard JSON of every annotated function and declared metric in this
/// binary: the text `GET /dashboard.json` serves and, for a bot whose annotated functions
/// and declared metrics live in one crate, the same bytes the build helper's `.dashboard_to(...)` writes. Import it in Grafana, or
/// provision it (`docs/dashboards.md`).
pub fn json() -> String {
    let sites: Vec<_> = registry::sites()
        .into_iter()
        .map(|s| s.spec().clone())
        .collect();
    let declared: Vec<_> = crate::declared::declared()
        .into_iter()
        .map(|(spec, _)| spec.clone())
        .collect();
    botwatch_render::dashboard::json(&sites, &declared)
}
