//! `normalize_path` on typical and hostile request targets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use portcullis::normalize::{Options, normalize_path};

const PATHS: [(&str, &str); 10] = [
    ("short", "/healthz"),
    ("rest_item", "/api/v1/orders/42"),
    (
        "rest_query",
        "/api/v1/orders/8f3a9c1e/items?verbose=1&page=2",
    ),
    (
        "long_clean",
        "/api/v1/tenants/acme/projects/portcullis/pipelines/1234/jobs/5678/logs/artifacts/output.txt",
    ),
    ("dot_segments", "/api/v1/./orders/../orders/42/./items"),
    ("unreserved_escapes", "/api/v1/%6Frders/%34%32"),
    ("kept_escapes", "/files/report%20final%2Epdf"),
    ("encoded_traversal", "/api/v1/orders/..%2f..%2fadmin"),
    ("overlong_utf8", "/api/v1/%C0%AE%C0%AE/admin"),
    ("many_slashes", "//api///v1////orders/////42"),
];

fn normalize(c: &mut Criterion) {
    let options = Options::default();
    let mut group = c.benchmark_group("normalize_path");
    for (name, path) in PATHS {
        group.bench_with_input(BenchmarkId::from_parameter(name), path, |b, path| {
            b.iter(|| black_box(normalize_path(black_box(path), &options).is_ok()));
        });
    }
    let deep = format!("/{}", "a/../".repeat(800));
    group.bench_function("hostile_deep_dots", |b| {
        b.iter(|| black_box(normalize_path(black_box(&deep), &options).is_ok()));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30);
    targets = normalize
}
criterion_main!(benches);
