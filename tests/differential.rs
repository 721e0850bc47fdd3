//! Differential test: the compiled decision tree against the reference evaluator in
//! `portcullis-support` (`support/src/reference`), on random policies and random requests drawn from shared pools.
//! Every compiled tree is also checked with `Policy::validate_tree` (in `Compiled::new`).
//!
//! The number of cases is proptest's default (256), or `PROPTEST_CASES`:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release --test differential
//! ```
//!
//! (The big-policy property runs one case in 64 of that, at least 8: 1,562 big policies
//! of 200–1000 rules for the command above.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use portcullis::normalize::Options;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use portcullis_support::reference::compare::Compiled;
use portcullis_support::reference::eval::Outcome;
use portcullis_support::reference::generate;
use portcullis_support::reference::model::{self, Req};

/// Compiles the model (as one source, or cut into several) and compares every request's
/// decision with the reference's.
fn check(
    policy: &model::Policy,
    cuts: &[usize],
    options: Options,
    requests: &[Req],
) -> Result<(), TestCaseError> {
    let compiled = Compiled::new(policy, cuts, options).map_err(TestCaseError::fail)?;
    for req in requests {
        let (expected, actual) = compiled.outcomes(req);
        if expected != actual {
            return Err(TestCaseError::fail(format!(
                "decision differs from the reference\n  request:   {req:?}\n  options:   {options:?}\n  \
                 normalized: {:?}\n  reference: {expected:?}\n  library:   {actual:?}\n{}\
                 --- whole policy ({} sources) ---\n{}",
                portcullis::normalize::normalize_request(&req.as_request(), &options),
                minimized_once(policy, req, options),
                compiled.texts.len(),
                compiled.sources(),
            )));
        }
    }
    Ok(())
}

thread_local! {
    /// Whether this property (one thread each) has already minimized a failure.
    static MINIMIZED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The first failure of a property is minimized (see [`minimize`]) and the result is
/// printed to stderr at once and put in the message; proptest's own shrinking then
/// calls `check` again on smaller inputs, which are not minimized again (on big
/// policies that would take minutes per step).
fn minimized_once(policy: &model::Policy, req: &Req, options: Options) -> String {
    if MINIMIZED.with(|m| m.replace(true)) {
        return "(a minimized policy for the first failing input is printed above, on stderr)\n"
            .to_string();
    }
    let small = minimize(policy, req, options);
    let text = match disagreement(&small, req, options) {
        Some((expected, actual)) => format!(
            "--- minimized policy ({} of {} rules), same request and options ---\n{}\
             --- on it ---\n  reference: {expected:?}\n  library:   {actual:?}\n",
            small.rules.len(),
            policy.rules.len(),
            small.print(),
        ),
        None => "(the disagreement needs the policy cut into several sources)\n".to_string(),
    };
    eprintln!("differential: first failing request {req:?}\n  options: {options:?}\n{text}");
    text
}

/// The reference's and the library's outcomes when they differ on `req` (one source).
fn disagreement(policy: &model::Policy, req: &Req, options: Options) -> Option<(Outcome, Outcome)> {
    let (expected, actual) = Compiled::new(policy, &[], options).ok()?.outcomes(req);
    (expected != actual).then_some((expected, actual))
}

/// A smaller policy on which the library still disagrees with the reference about
/// `req`: drops runs of rules (halving the run length), then single conditions, then
/// unused `let`s, keeping each removal that keeps the disagreement.
fn minimize(policy: &model::Policy, req: &Req, options: Options) -> model::Policy {
    // At most this many compilations, so that minimizing ends in reasonable time.
    let budget = std::cell::Cell::new(3000u32);
    let fails = |p: &model::Policy| {
        budget.set(budget.get().saturating_sub(1));
        budget.get() > 0 && disagreement(p, req, options).is_some()
    };
    let mut p = policy.clone();
    if !fails(&p) {
        return p;
    }
    let mut run = p.rules.len().div_ceil(2).max(1);
    loop {
        let mut i = 0;
        while i < p.rules.len() {
            let mut q = p.clone();
            q.rules.drain(i..(i + run).min(q.rules.len()));
            if fails(&q) {
                p = q;
            } else {
                i += run;
            }
        }
        if run == 1 {
            break;
        }
        run = run.div_ceil(2);
    }
    for r in 0..p.rules.len() {
        let mut c = 0;
        while c < p.rules[r].conds.len() {
            let mut q = p.clone();
            q.rules[r].conds.remove(c);
            if fails(&q) {
                p = q;
            } else {
                c += 1;
            }
        }
    }
    let mut l = 0;
    while l < p.lets.len() {
        let mut q = p.clone();
        q.lets.remove(l);
        if fails(&q) {
            p = q;
        } else {
            l += 1;
        }
    }
    p
}

/// Rule indexes at which to cut the policy into sources (none most of the time).
fn cuts(max: usize) -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        3 => Just(Vec::new()),
        1 => prop::collection::vec(0..=max, 1..3),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn compiled_tree_agrees_with_reference(
        policy in generate::policy(0..41),
        cuts in cuts(40),
        options in generate::options(),
        requests in prop::collection::vec(generate::request(), 1..17),
    ) {
        check(&policy, &cuts, options, &requests)?;
    }
}

