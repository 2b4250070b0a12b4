//! `loop:ui`, `loop:gfx`, `loop:input`, `loop:window`: drafted interfaces with no native provider
//! yet. Every imported function is answered dynamically with `unsupported`, whatever its shape:
//! `result<_, error>` where `error` has an `unsupported` case (or is an enum with it, or a string).

use crate::state::StoreState;
use wasmtime::component::types::{ComponentInstance, ComponentItem, Type};
use wasmtime::component::{Linker, Val};
use wasmtime::{Engine, Result, format_err};

pub const STUB_PACKAGES: &[&str] = &["loop:ui", "loop:gfx", "loop:input", "loop:window"];

/// The value that means "unsupported" for a function result of type `ty`, if it has one.
pub fn unsupported_value(ty: &Type) -> Option<Val> {
    let Type::Result(r) = ty else { return None };
    let err = match r.err() {
        None => None,
        Some(Type::String) => Some(Box::new(Val::String("unsupported".into()))),
        Some(Type::Variant(v)) => {
            let case = v.cases().find(|c| c.name == "unsupported")?;
            if case.ty.is_some() {
                return None;
            }
            Some(Box::new(Val::Variant("unsupported".into(), None)))
        }
        Some(Type::Enum(e)) => {
            e.names().find(|n| *n == "unsupported")?;
            Some(Box::new(Val::Enum("unsupported".into())))
        }
        Some(_) => return None,
    };
    Some(Val::Result(Err(err)))
}

/// Defines every function of the imported instance `name` (of type `ty`) as an `unsupported` stub.
pub fn define(
    linker: &mut Linker<StoreState>,
    engine: &Engine,
    name: &str,
    ty: &ComponentInstance,
) -> Result<()> {
    let mut inst = linker.instance(name)?;
    for (fname, item) in ty.exports(engine) {
        if let ComponentItem::ComponentFunc(_) = item.ty {
            let what = format!("{name}#{fname}");
            inst.func_new(fname, move |_store, fty, _params, results| {
                for (slot, rty) in results.iter_mut().zip(fty.results()) {
                    *slot = unsupported_value(&rty).ok_or_else(|| {
                        format_err!("{what} is not supported by the native host (no provider yet)")
                    })?;
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}
