//! What one poll of the live page costs: building `/snapshot.json` for 100 to 10,000
//! annotated functions (`#[counted]`, each called once), with the page's history filling
//! as the benchmark polls, as it would with the page open. Budget: 1 ms for 1,000.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

mod many {
    include!(concat!(env!("OUT_DIR"), "/many.rs"));
}

fn live(c: &mut Criterion) {
    many::call_all();
    for count in [1_000usize, 10_000] {
        let json = botwatch::for_benches::live_snapshot_json_first(count);
        eprintln!(
            "snapshot.json for {count} functions: {} KiB",
            json.len() / 1024
        );
    }
    let mut group = c.benchmark_group("live_snapshot_json");
    for count in [100usize, 1_000, 10_000] {
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, &count| {
            b.iter(|| black_box(botwatch::for_benches::live_snapshot_json_first(count)))
        });
    }
    group.finish();
}

criterion_group!(benches, live);
criterion_main!(benches);
