//! `#[circuit_breaker]`: the body runs inside one generic runtime call that admits it,
//! rejects it while the breaker is open, and records its outcome.

use botwatch_spec::model::Attribute;
use botwatch_spec::parse::ParsedBreaker;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ReturnType;

use crate::expand::local;
use crate::function::InstrumentedFn;
use crate::shape::Shape;
use crate::spec_tokens;

/// The new body of a function under `#[circuit_breaker]`.
pub(crate) fn wrap(
    function: &InstrumentedFn,
    name: &str,
    parsed: ParsedBreaker,
) -> syn::Result<TokenStream> {
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
    let body = &function.body;
    let future = local("__botwatch_future");
    // The guarded call is spanned at the return type as a whole, so that an unsuitable
    // return type is one error, there.
    Ok(match Shape::of(&function.sig) {
        Shape::Sync { result } => {
            let call = quote_spanned! {span=>
                ::botwatch::__private::guard_call::<#result, _, _, _>(
                    &__BOTWATCH_BREAKER, #ignore_if, #failure_if, move || -> #result #body
                )
            };
            quote!(#items #call)
        }
        Shape::AsyncFn { result } => {
            let call = quote_spanned! {span=>
                ::botwatch::__private::guard_future::<#result, _, _, _>(
                    &__BOTWATCH_BREAKER, #ignore_if, #failure_if, async move #body
                ).await
            };
            quote!(#items #call)
        }
        Shape::ImplFuture { result } => {
            let call = quote_spanned! {span=>
                ::botwatch::__private::guard_future::<#result, _, _, _>(
                    &__BOTWATCH_BREAKER, #ignore_if, #failure_if, #future
                )
            };
            quote! {
                #items
                let #future = ::botwatch::__private::call_once(move || #body);
                #call
            }
        }
        Shape::BoxedFuture { ret, result } => {
            let call = quote_spanned! {span=>
                ::botwatch::__private::guard_future::<#result, _, _, _>(
                    &__BOTWATCH_BREAKER, #ignore_if, #failure_if, #future
                )
            };
            quote! {
                #items
                let #future = ::botwatch::__private::call_once(move || -> #ret #body);
                ::std::boxed::Box::pin(#call)
            }
        }
    })
}

/// `|e| path(e)`, located at the user's path so a wrong signature is reported there, but
/// with the macro's hygiene so lints on closures (`redundant_closure`) stay quiet.
fn predicate(path: Option<&syn::Path>, default: TokenStream) -> TokenStream {
    let Some(path) = path else { return default };
    let span = Span::mixed_site().located_at(path.span());
    let error = Ident::new("__botwatch_error", span);
    quote_spanned!(span=> |#error| #path(#error))
}
