//! The build.rs helper (feature `build`): renders the alert rules of a crate's annotated
//! functions at build time, from the same grammar and renderer the macros and the runtime
//! use, so the rules always match the metrics the code exports.
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     botwatch::build::Rules::new()                 // scans the crate's src/
//!         .write_to("monitoring/alerts.yml")        // optional: a copy, relative to the crate
//!         .emit()
//!         .expect("botwatch rules");
//! }
//! ```
//!
//! It always writes `$OUT_DIR/botwatch/alerts.yml` and its promtool unit tests
//! `$OUT_DIR/botwatch/alerts.test.yml`. A source file that does not parse, or breakers
//! that share a name with different options, are `cargo:warning`s and the build goes on;
//! two different alerts with one name and one label set are an error naming both.

// The example is a whole build.rs, so its `fn main` is the point.
#![allow(clippy::needless_doctest_main)]

mod scan;

use std::fmt;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use botwatch_spec::model::{Attribute, CircuitBreaker, Site};
pub use botwatch_spec::rules::{PrometheusRuleMeta, RuleOptions, RuleSet, RulesError};

use scan::{FoundSite, Scan};

/// Renders a crate's alert rules from its source. See the [module docs](self).
#[derive(Debug, Clone, Default)]
#[must_use = "nothing is written until emit()"]
pub struct Rules {
    crate_dir: Option<PathBuf>,
    crate_name: Option<String>,
    out_dir: Option<PathBuf>,
    write_to: Option<PathBuf>,
    unit_tests_to: Option<PathBuf>,
    prometheus_rule: Option<(PathBuf, PrometheusRuleMeta)>,
    mimir: Option<(PathBuf, String)>,
    options: RuleOptions,
}

/// What [`Rules::emit`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The rule set written.
    pub rules: RuleSet,
    /// Annotated functions found (one per attribute).
    pub sites: usize,
    /// Source files read.
    pub files: usize,
    /// Warnings printed as `cargo:warning`.
    pub warnings: Vec<String>,
    /// Files written.
    pub written: Vec<PathBuf>,
}

