//! Build-time cost: scanning a 50,000-line crate with 1,000 annotated functions, and
//! rendering rules for 10 to 10,000 functions (which should grow linearly).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use botwatch_spec::model::{Alert, Attribute, Condition, Counted, Site};
use botwatch_spec::rules::RuleSet;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const MODULES: usize = 50;
const FUNCTIONS_PER_MODULE: usize = 20;
const LINES: usize = 50_000;

/// Writes a crate of `MODULES` files, `LINES` lines in all, with `MODULES ×
/// FUNCTIONS_PER_MODULE` annotated functions among plain ones.
fn generate(root: &Path) {
    let src = root.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut main = String::new();
    for m in 0..MODULES {
        writeln!(main, "mod module_{m};").unwrap();
    }
    main.push_str("fn main() {}\n");
    std::fs::write(src.join("main.rs"), main).unwrap();
    let lines_per_module = LINES / MODULES;
    for m in 0..MODULES {
        let mut text = String::from("use botwatch::{counted, timed};\n");
        for f in 0..FUNCTIONS_PER_MODULE {
            writeln!(
                text,
                "#[counted(alert(error_rate > 5%))]\n#[timed(alert(p99 > 250ms))]\npub fn annotated_{f}(x: u64) -> Result<u64, String> {{\n    Ok(x + {f})\n}}\n"
            )
            .unwrap();
        }
        let mut n = 0;
        while text.lines().count() < lines_per_module {
            writeln!(text, "pub fn plain_{n}(values: &[u64]) -> u64 {{\n    values.iter().map(|v| v * {n}).sum()\n}}\n").unwrap();
            n += 1;
        }
        std::fs::write(src.join(format!("module_{m}.rs")), text).unwrap();
    }
}

fn sites(count: usize) -> Vec<Site> {
    (0..count)
        .map(|i| Site {
            function: Cow::Owned(format!("function_{i}")),
            module: Cow::Owned(format!("bot::module_{}", i % 50)),
            attribute: Attribute::Counted(Counted {
                alerts: Cow::Owned(vec![Alert::new(Condition::ErrorRate { above: 0.05 })]),
                ..Counted::default()
            }),
        })
        .collect()
}

fn rules(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("botwatch-scan-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    generate(&root);
    let mut group = c.benchmark_group("build_helper");
    group.sample_size(10);
    group.bench_function("scan_50k_lines_1000_functions", |b| {
        b.iter(|| {
            let report = botwatch::build::Rules::new()
                .crate_dir(&root)
                .out_dir(root.join("out"))
                .crate_name("bench_bot")
                .emit_to(&mut std::io::sink())
                .unwrap();
            assert_eq!(report.sites, 2 * MODULES * FUNCTIONS_PER_MODULE);
            black_box(report);
        })
    });
    group.finish();

    let mut group = c.benchmark_group("render_rules");
    for count in [10, 100, 1_000, 10_000] {
        let sites = sites(count);
        group.bench_with_input(BenchmarkId::from_parameter(count), &sites, |b, sites| {
            b.iter(|| black_box(RuleSet::build(sites).unwrap().prometheus_yaml()))
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, rules);
criterion_main!(benches);
