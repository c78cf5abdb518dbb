//! Finds every botwatch attribute in a crate's source, following its module tree the way
//! rustc does (`mod a;` → `a.rs` or `a/mod.rs`, `#[path]`, inline `mod` blocks), so each
//! function gets exactly the `module` label `module_path!()` gives it at run time.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use botwatch_spec::declared::{Declared, MetricKind};
use botwatch_spec::model::{AttributeKind, Site};
use botwatch_spec::parse::{
    attribute_path, help_from_doc, parse_attribute, parse_declared, AttributePath,
};
use syn::ext::IdentExt;
use syn::visit::Visit;

use super::cfg::{Cfg, Truth};

/// A site and where it was written.
#[derive(Debug, Clone)]
pub(crate) struct FoundSite {
    pub(crate) site: Site,
    /// `path:line`
    pub(crate) location: String,
}

/// A declared metric and where it was written.
#[derive(Debug, Clone)]
pub(crate) struct FoundDeclared {
    pub(crate) declared: Declared,
    /// `path:line`
    pub(crate) location: String,
}

/// What a scan found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) sites: Vec<FoundSite>,
    pub(crate) declared: Vec<FoundDeclared>,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub(crate) files: Vec<PathBuf>,
    seen: HashSet<PathBuf>,
    /// Problems worth a `cargo:warning`; the scan goes on past each.
    pub(crate) warnings: Vec<String>,
    /// Files that could not be read or parsed: their alerts are missing from what was
    /// found, so the files written under the crate must not be replaced.
    pub(crate) unreadable: Vec<String>,
    /// Botwatch attributes whose arguments do not parse: the crate's own compile fails on
    /// each, and the build helper fails too, writing nothing.
    pub(crate) errors: Vec<String>,
}

/// One crate root to scan and what its code is compiled with.
pub(crate) struct Root<'a> {
    /// `src/lib.rs`, `src/main.rs`, `src/bin/x.rs`, ...
    pub(crate) file: &'a Path,
    /// The name `module_path!()` starts with.
    pub(crate) crate_name: &'a str,
    /// Locations in warnings are shown relative to this directory.
    pub(crate) base: &'a Path,
    pub(crate) cfg: &'a Cfg<'a>,
}

/// Scans a crate root and every module file it declares.
pub(crate) fn scan_root(scan: &mut Scan, root: &Root<'_>) {
    let dir = root.file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let at = Place {
        module: vec![root.crate_name.to_owned()],
        children_dir: dir,
        uncertain: None,
    };
    scan_file(scan, root.file, at, root);
}

/// Where a file sits in its crate.
struct Place {
    module: Vec<String>,
    /// Where `mod x;` declared here looks for `x.rs` and `x/mod.rs`.
    children_dir: PathBuf,
    /// A cfg this code sits under that the build helper cannot evaluate.
    uncertain: Option<String>,
}

fn scan_file(scan: &mut Scan, file: &Path, at: Place, root: &Root<'_>) {
    if !scan.seen.insert(file.to_path_buf()) {
        return;
    }
    scan.files.push(file.to_path_buf());
    let base = root.base;
    let shown = display(file, base);
    let source = match std::fs::read_to_string(file) {
        Ok(source) => source,
        Err(error) => {
            scan.warnings.push(format!(
                "cannot read {shown}: {error}; its alerts are left out"
            ));
            scan.unreadable.push(shown);
            return;
        }
    };
    let parsed = match syn::parse_file(&source) {
        Ok(parsed) => parsed,
        Err(error) => {
            let at = error.span().start();
            let mut what = error.to_string();
            if what == "cannot parse string into token stream" {
                what = "unbalanced brackets or an invalid token".to_owned();
            }
            scan.warnings.push(format!(
                "cannot parse {shown}:{}:{}: {what}; its alerts are left out",
                at.line,
                at.column + 1
            ));
            scan.unreadable.push(shown);
            return;
        }
    };
    let mut visitor = Visitor {
        scan,
        file: file.to_path_buf(),
        shown,
        root,
        at,
        imports: imports(&parsed.items),
    };
    // `#![cfg(...)]` at the top of a module file gates the whole module.
    let Some(uncertain) = visitor.gate(&parsed.attrs) else {
        return;
    };
    visitor.at.uncertain = uncertain;
    visitor.visit_file(&parsed);
}

fn display(file: &Path, base: &Path) -> String {
    file.strip_prefix(base)
        .unwrap_or(file)
        .display()
        .to_string()
}

