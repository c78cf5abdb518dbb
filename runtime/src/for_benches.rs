//! Entry points the criterion benchmarks in `benches/` call to time one part of the
//! runtime alone (rendering some sites, the declared metrics, one live-page poll). Not part
//! of the API and exempt from semver; kept out of `__private`, which holds only what the
//! macros emit.

/// The series of the first `limit` annotated functions, for benchmarks of rendering.
pub fn render_first_sites(limit: usize) -> String {
    let mut out = String::new();
    crate::render::render_parts(&mut out, &[], limit, false);
    out
}

/// The series of the annotated functions of `module` (its path as `module_path!()`
/// writes it), for benchmarks of rendering a part of a bot.
pub fn render_module_sites(module: &str) -> String {
    let sites: Vec<_> = crate::registry::sites()
        .into_iter()
        .filter(|site| site.spec().module == module)
        .collect();
    let mut out = String::new();
    crate::render::render_these(&mut out, &[], &sites, false);
    out
}

/// The series of every declared metric alone, for benchmarks of rendering.
pub fn render_declared() -> String {
    let mut out = String::new();
    crate::render::render_parts(&mut out, &[], 0, true);
    out
}

/// The live page's `snapshot.json` for the first `limit` annotated functions, for
/// benchmarks of what one poll costs.
pub fn live_snapshot_json_first(limit: usize) -> String {
    crate::live::snapshot_json_first(limit)
}
