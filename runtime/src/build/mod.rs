//! The build.rs helper (feature `build`): renders the alert rules of a bot's annotated
//! functions at build time, from the same grammar and renderer the macros and the runtime
//! use, so the rules always match the metrics the code exports.
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     botwatch::build::Rules::new()                 // scans the bot's crates
//!         .write_to("monitoring/alerts.yml")        // optional: a copy, relative to the crate
//!         .emit()
//!         .expect("botwatch rules");
//! }
//! ```
//!
//! It writes `$OUT_DIR/botwatch/alerts.yml` and its promtool unit tests
//! `$OUT_DIR/botwatch/alerts.test.yml` (evaluated at the scrape interval) and
//! `alerts.1m.test.yml` (the alerts reading hours, evaluated every minute) and
//! `alerts.5m.test.yml` (those reading six hours or more, SLOs aside, every 5 minutes), and the files
//! asked for, all or nothing: when [`emit`](Rules::emit) fails, no file is written and the
//! previous ones stay as they were.
//! It fails on a botwatch attribute whose arguments do not parse (the crate's compile fails
//! on it too), on two functions naming one breaker with different options, on two
//! different alerts with one name and one label set, and on a ratio to a static that is
//! not a declared gauge, naming the places. A source file that cannot be read or does not
//! parse as Rust is a `cargo:warning`, never an error (syn may lag rustc); since its alerts
//! are missing, the files under the crate are then left as they were and only `OUT_DIR`'s
//! are written.
//!
//! # A bot made of several crates
//!
//! A binary's `rules::yaml()` holds the alerts of every crate linked into it, so by default
//! the helper scans this crate and each package in its dependency graph that depends on
//! botwatch (workspace members, path and registry dependencies alike; normal dependencies
//! only), found with one `cargo metadata` run. Each is scanned under its own crate name, so
//! `module` labels match `module_path!()`, and with the features cargo enabled for it: a
//! function behind `#[cfg(feature = "...")]` that is off in this build is left out.
//! [`Rules::crates`] names the dependencies to scan instead, and [`Rules::only_this_crate`]
//! scans this crate alone.
//!
//! Other cfgs: the target's (`unix`, `target_os = "..."`, ...) are read from the
//! `CARGO_CFG_*` variables cargo gives the build script and `test` is always off; anything
//! else (`debug_assertions`, `--cfg` flags, `docsrs`) cannot be known from source, so code
//! under it is scanned as if compiled and each annotated function there gets a warning.
//! `cargo:rerun-if-changed` names every file read in every crate and the manifests, so
//! editing an attribute in a library regenerates the binary's rules. More in
//! `docs/alerts.md`, "A bot made of several crates".

// The example is a whole build.rs, so its `fn main` is the point.
#![allow(clippy::needless_doctest_main)]

mod cfg;
mod crates;
mod git;
mod guards;

/// The variable the macros read Grafana's address from, for `/rules`' links.
pub(crate) const GRAFANA_URL_ENV: &str = "BOTWATCH_GRAFANA_URL";
mod scan;

use std::collections::BTreeSet;
use std::fmt;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

pub use botwatch_render::alertmanager::{Receiver, Routing, RoutingError, TimeInterval};
pub use botwatch_render::rules::{
    BotDown, BotRestarting, PrometheusRuleMeta, RuleOptions, RuleSet, RulesError,
};
use botwatch_spec::declared::{Declared, ValueCondition};
use botwatch_spec::model::{Attribute, CircuitBreaker, Comparison, Site};

use cfg::{Cfg, TargetCfg};
use crates::{Bot, Crate, Dependencies, This};
use scan::{FoundDeclared, FoundSite, Root, Scan};

/// Renders a bot's alert rules from its source. See the [module docs](self).
#[derive(Debug, Clone, Default)]
#[must_use = "nothing is written until emit()"]
pub struct Rules {
    crate_dir: Option<PathBuf>,
    crate_name: Option<String>,
    scope: Scope,
    features: Option<BTreeSet<String>>,
    out_dir: Option<PathBuf>,
    write_to: Option<PathBuf>,
    unit_tests_to: Option<PathBuf>,
    prometheus_rule: Option<(PathBuf, PrometheusRuleMeta)>,
    mimir: Option<(PathBuf, String)>,
    dashboard: Option<PathBuf>,
    alertmanager: Option<(PathBuf, Routing)>,
    options: RuleOptions,
}