/// Names brought in from botwatch by `use` in one module: `use botwatch::counted;`,
/// `use botwatch::{timed as t};`, `use botwatch::*;`.
#[derive(Debug, Default, Clone)]
struct Imports {
    names: BTreeMap<String, AttributeKind>,
    declared: BTreeMap<String, MetricKind>,
    glob: bool,
}

fn imports(items: &[syn::Item]) -> Imports {
    fn walk(tree: &syn::UseTree, in_botwatch: bool, out: &mut Imports) {
        match tree {
            syn::UseTree::Path(path) => {
                let here = path.ident == "botwatch";
                walk(&path.tree, in_botwatch || here, out);
            }
            syn::UseTree::Group(group) => {
                group.items.iter().for_each(|t| walk(t, in_botwatch, out))
            }
            syn::UseTree::Name(name) if in_botwatch => {
                let name = name.ident.to_string();
                out.add(&name, &name);
            }
            syn::UseTree::Rename(rename) if in_botwatch => {
                out.add(&rename.ident.to_string(), &rename.rename.to_string());
            }
            syn::UseTree::Glob(_) if in_botwatch => out.glob = true,
            _ => {}
        }
    }
    let mut out = Imports::default();
    for item in items {
        if let syn::Item::Use(item) = item {
            walk(&item.tree, false, &mut out);
        }
    }
    out
}

impl Imports {
    /// `use botwatch::{original as name}`.
    fn add(&mut self, original: &str, name: &str) {
        if let Some(kind) = AttributeKind::from_name(original) {
            self.names.insert(name.to_owned(), kind);
        }
        if let Some(kind) = MetricKind::from_name(original) {
            self.declared.insert(name.to_owned(), kind);
        }
    }
}

struct Visitor<'a, 'r> {
    scan: &'a mut Scan,
    file: PathBuf,
    shown: String,
    root: &'a Root<'r>,
    at: Place,
    imports: Imports,
}

impl Visitor<'_, '_> {
    /// `None` when the item's cfgs leave it out of this build; otherwise the cfg it is
    /// uncertainly under, if any (its own or its module's).
    fn gate(&self, attrs: &[syn::Attribute]) -> Option<Option<String>> {
        match self.root.cfg.attrs(attrs) {
            Truth::No => None,
            Truth::Yes => Some(self.at.uncertain.clone()),
            Truth::Unknown(cfg) => Some(Some(self.at.uncertain.clone().unwrap_or(cfg))),
        }
    }

    fn attribute_kind(&self, attr: &syn::Attribute) -> Option<AttributeKind> {
        match attribute_path(attr.path())? {
            AttributePath::Qualified(name) => AttributeKind::from_name(&name),
            AttributePath::Bare(name) => match self.imports.names.get(&name) {
                Some(kind) => Some(*kind),
                None if self.imports.glob => AttributeKind::from_name(&name),
                None => None,
            },
        }
    }

    fn function(&mut self, attrs: &[syn::Attribute], ident: &syn::Ident) {
        let Some(uncertain) = self.gate(attrs) else {
            return;
        };
        let function = ident.unraw().to_string();
        let mut found = false;
        for attr in attrs {
            let Some(kind) = self.attribute_kind(attr) else {
                continue;
            };
            let line = attr.pound_token.span.start().line;
            let location = format!("{}:{line}", self.shown);
            let tokens = match &attr.meta {
                syn::Meta::Path(_) => proc_macro2::TokenStream::new(),
                syn::Meta::List(list) => list.tokens.clone(),
                syn::Meta::NameValue(_) => {
                    self.scan.errors.push(format!(
                        "{location}: #[{}] takes a list of options, not `= value`",
                        kind.attribute_name()
                    ));
                    continue;
                }
            };
            match parse_attribute(kind, tokens) {
                Ok(parsed) => {
                    if !found {
                        if let Some(cfg) = &uncertain {
                            self.scan.warnings.push(format!(
                                "{location}: `{function}` is compiled only under cfg({cfg}), which the build helper cannot evaluate; its alerts are included"
                            ));
                        }
                    }
                    found = true;
                    self.scan.sites.push(FoundSite {
                        site: Site {
                            function: function.clone().into(),
                            module: self.at.module.join("::").into(),
                            attribute: parsed.into_attribute(),
                        },
                        location,
                    })
                }
                Err(error) => self.scan.errors.push(format!(
                    "{location}: #[{}] on `{function}`: {error}",
                    kind.attribute_name()
                )),
            }
        }
    }

