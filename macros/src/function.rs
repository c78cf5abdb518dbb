//! The annotated item: a function whose signature is parsed and whose body is kept as
//! tokens, so a half-written body still expands (and IDE completion keeps working in it).

use proc_macro2::{Group, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Attribute, Signature, Token, Visibility};

/// A `fn` item, free or in an `impl` block.
pub(crate) struct InstrumentedFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The body, braces included, as written.
    pub(crate) body: Group,
    /// The body's inner attributes (`#![allow(...)]`), which must stay at the top of the
    /// generated function: they are not allowed on the block the body moves into.
    pub(crate) inner_attrs: Vec<Attribute>,
    /// The body without its inner attributes.
    pub(crate) block: Group,
}

impl Parse for InstrumentedFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            return Err(syn::Error::new_spanned(
                &sig.ident,
                "botwatch attributes need a function body; put the attribute on the impl's method, not on the trait's declaration",
            ));
        }
        let body: Group = input.parse()?;
        if body.delimiter() != proc_macro2::Delimiter::Brace {
            return Err(syn::Error::new(
                body.span(),
                "expected the function's body in braces",
            ));
        }
        let (inner_attrs, rest) = split_inner_attributes(body.stream());
        let mut block = Group::new(proc_macro2::Delimiter::Brace, rest);
        block.set_span(body.span());
        Ok(InstrumentedFn {
            attrs,
            vis,
            sig,
            body,
            inner_attrs,
            block,
        })
    }
}

/// `#![...]` attributes at the top of a body, and the rest. A body that does not parse
/// keeps every token in the rest, so it still expands.
fn split_inner_attributes(body: TokenStream) -> (Vec<Attribute>, TokenStream) {
    let parser = |input: ParseStream<'_>| {
        let inner = input.call(Attribute::parse_inner)?;
        let rest: TokenStream = input.parse()?;
        Ok((inner, rest))
    };
    parser
        .parse2(body.clone())
        .unwrap_or_else(|_| (Vec::new(), body))
}

impl InstrumentedFn {
    /// The function with a new body (its inner attributes kept at the top) and everything
    /// else as written.
    pub(crate) fn with_body(&self, body: TokenStream) -> TokenStream {
        let InstrumentedFn {
            attrs,
            vis,
            sig,
            inner_attrs,
            ..
        } = self;
        quote! { #(#attrs)* #vis #sig { #(#inner_attrs)* #body } }
    }
}

impl ToTokens for InstrumentedFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
    }
}
