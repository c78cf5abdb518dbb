//! Botwatch attributes stacked on one function. The outermost one expands them all, so a
//! function gets one wrapper however many attributes it has: one entry, one exit, one pair
//! of clock reads.

use botwatch_spec::model::AttributeKind;
use botwatch_spec::parse::{attribute_path, AttributePath};
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Attribute, Meta};

/// Removes the botwatch attributes from `attrs` and returns each with its arguments and
/// its tokens (where an error about the attribute as a whole points).
/// `#[botwatch::counted]`, `#[::botwatch::counted]` and a bare `#[counted]` (imported
/// with `use botwatch::counted`) are recognised.
pub(crate) fn take(attrs: &mut Vec<Attribute>) -> Vec<(AttributeKind, TokenStream, TokenStream)> {
    let mut found = Vec::new();
    attrs.retain(|attr| {
        let Some(kind) = botwatch_kind(attr) else {
            return true;
        };
        let args = match &attr.meta {
            Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        found.push((kind, args, attr.to_token_stream()));
        false
    });
    found
}

fn botwatch_kind(attr: &Attribute) -> Option<AttributeKind> {
    match attribute_path(attr.path())? {
        AttributePath::Qualified(name) | AttributePath::Bare(name) => {
            AttributeKind::from_name(&name)
        }
    }
}