/// Which crates [`Rules`] scans.
#[derive(Debug, Clone, Default)]
enum Scope {
    /// This crate and the dependencies `cargo metadata` finds.
    #[default]
    Bot,
    /// This crate and these dependencies.
    Listed(Vec<String>),
    /// This crate's `src/` alone, without `cargo metadata`.
    ThisCrate,
}

/// What [`Rules::emit`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The rule set written.
    pub rules: RuleSet,
    /// The packages scanned, this crate first.
    pub crates: Vec<String>,
    /// Annotated functions found (one per attribute).
    pub sites: usize,
    /// Source files read.
    pub files: usize,
    /// Warnings printed as `cargo:warning`.
    pub warnings: Vec<String>,
    /// Files written.
    pub written: Vec<PathBuf>,
    /// Files under the crate left as they were, because a source file could not be read or
    /// parsed and its alerts would be missing from them.
    pub kept: Vec<PathBuf>,
}

/// Why [`Rules::emit`] failed.
///
/// `Debug` prints the same sentence as `Display`, so `.expect("botwatch rules")` in a
/// build.rs shows the cause and the fix.
#[non_exhaustive]
pub enum BuildError {
    /// `CARGO_MANIFEST_DIR` or `OUT_DIR` is not set: not running under cargo, and not given.
    MissingEnv(&'static str),
    /// The crate has no `src/lib.rs`, `src/main.rs` or `src/bin/*.rs`.
    NoSource(PathBuf),
    /// `cargo metadata`, which lists the bot's crates, failed.
    Metadata {
        /// The manifest it was run on.
        manifest: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A package given to [`Rules::crates`] is not in this crate's dependency graph.
    UnknownCrate {
        /// The name given.
        name: String,
        /// This crate's package name.
        this: String,
        /// The packages in the graph that depend on botwatch.
        using_botwatch: Vec<String>,
    },
    /// Two functions name one circuit breaker with different options (the runtime would
    /// use the first one's and warn).
    BreakerConflict {
        /// The breaker's name.
        name: String,
        /// The first function, `module::function (file:line)`, whose options run.
        first: String,
        /// The other function, `module::function (file:line)`.
        second: String,
        /// Each option that differs, `failures = 5 vs 3`.
        differences: Vec<String>,
    },
    /// Botwatch attributes whose arguments do not parse (the crate's own compile fails on
    /// them too): each as `file:line: #[attribute] on `item`: what is wrong`.
    Attributes(Vec<String>),
    /// A declared metric's `value / OTHER > X` names a static that is not a declared metric.
    UnknownRatio {
        /// The attribute, `#[gauge(alert(value / DAILY_LIMT_USD > 80%))]`.
        attribute: String,
        /// The declaration carrying it, `module::STATIC (file:line)`.
        declaration: String,
        /// The denominator as written.
        denominator: String,
        /// The declared static nearest to it, if one is near enough to be a typo.
        suggestion: Option<String>,
    },
    /// A guard's `open = "..."` names a breaker no scanned function declares.
    UnknownGuardBreaker {
        /// The guard's name, `Drawdown`.
        guard: String,
        /// The declaration carrying it, `module::STATIC (file:line)`.
        declaration: String,
        /// The breaker as written.
        breaker: String,
        /// The declared breaker nearest to it, if one is near enough to be a typo.
        suggestion: Option<String>,
    },
    /// Two different alerts share a name and labels.
    Rules(RulesError),
    /// The Alertmanager routing cannot be generated (no receiver, an undefined `during`).
    Routing(RoutingError),
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
            BuildError::Metadata { manifest, message } => write!(
                f,
                "cannot list the bot's crates: `cargo metadata --manifest-path {}` failed: {message}; \
                 fix that, or scan this crate alone with Rules::new().only_this_crate()",
                manifest.display()
            ),
            BuildError::UnknownCrate {
                name,
                this,
                using_botwatch,
            } => {
                write!(
                    f,
                    "`{name}` is not a dependency of {this}: Rules::crates takes names of packages \
                     {this} depends on"
                )?;
                if using_botwatch.is_empty() {
                    write!(f, " (none of them depends on botwatch)")
                } else {
                    write!(f, "; those that use botwatch: {}", using_botwatch.join(", "))
                }
            }
            BuildError::BreakerConflict {
                name,
                first,
                second,
                differences,
            } => write!(
                f,
                "circuit breaker \"{name}\" is declared with different options at {first} and at \
                 {second} ({}); functions sharing a breaker must give it the same options: write \
                 them the same in both places, or give one of them another name",
                differences.join(", ")
            ),
            BuildError::Attributes(errors) => write!(
                f,
                "{} botwatch attribute{} cannot be read, so no file was written (the previous ones stay): {}; \
                 fix the attribute (the compiler reports it too)",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                errors.join("; ")
            ),
            BuildError::UnknownRatio {
                attribute,
                declaration,
                denominator,
                suggestion,
            } => {
                write!(
                    f,
                    "{attribute} on {declaration} divides by `{denominator}`, which is not a static declared \
                     with #[botwatch::gauge]"
                )?;
                match suggestion {
                    Some(name) => write!(f, "; did you mean `{name}`?"),
                    None => write!(
                        f,
                        "; declare it (`#[botwatch::gauge] static {denominator}: botwatch::Gauge = \
                         botwatch::Gauge::new();`), or name the static of a declared gauge"
                    ),
                }
            }
            BuildError::UnknownGuardBreaker {
                guard,
                declaration,
                breaker,
                suggestion,
            } => {
                write!(
                    f,
                    "guard {guard} on {declaration} opens circuit breaker \"{breaker}\", which no \
                     #[circuit_breaker] function in the scanned crates declares, so it would hold nothing"
                )?;
                match suggestion {
                    Some(name) => write!(f, "; did you mean \"{name}\"?"),
                    None => write!(
                        f,
                        "; name a breaker a function declares (`#[botwatch::circuit_breaker(name = \"{breaker}\")]`)"
                    ),
                }
            }
            BuildError::Rules(error) => write!(f, "{error}"),
            BuildError::Routing(error) => write!(f, "{error}"),
            BuildError::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
        }
    }
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Rules(error) => Some(error),
            BuildError::Routing(error) => Some(error),
            BuildError::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Rules {
    /// Scans the crate being built (`CARGO_MANIFEST_DIR`) and every package in its
    /// dependency graph that depends on botwatch.
    pub fn new() -> Rules {
        Rules::default()
    }

    /// Scans this crate and exactly these packages of its dependency graph (package names as
    /// `Cargo.toml` spells them), instead of every one that depends on botwatch. A name that
    /// is not in the graph is a [`BuildError::UnknownCrate`].
    pub fn crates<I>(mut self, packages: I) -> Rules
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.scope = Scope::Listed(packages.into_iter().map(Into::into).collect());
        self
    }

