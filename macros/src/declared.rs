//! `#[gauge]`, `#[counter]` and `#[histogram]` on a `static`: the static keeps its name,
//! type and visibility; its value becomes the declared metric (with the parsed declaration
//! embedded), registered in `DECLARED` for `/metrics`, `/rules` and `snapshot()`.

use botwatch_spec::declared::MetricKind;
use botwatch_spec::parse::{help_from_doc, parse_declared, Errors, ParsedDeclared};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use crate::spec_tokens;

/// Expands one declaration; on any error, the item as written plus the errors, so the rest
/// of the crate still type-checks against the static.
pub(crate) fn expand(kind: MetricKind, args: TokenStream, item: TokenStream) -> TokenStream {
    let attribute = kind.attribute_name();
    let example = example(kind);
    let item_static = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Static(s)) => s,
        Ok(other) => {
            let error = syn::Error::new(
                first_token_span(&other),
                format!("#[botwatch::{attribute}] goes on a `static`, like `{example}`"),
            );
            return with_error(item, error);
        }
        Err(e) => return with_error(item, e),
    };
    let mut errors = Errors::default();
    if let syn::StaticMutability::Mut(token) = &item_static.mutability {
        errors.push(syn::Error::new(
            token.span(),
            format!("#[botwatch::{attribute}] goes on a `static`, not a `static mut`: the metric updates itself atomically through `&self`; remove `mut`"),
        ));
    }
    // With the wrong type, the initializer's error would only repeat it.
    match check_type(kind, &item_static.ty) {
        Err(e) => errors.push(e),
        Ok(()) => {
            errors.ok(check_initializer(kind, &item_static.expr));
        }
    }
    let name = item_static.ident.to_string();
    let parsed = parse_declared(kind, args, &name, "", help_from_doc(&item_static.attrs));
    let parsed = errors.ok(parsed);
    match errors.finish(parsed) {
        Ok(Some(parsed)) => declaration(kind, item_static, parsed),
        Err(error) => with_error(item, error),
        Ok(None) => unreachable!("a failed parse leaves an error"),
    }
}

fn example(kind: MetricKind) -> String {
    let ty = kind.type_name();
    format!("static BALANCE: botwatch::{ty} = botwatch::{ty}::new();")
}

fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#item #error)
}

fn first_token_span(item: &syn::Item) -> Span {
    item.to_token_stream()
        .into_iter()
        .find(|t| !matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == '#'))
        .map_or_else(Span::call_site, |t| t.span())
}

/// The static's type must be the declaration's: `botwatch::Gauge` for `#[gauge]`.
fn check_type(kind: MetricKind, ty: &syn::Type) -> syn::Result<()> {
    let wanted = kind.type_name();
    let found = match ty {
        syn::Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        _ => None,
    };
    match found {
        Some(segment) if segment.ident == wanted && segment.arguments.is_none() => Ok(()),
        Some(segment) => {
            let other = MetricKind::ALL
                .into_iter()
                .find(|k| segment.ident == k.type_name())
                .map(|k| {
                    format!(
                        "; a `{}` is declared with #[botwatch::{}]",
                        k.type_name(),
                        k.attribute_name()
                    )
                })
                .unwrap_or_default();
            Err(syn::Error::new(
                ty.span(),
                format!(
                    "#[botwatch::{}] goes on a `static` of type `botwatch::{wanted}`, not `{}`{other}",
                    kind.attribute_name(),
                    ty.to_token_stream().to_string().replace(' ', "")
                ),
            ))
        }
        None => Err(syn::Error::new(
            ty.span(),
            format!(
                "#[botwatch::{}] goes on a `static` of type `botwatch::{wanted}`",
                kind.attribute_name()
            ),
        )),
    }
}

