//! Expansion: parse the function and the arguments of every botwatch attribute on it, then
//! wrap the body once so each call is recorded in the function's static sites.

use botwatch_spec::model::{Attribute, AttributeKind};
use botwatch_spec::parse::{parse_attribute, Errors, Parsed};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::Token;

use crate::function::InstrumentedFn;
use crate::shape::Shape;
use crate::{spec_tokens, stacked};

/// A local only generated code can name.
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// Entry point of all three attributes. The first botwatch attribute on a function expands
/// every botwatch attribute stacked below it too, into one wrapper.
pub(crate) fn expand(kind: AttributeKind, args: TokenStream, item: TokenStream) -> TokenStream {
    if !looks_like_fn(&item) {
        let message = format!(
            "#[{}] can only be applied to functions and methods",
            kind.attribute_name()
        );
        let error = syn::Error::new(Span::call_site(), message).into_compile_error();
        return quote!(#error #item);
    }
    let mut function: InstrumentedFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let error = error.into_compile_error();
            return quote!(#error #item);
        }
    };
    let mut written = vec![(kind, args, TokenStream::new())];
    written.extend(stacked::take(&mut function.attrs));
    // From here on, `function` is printed without the stacked attributes, so that each
    // mistake is reported once, here, and never again by a later expansion.
    if let Err(error) = check_function(&function, kind) {
        let error = error.into_compile_error();
        return quote!(#error #function);
    }
    let parsed = match parse_all(written) {
        Ok(parsed) => parsed,
        Err(error) => {
            // The function stays as written, so the only errors are those in the arguments.
            let error = error.into_compile_error();
            return quote!(#error #function);
        }
    };
    let name = function.sig.ident.unraw().to_string();
    match wrap(&function, &name, parsed) {
        Ok(body) => function.with_body(body),
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#error #function)
        }
    }
}

/// What no attribute can instrument.
fn check_function(function: &InstrumentedFn, kind: AttributeKind) -> syn::Result<()> {
    let attribute = kind.attribute_name();
    if let Some(constness) = &function.sig.constness {
        return Err(syn::Error::new_spanned(
            constness,
            format!("#[{attribute}] cannot instrument a `const fn`"),
        ));
    }
    if let Some(track_caller) = function
        .attrs
        .iter()
        .find(|a| a.path().is_ident("track_caller"))
    {
        return Err(syn::Error::new_spanned(
            track_caller,
            format!(
                "#[track_caller] has no effect under #[{attribute}]: the body runs inside botwatch's wrapper, so \
                 `Location::caller()` would report the wrapper; remove #[track_caller], or move the body into \
                 an inner `#[track_caller]` function that the instrumented one calls"
            ),
        ));
    }
    Ok(())
}

/// Each attribute parsed; every mistake reported, a repeated attribute at its second use.
fn parse_all(written: Vec<(AttributeKind, TokenStream, TokenStream)>) -> syn::Result<Vec<Parsed>> {
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut seen: Vec<AttributeKind> = Vec::new();
    let mut errors = Errors::default();
    for (kind, args, attribute) in written {
        if seen.contains(&kind) {
            errors.push(syn::Error::new_spanned(
                attribute,
                format!(
                    "#[{}] is written twice on this function; merge the two into one",
                    kind.attribute_name()
                ),
            ));
            continue;
        }
        seen.push(kind);
        parsed.extend(errors.ok(parse_attribute(kind, args)));
    }
    errors.finish(parsed)
}

/// Each `calls / path::to::other_fn` names a function in scope: a misspelt path is a
/// compile error at that path (its tokens keep the user's spans). The path is read as a
/// value (a function item is zero sized, so this costs nothing); a generic function there
/// needs its turbofish.
fn ratio_path_checks(paths: &[syn::Path]) -> TokenStream {
    paths
        .iter()
        .map(|path| quote_spanned! {path.span()=> let _ = #path; })
        .collect()
}

/// The new body: each attribute's statics, one `Instruments` static naming them, and the
/// original body run by the runtime wrapper for the function's shape — inside a closure or
/// an async block, so its `return` and `?` stay inside. Closures are `FnOnce`, so they may
/// return borrows of what they captured (`fn insert(&mut self) -> &mut Self`).
fn wrap(function: &InstrumentedFn, name: &str, parsed: Vec<Parsed>) -> syn::Result<TokenStream> {
    let shape = Shape::of(&function.sig);
    let ty = shape.result();
    let ty = &ty;
    let mut items = TokenStream::new();
    let (mut counted, mut timed, mut breaker) = (none(), none(), none());
    let mut is_error = quote!(|_| false);
    let mut hooks = quote!(::botwatch::__private::NoBreaker);
    let (mut counted_series, mut timed_series) = (none(), none());
    // One count of calls in flight per function, whichever attribute asked for it; a
    // function that does not ask gets no static, and its calls a `()` token (`NotTracked`).
    let tracks_in_flight = parsed.iter().any(|p| match p {
        Parsed::Counted(c) => c.spec.tracks_in_flight(),
        Parsed::Timed(t) => t.spec.tracks_in_flight(),
        Parsed::CircuitBreaker(_) => false,
    });
    let in_flight = if tracks_in_flight {
        items.extend(quote! {
            static __BOTWATCH_IN_FLIGHT: ::botwatch::__private::InFlight =
                ::botwatch::__private::InFlight::new();
        });
        quote!(::botwatch::__private::Tracked::new(&__BOTWATCH_IN_FLIGHT))
    } else {
        quote!(::botwatch::__private::NotTracked)
    };
    for attribute in parsed {
        match attribute {
            Parsed::Counted(parsed) => {
                if let (Some(ok_if), Shape::Diverging) = (&parsed.ok_if, &shape) {
                    return Err(syn::Error::new_spanned(
                        ok_if,
                        "`ok_if` counts some `Err`s as `ok`, but a `-> !` function never returns; \
                         remove `ok_if`",
                    ));
                }
                items.extend(ratio_path_checks(&parsed.ratio_paths));
                items.extend(counted_items(
                    name,
                    Attribute::Counted(parsed.spec),
                    tracks_in_flight,
                ));
                items.extend(generic_result_warning(function));
                counted = quote!(::core::option::Option::Some(&__BOTWATCH_COUNTED));
                is_error = counted_is_error(parsed.error_if.as_ref(), parsed.ok_if.as_ref());
                counted_series = series(quote!(__BOTWATCH_COUNTED), &parsed.call_labels);
            }
            Parsed::Timed(parsed) => {
                timed_series = series(quote!(__BOTWATCH_TIMED), &parsed.call_labels);
                items.extend(timed_items(
                    name,
                    Attribute::Timed(parsed.spec),
                    tracks_in_flight,
                ));
                timed = quote!(::core::option::Option::Some(&__BOTWATCH_TIMED));
            }
            Parsed::CircuitBreaker(_) if matches!(shape, Shape::Diverging) => {
                return Err(syn::Error::new_spanned(
                    &function.sig.output,
                    "a `-> !` function never returns, so #[circuit_breaker] has no result to guard; \
                     return `Result<T, E>` with `E: From<botwatch::CircuitOpen>`",
                ));
            }
            Parsed::CircuitBreaker(parsed) => {
                let (breaker_items, breaker_hooks) =
                    crate::breaker::parts(function, name, ty, parsed)?;
                items.extend(breaker_items);
                breaker = quote!(::core::option::Option::Some(&__BOTWATCH_BREAKER));
                hooks = breaker_hooks;
            }
        }
    }
    items.extend(quote! {
        static __BOTWATCH_INSTRUMENTS: ::botwatch::__private::Instruments =
            ::botwatch::__private::Instruments {
                counted: #counted, timed: #timed, breaker: #breaker,
            };
    });
    let body = &function.block;
    let instruments = quote!(&__BOTWATCH_INSTRUMENTS);
    // Per-call label values are read here, before the body's closure takes the arguments.
    let series_local = local("__botwatch_series");
    items.extend(quote! {
        let #series_local = ::botwatch::__private::Series {
            counted: #counted_series,
            timed: #timed_series,
        };
    });
    let series = series_local;
    if matches!(shape, Shape::Diverging) {
        // The body runs in place (it never returns, so nothing follows it): a guard
        // records the panic that may unwind through it.
        // Its statements, not its block, follow the guard: a block as the last expression
        // of a block warns `unused_braces` in the user's crate.
        let guard = local("__botwatch_diverging");
        let statements = body.stream();
        return Ok(quote! {
            #items
            let #guard = ::botwatch::__private::enter_diverging(#instruments, #series, #in_flight);
            #statements
        });
    }
    // Built before the body's closure takes the arguments: a `per` key reads them.
    let hooks_local = local("__botwatch_hooks");
    items.extend(quote!(let #hooks_local = #hooks;));
    let hooks = hooks_local;
    let call = match &shape {
        Shape::Sync { result } => {
            let value = local("__botwatch_value");
            let span = match &function.sig.output {
                syn::ReturnType::Type(_, ty) => ty.span(),
                syn::ReturnType::Default => function.sig.ident.span(),
            };
            let check = quote_spanned! {span=>
                ::botwatch::__private::require_not_future(
                    (&::botwatch::__private::FutureCheck(&#value)).botwatch_future_check(),
                );
            };
            quote! {
                let #value = ::botwatch::__private::run::<#result, _, _, _, _>(
                    #instruments, #series, #in_flight, move || -> #result #body, #is_error, #hooks
                );
                // A future returned under a name the shapes do not know (a type alias, a
                // macro's `$ret:ty`) would be recorded at creation: refuse it instead.
                {
                    #[allow(unused_imports)]
                    use ::botwatch::__private::{ReturnsFuture as _, ReturnsValue as _};
                    #check
                }
                #value
            }
        }
        Shape::AsyncFn { result } => quote! {
            ::botwatch::__private::run_async::<#result, _, _, _, _>(
                #instruments, #series, #in_flight, async move #body, #is_error, #hooks
            ).await
        },
        Shape::ImplFuture { result } => quote! {
            ::botwatch::__private::run_returning_future::<#result, _, _, _, _, _>(
                #instruments, #series, #in_flight, move || #body, #is_error, #hooks
            )
        },
        Shape::BoxedFuture { ret, result } => quote! {
            ::std::boxed::Box::pin(::botwatch::__private::run_returning_future::<#result, _, _, _, _, _>(
                #instruments, #series, #in_flight, move || -> #ret #body, #is_error, #hooks
            ))
        },
        Shape::Diverging => unreachable!("expanded above"),
    };
    Ok(quote!(#items #call))
}

/// `fn f<R>() -> R`: whether `R` is a `Result` is only known per caller, after expansion,
/// so `#[counted]` counts every return as `ok`. Say so with a warning the user can silence
/// with `#[allow(deprecated)]` (the only lint a macro can raise on stable).
fn generic_result_warning(function: &InstrumentedFn) -> TokenStream {
    let syn::ReturnType::Type(_, ty) = &function.sig.output else {
        return TokenStream::new();
    };
    let syn::Type::Path(path) = &**ty else {
        return TokenStream::new();
    };
    let Some(ident) = path.path.get_ident() else {
        return TokenStream::new();
    };
    let generic = function
        .sig
        .generics
        .type_params()
        .any(|param| &param.ident == ident);
    if !generic {
        return TokenStream::new();
    }
    let note = format!(
        "#[counted] cannot tell whether `{ident}` is a `Result`: its type is only known at each call, \
         so every return counts as `ok`. Return a concrete type (or `Result<T, E>` with generic T, E), \
         or put #[allow(deprecated)] on the function to accept this"
    );
    let marker = Ident::new("__BotwatchGenericResult", ident.span());
    quote_spanned! {ident.span()=>
        #[deprecated(note = #note)]
        #[allow(non_camel_case_types)]
        struct #marker;
        let _ = #marker;
    }
}

/// `Some(SITE.series(&[values]))` for a site with per-call labels: each value read from its
/// expression, by type (text, integer or bool), spanned at the expression so an unusable
/// type is reported there. `None` without per-call labels.
fn series(
    site: TokenStream,
    call_labels: &[(botwatch_spec::model::Text, syn::Expr)],
) -> TokenStream {
    if call_labels.is_empty() {
        return none();
    }
    let values = call_labels.iter().map(|(_, expr)| {
        quote_spanned! {expr.span()=>
            (&::botwatch::__private::LabelArg(&(#expr))).botwatch_label()
        }
    });
    quote! {
        ::core::option::Option::Some({
            #[allow(unused_imports)]
            use ::botwatch::__private::{ScalarLabelArg as _, TextLabel as _};
            #site.series(&[#(#values),*])
        })
    }
}

fn none() -> TokenStream {
    quote!(::core::option::Option::None)
}

/// `#[counted]`'s classifier: `Err(_)` is an error, whatever the `Result` is called (the
/// type decides, see the runtime's `outcome` module), unless `ok_if` excuses it, and so is
/// what `error_if` flags. Its argument's type comes from the wrapper's explicit result
/// type, not an annotation here, so lints on the user's return type (`ref_option_ref`)
/// never fire on our code.
fn counted_is_error(error_if: Option<&syn::Path>, ok_if: Option<&syn::Path>) -> TokenStream {
    let result = local("__botwatch_result");
    let excused = match ok_if {
        None => quote!(false),
        Some(path) => {
            // Spanned at the option, so a function that returns no `Result` is reported
            // there, with `ErrOutcome`'s message.
            let span = Span::mixed_site().located_at(path.span());
            let argument = Ident::new("__botwatch_result", span);
            let error = local("__botwatch_error");
            let call = crate::breaker::predicate_call(path, &error);
            quote_spanned! {span=>
                match ::botwatch::__private::err_of(#argument) {
                    ::core::option::Option::Some(#error) => #call,
                    ::core::option::Option::None => false,
                }
            }
        }
    };
    let flagged = match error_if {
        None => quote!(false),
        Some(path) => {
            let value = local("__botwatch_value");
            let call = crate::breaker::predicate_call(path, &value);
            quote! {
                match (&::botwatch::__private::Probe(#result)).botwatch_ok() {
                    ::core::option::Option::Some(#value) => #call,
                    ::core::option::Option::None => false,
                }
            }
        }
    };
    quote! {
        |#result| {
            #[allow(unused_imports)]
            use ::botwatch::__private::{OtherOutcome as _, ResultOutcome as _};
            ((&::botwatch::__private::Probe(#result)).botwatch_is_err() && !#excused) || #flagged
        }
    }
}

/// `.with_in_flight(&__BOTWATCH_IN_FLIGHT)` on a site of a function tracking its calls in
/// flight, so `/metrics` serves them; nothing otherwise.
fn exports_in_flight(in_flight: bool) -> TokenStream {
    if in_flight {
        quote!(.with_in_flight(&__BOTWATCH_IN_FLIGHT))
    } else {
        TokenStream::new()
    }
}

fn counted_items(function: &str, attribute: Attribute, in_flight: bool) -> TokenStream {
    let spec = spec_tokens::site(function, &attribute);
    let krate = spec_tokens::crate_build();
    let in_flight = exports_in_flight(in_flight);
    quote! {
        #krate
        static __BOTWATCH_COUNTED_SPEC: ::botwatch::__private::spec::Site = #spec;
        static __BOTWATCH_COUNTED: ::botwatch::__private::CountedSite =
            ::botwatch::__private::CountedSite::new(&__BOTWATCH_COUNTED_SPEC)#in_flight;
        #[::botwatch::__private::linkme::distributed_slice(::botwatch::__private::SITES)]
        #[linkme(crate = ::botwatch::__private::linkme)]
        static __BOTWATCH_COUNTED_REGISTERED: ::botwatch::__private::RegisteredSite =
            ::botwatch::__private::RegisteredSite::Counted(&__BOTWATCH_COUNTED);
    }
}

fn timed_items(function: &str, attribute: Attribute, in_flight: bool) -> TokenStream {
    let in_flight = exports_in_flight(in_flight);
    let Attribute::Timed(timed) = &attribute else {
        unreachable!("called with a timed attribute")
    };
    let bounds = timed.bucket_bounds_nanos();
    let finite = bounds.len();
    let spec = spec_tokens::site(function, &attribute);
    let krate = spec_tokens::crate_build();
    quote! {
        #krate
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
            )#in_flight;
        #[::botwatch::__private::linkme::distributed_slice(::botwatch::__private::SITES)]
        #[linkme(crate = ::botwatch::__private::linkme)]
        static __BOTWATCH_TIMED_REGISTERED: ::botwatch::__private::RegisteredSite =
            ::botwatch::__private::RegisteredSite::Timed(&__BOTWATCH_TIMED);
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
