//! The annotated item: a function whose signature is parsed and whose body is kept as
//! tokens, so a half-written body still expands (and IDE completion keeps working in it).

use proc_macro2::{Group, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Token, Visibility};

/// A `fn` item, free or in an `impl` block.
pub(crate) struct InstrumentedFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The body, braces included.
    pub(crate) body: Group,
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
        Ok(InstrumentedFn {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl InstrumentedFn {
    /// The function with a new body and everything else as written.
    pub(crate) fn with_body(&self, body: TokenStream) -> TokenStream {
        let InstrumentedFn {
            attrs, vis, sig, ..
        } = self;
        quote! { #(#attrs)* #vis #sig { #body } }
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