/// The value must be `botwatch::Gauge::new()`: the attribute builds the metric itself, so
/// any other initializer would be silently replaced.
fn check_initializer(kind: MetricKind, expr: &syn::Expr) -> syn::Result<()> {
    let ty = kind.type_name();
    let is_new = match expr {
        syn::Expr::Call(call) if call.args.is_empty() => match &*call.func {
            syn::Expr::Path(path) => {
                let segments: Vec<String> = path
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                segments.len() >= 2
                    && segments[segments.len() - 1] == "new"
                    && segments[segments.len() - 2] == ty
            }
            _ => false,
        },
        _ => false,
    };
    if is_new {
        Ok(())
    } else {
        Err(syn::Error::new(
            expr.span(),
            format!("initialise a declared metric with `botwatch::{ty}::new()`; its value starts at zero"),
        ))
    }
}

fn declaration(kind: MetricKind, item: syn::ItemStatic, parsed: ParsedDeclared) -> TokenStream {
    let ParsedDeclared {
        spec,
        denominators,
        references,
        counters,
    } = parsed;
    let stamps_updates = spec.stamps_updates();
    let syn::ItemStatic {
        attrs,
        vis,
        static_token,
        ident,
        ty,
        ..
    } = item;
    let spec_tokens = spec_tokens::declared(&spec);
    let variant = format_ident!("{}", kind.type_name());
    let marker = format_ident!("__botwatch_declared_{}", ident, span = ident.span());
    let metric_marker = format_ident!(
        "__botwatch_metric_{}",
        spec.metric_name()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        span = ident.span()
    );
    let ratio_checks = denominators.iter().map(ratio_check);
    let gap_checks = references.iter().map(gap_check);
    let krate = spec_tokens::crate_build();
    let counter_checks = counters.iter().map(counter_check);
    quote! {
        #(#attrs)*
        #vis #static_token #ident: #ty = {
            static __BOTWATCH_SPEC: ::botwatch::__private::spec::declared::Declared = #spec_tokens;
            <#ty>::__declared(&__BOTWATCH_SPEC, #stamps_updates)
        };

        /// Marks the static as a declared metric, for ratios that name it.
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code)]
        #vis const #marker: () = ();

        // Two declarations of one metric name in a module collide here.
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code)]
        const #metric_marker: () = ();

        #krate

        const _: () = {
            #[::botwatch::__private::linkme::distributed_slice(::botwatch::__private::DECLARED)]
            #[linkme(crate = ::botwatch::__private::linkme)]
            static __BOTWATCH_DECLARED: ::botwatch::__private::DeclaredStatic =
                ::botwatch::__private::DeclaredStatic::#variant(&#ident);
        };

        #(#ratio_checks)*
        #(#gap_checks)*
        #(#counter_checks)*
    }
}

/// An increase ratio's other counter (`increase / SUBMITTED < 20%`) must be a declared
/// `Counter`: a compile error at its path otherwise.
fn counter_check(path: &syn::Path) -> TokenStream {
    let span = path.span();
    let check = ratio_check(path);
    quote_spanned! {span=>
        #check
        const _: fn() = || {
            ::botwatch::__private::declared_counter(&#path);
        };
    }
}

/// A gap's reference (`value - NODE_HEAD > 5`) must be a declared `Gauge`: a compile error
/// at its path otherwise.
fn gap_check(path: &syn::Path) -> TokenStream {
    let span = path.span();
    let check = ratio_check(path);
    quote_spanned! {span=>
        #check
        const _: fn() = || {
            ::botwatch::__private::declared_gauge(&#path);
        };
    }
}

/// A ratio's denominator must be a `static` declared with one of the attributes: its type
/// a metric's, and its marker present. Errors land on the path as written.
fn ratio_check(path: &syn::Path) -> TokenStream {
    let span = path.span();
    let mut marker = path.clone();
    if let Some(last) = marker.segments.last_mut() {
        last.ident = format_ident!(
            "__botwatch_declared_{}",
            last.ident,
            span = last.ident.span()
        );
    }
    quote_spanned! {span=>
        const _: fn() = || {
            ::botwatch::__private::declared_metric(&#path);
            #marker
        };
    }
}
