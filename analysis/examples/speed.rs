//! How long `diff` and `lint` take on the benchmark workload (issue 11, item 8):
//!
//! ```text
//! cargo run --release -p portcullis-analysis --example speed -- 1000 [PHASE]
//! ```
//!
//! PHASE (`same`, `variant`, `by-rule`, `lint`) runs one measurement only, so that
//! `time` can give its CPU time on a busy machine.
//!
//! Generates the workload of `support/src/workload.rs` (every feature: headers,
//! regular expressions, audit rules) with N rules (default 1,000) and a variant of
//! it (every 50th rule loses a method, every 100th is dropped, a `deny` added), and
//! times `diff` of the workload with itself and with the variant, and `lint` of the
//! workload.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use portcullis::Policy;
use portcullis_analysis::{DiffOptions, diff, lint};
use portcullis_support::workload::{Config, Effect, Workload};

fn main() {
    let rules: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    let phase = std::env::args().nth(2).unwrap_or_default();
    let run = |name: &str| phase.is_empty() || phase == name;
    let workload = Workload::generate(Config::full(rules));
    let text = workload.policy_text();
    let mut variant = workload.clone();
    for (i, rule) in variant.rules.iter_mut().enumerate() {
        if i % 50 == 7 && rule.methods.len() > 1 {
            rule.methods.pop();
        }
    }
    let mut i = 0;
    variant.rules.retain(|_| {
        i += 1;
        i % 100 != 0
    });
    if let Some(mut extra) = variant.rules.get(3).cloned() {
        extra.name = "variant: no patches".into();
        extra.effect = Effect::Deny;
        extra.methods = vec!["PATCH"];
        variant.rules.insert(1, extra);
    }
    let variant_text = variant.policy_text();
    let old = Policy::compile(&text).expect("the workload compiles");
    let new = Policy::compile(&variant_text).expect("the variant compiles");

    if run("same") {
        let start = Instant::now();
        let same = diff(&old, &old, &DiffOptions::default()).expect("diff");
        println!(
            "diff workload/itself  {rules:>6} rules: {:>8.3} s, {} differences, undecided {}",
            start.elapsed().as_secs_f64(),
            same.differences.len(),
            same.undecided
        );
    }

    if run("variant") {
        let start = Instant::now();
        let changed = diff(&old, &new, &DiffOptions::default()).expect("diff");
        println!(
            "diff workload/variant {rules:>6} rules: {:>8.3} s, {} differences, undecided {}",
            start.elapsed().as_secs_f64(),
            changed.differences.len(),
            changed.undecided
        );
    }

    if run("by-rule") {
        let mut by_rule = DiffOptions::default();
        by_rule.by_rule = true;
        let start = Instant::now();
        let changed = diff(&old, &new, &by_rule).expect("diff");
        println!(
            "diff --by-rule        {rules:>6} rules: {:>8.3} s, {} differences, undecided {}",
            start.elapsed().as_secs_f64(),
            changed.differences.len(),
            changed.undecided
        );
    }

    if run("lint") {
        let start = Instant::now();
        let findings = lint(&[("workload.pcl", &text)]).expect("lint");
        println!(
            "lint workload         {rules:>6} rules: {:>8.3} s, {} findings",
            start.elapsed().as_secs_f64(),
            findings.len()
        );
        if std::env::var_os("SHOW").is_some() {
            for f in &findings {
                println!("{}", f.to_string().lines().next().unwrap_or(""));
            }
        }
    }
}