    /// Scans this crate's `src/` alone, without running `cargo metadata`: alerts of other
    /// crates linked into the binary are left out of the file.
    pub fn only_this_crate(mut self) -> Rules {
        self.scope = Scope::ThisCrate;
        self
    }

    /// The cargo features enabled for this crate, for `#[cfg(feature = "...")]` (default: the
    /// ones cargo enabled for this build; dependencies always get those cargo resolved).
    pub fn features<I>(mut self, features: I) -> Rules
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.features = Some(features.into_iter().map(Into::into).collect());
        self
    }

    /// Scans this crate directory instead of `CARGO_MANIFEST_DIR` (its features are then
    /// cargo's defaults unless given with [`features`](Rules::features)).
    pub fn crate_dir(mut self, dir: impl Into<PathBuf>) -> Rules {
        self.crate_dir = Some(dir.into());
        self
    }

    /// This crate's name as `module_path!()` starts, for its library and its main binary
    /// (default: the library's `[lib] name`, else the package name, with `-` as `_`). Other
    /// binaries use their own names; dependencies always their library's name.
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

    /// Also writes the promtool unit tests here (relative to the crate directory), and
    /// those of the alerts reading hours beside it with the interval they are evaluated at
    /// before `.test.yml` (`alerts.test.yml`, `alerts.1m.test.yml`, `alerts.5m.test.yml`:
    /// run them all with `promtool test rules alerts*.test.yml`). They refer to the `write_to` copy of the
    /// rules, or to the one in `OUT_DIR`.
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

    /// Also writes the Grafana dashboard JSON here (relative to the crate directory): the
    /// same bytes `GET /dashboard.json` and `botwatch::dashboard::json()` give in a binary
    /// whose annotated functions live in this crate (`docs/dashboards.md`).
    pub fn dashboard_to(mut self, path: impl Into<PathBuf>) -> Rules {
        self.dashboard = Some(path.into());
        self
    }

    /// The Prometheus job that scrapes the bot: adds the bot-level alerts `BotDown` (the
    /// job's `up` is 0, or it has no target at all, for 1m) and `BotRestarting` (more than
    /// 3 restarts within 15m), in their own group `botwatch.bot`.
    pub fn job(mut self, job: impl Into<String>) -> Rules {
        self.options.job = Some(job.into());
        self
    }

    /// `BotDown` of [`job`](Rules::job) set otherwise than its defaults (down for 1m,
    /// critical):
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// use botwatch::build::{BotDown, BotRestarting, Rules};
    /// Rules::new()
    ///     .job("trading-bot")
    ///     .bot_down(BotDown::new().name("TradingBotDown").for_(Duration::from_secs(120)))
    ///     // Pages on a single restart within the hour.
    ///     .bot_restarting(BotRestarting::new().restarts(0).within(Duration::from_secs(3600)).severity("critical"))
    ///     .emit()
    ///     .expect("botwatch rules");
    /// ```
    pub fn bot_down(mut self, bot_down: BotDown) -> Rules {
        self.options.bot_down = bot_down;
        self
    }

    /// `BotRestarting` of [`job`](Rules::job) set otherwise than its defaults (more than 3
    /// restarts within 15m, warning); [`emit`](Rules::emit) fails when it could never fire
    /// (its `for` and the restarts do not fit in its window).
    pub fn bot_restarting(mut self, bot_restarting: BotRestarting) -> Rules {
        self.options.bot_restarting = bot_restarting;
        self
    }

    /// An Alertmanager configuration routing these alerts, at `path` (relative to the
    /// crate): `routing` names the receivers (page, ticket, teams), the dead-man's switch
    /// (which adds the always-firing `Watchdog` to the rules) and the time intervals that
    /// `during = "..."` names; the grouping and the inhibitions come from the alerts.
    /// [`emit`](Rules::emit) fails when an alert's `during` names an undefined interval.
    ///
    /// ```no_run
    /// use botwatch::build::{Receiver, Routing, Rules, TimeInterval};
    /// Rules::new()
    ///     .job("trading-bot")
    ///     .alertmanager_to("monitoring/alertmanager.yml", Routing::new()
    ///         .page(Receiver::pagerduty("pager", "/etc/bot/pagerduty_key"))
    ///         .ticket(Receiver::webhook("tickets", "http://127.0.0.1:5001/ticket"))
    ///         .team("execution", Receiver::slack("exec", "/etc/bot/slack_url", "#execution"))
    ///         .dead_mans_switch("https://hc-ping.com/your-check-uuid")
    ///         .time_interval("us_equities", TimeInterval::new()
    ///             .weekdays("monday:friday")
    ///             .times("09:30", "16:00")
    ///             .location("America/New_York")))
    ///     .emit()
    ///     .expect("botwatch rules");
    /// ```
    pub fn alertmanager_to(mut self, path: impl Into<PathBuf>, routing: Routing) -> Rules {
        self.alertmanager = Some((path.into(), routing));
        self
    }

    /// Grafana's address (`"https://grafana.example.com"`): every alert then carries a
    /// `dashboard_url` annotation, `<base>/d/<uid>?viewPanel=<id>`, opening its own panel of
    /// the generated dashboard. The bot's binary is told too (`BOTWATCH_GRAFANA_URL`), so
    /// `/rules` carries the same links.
    pub fn grafana_url(mut self, base: impl Into<String>) -> Rules {
        let base: String = base.into();
        self.options.grafana_url = Some(base.trim_end_matches('/').to_owned());
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
        let features = self.this_crate_features(std::env::var("CARGO_CFG_FEATURE").ok());
        let bot = match &self.scope {
            Scope::ThisCrate => self.this_crate_alone(&crate_dir, features),
            Scope::Bot | Scope::Listed(_) => {
                let dependencies = match &self.scope {
                    Scope::Listed(names) => Dependencies::Listed(names.clone()),
                    _ => Dependencies::UsingBotwatch,
                };
                let this = This {
                    dir: &crate_dir,
                    features: features.as_ref(),
                    crate_name: self.crate_name.as_deref(),
                };
                crates::discover(&this, &dependencies)?
            }
        };
        if bot.crates.first().is_none_or(|c| c.roots.is_empty()) {
            return Err(BuildError::NoSource(crate_dir));
        }

        // This crate's name as its modules carry it: what Mimir's group names start with.
        let this_crate = bot.crates[0].roots[0].1.clone();
        let target = TargetCfg::from_env();
        let mut scan = Scan::default();
        for krate in &bot.crates {
            let cfg = Cfg {
                features: &krate.features,
                target: &target,
            };
            for (file, crate_name) in &krate.roots {
                let root = Root {
                    file,
                    crate_name,
                    base: &krate.base,
                    cfg: &cfg,
                };
                scan::scan_root(&mut scan, &root);
            }
        }
        // A new file only matters once a `mod` line names it, but watching each `src/` also
        // catches a module file that appears where a missing one was expected.
        for krate in &bot.crates {
            let src = krate.dir.join("src");
            if src.is_dir() {
                let _ = writeln!(directives, "cargo:rerun-if-changed={}", src.display());
            }
        }
        for file in scan.files.iter().chain(&bot.manifests) {
            let _ = writeln!(directives, "cargo:rerun-if-changed={}", file.display());
        }
        git::emit(&crate_dir, directives);
        if let Some(base) = &self.options.grafana_url {
            // One line of a directive: a newline would end it early.
            let base = base.replace(['\n', '\r'], "");
            let _ = writeln!(directives, "cargo:rustc-env={GRAFANA_URL_ENV}={base}");
        }
        for warning in &scan.warnings {
            let _ = writeln!(
                directives,
                "cargo:warning=botwatch: {}",
                warning.replace('\n', " ")
            );
        }
        if !scan.errors.is_empty() {
            return Err(BuildError::Attributes(scan.errors));
        }
        if let Some(conflict) = breaker_conflicts(&scan.sites).into_iter().next() {
            return Err(conflict);
        }
        if let Some(unknown) = unknown_ratio(&scan.declared) {
            return Err(unknown);
        }
        if let Some(unknown) = guards::unknown_guard_breaker(&scan.sites, &scan.declared) {
            return Err(unknown);
        }

        let mut sites: Vec<Site> = scan.sites.iter().map(|f| f.site.clone()).collect();
        sites.sort_by(Site::order);
        let mut declared: Vec<Declared> =
            scan.declared.iter().map(|f| f.declared.clone()).collect();
        declared.sort_by(Declared::order);
        let mut options = self.options.clone();
        if let Some((_, routing)) = &self.alertmanager {
            options.watchdog |= routing.has_dead_mans_switch();
        }
        let rules = RuleSet::build_all(&sites, &declared, &options).map_err(|error| {
            BuildError::Rules(with_locations(error, &scan.sites, &scan.declared))
        })?;

        // Everything is rendered before anything is written, so a failure leaves every
        // file as it was.
        let generated = out_dir.join("botwatch");
        let rules_file = generated.join("alerts.yml");
        let scrape = self.options.scrape_interval;
        let mut outputs: Vec<(PathBuf, String)> =
            vec![(rules_file.clone(), rules.prometheus_yaml())];
        for file in rules.unit_tests("alerts.yml") {
            outputs.push((
                file.path(&generated.join("alerts.test.yml"), scrape),
                file.yaml,
            ));
        }
        let mut in_crate: Vec<(PathBuf, String)> = Vec::new();
        let rules_copy = self.write_to.as_ref().map(|p| crate_dir.join(p));
        if let Some(copy) = &rules_copy {
            in_crate.push((copy.clone(), rules.prometheus_yaml()));
        }
        if let Some(tests) = &self.unit_tests_to {
            let tests = crate_dir.join(tests);
            let target = rules_copy.as_ref().unwrap_or(&rules_file);
            let reference = relative(target, tests.parent().unwrap_or(Path::new(".")));
            for file in rules.unit_tests(&reference) {
                in_crate.push((file.path(&tests, scrape), file.yaml));
            }
        }
        if let Some((path, meta)) = &self.prometheus_rule {
            in_crate.push((crate_dir.join(path), rules.prometheus_rule_yaml(meta)));
        }
        if let Some((path, namespace)) = &self.mimir {
            in_crate.push((
                crate_dir.join(path),
                rules.mimir_yaml_for(namespace, &this_crate),
            ));
        }
        if let Some(path) = &self.dashboard {
            in_crate.push((
                crate_dir.join(path),
                botwatch_render::dashboard::json(&sites, &declared),
            ));
        }
        if let Some((path, routing)) = &self.alertmanager {
            let config = botwatch_render::alertmanager::render(&rules, &sites, routing)
                .map_err(BuildError::Routing)?;
            in_crate.push((crate_dir.join(path), config));
        }
        let mut warnings = scan.warnings;
        let mut kept = Vec::new();
        if scan.unreadable.is_empty() {
            outputs.extend(in_crate);
        } else if !in_crate.is_empty() {
            kept = in_crate.into_iter().map(|(path, _)| path).collect();
            let names: Vec<String> = kept
                .iter()
                .map(|p| {
                    p.strip_prefix(&crate_dir)
                        .unwrap_or(p)
                        .display()
                        .to_string()
                })
                .collect();
            let warning = format!(
                "{} left as {} were: the alerts of {} would be missing from them; fix {} and build again",
                names.join(", "),
                if names.len() == 1 { "it" } else { "they" },
                scan.unreadable.join(", "),
                if scan.unreadable.len() == 1 { "it" } else { "them" },
            );
            let _ = writeln!(directives, "cargo:warning=botwatch: {warning}");
            warnings.push(warning);
        }
        let written = write_all(&outputs)?;
        Ok(Report {
            rules,
            crates: bot.crates.into_iter().map(|c| c.package).collect(),
            sites: scan.sites.len(),
            files: scan.files.len(),
            warnings,
            written,
            kept,
        })
    }
}

