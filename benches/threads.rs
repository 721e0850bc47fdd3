//! Two threads sharing one `Arc`'d policy, each evaluating the mixed requests; compared
//! with one thread doing the same. Time per iteration = one decision on each thread.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use portcullis::{Policy, Request};
use portcullis_support::workload::{Config, Req, Workload};

fn decide_all(policy: &Policy, requests: &[Request<'_>], iters: u64) {
    let mut i = 0;
    for _ in 0..iters {
        black_box(policy.evaluate(black_box(&requests[i])).is_allowed());
        i = if i + 1 == requests.len() { 0 } else { i + 1 };
    }
}

fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads");
    for rules in [100, 10_000] {
        let workload = Workload::generate(Config::full(rules));
        let policy = Arc::new(Policy::compile(&workload.policy_text()).expect("compiles"));
        let requests: Vec<Request<'_>> = workload.requests.iter().map(Req::request).collect();
        group.bench_with_input(BenchmarkId::new("1_thread", rules), &(), |b, ()| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                decide_all(&policy, &requests, iters);
                start.elapsed()
            });
        });
        group.bench_with_input(BenchmarkId::new("2_threads_shared", rules), &(), |b, ()| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..2 {
                        let policy = Arc::clone(&policy);
                        let requests = &requests;
                        s.spawn(move || decide_all(&policy, requests, iters));
                    }
                });
                start.elapsed()
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = threads
}
criterion_main!(benches);
