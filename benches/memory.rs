//! Memory: bytes a compiled policy holds (and allocates while compiling), for every
//! workload shape at 10 to 10,000 rules, counted by an instrumented global allocator,
//! with the compiled tree's depth and leaf sizes; then a quick check that `evaluate`
//! allocates nothing (the mix per label and the uniform stream, at 1,000 and 10,000
//! rules). Prints a table; exits non-zero when a valid request allocates, unless it
//! matched more than 8 audit rules of a policy with more than 256 (the documented
//! bound).
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
use portcullis_support::tree_stats::TreeStats;
use portcullis_support::workload::{Config, Effect, Label, Req, SIZES, Shape, Workload};
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
    // `cargo bench` passes `--bench`, and a combined invocation passes criterion's
    // flags with their values (`--warm-up-time 1`); a filter argument that matches
    // nothing skips us.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if portcullis_support::bench_args::filtered_out("memory", &args) {
        return ExitCode::SUCCESS;
    }
    let mut failed = false;
    println!("workloads at 10,000 rules: what the rules test (counts of rules)");
    println!(
        "{:>16} | {:>5} | {:>5} | {:>5} | {:>5} | {:>5} | {:>6} | {:>6} | {:>5} | {:>5} | {:>10} | {:>5} | {:>10} | {:>5}",
        "shape",
        "allow",
        "deny",
        "audit",
        "exact",
        "glob",
        "source",
        "header",
        "attr",
        "regex",
        "namespaces",
        "hosts",
        "identities",
        "paths"
    );
    for shape in Shape::ALL {
        let s = Workload::generate(Config {
            uniform_requests: 0,
            ..Config::shaped(shape, 10_000)
        })
        .summary();
        println!(
            "{:>16} | {:>5} | {:>5} | {:>5} | {:>5} | {:>5} | {:>6} | {:>6} | {:>5} | {:>5} | {:>10} | {:>5} | {:>10} | {:>5}",
            shape.name(),
            s.allow,
            s.deny,
            s.audit,
            s.exact,
            s.glob,
            s.source,
            s.header,
            s.attr,
            s.regex,
            s.namespaces,
            s.hosts,
            s.identities,
            s.paths
        );
    }
    println!();
    println!("memory: compiled policy size (System allocator, counted) and tree shape");
    println!(
        "{:>16} | {:>7} | {:>14} | {:>9} | {:>18} | {:>11} | {:>6} | {:>9} | {:>10} | {:>8} | {:>9} | {:>12}",
        "shape",
        "rules",
        "held (bytes)",
        "per rule",
        "allocated (bytes)",
        "allocations",
        "leaves",
        "max depth",
        "mean depth",
        "max leaf",
        "mean leaf",
        "entries/rule"
    );
    let mut checks = Vec::new();
    for shape in Shape::ALL {
        for rules in SIZES {
            let workload = Workload::generate(Config::shaped(shape, rules));
            let text = workload.policy_text();
            let region = Region::new();
            let policy = Policy::compile(&text).expect("generated policy compiles");
            let change = region.change();
            let held = change.bytes_allocated as i64 - change.bytes_freed as i64;
            let tree = TreeStats::from_dump(&policy.dump_tree());
            println!(
                "{:>16} | {rules:>7} | {held:>14} | {:>9.0} | {:>18} | {:>11} | {:>6} | {:>9} | {:>10.1} | {:>8} | {:>9.1} | {:>12.2}",
                shape.name(),
                held as f64 / rules as f64,
                change.bytes_allocated,
                change.allocations,
                tree.leaves,
                tree.max_depth,
                tree.mean_depth,
                tree.max_leaf,
                tree.mean_leaf,
                tree.entries as f64 / rules as f64,
            );
            if rules == 1_000 || rules == 10_000 {
                checks.push((shape, rules, workload, policy));
            }
        }
    }
    println!();
    println!(
        "memory: allocations during evaluate (each request once, after one warm-up), 1,000 and 10,000 rules"
    );
    println!(
        "{:>16} | {:>7} | {:>18} | {:>8} | {:>11} | {:>12}",
        "shape", "rules", "requests", "count", "allocations", "audit rules"
    );
    for (shape, rules, workload, policy) in &checks {
        let audits = workload
            .rules
            .iter()
            .filter(|r| r.effect == Effect::Audit)
            .count();
        let mut sets: Vec<(String, Vec<&Req>)> = Label::ALL
            .iter()
            .map(|l| (format!("mix: {}", l.name()), workload.with_label(*l)))
            .collect();
        sets.push(("uniform".to_string(), workload.uniform.iter().collect()));
        for (name, reqs) in sets {
            let requests: Vec<_> = reqs.iter().map(|r| r.request()).collect();
            // The documented exception: a request matching more than 8 audit rules of
            // a policy with more than 256.
            // Also the warm-up: regex caches are made on first use.
            let mut excused = false;
            for r in &requests {
                let matched = policy.evaluate(r).audit().count();
                excused |= audits > 256 && matched > 8;
            }
            let region = Region::new();
            for r in &requests {
                let d = policy.evaluate(black_box(r));
                black_box((d.is_allowed(), d.reason() == Reason::InvalidRequest));
            }
            let allocations = region.change().allocations;
            println!(
                "{:>16} | {rules:>7} | {name:>18} | {:>8} | {allocations:>11} | {audits:>12}",
                shape.name(),
                requests.len()
            );
            if allocations > 0 && !excused {
                failed = true;
            }
        }
    }
    if failed {
        println!(
            "FAIL: evaluate allocated (and no request matched more than 8 of over 256 audit rules)"
        );
        ExitCode::FAILURE
    } else {
        println!(
            "ok: evaluate allocated nothing (beyond the documented case: more than 8 of over 256 audit rules matched)"
        );
        ExitCode::SUCCESS
    }
}