impl Rules {
    /// The features given, else those cargo enabled for the crate whose build script runs
    /// (`CARGO_CFG_FEATURE`, comma-separated), unless told to scan another crate.
    fn this_crate_features(&self, cargo_cfg_feature: Option<String>) -> Option<BTreeSet<String>> {
        self.features.clone().or_else(|| {
            let listed = cargo_cfg_feature.filter(|_| self.crate_dir.is_none())?;
            Some(
                listed
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )
        })
    }

    /// The pre-`cargo metadata` scan: `src/` of one crate, named after its package.
    fn this_crate_alone(&self, crate_dir: &Path, features: Option<BTreeSet<String>>) -> Bot {
        let crate_name = self
            .crate_name
            .clone()
            .or_else(|| {
                // The package whose build script runs, unless told to scan another crate.
                let package = std::env::var("CARGO_PKG_NAME").ok();
                package.filter(|_| self.crate_dir.is_none())
            })
            .or_else(|| {
                crate_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_default()
            .replace('-', "_");
        let roots = roots(&crate_dir.join("src"), &crate_name);
        Bot {
            crates: vec![Crate {
                package: crate_name,
                dir: crate_dir.to_path_buf(),
                base: crate_dir.to_path_buf(),
                roots,
                features: features.unwrap_or_default(),
            }],
            manifests: Vec::new(),
        }
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

/// Breakers sharing a name with different options (the runtime would use the first one's
/// and warn), in (module, function) order.
fn breaker_conflicts(sites: &[FoundSite]) -> Vec<BuildError> {
    let mut sorted: Vec<&FoundSite> = sites.iter().collect();
    sorted.sort_by(|a, b| Site::order(&a.site, &b.site));
    let mut first: Vec<(String, &FoundSite, &CircuitBreaker)> = Vec::new();
    let mut conflicts = Vec::new();
    for found in sorted {
        let Attribute::CircuitBreaker(options) = &found.site.attribute else {
            continue;
        };
        let name = found.site.breaker_name().unwrap_or_default().into_owned();
        match first.iter().find(|(n, _, _)| *n == name) {
            None => first.push((name, found, options)),
            Some((_, earlier, earlier_options)) => {
                let differences = policy_differences(earlier_options, options);
                if !differences.is_empty() {
                    let place = |f: &FoundSite| {
                        format!("{}::{} ({})", f.site.module, f.site.function, f.location)
                    };
                    conflicts.push(BuildError::BreakerConflict {
                        name,
                        first: place(earlier),
                        second: place(found),
                        differences,
                    });
                }
            }
        }
    }
    conflicts
}

/// The options that shape a breaker's behaviour (predicates and alerts are per function)
/// and differ between `a` and `b`, as `option = A vs B`.
fn policy_differences(a: &CircuitBreaker, b: &CircuitBreaker) -> Vec<String> {
    fn shown<T: fmt::Debug>(value: &Option<T>) -> String {
        match value {
            Some(v) => format!("{v:?}"),
            None => "unset".to_owned(),
        }
    }
    let rate = |b: &CircuitBreaker| b.failure_rate.map(|r| format!("{}%", r * 100.0));
    let options: [(&str, String, String); 10] = [
        (
            "failures",
            shown(&a.consecutive_failures()),
            shown(&b.consecutive_failures()),
        ),
        ("failure_rate", shown(&rate(a)), shown(&rate(b))),
        ("window", a.window.to_string(), b.window.to_string()),
        (
            "min_calls",
            a.min_calls.to_string(),
            b.min_calls.to_string(),
        ),
        ("slow", shown(&a.slow), shown(&b.slow)),
        ("reset", format!("{:?}", a.reset), format!("{:?}", b.reset)),
        ("backoff", shown(&a.backoff), shown(&b.backoff)),
        ("max_reset", shown(&a.max_reset), shown(&b.max_reset)),
        (
            "half_open",
            a.half_open.to_string(),
            b.half_open.to_string(),
        ),
        (
            "successes",
            a.successes.to_string(),
            b.successes.to_string(),
        ),
    ];
    options
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(option, a, b)| format!("{option} = {a} vs {b}"))
        .collect()
}

/// Adds source locations to a rules error.
fn with_locations(
    error: RulesError,
    sites: &[FoundSite],
    declared: &[FoundDeclared],
) -> RulesError {
    let locate = |origin: &str| {
        let location = sites
            .iter()
            .find(|s| {
                let function = format!("{}::{}", s.site.module, s.site.function);
                origin == function || origin.starts_with(&format!("{function} "))
            })
            .map(|s| s.location.clone())
            .or_else(|| {
                declared
                    .iter()
                    .find(|d| d.declared.origin() == origin)
                    .map(|d| d.location.clone())
            });
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
        RulesError::DuplicateMetric {
            name,
            first,
            second,
        } => RulesError::DuplicateMetric {
            name,
            first: locate(&first),
            second: locate(&second),
        },
        RulesError::UnknownRatio {
            origin,
            denominator,
        } => RulesError::UnknownRatio {
            origin: locate(&origin),
            denominator,
        },
        error @ RulesError::BotAlert { .. } => error,
        RulesError::UnknownFunction { origin, other } => RulesError::UnknownFunction {
            origin: locate(&origin),
            other,
        },
        RulesError::LabelsNotShared {
            first,
            second,
            label,
        } => RulesError::LabelsNotShared {
            first: locate(&first),
            second: locate(&second),
            label,
        },
        RulesError::UnknownCounter { origin, other } => RulesError::UnknownCounter {
            origin: locate(&origin),
            other,
        },
    }
}

/// Writes each file that does not already hold its contents, in two steps so a failure
/// leaves the previous files in place: every new content goes to a temporary file beside
/// its target first (a failure there removes the temporary files and changes nothing),
/// then each temporary file is renamed over its target.
fn write_all(outputs: &[(PathBuf, String)]) -> Result<Vec<PathBuf>, BuildError> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Write { path, source }
    };
    let mut staged: Vec<(PathBuf, &Path)> = Vec::new();
    let stage = |path: &Path, contents: &str| {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(failed(path))?;
        }
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".botwatch.tmp");
        let temporary = path.with_file_name(name);
        std::fs::write(&temporary, contents).map_err(failed(path))?;
        Ok::<_, BuildError>(temporary)
    };
    for (path, contents) in outputs {
        if std::fs::read_to_string(path).is_ok_and(|existing| existing == *contents) {
            continue;
        }
        match stage(path, contents) {
            Ok(temporary) => staged.push((temporary, path)),
            Err(error) => {
                for (temporary, _) in &staged {
                    let _ = std::fs::remove_file(temporary);
                }
                return Err(error);
            }
        }
    }
    for (temporary, path) in &staged {
        std::fs::rename(temporary, path).map_err(failed(path))?;
    }
    Ok(outputs.iter().map(|(path, _)| path.clone()).collect())
}