    fn declared_kind(&self, attr: &syn::Attribute) -> Option<MetricKind> {
        match attribute_path(attr.path())? {
            AttributePath::Qualified(name) => MetricKind::from_name(&name),
            AttributePath::Bare(name) => match self.imports.declared.get(&name) {
                Some(kind) => Some(*kind),
                None if self.imports.glob => MetricKind::from_name(&name),
                None => None,
            },
        }
    }

    /// A `static` with `#[gauge]`, `#[counter]` or `#[histogram]`.
    fn declared(&mut self, item: &syn::ItemStatic) {
        let Some(uncertain) = self.gate(&item.attrs) else {
            return;
        };
        let name = item.ident.unraw().to_string();
        for attr in &item.attrs {
            let Some(kind) = self.declared_kind(attr) else {
                continue;
            };
            let line = attr.pound_token.span.start().line;
            let location = format!("{}:{line}", self.shown);
            let tokens = match &attr.meta {
                syn::Meta::List(list) => list.tokens.clone(),
                _ => proc_macro2::TokenStream::new(),
            };
            let module = self.at.module.join("::");
            match parse_declared(kind, tokens, &name, &module, help_from_doc(&item.attrs)) {
                Ok(parsed) => {
                    if let Some(cfg) = &uncertain {
                        self.scan.warnings.push(format!(
                            "{location}: `{name}` is compiled only under cfg({cfg}), which the build helper cannot evaluate; its alerts are included"
                        ));
                    }
                    self.scan.declared.push(FoundDeclared {
                        declared: parsed.spec,
                        location,
                    });
                }
                Err(error) => self.scan.errors.push(format!(
                    "{location}: #[{}] on `{name}`: {error}",
                    kind.attribute_name()
                )),
            }
        }
    }

    fn module(&mut self, item: &syn::ItemMod) {
        let Some(uncertain) = self.gate(&item.attrs) else {
            return;
        };
        let name = item.ident.unraw().to_string();
        let path_attr = path_attribute(&item.attrs);
        let mut module = self.at.module.clone();
        module.push(name.clone());
        match &item.content {
            Some((_, items)) => {
                let children_dir = match &path_attr {
                    Some(path) => self.at.children_dir.join(path),
                    None => self.at.children_dir.join(&name),
                };
                let mut inner = Visitor {
                    scan: &mut *self.scan,
                    file: self.file.clone(),
                    shown: self.shown.clone(),
                    root: self.root,
                    at: Place {
                        module,
                        children_dir,
                        uncertain,
                    },
                    imports: imports(items),
                };
                for item in items {
                    inner.visit_item(item);
                }
            }
            None => {
                let (file, children_dir) = match &path_attr {
                    // A #[path] file is read like a mod.rs: its children sit beside it.
                    Some(path) => {
                        let file = self.file.parent().unwrap_or(Path::new(".")).join(path);
                        let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
                        (file, dir)
                    }
                    None => {
                        let flat = self.at.children_dir.join(format!("{name}.rs"));
                        let nested = self.at.children_dir.join(&name).join("mod.rs");
                        if flat.is_file() {
                            (flat, self.at.children_dir.join(&name))
                        } else {
                            (nested, self.at.children_dir.join(&name))
                        }
                    }
                };
                let at = Place {
                    module,
                    children_dir,
                    uncertain,
                };
                scan_file(self.scan, &file, at, self.root);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Visitor<'_, '_> {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.function(&item.attrs, &item.sig.ident);
        // Functions nested in a body share the enclosing module.
        self.within(&item.attrs, |v| syn::visit::visit_block(v, &item.block));
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.function(&item.attrs, &item.sig.ident);
        self.within(&item.attrs, |v| syn::visit::visit_block(v, &item.block));
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(block) = &item.default {
            self.function(&item.attrs, &item.sig.ident);
            self.within(&item.attrs, |v| syn::visit::visit_block(v, block));
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        self.within(&item.attrs, |v| syn::visit::visit_item_impl(v, item));
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.within(&item.attrs, |v| syn::visit::visit_item_trait(v, item));
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module(item);
    }

    fn visit_item_static(&mut self, item: &'ast syn::ItemStatic) {
        self.declared(item);
    }
}

impl Visitor<'_, '_> {
    /// Visits the contents of an item (`impl`, `trait`, a function's body) under its cfgs.
    fn within(&mut self, attrs: &[syn::Attribute], visit: impl FnOnce(&mut Self)) {
        let Some(uncertain) = self.gate(attrs) else {
            return;
        };
        let outer = std::mem::replace(&mut self.at.uncertain, uncertain);
        visit(self);
        self.at.uncertain = outer;
    }
}

fn path_attribute(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}
