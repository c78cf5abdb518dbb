//! Expansion: parse the function and the arguments, then wrap the body so each call is
//! recorded in the function's static site.

use botwatch_spec::model::{Attribute, AttributeKind};
use botwatch_spec::parse::{parse_attribute, Parsed};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::Token;

use crate::function::InstrumentedFn;
use crate::shape::Shape;
use crate::spec_tokens;

/// What one attribute adds to a call: items declared once (the site's statics), statements
/// run when the call starts, and statements run after it returned, with its value bound to
/// [`result_ident`].
pub(crate) struct Instrumentation {
    pub(crate) items: TokenStream,
    pub(crate) enter: TokenStream,
    pub(crate) exit: TokenStream,
}

/// A local only generated code can name.
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

pub(crate) fn result_ident() -> Ident {
    local("__botwatch_result")
}

/// Entry point of all three attributes.
pub(crate) fn expand(kind: AttributeKind, args: TokenStream, item: TokenStream) -> TokenStream {
    if !looks_like_fn(&item) {
        let message = format!(
            "#[{}] can only be applied to functions and methods",
            kind.attribute_name()
        );
        let error = syn::Error::new(Span::call_site(), message).into_compile_error();
        return quote!(#error #item);
    }
    let function: InstrumentedFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let error = error.into_compile_error();
            return quote!(#error #item);
        }
    };
    if let Some(constness) = &function.sig.constness {
        let error = syn::Error::new_spanned(
            constness,
            format!(
                "#[{}] cannot instrument a `const fn`",
                kind.attribute_name()
            ),
        )
        .into_compile_error();
        return quote!(#error #function);
    }
    let parsed = match parse_attribute(kind, args) {
        Ok(parsed) => parsed,
        Err(error) => {
            // The function stays as written, so the only error is the one in the arguments.
            let error = error.into_compile_error();
            return quote!(#error #function);
        }
    };
    let name = function.sig.ident.unraw().to_string();
    let body = match parsed {
        Parsed::Counted(counted) => Ok(wrap(
            &function,
            &counted_instrumentation(&name, Attribute::Counted(counted)),
        )),
        Parsed::Timed(timed) => Ok(wrap(
            &function,
            &timed_instrumentation(&name, Attribute::Timed(timed)),
        )),
        Parsed::CircuitBreaker(breaker) => crate::breaker::wrap(&function, &name, breaker),
    };
    match body {
        Ok(body) => function.with_body(body),
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#error #function)
        }
    }
}

fn counted_instrumentation(function: &str, attribute: Attribute) -> Instrumentation {
    let spec = spec_tokens::site(function, &attribute);
    let call = local("__botwatch_call");
    let result = result_ident();
    Instrumentation {
        items: quote! {
            static __BOTWATCH_COUNTED_SPEC: ::botwatch::__private::spec::Site = #spec;
            static __BOTWATCH_COUNTED: ::botwatch::__private::CountedSite =
                ::botwatch::__private::CountedSite::new(&__BOTWATCH_COUNTED_SPEC);
            #[::botwatch::__private::linkme::distributed_slice(::botwatch::__private::SITES)]
            #[linkme(crate = ::botwatch::__private::linkme)]
            static __BOTWATCH_COUNTED_REGISTERED: ::botwatch::__private::RegisteredSite =
                ::botwatch::__private::RegisteredSite::Counted(&__BOTWATCH_COUNTED);
        },
        enter: quote! {
            let #call = ::botwatch::__private::CountedSite::enter(&__BOTWATCH_COUNTED);
        },
        exit: quote! {
            #call.finish({
                #[allow(unused_imports)]
                use ::botwatch::__private::{OtherOutcome as _, ResultOutcome as _};
                (&::botwatch::__private::Probe(&#result)).botwatch_is_err()
            });
        },
    }
}

fn timed_instrumentation(function: &str, attribute: Attribute) -> Instrumentation {
    let Attribute::Timed(timed) = &attribute else {
        unreachable!("called with a timed attribute")
    };
    let bounds = timed.bucket_bounds_nanos();
    let finite = bounds.len();
    let spec = spec_tokens::site(function, &attribute);
    let timer = local("__botwatch_timer");
    Instrumentation {
        items: quote! {
            static __BOTWATCH_TIMED_SPEC: ::botwatch::__private::spec::Site = #spec;
            static __BOTWATCH_TIMED_BOUNDS: [u64; #finite] = [#(#bounds),*];
            static __BOTWATCH_TIMED_LINES: [
                ::botwatch::__private::Line;
                ::botwatch::__private::histogram_lines(#finite)
            ] = [const { ::botwatch::__private::zero_line() }; ::botwatch::__private::histogram_lines(#finite)];
            static __BOTWATCH_TIMED: ::botwatch::__private::TimedSite =
                ::botwatch::__private::TimedSite::new(
                    &__BOTWATCH_TIMED_SPEC,
                    &__BOTWATCH_TIMED_BOUNDS,
                    &__BOTWATCH_TIMED_LINES,
                );
            #[::botwatch::__private::linkme::distributed_slice(::botwatch::__private::SITES)]
            #[linkme(crate = ::botwatch::__private::linkme)]
            static __BOTWATCH_TIMED_REGISTERED: ::botwatch::__private::RegisteredSite =
                ::botwatch::__private::RegisteredSite::Timed(&__BOTWATCH_TIMED);
        },
        enter: quote! {
            let #timer = ::botwatch::__private::TimedSite::start(&__BOTWATCH_TIMED);
        },
        exit: quote! {
            #timer.finish();
        },
    }
}

/// The new body: the site's items, then the original body run inside a closure or an async
/// block (so its `return` and `?` stay inside), bracketed by enter and exit. Closures are
/// called through `call_once` so they are `FnOnce` and may return borrows of what they
/// captured (`fn insert(&mut self) -> &mut Self`).
fn wrap(function: &InstrumentedFn, instrumentation: &Instrumentation) -> TokenStream {
    let Instrumentation { items, enter, exit } = instrumentation;
    let body = &function.body;
    let result = result_ident();
    let future = local("__botwatch_future");
    let lints = quote! {
        #[allow(unreachable_code, clippy::let_unit_value)]
    };
    match Shape::of(&function.sig) {
        Shape::Sync { result: ty } => quote! {
            #items
            #enter
            #lints
            let #result = ::botwatch::__private::call_once(move || -> #ty #body);
            #exit
            #result
        },
        Shape::AsyncFn { result: ty } => quote! {
            #items
            #enter
            #lints
            let #result: #ty = async move #body.await;
            #exit
            #result
        },
        Shape::ImplFuture { result: ty } => quote! {
            #items
            #lints
            let #future = ::botwatch::__private::call_once(move || #body);
            async move {
                #enter
                #lints
                let #result: #ty = #future.await;
                #exit
                #result
            }
        },
        Shape::BoxedFuture { ret, result: ty } => quote! {
            #items
            #lints
            let #future = ::botwatch::__private::call_once(move || -> #ret #body);
            ::std::boxed::Box::pin(async move {
                #enter
                #lints
                let #result: #ty = #future.await;
                #exit
                #result
            })
        },
    }
}

/// Whether the item is a function (possibly `const`, `async`, `unsafe`, `extern`), judged
/// before parsing it so that anything else gets one plain error.
fn looks_like_fn(item: &TokenStream) -> bool {
    let parser = |input: ParseStream<'_>| {
        input.call(syn::Attribute::parse_outer)?;
        input.parse::<syn::Visibility>()?;
        if input.peek(syn::Ident) && input.fork().call(Ident::parse_any)? == "default" {
            input.call(Ident::parse_any)?;
        }
        input.parse::<Option<Token![const]>>()?;
        input.parse::<Option<Token![async]>>()?;
        input.parse::<Option<Token![unsafe]>>()?;
        if input.peek(Token![extern]) {
            input.parse::<syn::Abi>()?;
        }
        let is_fn = input.peek(Token![fn]);
        input.parse::<TokenStream>()?;
        Ok(is_fn)
    };
    parser.parse2(item.clone()).unwrap_or(false)
}
