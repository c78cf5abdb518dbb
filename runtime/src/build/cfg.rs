//! Decides, from source alone, whether code under a `#[cfg(...)]` is compiled in this build,
//! so the rule file holds exactly the functions the binary links.
//!
//! `feature = "..."` is answered with the features cargo enabled for the crate being
//! scanned, the target's cfgs (`unix`, `target_os = "linux"`, ...) with the `CARGO_CFG_*`
//! variables cargo gives a build script, and `test` is always off. Anything else (`--cfg`
//! flags, `debug_assertions`, `docsrs`, ...) cannot be known here: such code is scanned as if
//! compiled, and an annotated function under it gets a warning saying so.

use std::collections::{BTreeMap, BTreeSet};

/// The cfgs a build script can see for its target, read once from `CARGO_CFG_*`.
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetCfg {
    /// `None` outside a build script: target cfgs are then unknown.
    values: Option<BTreeMap<String, BTreeSet<String>>>,
}

/// Cfg names that describe the target, as `rustc --print cfg` lists them. Cargo sets
/// `CARGO_CFG_<NAME>` for each one that holds, so a missing variable means "off".
const TARGET_CFGS: &[&str] = &[
    "unix",
    "windows",
    "panic",
    "target_abi",
    "target_arch",
    "target_endian",
    "target_env",
    "target_family",
    "target_feature",
    "target_has_atomic",
    "target_os",
    "target_pointer_width",
    "target_vendor",
];

impl TargetCfg {
    /// From the environment cargo gives a build script (empty when not in one).
    pub(crate) fn from_env() -> TargetCfg {
        TargetCfg::from_vars(std::env::vars())
    }

    pub(crate) fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> TargetCfg {
        let mut values = BTreeMap::new();
        for (key, value) in vars {
            if let Some(name) = key.strip_prefix("CARGO_CFG_") {
                let set = value
                    .split(',')
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect();
                values.insert(name.to_ascii_lowercase(), set);
            }
        }
        // Cargo always sets CARGO_CFG_TARGET_OS for a build script; without it we are not in
        // one and know nothing about the target.
        let known = values.contains_key("target_os");
        TargetCfg {
            values: known.then_some(values),
        }
    }
}

/// Whether code under a cfg is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Truth {
    Yes,
    No,
    /// Depends on a cfg the build helper cannot know; the text of that cfg.
    Unknown(String),
}

/// What the cfgs of one crate evaluate against.
#[derive(Debug, Clone)]
pub(crate) struct Cfg<'a> {
    pub(crate) features: &'a BTreeSet<String>,
    pub(crate) target: &'a TargetCfg,
}

impl Cfg<'_> {
    /// All `#[cfg(...)]` attributes among `attrs` together (they must all hold).
    pub(crate) fn attrs(&self, attrs: &[syn::Attribute]) -> Truth {
        let mut truth = Truth::Yes;
        for attr in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
            let this = match attr.parse_args::<syn::Meta>() {
                Ok(predicate) => self.predicate(&predicate),
                Err(_) => Truth::Unknown(tokens(attr)),
            };
            truth = and(truth, this);
        }
        truth
    }

    fn predicate(&self, meta: &syn::Meta) -> Truth {
        let name = meta
            .path()
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        match meta {
            syn::Meta::List(list) if matches!(name.as_str(), "all" | "any" | "not") => {
                let Ok(inner) = list.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
                ) else {
                    return Truth::Unknown(quote_meta(meta));
                };
                let mut values = inner.iter().map(|m| self.predicate(m));
                match name.as_str() {
                    "all" => values.fold(Truth::Yes, and),
                    "any" => values.fold(Truth::No, or),
                    _ => match (values.next(), values.next()) {
                        (Some(Truth::Yes), None) => Truth::No,
                        (Some(Truth::No), None) => Truth::Yes,
                        _ => Truth::Unknown(quote_meta(meta)),
                    },
                }
            }
            syn::Meta::Path(_) => self.option(&name, None, meta),
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(value),
                    ..
                }) => self.option(&name, Some(&value.value()), meta),
                _ => Truth::Unknown(quote_meta(meta)),
            },
            syn::Meta::List(_) => Truth::Unknown(quote_meta(meta)),
        }
    }

    fn option(&self, name: &str, value: Option<&str>, meta: &syn::Meta) -> Truth {
        let holds = match (name, value) {
            ("feature", Some(feature)) => self.features.contains(feature),
            ("test", None) => false,
            (name, value) if TARGET_CFGS.contains(&name) => match &self.target.values {
                None => return Truth::Unknown(quote_meta(meta)),
                Some(values) => match (values.get(name), value) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(set), Some(value)) => set.contains(value),
                },
            },
            _ => return Truth::Unknown(quote_meta(meta)),
        };
        if holds {
            Truth::Yes
        } else {
            Truth::No
        }
    }
}

