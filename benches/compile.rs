//! `Policy::compile`: parse, check and build the tree, at 10 to 10,000 rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use portcullis::Policy;
use portcullis_support::workload::{Config, SIZES, Workload};

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    for rules in SIZES {
        let text = Workload::generate(Config::full(rules)).policy_text();
        if rules >= 1_000 {
            group.sample_size(10);
        }
        group.throughput(Throughput::Elements(rules as u64));
        group.bench_with_input(BenchmarkId::from_parameter(rules), &text, |b, text| {
            b.iter(|| black_box(Policy::compile(black_box(text)).map(|p| p.rule_count())));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = compile
}
criterion_main!(benches);
