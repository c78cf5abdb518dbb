//! Generates 10,000 annotated functions and 1,000 declared metrics for the render
//! benchmark, and a bot of 1,000 functions with alerts for the exporter benchmark.

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
    // 1,000 declared metrics: gauges, counters and histograms in turn.
    let mut declared =
        String::from("/// Sets every declared metric once.\npub fn touch_declared() {\n");
    for i in 0..1_000 {
        let update = match i % 3 {
            0 => "set(1.5)",
            1 => "add(2.0)",
            _ => "record(0.5)",
        };
        writeln!(declared, "    DECLARED_{i}.{update};").unwrap();
    }
    declared.push_str("}\n");
    for i in 0..1_000 {
        let (attribute, ty) = match i % 3 {
            0 => ("gauge", "Gauge"),
            1 => ("counter", "Counter"),
            _ => ("histogram", "Histogram"),
        };
        writeln!(
            declared,
            "#[botwatch::{attribute}]\npub static DECLARED_{i}: botwatch::{ty} = botwatch::{ty}::new();"
        )
        .unwrap();
    }
    code.push_str(&declared);
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    std::fs::write(out.join("many.rs"), code).unwrap();

    // 100 functions with a per-call label, each called with 100 label sets.
    let mut labelled = String::from(
        "/// Calls every labelled function with 100 venues.\npub fn call_all() {\n    for i in 0..100 {\n        let venue = format!(\"venue_{i}\");\n",
    );
    for i in 0..100 {
        writeln!(labelled, "        labelled_{i}(&venue);").unwrap();
    }
    labelled.push_str("    }\n}\n");
    for i in 0..100 {
        writeln!(
            labelled,
            "#[botwatch::counted(labels(venue = venue), max_series = 100)]\n#[inline(never)]\npub fn labelled_{i}(venue: &str) {{ let _ = venue; }}"
        )
        .unwrap();
    }
    std::fs::write(out.join("labelled.rs"), labelled).unwrap();

    // 1,000 functions as a bot has them: counted and timed, each with two alerts.
    let mut bot = String::from("/// Calls every function of the bot once.\npub fn call_all() {\n");
    for i in 0..1_000 {
        writeln!(bot, "    let _ = bot_fn_{i}({i});").unwrap();
    }
    bot.push_str("}\n");
    for i in 0..1_000 {
        writeln!(
            bot,
            "#[botwatch::counted(alert(error_rate > 5%))]\n#[botwatch::timed(alert(p99 > 250ms))]\n#[inline(never)]\npub fn bot_fn_{i}(x: u64) -> Result<u64, String> {{ if x % 7 == 0 {{ Err(\"odd lot\".to_owned()) }} else {{ Ok(x) }} }}"
        )
        .unwrap();
    }
    std::fs::write(out.join("bot_1000.rs"), bot).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