fn and(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Truth::No, _) | (_, Truth::No) => Truth::No,
        (Truth::Unknown(u), _) | (_, Truth::Unknown(u)) => Truth::Unknown(u),
        _ => Truth::Yes,
    }
}

fn or(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Truth::Yes, _) | (_, Truth::Yes) => Truth::Yes,
        (Truth::Unknown(u), _) | (_, Truth::Unknown(u)) => Truth::Unknown(u),
        _ => Truth::No,
    }
}

/// The predicate as the user wrote it, near enough for a warning.
fn quote_meta(meta: &syn::Meta) -> String {
    let path = |p: &syn::Path| {
        p.segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join("::")
    };
    match meta {
        syn::Meta::Path(p) => path(p),
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(value),
                ..
            }) => format!("{} = {:?}", path(&nv.path), value.value()),
            _ => format!("{} = ...", path(&nv.path)),
        },
        syn::Meta::List(list) => format!("{}({})", path(&list.path), compact(&list.tokens)),
    }
}

fn tokens(attr: &syn::Attribute) -> String {
    match &attr.meta {
        syn::Meta::List(list) => compact(&list.tokens),
        other => quote_meta(other),
    }
}

/// The token printer puts spaces around every punctuation; drop the ones before `(`, `)`
/// and `,`.
fn compact(tokens: &proc_macro2::TokenStream) -> String {
    tokens
        .to_string()
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(cfg: &str, features: &[&str], target: &[(&str, &str)]) -> Truth {
        let features = features.iter().map(|f| f.to_string()).collect();
        let target = if target.is_empty() {
            TargetCfg::default()
        } else {
            TargetCfg::from_vars(
                target
                    .iter()
                    .map(|(k, v)| (format!("CARGO_CFG_{}", k.to_uppercase()), v.to_string())),
            )
        };
        let attrs = syn::parse_str::<syn::DeriveInput>(&format!("#[cfg({cfg})] struct S;"))
            .unwrap()
            .attrs;
        Cfg {
            features: &features,
            target: &target,
        }
        .attrs(&attrs)
    }

    const LINUX: &[(&str, &str)] = &[
        ("unix", ""),
        ("target_os", "linux"),
        ("target_family", "unix"),
    ];

    #[test]
    fn features_and_combinators() {
        assert_eq!(eval(r#"feature = "live""#, &["live"], &[]), Truth::Yes);
        assert_eq!(eval(r#"feature = "paper""#, &["live"], &[]), Truth::No);
        assert_eq!(
            eval(r#"not(feature = "paper")"#, &["live"], &[]),
            Truth::Yes
        );
        assert_eq!(
            eval(
                r#"all(feature = "live", feature = "paper")"#,
                &["live"],
                &[]
            ),
            Truth::No
        );
        assert_eq!(
            eval(
                r#"any(feature = "live", feature = "paper")"#,
                &["live"],
                &[]
            ),
            Truth::Yes
        );
        assert_eq!(eval("test", &[], LINUX), Truth::No);
        assert_eq!(eval("not(test)", &[], LINUX), Truth::Yes);
    }

    #[test]
    fn target_cfgs_come_from_cargo_and_others_are_unknown() {
        assert_eq!(eval("unix", &[], LINUX), Truth::Yes);
        assert_eq!(eval("windows", &[], LINUX), Truth::No);
        assert_eq!(eval(r#"target_os = "linux""#, &[], LINUX), Truth::Yes);
        assert_eq!(eval(r#"target_os = "macos""#, &[], LINUX), Truth::No);
        // Outside a build script the target is unknown.
        assert!(matches!(eval("unix", &[], &[]), Truth::Unknown(_)));
        assert_eq!(
            eval("debug_assertions", &[], LINUX),
            Truth::Unknown("debug_assertions".to_owned())
        );
        // A known "no" decides an `all` even next to an unknown; a known "yes" an `any`.
        assert_eq!(eval(r#"all(docsrs, feature = "x")"#, &[], LINUX), Truth::No);
        assert_eq!(
            eval(r#"any(docsrs, feature = "x")"#, &["x"], LINUX),
            Truth::Yes
        );
        assert!(matches!(eval("not(docsrs)", &[], LINUX), Truth::Unknown(_)));
    }
}