/// The first ratio (`value / OTHER > X`) whose denominator names no declared metric, as an
/// error naming the attribute, its declaration and the nearest declared static. (A
/// denominator that is declared but not an unlabelled gauge is the rules' error.)
fn unknown_ratio(declared: &[FoundDeclared]) -> Option<BuildError> {
    let all: Vec<Declared> = declared.iter().map(|d| d.declared.clone()).collect();
    for found in declared {
        let metric = &found.declared;
        for alert in metric.alerts.iter() {
            let ValueCondition::Ratio {
                denominator,
                comparison,
                threshold,
            } = &alert.condition
            else {
                continue;
            };
            if Declared::resolve(&all, metric, denominator).is_some() {
                continue;
            }
            let written = denominator.rsplit("::").next().unwrap_or(denominator);
            let suggestion =
                botwatch_spec::suggest::closest(written, all.iter().map(|d| &*d.static_name)).map(
                    |name| match denominator.rsplit_once("::") {
                        Some((modules, _)) => format!("{modules}::{name}"),
                        None => name.to_owned(),
                    },
                );
            let symbol = match comparison {
                Comparison::Below => "<",
                Comparison::Above => ">",
            };
            return Some(BuildError::UnknownRatio {
                attribute: format!(
                    "#[{}(alert(value / {denominator} {symbol} {}%))]",
                    metric.kind.attribute_name(),
                    // Rounded, so `80%` reads back as 80, not 80.00000000000001.
                    (threshold * 100.0 * 1e6).round() / 1e6
                ),
                declaration: format!("{} ({})", metric.origin(), found.location),
                denominator: denominator.to_string(),
                suggestion,
            });
        }
    }
    None
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
    fn this_crates_features_come_from_cargo_unless_given_or_another_crate() {
        let set = |f: &[&str]| Some(f.iter().map(|f| f.to_string()).collect::<BTreeSet<_>>());
        let cargo = || Some("default,live".to_owned());
        assert_eq!(
            Rules::new().this_crate_features(cargo()),
            set(&["default", "live"])
        );
        assert_eq!(
            Rules::new().this_crate_features(Some(String::new())),
            set(&[])
        );
        assert_eq!(Rules::new().this_crate_features(None), None);
        let given = Rules::new().features(["paper"]);
        assert_eq!(given.this_crate_features(cargo()), set(&["paper"]));
        let other = Rules::new().crate_dir("elsewhere");
        assert_eq!(other.this_crate_features(cargo()), None);
    }

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
