//! How a function returns: directly, as an `async fn`, as `impl Future`, or as a boxed
//! future (what `#[async_trait]` produces). Each shape is wrapped differently so that the
//! measurement spans the whole call and `return`/`?` in the body keep their meaning.

use syn::visit_mut::VisitMut;
use syn::{
    GenericArgument, PathArguments, ReturnType, Signature, Type, TypeImplTrait, TypeParamBound,
};

pub(crate) enum Shape {
    /// A plain function. `result` is the return type with `impl Trait` replaced by `_`, fit
    /// to annotate the closure the body runs in.
    Sync { result: Type },
    /// `async fn`: `result` annotates the awaited body.
    AsyncFn { result: Type },
    /// `-> impl Future<Output = X>`: `result` is X.
    ImplFuture { result: Type },
    /// `-> Pin<Box<dyn Future<Output = X> + ...>>` or `BoxFuture<'a, X>`: `result` is X,
    /// `ret` the written type.
    BoxedFuture { ret: Box<Type>, result: Type },
    /// `-> !`: the function never returns; only a panic unwinding through it is recorded.
    Diverging,
}

impl Shape {
    /// What a call evaluates to once it completed: the type the wrapper's classifiers see
    /// (`()` for a diverging function, whose classifiers never run).
    pub(crate) fn result(&self) -> Type {
        match self {
            Shape::Sync { result }
            | Shape::AsyncFn { result }
            | Shape::ImplFuture { result }
            | Shape::BoxedFuture { result, .. } => result.clone(),
            Shape::Diverging => syn::parse_quote!(()),
        }
    }

    pub(crate) fn of(sig: &Signature) -> Shape {
        let ret: Type = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        if matches!(ret, Type::Never(_)) && sig.asyncness.is_none() {
            return Shape::Diverging;
        }
        if sig.asyncness.is_some() {
            return Shape::AsyncFn {
                result: inferable(&ret),
            };
        }
        if let Type::ImplTrait(imp) = &ret {
            if let Some(output) = future_output(imp.bounds.iter()) {
                return Shape::ImplFuture {
                    result: inferable(&output),
                };
            }
        }
        if let Some(output) = boxed_future_output(&ret) {
            return Shape::BoxedFuture {
                result: inferable(&output),
                ret: Box::new(ret),
            };
        }
        Shape::Sync {
            result: inferable(&ret),
        }
    }
}

/// Whether a bound names the standard `Future` trait: `Future` (taken as std's),
/// `std::future::Future`, `core::future::Future` or the `futures` crate's re-exports. A
/// user's own trait named `Future` written with its path (`dec::Future`) is not.
fn is_std_future(path: &syn::Path) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    matches!(
        segments.as_slice(),
        ["Future"]
            | ["std" | "core", "future", "Future"]
            | ["futures", "Future"]
            | ["futures", "future", "Future"]
    )
}

/// The `Output` of a `Future` bound, `_` if the bound does not name it.
fn future_output<'a>(bounds: impl Iterator<Item = &'a TypeParamBound>) -> Option<Type> {
    for bound in bounds {
        let TypeParamBound::Trait(bound) = bound else {
            continue;
        };
        if !is_std_future(&bound.path) {
            continue;
        }
        let last = bound.path.segments.last()?;
        if let PathArguments::AngleBracketed(args) = &last.arguments {
            for arg in &args.args {
                if let GenericArgument::AssocType(assoc) = arg {
                    if assoc.ident == "Output" {
                        return Some(assoc.ty.clone());
                    }
                }
            }
        }
        return Some(syn::parse_quote!(_));
    }
    None
}

/// X in `Pin<Box<dyn Future<Output = X> + ...>>`, or in the `futures` crate's
/// `BoxFuture<'a, X>` / `LocalBoxFuture<'a, X>`.
fn boxed_future_output(ty: &Type) -> Option<Type> {
    for alias in ["BoxFuture", "LocalBoxFuture"] {
        if let Some(output) = last_segment_arg(ty, alias) {
            return Some(output);
        }
    }
    let pin = last_segment_arg(ty, "Pin")?;
    let boxed = last_segment_arg(&pin, "Box")?;
    match boxed {
        Type::TraitObject(object) => future_output(object.bounds.iter()),
        _ => None,
    }
}

fn last_segment_arg(ty: &Type, name: &str) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })
}

/// The type with every `impl Trait` replaced by `_`, so it can annotate a local or a
/// closure's return while still pinning the parts `?` needs (`Result<_, MyError>`).
fn inferable(ty: &Type) -> Type {
    struct ReplaceImpl;
    impl VisitMut for ReplaceImpl {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(TypeImplTrait { .. }) = ty {
                *ty = syn::parse_quote!(_);
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    ReplaceImpl.visit_type_mut(&mut ty);
    ty
}
