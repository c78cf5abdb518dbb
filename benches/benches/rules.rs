//! Build-time cost: scanning a 50,000-line crate with 1,000 annotated functions, the same
//! 50,000 lines split over a 4-crate workspace (one `cargo metadata` run included), and
//! rendering rules for 10 to 10,000 functions (which should grow linearly), and rendering
//! the Grafana dashboard of 10 to 1,000 functions (each `#[counted]` and `#[timed]` with an
//! alert: 2 sites, 3 panels).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use botwatch_spec::declared::{Declared, MetricKind};
use botwatch_spec::model::{Alert, Attribute, Condition, Counted, Quantile, Site, Timed};
use botwatch_render::rules::RuleSet;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const MODULES: usize = 50;
const FUNCTIONS_PER_MODULE: usize = 20;
const LINES: usize = 50_000;

/// Writes a crate of `MODULES` files, `LINES` lines in all, with `MODULES ×
/// FUNCTIONS_PER_MODULE` annotated functions among plain ones.
fn generate(root: &Path) {
    generate_modules(root, "main.rs", 0..MODULES);
}

/// Writes `src/<root_file>` declaring `module_<m>` for each `m` in `modules`, and each
/// module's file: `LINES / MODULES` lines, `FUNCTIONS_PER_MODULE` of them annotated.
fn generate_modules(root: &Path, root_file: &str, modules: std::ops::Range<usize>) {
    let src = root.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut main = String::new();
    for m in modules.clone() {
        writeln!(main, "pub mod module_{m};").unwrap();
    }
    if root_file == "main.rs" {
        main.push_str("fn main() {}\n");
    }
    std::fs::write(src.join(root_file), main).unwrap();
    let lines_per_module = LINES / MODULES;
    for m in modules {
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

/// The same 50 modules as `generate`, over a bot binary and three libraries it depends on,
/// in a workspace whose `botwatch` is a stub package (the sources are only scanned).
fn generate_workspace(root: &Path) {
    let crates = ["bot", "core", "strategy", "venues"];
    let members: Vec<String> = crates.iter().map(|c| format!("\"{c}\"")).collect();
    std::fs::create_dir_all(root.join("botwatch/src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}, \"botwatch\"]\n",
            members.join(", ")
        ),
    )
    .unwrap();
    let manifest = |name: &str, extra: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nbotwatch = {{ path = \"../botwatch\" }}\n{extra}"
        )
    };
    std::fs::write(
        root.join("botwatch/Cargo.toml"),
        "[package]\nname = \"botwatch\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(root.join("botwatch/src/lib.rs"), "").unwrap();
    let per_crate = MODULES / crates.len();
    for (i, name) in crates.iter().enumerate() {
        let dir = root.join(name);
        let end = if i + 1 == crates.len() {
            MODULES
        } else {
            (i + 1) * per_crate
        };
        let (file, extra) = if *name == "bot" {
            let deps: String = crates[1..]
                .iter()
                .map(|c| format!("{c} = {{ path = \"../{c}\" }}\n"))
                .collect();
            ("main.rs", deps)
        } else {
            ("lib.rs", String::new())
        };
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Cargo.toml"), manifest(name, &extra)).unwrap();
        generate_modules(&dir, file, i * per_crate..end);
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

/// `count` functions, each `#[counted(alert(error_rate > 5%))]` and
/// `#[timed(alert(p99 > 250ms))]`, in 50 modules.
fn dashboard_sites(count: usize) -> Vec<Site> {
    let mut out = sites(count);
    out.extend(sites(count).into_iter().map(|site| Site {
        attribute: Attribute::Timed(Timed {
            alerts: Cow::Owned(vec![Alert::new(Condition::Latency {
                quantile: Quantile::P99,
                threshold: std::time::Duration::from_millis(250),
            })]),
            ..Timed::default()
        }),
        ..site
    }));
    out
}

/// `count` declared metrics as a trading bot declares them: gauges with a unit and alert
/// lines either side, gauges with states and a state alert, labelled families with a
/// total, counters with an increase window, histograms with a quantile alert, labelled
/// counters (every panel kind: a day's figures, bars per day, pies, tables).
fn dashboard_values(count: usize) -> Vec<Declared> {
    use botwatch_spec::parse::parse_declared;
    let shapes: [(MetricKind, &str); 6] = [
        (
            MetricKind::Gauge,
            "unit = \"USD\", alert(value < 100, severity = \"critical\"), alert(value > 10000)",
        ),
        (
            MetricKind::Gauge,
            "states(0 = \"running\", 1 = \"paused\", 3 = \"halted\"), alert(state == \"halted\")",
        ),
        (
            MetricKind::Gauge,
            "labels(venue), unit = \"ETH\", alert(total > 100), alert(stale > 2m)",
        ),
        (
            MetricKind::Counter,
            "unit = \"ETH\", alert(increase < 0.01, within = 6h)",
        ),
        (
            MetricKind::Histogram,
            "buckets = [0.5, 0.8, 0.9, 0.99], alert(p50 < 0.8)",
        ),
        (MetricKind::Counter, "labels(status), max_series = 16"),
    ];
    (0..count)
        .map(|i| {
            let (kind, args) = shapes[i % shapes.len()];
            parse_declared(
                kind,
                args.parse().unwrap(),
                &format!("VALUE_{i}"),
                &format!("bot::values_{}", i % 10),
                None,
            )
            .unwrap()
            .spec
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
                .only_this_crate()
                .crate_dir(&root)
                .out_dir(root.join("out"))
                .crate_name("bench_bot")
                .emit_to(&mut std::io::sink())
                .unwrap();
            assert_eq!(report.sites, 2 * MODULES * FUNCTIONS_PER_MODULE);
            black_box(report);
        })
    });
    let workspace = root.join("workspace");
    generate_workspace(&workspace);
    group.bench_function("scan_4_crates_50k_lines_1000_functions", |b| {
        b.iter(|| {
            let report = botwatch::build::Rules::new()
                .crate_dir(workspace.join("bot"))
                .out_dir(workspace.join("out"))
                .emit_to(&mut std::io::sink())
                .unwrap();
            assert_eq!(report.crates.len(), 4);
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

    let mut group = c.benchmark_group("render_dashboard");
    for count in [10, 100, 1_000] {
        let sites = dashboard_sites(count);
        group.bench_with_input(BenchmarkId::from_parameter(count), &sites, |b, sites| {
            b.iter(|| black_box(botwatch_render::dashboard::json(sites, &[])))
        });
    }
    // Issue 32's goal: 1,000 functions and 200 declared metrics, every panel kind.
    let sites = dashboard_sites(1_000);
    let values = dashboard_values(200);
    // What the time scales with, free of the machine's load: the text written.
    let alone = botwatch_render::dashboard::json(&sites, &[]);
    let with_values = botwatch_render::dashboard::json(&sites, &values);
    let panels = |json: &str| json.matches("\"gridPos\"").count();
    eprintln!(
        "dashboard of 1,000 functions: {} KiB, {} panels; with 200 declared metrics: {} KiB, {} panels ({:.2}x the bytes)",
        alone.len() / 1024,
        panels(&alone),
        with_values.len() / 1024,
        panels(&with_values),
        with_values.len() as f64 / alone.len() as f64
    );
    group.bench_function("1000_functions_200_declared", |b| {
        b.iter(|| black_box(botwatch_render::dashboard::json(&sites, &values)))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, rules);
criterion_main!(benches);
