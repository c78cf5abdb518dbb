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
    /// `-> Pin<Box<dyn Future<Output = X> + ...>>`: `result` is X, `ret` the written type.
    BoxedFuture { ret: Box<Type>, result: Type },
}

impl Shape {
    /// What a call evaluates to once it completed: the type the wrapper's classifiers see.
    pub(crate) fn result(&self) -> &Type {
        match self {
            Shape::Sync { result }
            | Shape::AsyncFn { result }
            | Shape::ImplFuture { result }
            | Shape::BoxedFuture { result, .. } => result,
        }
    }

    pub(crate) fn of(sig: &Signature) -> Shape {
        let ret: Type = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
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

/// The `Output` of a `Future` bound, `_` if the bound does not name it.
fn future_output<'a>(bounds: impl Iterator<Item = &'a TypeParamBound>) -> Option<Type> {
    for bound in bounds {
        let TypeParamBound::Trait(bound) = bound else {
            continue;
        };
        let last = bound.path.segments.last()?;
        if last.ident != "Future" {
            continue;
        }
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

/// X in `Pin<Box<dyn Future<Output = X> + ...>>`.
fn boxed_future_output(ty: &Type) -> Option<Type> {
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
