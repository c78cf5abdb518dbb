//! Generates 10,000 annotated functions for the render benchmark.

use std::fmt::Write as _;

fn main() {
    let mut code = String::from("/// Calls every generated function once.\npub fn call_all() {\n");
    for i in 0..10_000 {
        writeln!(code, "    many_{i}();").unwrap();
    }
    code.push_str("}\n");
    for i in 0..10_000 {
        writeln!(
            code,
            "#[botwatch::counted]\n#[inline(never)]\npub fn many_{i}() {{}}"
        )
        .unwrap();
    }
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    std::fs::write(out.join("many.rs"), code).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
