//! `normalize_path` on typical and hostile request targets; a whole request
//! (`normalize_request`) and its parts: host, identity, headers and attributes.
//!
//! `normalize_request` returns an owned copy of the normalized request, so it
//! allocates where evaluation, which normalizes into borrowed stack buffers, does not:
//! the request group measures the checks and that copy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use portcullis::Request;
use portcullis::normalize::{Options, normalize_host, normalize_path, normalize_request};

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

    let mut group = c.benchmark_group("normalize_request");
    let bare = Request::new("GET", "/api/v1/orders/42?verbose=1");
    let with_identity = bare
        .clone()
        .identity("spiffe://prod.example.com/ns/web/sa/frontend");
    let with_host = bare.clone().host("Payments.prod.svc:8443");
    let with_headers = bare
        .clone()
        .header("x-env", b"prod")
        .header("user-agent", b"curl/8.0")
        .attr("tenant", "acme");
    let whole = with_identity
        .clone()
        .host("Payments.prod.svc:8443")
        .port(8443)
        .source(std::net::IpAddr::from([10, 1, 2, 3]))
        .header("x-env", b"prod")
        .header("user-agent", b"curl/8.0")
        .attr("tenant", "acme");
    for (name, request) in [
        ("path_only", &bare),
        ("identity", &with_identity),
        ("host", &with_host),
        ("headers_attrs", &with_headers),
        ("whole", &whole),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(normalize_request(black_box(request), &options).is_ok()));
        });
    }
    group.bench_function("host_alone", |b| {
        b.iter(|| black_box(normalize_host(black_box("Payments.prod.svc:8443")).is_ok()));
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
