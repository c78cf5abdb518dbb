//! `#[circuit_breaker]`'s part of the wrapper: its statics, and the hooks that tell the
//! runtime how the function's results count and how it returns a rejection.

use botwatch_spec::model::Attribute;
use botwatch_spec::parse::ParsedBreaker;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

use crate::function::InstrumentedFn;
use crate::spec_tokens;

/// The breaker's statics and its hooks for a function whose calls evaluate to `result`.
pub(crate) fn parts(
    function: &InstrumentedFn,
    name: &str,
    result: &Type,
    parsed: ParsedBreaker,
) -> syn::Result<(TokenStream, TokenStream)> {
    let ReturnType::Type(_, written) = &function.sig.output else {
        return Err(syn::Error::new_spanned(
            &function.sig.ident,
            "#[circuit_breaker] needs the function to return `Result<T, E>` with `E: From<botwatch::CircuitOpen>`, \
             so a rejected call can return `Err(CircuitOpen)`",
        ));
    };
    // Errors about the return type point at it.
    let span = written.span();
    let ignore_if = predicate(parsed.ignore_if.as_ref(), quote!(|_| false));
    let failure_if = predicate(parsed.failure_if.as_ref(), quote!(|_| true));
    let success_if = predicate(parsed.success_if.as_ref(), quote!(|_| true));
    let per = parsed.per;
    let spec = spec_tokens::site(name, &Attribute::CircuitBreaker(parsed.spec));
    let items = quote! {
        static __BOTWATCH_BREAKER_SPEC: ::botwatch::__private::spec::Site = #spec;
        static __BOTWATCH_BREAKER: ::botwatch::__private::BreakerSite =
            ::botwatch::__private::BreakerSite::new(&__BOTWATCH_BREAKER_SPEC);
        #[::botwatch::__private::linkme::distributed_slice(::botwatch::__private::SITES)]
        #[linkme(crate = ::botwatch::__private::linkme)]
        static __BOTWATCH_BREAKER_REGISTERED: ::botwatch::__private::RegisteredSite =
            ::botwatch::__private::RegisteredSite::Breaker(&__BOTWATCH_BREAKER);
    };
    // The one generic call that needs a `Result<T, E: From<CircuitOpen>>`, spanned at the
    // return type as a whole, so that an unsuitable return type is one error, there.
    let hooks = quote_spanned! {span=>
        ::botwatch::__private::breaker_hooks::<#result, _, _, _>(#ignore_if, #failure_if, #success_if)
    };
    // A `per` breaker: the key is evaluated at call entry, before the body takes the
    // arguments, and spanned at the expression so a key that is not a string says so there.
    let hooks = match &per {
        None => hooks,
        Some(per) => {
            let key = quote_spanned!(per.span()=> ::core::convert::AsRef::<str>::as_ref(&(#per)));
            quote!(#hooks.keyed(&__BOTWATCH_BREAKER, #key))
        }
    };
    Ok((items, hooks))
}

/// `|e| path(e)`, or `default` when the option is not given.
fn predicate(path: Option<&syn::Path>, default: TokenStream) -> TokenStream {
    let Some(path) = path else { return default };
    let span = Span::mixed_site().located_at(path.span());
    let value = Ident::new("__botwatch_value", span);
    let call = predicate_call(path, &value);
    quote_spanned!(span=> |#value| #call)
}

/// `path(value)`, located at the user's path so a wrong signature is reported there, but
/// with the macro's hygiene so lints on closures (`redundant_closure`) stay quiet.
pub(crate) fn predicate_call(path: &syn::Path, value: &Ident) -> TokenStream {
    let span = Span::mixed_site().located_at(path.span());
    quote_spanned!(span=> #path(#value))
}
