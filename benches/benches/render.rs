//! `/metrics` render time for 10 to 10,000 annotated functions, for 100 functions with
//! 100 per-call label sets each, and for 1,000 declared metrics, and the memory each
//! function costs.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

mod many {
    include!(concat!(env!("OUT_DIR"), "/many.rs"));
}

mod labelled {
    include!(concat!(env!("OUT_DIR"), "/labelled.rs"));
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn render(c: &mut Criterion) {
    let before = resident_kib();
    many::call_all();
    let full = botwatch::for_benches::render_first_sites(usize::MAX);
    let after = resident_kib();
    eprintln!(
        "memory: CountedSite {} B static per function; resident growth after calling and rendering 10,000 functions: {} KiB ({:.0} B per function); /metrics text {} KiB",
        std::mem::size_of::<botwatch::__private::CountedSite>(),
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 * 1024.0 / 10_000.0,
        full.len() / 1024
    );
    let mut group = c.benchmark_group("render_metrics");
    for count in [10usize, 100, 1_000, 10_000] {
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, &count| {
            b.iter(|| black_box(botwatch::for_benches::render_first_sites(count)))
        });
    }
    group.finish();

    labelled::call_all();
    let module = module_path!().to_owned() + "::labelled";
    let text = botwatch::for_benches::render_module_sites(&module);
    assert!(
        text.contains("function=\"labelled_99\"") && text.contains("venue=\"venue_99\""),
        "every function's every label set is rendered"
    );
    eprintln!(
        "100 functions x 100 label sets: {} series lines, {} KiB",
        text.lines().filter(|l| !l.starts_with('#')).count(),
        text.len() / 1024
    );
    let mut group = c.benchmark_group("render_labelled");
    group.bench_function("100_functions_x_100_label_sets", |b| {
        b.iter(|| black_box(botwatch::for_benches::render_module_sites(&module)))
    });
    group.finish();

    many::touch_declared();
    let declared = botwatch::for_benches::render_declared();
    assert!(
        declared.contains("declared_999"),
        "every declared metric is rendered"
    );
    let mut group = c.benchmark_group("render_declared");
    group.bench_function("1000", |b| {
        b.iter(|| black_box(botwatch::for_benches::render_declared()))
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