fn big_config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: (default.cases / 64).max(8),
        // `check` minimizes the first failure itself; proptest's shrinking of a
        // 1000-rule policy would mostly repeat that work.
        max_shrink_iters: default.max_shrink_iters.min(32),
        ..default
    }
}

proptest! {
    #![proptest_config(big_config())]

    /// Policies large enough that the tree splits (it keeps leaves of at most four
    /// rules), with many requests each.
    #[test]
    fn big_compiled_tree_agrees_with_reference(
        policy in generate::big_policy(),
        options in generate::options(),
        requests in prop::collection::vec(generate::request(), 32..65),
    ) {
        check(&policy, &[], options, &requests)?;
    }
}

/// The matchers of the reference itself, against the examples of `docs/language.md`.
#[test]
fn reference_matchers_follow_the_spec_examples() {
    use portcullis_support::reference::eval::{host_pattern, identity_glob, path_pattern};
    let paths: &[(&str, &str, bool)] = &[
        ("/static/**", "/static", true),
        ("/static/**", "/static/", true),
        ("/static/**", "/static/css/a.css", true),
        ("/static/**", "/staticx", false),
        ("/a", "/a/", false),
        ("/a/", "/a/", true),
        ("/a/", "/a", false),
        ("/*", "/", false),
        ("/{id}", "/42", true),
        ("/*.png", "/.png", true),
        ("/*.png", "/a.png/b", false),
        ("/v*/x", "/v1/x", true),
        ("/**", "/", true),
    ];
    for &(p, s, want) in paths {
        assert_eq!(path_pattern(p, s), want, "path {p} ~ {s}");
    }
    let ids: &[(&str, &str, bool)] = &[
        ("spiffe://p/ns/web/sa/*", "spiffe://p/ns/web/sa/x", true),
        ("spiffe://p/ns/web/sa/*", "spiffe://p/ns/web/sa/x/y", false),
        ("spiffe://p/**", "spiffe://p/ns/web/sa/x/y", true),
        ("spiffe://p/ns/*/sa/db", "spiffe://p/ns/x/y/sa/db", false),
        ("a", "A", false),
    ];
    for &(g, s, want) in ids {
        assert_eq!(identity_glob(g, s), want, "identity {g} ~ {s}");
    }
    let hosts: &[(&str, &str, bool)] = &[
        ("*.example", "a.example", true),
        ("*.example", "a.b.example", true),
        ("*.example", "example", false),
        ("*.example", ".example", false),
        ("Payments.SVC", "payments.svc", true),
        ("*", "anything", true),
    ];
    for &(p, h, want) in hosts {
        assert_eq!(host_pattern(p, h), want, "host {p} ~ {h}");
    }
}
