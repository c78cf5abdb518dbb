//! Which crates make up the bot. A binary's `rules::yaml()` holds the sites of every crate
//! linked into it, so the build-time file must scan the same crates: this one and each
//! package in its dependency graph that depends on botwatch, found with one
//! `cargo metadata` run, each with the features cargo resolved for it.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use cargo_metadata::{
    CargoOpt, DependencyKind, Metadata, MetadataCommand, Node, Package, PackageId, TargetKind,
};

use super::BuildError;

/// A crate to scan.
#[derive(Debug)]
pub(crate) struct Crate {
    /// The package name, as `Cargo.toml` spells it.
    pub(crate) package: String,
    /// The package directory.
    pub(crate) dir: PathBuf,
    /// Locations in warnings are shown relative to this directory.
    pub(crate) base: PathBuf,
    /// Crate roots and the name `module_path!()` starts with in each.
    pub(crate) roots: Vec<(PathBuf, String)>,
    /// The cargo features enabled for the package in this build.
    pub(crate) features: BTreeSet<String>,
}

/// The bot's crates and the files whose changes can change that set.
#[derive(Debug)]
pub(crate) struct Bot {
    /// This crate first, then its dependencies by package name.
    pub(crate) crates: Vec<Crate>,
    /// Manifests and the lock file, for `cargo:rerun-if-changed`.
    pub(crate) manifests: Vec<PathBuf>,
}

/// Which dependencies to scan besides this crate.
#[derive(Debug, Clone)]
pub(crate) enum Dependencies {
    /// Every package in the dependency graph that depends on botwatch.
    UsingBotwatch,
    /// Exactly these packages (by name).
    Listed(Vec<String>),
}

/// This crate's own features and name, as the build script knows them.
pub(crate) struct This<'a> {
    pub(crate) dir: &'a Path,
    /// `None`: the features `cargo metadata` resolves by default.
    pub(crate) features: Option<&'a BTreeSet<String>>,
    pub(crate) crate_name: Option<&'a str>,
}

/// Runs `cargo metadata` once and picks the crates to scan.
pub(crate) fn discover(this: &This<'_>, dependencies: &Dependencies) -> Result<Bot, BuildError> {
    let manifest = this.dir.join("Cargo.toml");
    let mut command = MetadataCommand::new();
    command.manifest_path(&manifest);
    if let Some(features) = this.features {
        command.features(CargoOpt::NoDefaultFeatures);
        command.features(CargoOpt::SomeFeatures(features.iter().cloned().collect()));
    }
    // The resolve for the platform being built, so that target-specific dependencies of
    // other platforms are neither scanned nor downloaded. A custom target given as a JSON
    // spec is no triple `--filter-platform` takes: all platforms then.
    if let Ok(target) = std::env::var("TARGET") {
        if !target.ends_with(".json") {
            command.other_options(vec!["--filter-platform".to_owned(), target]);
        }
    }
    let metadata = command.exec().map_err(|error| BuildError::Metadata {
        manifest: manifest.clone(),
        message: error.to_string().trim().to_owned(),
    })?;
    select(&metadata, &manifest, this, dependencies)
}

