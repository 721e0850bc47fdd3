//! Decides the labelled request mix of the workload many times, in one function that
//! does nothing else, for counting instructions per decision under callgrind (this
//! machine has no hardware counters, and instruction counts do not depend on load):
//!
//! ```sh
//! CARGO_PROFILE_RELEASE_DEBUG=true cargo build --release -p portcullis-support --example decisions
//! valgrind --tool=callgrind --toggle-collect='decisions::decide_all' \
//!   target/release/examples/decisions 1000 mixed
//! callgrind_annotate --inclusive=yes callgrind.out.<pid>
//! ```
//!
//! The total of `callgrind_annotate` divided by the number of decisions the example
//! prints is the count per decision. Arguments: the number of rules (default 1,000)
//! and the label (`mixed`, the default, or one of `allowed`, `denied_by_rule`,
//! `denied_by_default`, `invalid`).

use std::hint::black_box;

use portcullis::{Policy, Request};
use portcullis_support::workload::{Config, Req, Workload};

/// How many times the mix is decided.
const ROUNDS: usize = 20;

/// Decides every request `rounds` times; returns how many were allowed.
#[inline(never)]
fn decide_all(policy: &Policy, requests: &[Request<'_>], rounds: usize) -> usize {
    let mut allowed = 0;
    for _ in 0..rounds {
        for request in requests {
            if policy.evaluate(black_box(request)).is_allowed() {
                allowed += 1;
            }
        }
    }
    allowed
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rules: usize = args.next().map_or(Ok(1_000), |a| a.parse())?;
    let label = args.next().unwrap_or_else(|| "mixed".to_string());
    let workload = Workload::generate(Config::full(rules));
    let policy = Policy::compile(&workload.policy_text())?;
    let requests: Vec<Request<'_>> = workload
        .requests
        .iter()
        .filter(|r| label == "mixed" || r.label.name() == label)
        .map(Req::request)
        .collect();
    if requests.is_empty() {
        return Err(format!("no request has the label `{label}`").into());
    }
    let allowed = decide_all(&policy, &requests, ROUNDS);
    println!(
        "{rules} rules, {label}: {} decisions, {allowed} allowed",
        requests.len() * ROUNDS
    );
    Ok(())
}
