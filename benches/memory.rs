//! Memory: bytes a compiled policy holds (and allocates while compiling), at 10 to
//! 10,000 rules, counted by an instrumented global allocator; then a quick check that
//! `evaluate` allocates nothing. Prints a table; exits non-zero when a valid request
//! allocates while the policy has at most 256 audit rules (the documented bound).
#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::ExitCode;

use portcullis::{Policy, Reason};
use portcullis_support::workload::{Config, Effect, Label, SIZES, Workload};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting calls and bytes. (A global allocator can only be
/// written with `unsafe`; the library itself forbids it.)
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        ALLOCATED.fetch_add(layout.size(), Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        FREED.fetch_add(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        ALLOCATED.fetch_add(new_size, Relaxed);
        FREED.fetch_add(layout.size(), Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Counters since a start point.
struct Change {
    allocations: usize,
    bytes_allocated: usize,
    bytes_freed: usize,
}

/// A start point for [`Change`].
struct Region(usize, usize, usize);

impl Region {
    fn new() -> Region {
        Region(
            ALLOCATIONS.load(Relaxed),
            ALLOCATED.load(Relaxed),
            FREED.load(Relaxed),
        )
    }

    fn change(&self) -> Change {
        Change {
            allocations: ALLOCATIONS.load(Relaxed) - self.0,
            bytes_allocated: ALLOCATED.load(Relaxed) - self.1,
            bytes_freed: FREED.load(Relaxed) - self.2,
        }
    }
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; a filter argument that matches nothing skips us.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !filter.is_empty() && !filter.iter().any(|f| "memory".contains(f.as_str())) {
        return ExitCode::SUCCESS;
    }
    let mut failed = false;
    println!("memory: compiled policy size (System allocator, counted)");
    println!(
        "{:>7} | {:>14} | {:>10} | {:>18} | {:>12}",
        "rules", "held (bytes)", "per rule", "allocated (bytes)", "allocations"
    );
    let mut checks = Vec::new();
    for rules in SIZES {
        let workload = Workload::generate(Config::full(rules));
        let text = workload.policy_text();
        let region = Region::new();
        let policy = Policy::compile(&text).expect("generated policy compiles");
        let change = region.change();
        let held = change.bytes_allocated as i64 - change.bytes_freed as i64;
        println!(
            "{rules:>7} | {held:>14} | {:>10.0} | {:>18} | {:>12}",
            held as f64 / rules as f64,
            change.bytes_allocated,
            change.allocations,
        );
        checks.push((rules, workload, policy));
    }
    println!();
    println!(
        "memory: allocations during evaluate (each request of the mix once, after one warm-up)"
    );
    println!(
        "{:>7} | {:>18} | {:>8} | {:>11} | {:>12}",
        "rules", "label", "requests", "allocations", "audit rules"
    );
    for (rules, workload, policy) in &checks {
        let audits = workload
            .rules
            .iter()
            .filter(|r| r.effect == Effect::Audit)
            .count();
        for label in Label::ALL {
            let requests: Vec<_> = workload
                .with_label(label)
                .iter()
                .map(|r| r.request())
                .collect();
            for r in &requests {
                black_box(policy.evaluate(r).is_allowed());
            }
            let region = Region::new();
            let mut invalid = 0;
            for r in &requests {
                let d = policy.evaluate(black_box(r));
                invalid += usize::from(d.reason() == Reason::InvalidRequest);
                black_box(d.is_allowed());
            }
            let change = region.change();
            let allocations = change.allocations;
            println!(
                "{rules:>7} | {:>18} | {:>8} | {allocations:>11} | {audits:>12}",
                label.name(),
                requests.len()
            );
            let _ = invalid;
            if allocations > 0 && audits <= 256 {
                failed = true;
            }
        }
    }
    if failed {
        println!("FAIL: evaluate allocated with at most 256 audit rules");
        ExitCode::FAILURE
    } else {
        println!("ok: evaluate allocated nothing (beyond the documented >256-audit-rule case)");
        ExitCode::SUCCESS
    }
}
