//! The distribution of single decisions: p50, p90 and p99 of `Policy::evaluate` per
//! request label and over the mixed stream, at 10 to 10,000 rules.
//!
//! Criterion (`benches/evaluate.rs`) reports the median of *batches*, each a mean
//! over many decisions. A latency target is about single decisions, so this bench
//! times each one: `Instant::now()` before and after, minus the median cost of the
//! two clock reads alone (measured the same way, printed). Each request of the mix is
//! decided `ROUNDS` times, interleaved, after a warm-up pass. Run with
//! `cargo bench --bench latency`; it prints a table and asserts nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Instant;

use portcullis::{Policy, Request};
use portcullis_support::workload::{Config, Label, Req, SIZES, Workload};

/// Passes over the request mix per size.
const ROUNDS: usize = 400;

/// The `q` quantile (0..=1) of sorted samples.
fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// Median nanoseconds of two back-to-back clock reads.
fn clock_overhead() -> u64 {
    let mut samples: Vec<u64> = (0..100_000)
        .map(|_| {
            let start = Instant::now();
            black_box(());
            start.elapsed().as_nanos() as u64
        })
        .collect();
    samples.sort_unstable();
    quantile(&samples, 0.5)
}

fn main() {
    // `cargo bench` passes `--bench`; a test run (`cargo test --benches`) passes nothing
    // and only checks that the bench builds and runs one small pass.
    let quick = !std::env::args().any(|a| a == "--bench");
    let overhead = clock_overhead();
    println!("clock overhead (median of two reads): {overhead} ns, subtracted below");
    println!();
    println!("| rules | class | p50 ns | p90 ns | p99 ns |");
    println!("|---:|---|---:|---:|---:|");
    let sizes: &[usize] = if quick { &[10] } else { &SIZES };
    let rounds = if quick { 2 } else { ROUNDS };
    for &rules in sizes {
        let workload = Workload::generate(Config::full(rules));
        let policy = Policy::compile(&workload.policy_text()).expect("generated policy compiles");
        let requests: Vec<(Label, Request<'_>)> = workload
            .requests
            .iter()
            .map(|r: &Req| (r.label, r.request()))
            .collect();
        for (_, r) in &requests {
            black_box(policy.evaluate(r).is_allowed());
        }
        let mut per_label: Vec<(Label, Vec<u64>)> =
            Label::ALL.iter().map(|&l| (l, Vec::new())).collect();
        let mut mixed = Vec::with_capacity(requests.len() * rounds);
        for _ in 0..rounds {
            for (label, r) in &requests {
                let start = Instant::now();
                black_box(policy.evaluate(black_box(r)).is_allowed());
                let ns = (start.elapsed().as_nanos() as u64).saturating_sub(overhead);
                mixed.push(ns);
                if let Some((_, samples)) = per_label.iter_mut().find(|(l, _)| l == label) {
                    samples.push(ns);
                }
            }
        }
        let rows = per_label
            .iter_mut()
            .map(|(l, s)| (l.name(), s))
            .chain(std::iter::once(("mixed", &mut mixed)));
        for (name, samples) in rows {
            samples.sort_unstable();
            println!(
                "| {rules} | {name} | {} | {} | {} |",
                quantile(samples, 0.5),
                quantile(samples, 0.9),
                quantile(samples, 0.99)
            );
        }
    }
}
