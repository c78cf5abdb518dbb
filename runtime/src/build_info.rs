//! `botwatch_build_info{version, commit} 1`: which build of the bot is running, so a
//! dashboard can mark the moment it changes ("did the new build cause the PnL drop?").
//!
//! Each annotated item's expansion registers its crate's name and version (`CARGO_PKG_*`
//! of the crate it expands in) and the commit the build helper found
//! (`BOTWATCH_GIT_COMMIT`, set by `botwatch::build::Rules::emit` with
//! `cargo:rustc-env`), in a `linkme` slice like the sites. The bot's crate is the one
//! named like the running executable (`trading-bot` runs `trading_bot`'s build); failing
//! that, the crate with the most annotated items, then the first by name.

use std::fmt::Write as _;

/// One annotated item's crate, as the macro saw it.
#[derive(Debug, Clone, Copy)]
pub struct CrateBuild {
    /// `CARGO_PKG_NAME` of the crate the item is in.
    pub name: &'static str,
    /// `CARGO_PKG_VERSION` of that crate.
    pub version: &'static str,
    /// The git commit the build helper found for it, if any.
    pub commit: Option<&'static str>,
    /// The Grafana address its build helper was given (`.grafana_url(...)`), if any.
    pub grafana_url: Option<&'static str>,
}

/// Filled by the linker with one element per annotated item.
#[linkme::distributed_slice]
pub static CRATES: [CrateBuild];

use botwatch_spec::names::BOTWATCH_BUILD_INFO as BUILD_INFO;

/// The bot's crate among `crates`, for an executable named `exe` (its file stem).
fn bot_crate<'a>(crates: &'a [CrateBuild], exe: Option<&str>) -> Option<&'a CrateBuild> {
    let normal = |name: &str| name.replace('-', "_");
    if let Some(exe) = exe {
        if let Some(found) = crates.iter().find(|c| normal(c.name) == normal(exe)) {
            return Some(found);
        }
    }
    let count = |name: &str| crates.iter().filter(|c| c.name == name).count();
    crates
        .iter()
        .max_by(|a, b| count(a.name).cmp(&count(b.name)).then(b.name.cmp(a.name)))
}

/// The version and commit `/metrics` reports (both empty in a binary without annotated
/// items).
pub(crate) fn bot_build() -> (&'static str, &'static str) {
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_deref()
        .and_then(|p| p.file_stem())
        .and_then(|s| s.to_str());
    match bot_crate(&CRATES, stem) {
        Some(c) => (c.version, c.commit.unwrap_or("")),
        None => ("", ""),
    }
}

/// The Grafana address the bot's build helper was given, for `/rules`' `dashboard_url`.
pub(crate) fn bot_grafana_url() -> Option<&'static str> {
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_deref()
        .and_then(|p| p.file_stem())
        .and_then(|s| s.to_str());
    bot_crate(&CRATES, stem).and_then(|c| c.grafana_url)
}

fn escaped(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Appends the family to a `/metrics` body, with the exporter's global labels.
pub(crate) fn render(out: &mut String, global: &[(String, String)]) {
    let (version, commit) = bot_build();
    let _ = writeln!(
        out,
        "# HELP {BUILD_INFO} The bot crate's version and the git commit it was built from (empty when unknown)."
    );
    let _ = writeln!(out, "# TYPE {BUILD_INFO} gauge");
    let mut labels: Vec<(String, String)> = global.to_vec();
    labels.push(("commit".to_owned(), commit.to_owned()));
    labels.push(("version".to_owned(), version.to_owned()));
    let text: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escaped(v)))
        .collect();
    let _ = writeln!(out, "{BUILD_INFO}{{{}}} 1", text.join(","));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(name: &'static str, version: &'static str) -> CrateBuild {
        CrateBuild {
            name,
            version,
            commit: None,
            grafana_url: None,
        }
    }

    #[test]
    fn the_bot_is_the_crate_named_like_the_executable_else_the_busiest() {
        let crates = [
            build("exchange-client", "2.0.0"),
            build("exchange-client", "2.0.0"),
            build("exchange-client", "2.0.0"),
            build("trading-bot", "0.3.1"),
        ];
        assert_eq!(
            bot_crate(&crates, Some("trading_bot")).unwrap().version,
            "0.3.1"
        );
        assert_eq!(bot_crate(&crates, Some("other")).unwrap().version, "2.0.0");
        assert!(bot_crate(&[], Some("trading_bot")).is_none());
        let tie = [build("b", "2"), build("a", "1")];
        assert_eq!(bot_crate(&tie, None).unwrap().name, "a");
    }

    #[test]
    fn the_family_carries_the_global_labels_and_escapes() {
        let mut out = String::new();
        render(&mut out, &[("bot".to_owned(), "a\"b".to_owned())]);
        assert!(out.contains("# TYPE botwatch_build_info gauge\n"), "{out}");
        let line = out.lines().last().unwrap();
        assert!(
            line.starts_with("botwatch_build_info{bot=\"a\\\"b\",commit=\""),
            "{line}"
        );
        assert!(line.ends_with("\"} 1"), "{line}");
    }
}