/// Why [`Rules::emit`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// `CARGO_MANIFEST_DIR` or `OUT_DIR` is not set: not running under cargo, and not given.
    MissingEnv(&'static str),
    /// The crate has no `src/lib.rs`, `src/main.rs` or `src/bin/*.rs`.
    NoSource(PathBuf),
    /// Two different alerts share a name and labels.
    Rules(RulesError),
    /// A file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::MissingEnv(var) => write!(
                f,
                "{var} is not set: run botwatch::build::Rules from a build.rs, or set it with the builder"
            ),
            BuildError::NoSource(dir) => write!(
                f,
                "no src/lib.rs, src/main.rs or src/bin/*.rs under {}",
                dir.display()
            ),
            BuildError::Rules(error) => write!(f, "{error}"),
            BuildError::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Rules(error) => Some(error),
            BuildError::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Rules {
    /// Scans the crate being built (`CARGO_MANIFEST_DIR/src`).
    pub fn new() -> Rules {
        Rules::default()
    }

    /// Scans this crate directory instead of `CARGO_MANIFEST_DIR`.
    pub fn crate_dir(mut self, dir: impl Into<PathBuf>) -> Rules {
        self.crate_dir = Some(dir.into());
        self
    }

    /// The crate's name as `module_path!()` starts (default: the package name with `-`
    /// as `_`). Binaries under `src/bin/` use their file name.
    pub fn crate_name(mut self, name: impl Into<String>) -> Rules {
        self.crate_name = Some(name.into());
        self
    }

    /// Writes under this directory instead of `OUT_DIR` (`<dir>/botwatch/alerts.yml`).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Rules {
        self.out_dir = Some(dir.into());
        self
    }

    /// Also writes the rule file here (relative to the crate directory).
    pub fn write_to(mut self, path: impl Into<PathBuf>) -> Rules {
        self.write_to = Some(path.into());
        self
    }

    /// Also writes the promtool unit tests here (relative to the crate directory). They
    /// refer to the `write_to` copy of the rules, or to the one in `OUT_DIR`.
    pub fn unit_tests_to(mut self, path: impl Into<PathBuf>) -> Rules {
        self.unit_tests_to = Some(path.into());
        self
    }

    /// Also writes a Kubernetes `PrometheusRule` here (relative to the crate directory).
    pub fn prometheus_rule_to(
        mut self,
        path: impl Into<PathBuf>,
        meta: PrometheusRuleMeta,
    ) -> Rules {
        self.prometheus_rule = Some((path.into(), meta));
        self
    }

    /// Also writes a mimirtool rules file for `namespace` here (relative to the crate
    /// directory).
    pub fn mimir_to(mut self, path: impl Into<PathBuf>, namespace: impl Into<String>) -> Rules {
        self.mimir = Some((path.into(), namespace.into()));
        self
    }

    /// The Prometheus job that scrapes the bot: adds the bot-level alerts `BotDown` (the
    /// job's `up` is 0, or it has no target at all, for 1m) and `BotRestarting` (more than
    /// 3 restarts within 15m), in their own group `botwatch.bot`.
    pub fn job(mut self, job: impl Into<String>) -> Rules {
        self.options.job = Some(job.into());
        self
    }

    /// How often Prometheus scrapes the bot (default 15s). Every rule window must hold at
    /// least 4 scrapes, else [`emit`](Rules::emit) fails naming the attribute; the unit
    /// tests sample and evaluate at this interval.
    pub fn scrape_interval(mut self, interval: std::time::Duration) -> Rules {
        self.options.scrape_interval = interval;
        self
    }

    /// Scans, renders and writes, printing cargo directives on stdout.
    pub fn emit(self) -> Result<Report, BuildError> {
        self.emit_to(&mut std::io::stdout())
    }

    /// Like [`emit`](Rules::emit), printing the cargo directives to `directives`.
    pub fn emit_to(self, directives: &mut dyn Write) -> Result<Report, BuildError> {
        let crate_dir = match &self.crate_dir {
            Some(dir) => dir.clone(),
            None => env_path("CARGO_MANIFEST_DIR")?,
        };
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => env_path("OUT_DIR")?,
        };
        let crate_name = self
            .crate_name
            .clone()
            .or_else(|| std::env::var("CARGO_PKG_NAME").ok())
            .or_else(|| {
                crate_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_default()
            .replace('-', "_");

        let mut scan = Scan::default();
        let src = crate_dir.join("src");
        let roots = roots(&src, &crate_name);
        if roots.is_empty() {
            return Err(BuildError::NoSource(crate_dir));
        }
        for (root, name) in &roots {
            scan::scan_root(&mut scan, root, name, &crate_dir);
        }
        let _ = writeln!(directives, "cargo:rerun-if-changed={}", src.display());
        for file in &scan.files {
            let _ = writeln!(directives, "cargo:rerun-if-changed={}", file.display());
        }
        scan.warnings.extend(breaker_conflicts(&scan.sites));
        for warning in &scan.warnings {
            let _ = writeln!(
                directives,
                "cargo:warning=botwatch: {}",
                warning.replace('\n', " ")
            );
        }

        let mut sites: Vec<Site> = scan.sites.iter().map(|f| f.site.clone()).collect();
        sites.sort_by(Site::order);
        let rules = RuleSet::build_with(&sites, &self.options)
            .map_err(|error| BuildError::Rules(with_locations(error, &scan.sites)))?;

        let mut written = Vec::new();
        let generated = out_dir.join("botwatch");
        let rules_file = generated.join("alerts.yml");
        write(&rules_file, &rules.prometheus_yaml(), &mut written)?;
        write(
            &generated.join("alerts.test.yml"),
            &rules.unit_tests_yaml("alerts.yml"),
            &mut written,
        )?;
        let rules_copy = self.write_to.as_ref().map(|p| crate_dir.join(p));
        if let Some(copy) = &rules_copy {
            write(copy, &rules.prometheus_yaml(), &mut written)?;
        }
        if let Some(tests) = &self.unit_tests_to {
            let tests = crate_dir.join(tests);
            let target = rules_copy.as_ref().unwrap_or(&rules_file);
            let reference = relative(target, tests.parent().unwrap_or(Path::new(".")));
            write(&tests, &rules.unit_tests_yaml(&reference), &mut written)?;
        }
        if let Some((path, meta)) = &self.prometheus_rule {
            write(
                &crate_dir.join(path),
                &rules.prometheus_rule_yaml(meta),
                &mut written,
            )?;
        }
        if let Some((path, namespace)) = &self.mimir {
            write(
                &crate_dir.join(path),
                &rules.mimir_yaml_for(namespace, &crate_name),
                &mut written,
            )?;
        }
        Ok(Report {
            rules,
            sites: scan.sites.len(),
            files: scan.files.len(),
            warnings: scan.warnings,
            written,
        })
    }
}

fn env_path(var: &'static str) -> Result<PathBuf, BuildError> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .ok_or(BuildError::MissingEnv(var))
}