fn select(
    metadata: &Metadata,
    manifest: &Path,
    this: &This<'_>,
    dependencies: &Dependencies,
) -> Result<Bot, BuildError> {
    let unexpected = |what: &str| BuildError::Metadata {
        manifest: manifest.to_path_buf(),
        message: format!("`cargo metadata` gave no {what}"),
    };
    let packages: HashMap<&PackageId, &Package> =
        metadata.packages.iter().map(|p| (&p.id, p)).collect();
    let resolve = metadata
        .resolve
        .as_ref()
        .ok_or_else(|| unexpected("dependency graph"))?;
    let nodes: HashMap<&PackageId, &Node> = resolve.nodes.iter().map(|n| (&n.id, n)).collect();
    let same_file = |a: &Path, b: &Path| {
        a == b
            || a.canonicalize()
                .ok()
                .is_some_and(|a| b.canonicalize().ok() == Some(a))
    };
    let root = resolve
        .root
        .as_ref()
        .or_else(|| {
            metadata
                .packages
                .iter()
                .find(|p| same_file(p.manifest_path.as_std_path(), manifest))
                .map(|p| &p.id)
        })
        .ok_or_else(|| unexpected("package for this crate"))?;

    /// Normal dependencies only: build- and dev-dependencies are not linked into the bot.
    fn normal(node: &Node) -> Vec<&PackageId> {
        node.deps
            .iter()
            .filter(|d| {
                d.dep_kinds.is_empty()
                    || d.dep_kinds.iter().any(|k| k.kind == DependencyKind::Normal)
            })
            .map(|d| &d.pkg)
            .collect()
    }
    let uses_botwatch = |id: &PackageId| {
        nodes.get(id).is_some_and(|node| {
            normal(node)
                .into_iter()
                .any(|dep| packages.get(dep).is_some_and(|p| p.name == "botwatch"))
        })
    };

    let mut reachable: Vec<&PackageId> = Vec::new();
    let mut queue: VecDeque<&PackageId> = VecDeque::from([root]);
    let mut seen: BTreeSet<&PackageId> = BTreeSet::from([root]);
    while let Some(id) = queue.pop_front() {
        if id != root {
            reachable.push(id);
        }
        if let Some(node) = nodes.get(id) {
            for dep in normal(node) {
                if seen.insert(dep) {
                    queue.push_back(dep);
                }
            }
        }
    }

    let chosen: Vec<&PackageId> = match dependencies {
        Dependencies::UsingBotwatch => reachable
            .iter()
            .copied()
            .filter(|id| uses_botwatch(id))
            .collect(),
        Dependencies::Listed(names) => {
            let mut chosen = Vec::new();
            let this_name = &packages[root].name;
            for name in names {
                let wanted = |p: &Package| p.name.replace('-', "_") == name.replace('-', "_");
                if wanted(packages[root]) {
                    continue;
                }
                let found: Vec<&PackageId> = reachable
                    .iter()
                    .copied()
                    .filter(|id| packages.get(id).is_some_and(|p| wanted(p)))
                    .collect();
                if found.is_empty() {
                    let mut using: Vec<String> = reachable
                        .iter()
                        .filter(|id| uses_botwatch(id))
                        .map(|id| packages[id].name.clone())
                        .collect();
                    using.sort();
                    using.dedup();
                    return Err(BuildError::UnknownCrate {
                        name: name.clone(),
                        this: this_name.clone(),
                        using_botwatch: using,
                    });
                }
                chosen.extend(found);
            }
            chosen
        }
    };

    let mut crates = vec![package_crate(packages[root], nodes.get(root), this, true)];
    let mut others: Vec<Crate> = chosen
        .into_iter()
        .map(|id| package_crate(packages[id], nodes.get(id), this, false))
        .collect();
    others.sort_by(|a, b| a.package.cmp(&b.package).then(a.dir.cmp(&b.dir)));
    others.dedup_by(|a, b| a.dir == b.dir);
    crates.extend(others);

    let mut manifests: Vec<PathBuf> = crates.iter().map(|c| c.dir.join("Cargo.toml")).collect();
    for file in ["Cargo.toml", "Cargo.lock"] {
        let path = metadata.workspace_root.as_std_path().join(file);
        if path.is_file() && !manifests.contains(&path) {
            manifests.push(path);
        }
    }
    Ok(Bot { crates, manifests })
}

/// The crate roots of a package that end up in the bot: for this crate its libraries and
/// binaries, for a dependency its library.
fn package_crate(package: &Package, node: Option<&&Node>, this: &This<'_>, is_this: bool) -> Crate {
    let features: BTreeSet<String> = match (is_this, this.features) {
        (true, Some(features)) => features.clone(),
        _ => node
            .map(|n| n.features.iter().cloned().collect())
            .unwrap_or_default(),
    };
    let dir = package
        .manifest_path
        .parent()
        .map(|d| d.as_std_path().to_path_buf())
        .unwrap_or_default();
    let library = |k: &TargetKind| {
        matches!(
            k,
            TargetKind::Lib
                | TargetKind::RLib
                | TargetKind::DyLib
                | TargetKind::CDyLib
                | TargetKind::StaticLib
        )
    };
    let mut roots = Vec::new();
    for target in &package.targets {
        let is_library = target.kind.iter().any(library);
        let is_binary = target.kind.contains(&TargetKind::Bin);
        if !(is_library || is_this && is_binary) {
            continue;
        }
        if !target
            .required_features
            .iter()
            .all(|f| features.contains(f))
        {
            continue;
        }
        let mut name = target.name.replace('-', "_");
        if let (true, Some(crate_name)) = (is_this, this.crate_name) {
            if is_library || target.name == package.name {
                name = crate_name.replace('-', "_");
            }
        }
        roots.push((target.src_path.as_std_path().to_path_buf(), name));
    }
    let base = if is_this {
        dir.clone()
    } else {
        dir.parent().unwrap_or(&dir).to_path_buf()
    };
    Crate {
        package: package.name.clone(),
        dir,
        base,
        roots,
        features,
    }
}
