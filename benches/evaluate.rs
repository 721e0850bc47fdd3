//! `Policy::evaluate` per request label and on the mixed stream, at 10 to 10,000 rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use portcullis::{Policy, Request};
use portcullis_support::workload::{Config, Label, Req, SIZES, Workload};

/// How many requests of the mix Portcullis decides as labelled (printed, not asserted:
/// the bench measures, the tests check).
fn agreement(policy: &Policy, requests: &[Req]) -> usize {
    requests
        .iter()
        .filter(|r| r.decided_as_labelled(policy))
        .count()
}

/// Evaluates the requests round-robin, one per iteration.
fn run(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    policy: &Policy,
    requests: &[Request<'_>],
) {
    if requests.is_empty() {
        return;
    }
    c.bench_function(id, |b| {
        let mut i = 0;
        b.iter(|| {
            let r = &requests[i];
            i = if i + 1 == requests.len() { 0 } else { i + 1 };
            black_box(policy.evaluate(black_box(r)).is_allowed())
        });
    });
}

fn evaluate(c: &mut Criterion) {
    for rules in SIZES {
        let workload = Workload::generate(Config::full(rules));
        let policy = Policy::compile(&workload.policy_text()).expect("generated policy compiles");
        eprintln!(
            "evaluate/{rules}: {} rules compiled, {}/{} requests decided as labelled",
            policy.rule_count(),
            agreement(&policy, &workload.requests),
            workload.requests.len()
        );
        let mut group = c.benchmark_group(format!("evaluate/{rules}"));
        group.throughput(Throughput::Elements(1));
        for label in Label::ALL {
            let requests: Vec<Request<'_>> = workload
                .with_label(label)
                .iter()
                .map(|r| r.request())
                .collect();
            run(&mut group, label.name(), &policy, &requests);
        }
        let mixed: Vec<Request<'_>> = workload.requests.iter().map(Req::request).collect();
        run(&mut group, "mixed", &policy, &mixed);
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50);
    targets = evaluate
}
criterion_main!(benches);