/// The crate roots under `src/` and the crate name each is compiled as.
fn roots(src: &Path, crate_name: &str) -> Vec<(PathBuf, String)> {
    let mut roots = Vec::new();
    for file in ["lib.rs", "main.rs"] {
        let path = src.join(file);
        if path.is_file() {
            roots.push((path, crate_name.to_owned()));
        }
    }
    let mut bins: Vec<(PathBuf, String)> = std::fs::read_dir(src.join("bin"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let stem = path.file_stem()?.to_string_lossy().replace('-', "_");
            if path.extension().is_some_and(|e| e == "rs") {
                Some((path, stem))
            } else if path.join("main.rs").is_file() {
                Some((path.join("main.rs"), stem))
            } else {
                None
            }
        })
        .collect();
    bins.sort();
    roots.extend(bins);
    roots
}

/// Breakers sharing a name with different options: the runtime uses the first one's.
fn breaker_conflicts(sites: &[FoundSite]) -> Vec<String> {
    let mut sorted: Vec<&FoundSite> = sites.iter().collect();
    sorted.sort_by(|a, b| Site::order(&a.site, &b.site));
    let mut first: Vec<(&str, &FoundSite, &CircuitBreaker)> = Vec::new();
    let mut warnings = Vec::new();
    for found in sorted {
        let Attribute::CircuitBreaker(options) = &found.site.attribute else {
            continue;
        };
        let name = options.name.as_deref().unwrap_or(&found.site.function);
        match first.iter().find(|(n, _, _)| *n == name) {
            None => first.push((name, found, options)),
            Some((_, earlier, earlier_options)) => {
                if !same_policy(earlier_options, options) {
                    warnings.push(format!(
                        "circuit breaker \"{name}\" is declared with different options at {}::{} ({}) and at {}::{} ({}); the first one's options are used",
                        earlier.site.module, earlier.site.function, earlier.location,
                        found.site.module, found.site.function, found.location
                    ));
                }
            }
        }
    }
    warnings
}

/// The options that shape a breaker's behaviour (predicates and alerts are per function).
fn same_policy(a: &CircuitBreaker, b: &CircuitBreaker) -> bool {
    let policy = |b: &CircuitBreaker| {
        (
            b.consecutive_failures(),
            b.failure_rate.map(f64::to_bits),
            b.window,
            b.min_calls,
            b.slow,
            b.reset,
            b.backoff.map(f64::to_bits),
            b.max_reset,
            b.half_open,
            b.successes,
        )
    };
    policy(a) == policy(b)
}

/// Adds source locations to a duplicate-alert error.
fn with_locations(error: RulesError, sites: &[FoundSite]) -> RulesError {
    let locate = |origin: &str| {
        let location = sites
            .iter()
            .find(|s| {
                let function = format!("{}::{}", s.site.module, s.site.function);
                origin == function || origin.starts_with(&format!("{function} "))
            })
            .map(|s| s.location.clone());
        match location {
            Some(at) => format!("{origin} ({at})"),
            None => origin.to_owned(),
        }
    };
    match error {
        RulesError::DuplicateAlert {
            name,
            first,
            second,
        } => RulesError::DuplicateAlert {
            name,
            first: locate(&first),
            second: locate(&second),
        },
        RulesError::WindowTooShort {
            alert,
            origin,
            window,
            scrape_interval,
        } => RulesError::WindowTooShort {
            alert,
            origin: locate(&origin),
            window,
            scrape_interval,
        },
    }
}

/// Writes `contents` unless the file already holds them, through a temporary file so a
/// failed write never leaves half a file.
fn write(path: &Path, contents: &str, written: &mut Vec<PathBuf>) -> Result<(), BuildError> {
    let failed = |source| BuildError::Write {
        path: path.to_path_buf(),
        source,
    };
    if std::fs::read_to_string(path).is_ok_and(|existing| existing == contents) {
        written.push(path.to_path_buf());
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let temporary = path.with_extension("yml.tmp");
    std::fs::write(&temporary, contents).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(failed)?;
    written.push(path.to_path_buf());
    Ok(())
}

/// `target` as seen from directory `from`, for the unit tests' `rule_files:`.
fn relative(target: &Path, from: &Path) -> String {
    let normal = |p: &Path| -> Vec<String> {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect()
    };
    let (target, from) = (normal(target), normal(from));
    let common = target.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(target[common..].iter().cloned());
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_for_rule_files() {
        assert_eq!(
            relative(
                Path::new("/c/monitoring/alerts.yml"),
                Path::new("/c/monitoring")
            ),
            "alerts.yml"
        );
        assert_eq!(
            relative(
                Path::new("/c/out/botwatch/alerts.yml"),
                Path::new("/c/monitoring")
            ),
            "../out/botwatch/alerts.yml"
        );
    }
}
