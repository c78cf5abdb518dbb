//! Finds every botwatch attribute in a crate's source, following its module tree the way
//! rustc does (`mod a;` → `a.rs` or `a/mod.rs`, `#[path]`, inline `mod` blocks), so each
//! function gets exactly the `module` label `module_path!()` gives it at run time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use botwatch_spec::model::{AttributeKind, Site};
use botwatch_spec::parse::parse_attribute;
use syn::ext::IdentExt;
use syn::visit::Visit;

/// A site and where it was written.
#[derive(Debug, Clone)]
pub(crate) struct FoundSite {
    pub(crate) site: Site,
    /// `path:line`
    pub(crate) location: String,
}

/// What a scan found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) sites: Vec<FoundSite>,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub(crate) files: Vec<PathBuf>,
    /// Problems worth a `cargo:warning`; the scan goes on past each.
    pub(crate) warnings: Vec<String>,
}

/// Scans a crate root (`src/lib.rs`, `src/main.rs`, `src/bin/x.rs`) as crate `crate_name`.
pub(crate) fn scan_root(scan: &mut Scan, root: &Path, crate_name: &str, base: &Path) {
    let dir = root.parent().unwrap_or(Path::new(".")).to_path_buf();
    scan_file(scan, root, vec![crate_name.to_owned()], &dir, base);
}

fn scan_file(scan: &mut Scan, file: &Path, module: Vec<String>, children_dir: &Path, base: &Path) {
    if scan.files.iter().any(|f| f == file) {
        return;
    }
    scan.files.push(file.to_path_buf());
    let shown = display(file, base);
    let source = match std::fs::read_to_string(file) {
        Ok(source) => source,
        Err(error) => {
            scan.warnings.push(format!(
                "cannot read {shown}: {error}; its alerts are left out"
            ));
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
            return;
        }
    };
    let mut visitor = Visitor {
        scan,
        file: file.to_path_buf(),
        shown,
        base: base.to_path_buf(),
        module,
        children_dir: children_dir.to_path_buf(),
        imports: imports(&parsed.items),
    };
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
    glob: bool,
}

fn kind_of(name: &str) -> Option<AttributeKind> {
    match name {
        "counted" => Some(AttributeKind::Counted),
        "timed" => Some(AttributeKind::Timed),
        "circuit_breaker" => Some(AttributeKind::CircuitBreaker),
        _ => None,
    }
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
                if let Some(kind) = kind_of(&name.ident.to_string()) {
                    out.names.insert(name.ident.to_string(), kind);
                }
            }
            syn::UseTree::Rename(rename) if in_botwatch => {
                if let Some(kind) = kind_of(&rename.ident.to_string()) {
                    out.names.insert(rename.rename.to_string(), kind);
                }
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

struct Visitor<'a> {
    scan: &'a mut Scan,
    file: PathBuf,
    shown: String,
    base: PathBuf,
    module: Vec<String>,
    /// Where `mod x;` declared here looks for `x.rs` and `x/mod.rs`.
    children_dir: PathBuf,
    imports: Imports,
}

impl Visitor<'_> {
    fn attribute_kind(&self, attr: &syn::Attribute) -> Option<AttributeKind> {
        let segments: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        match segments.as_slice() {
            [krate, name] if krate == "botwatch" => kind_of(name),
            [name] => match self.imports.names.get(name) {
                Some(kind) => Some(*kind),
                None if self.imports.glob => kind_of(name),
                None => None,
            },
            _ => None,
        }
    }

    fn function(&mut self, attrs: &[syn::Attribute], ident: &syn::Ident) {
        if is_cfg_test(attrs) {
            return;
        }
        let function = ident.unraw().to_string();
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
                    self.scan.warnings.push(format!(
                        "{location}: #[{}] takes a list of options, not `= value`; left out",
                        kind.attribute_name()
                    ));
                    continue;
                }
            };
            match parse_attribute(kind, tokens) {
                Ok(parsed) => self.scan.sites.push(FoundSite {
                    site: Site {
                        function: function.clone().into(),
                        module: self.module.join("::").into(),
                        attribute: parsed.into_attribute(),
                    },
                    location,
                }),
                Err(error) => self.scan.warnings.push(format!(
                    "{location}: #[{}] on `{function}`: {error}; left out (the compiler reports it too)",
                    kind.attribute_name()
                )),
            }
        }
    }

    fn module(&mut self, item: &syn::ItemMod) {
        if is_cfg_test(&item.attrs) {
            return;
        }
        let name = item.ident.unraw().to_string();
        let path_attr = path_attribute(&item.attrs);
        let mut module = self.module.clone();
        module.push(name.clone());
        match &item.content {
            Some((_, items)) => {
                let children_dir = match &path_attr {
                    Some(path) => self.children_dir.join(path),
                    None => self.children_dir.join(&name),
                };
                let mut inner = Visitor {
                    scan: &mut *self.scan,
                    file: self.file.clone(),
                    shown: self.shown.clone(),
                    base: self.base.clone(),
                    module,
                    children_dir,
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
                        let flat = self.children_dir.join(format!("{name}.rs"));
                        let nested = self.children_dir.join(&name).join("mod.rs");
                        if flat.is_file() {
                            (flat, self.children_dir.join(&name))
                        } else {
                            (nested, self.children_dir.join(&name))
                        }
                    }
                };
                let base = self.base.clone();
                scan_file(self.scan, &file, module, &children_dir, &base);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Visitor<'_> {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.function(&item.attrs, &item.sig.ident);
        // Functions nested in a body share the enclosing module.
        syn::visit::visit_block(self, &item.block);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.function(&item.attrs, &item.sig.ident);
        syn::visit::visit_block(self, &item.block);
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if item.default.is_some() {
            self.function(&item.attrs, &item.sig.ident);
        }
        if let Some(block) = &item.default {
            syn::visit::visit_block(self, block);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        if !is_cfg_test(&item.attrs) {
            syn::visit::visit_item_impl(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module(item);
    }
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
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
