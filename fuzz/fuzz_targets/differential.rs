//! Differential fuzzing: the compiled decision tree against the reference evaluator of
//! `portcullis-support` (`support/src/reference`, which reads the rules and the
//! decision order of `docs/language.md` rule by rule), on structured policies and
//! requests.
//!
//! The reference's proptest strategies build the policy, the split into sources, the
//! options and the requests, from a random stream seeded by the fuzzer's bytes, so
//! every input is a different structured case. The reference code is not copied: it is the same module the
//! `differential` test uses, and its `Compiled::new` also checks every compiled tree's
//! invariants (`Policy::validate_tree`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use portcullis_support::reference::compare::Compiled;
use portcullis_support::reference::generate;

/// One value of `strategy`, drawn from the runner's byte stream.
fn draw<S: Strategy>(strategy: S, runner: &mut TestRunner) -> Option<S::Value> {
    strategy.new_tree(runner).ok().map(|tree| tree.current())
}

fuzz_target!(|data: &[u8]| {
    // The input seeds a ChaCha stream. (Reading the input itself as the stream,
    // `PassThrough`, yields zeros once it runs out, and some strategies then retry
    // forever: the target stalled on its first input.)
    let mut seed = [0u8; 32];
    for (i, byte) in data.iter().enumerate() {
        if let Some(slot) = seed.get_mut(i % 32) {
            *slot = slot.rotate_left(3) ^ byte;
        }
    }
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let Some(policy) = draw(generate::policy(0..41), &mut runner) else {
        return;
    };
    let Some(cuts) = draw(prop::collection::vec(0..=40usize, 0..3), &mut runner) else {
        return;
    };
    let Some(options) = draw(generate::options(), &mut runner) else {
        return;
    };
    let Some(requests) = draw(
        prop::collection::vec(generate::request(), 1..17),
        &mut runner,
    ) else {
        return;
    };
    let compiled = match Compiled::new(&policy, &cuts, options) {
        Ok(compiled) => compiled,
        Err(e) => panic!("{e}"),
    };
    for req in &requests {
        let (expected, actual) = compiled.outcomes(req);
        assert_eq!(
            expected,
            actual,
            "decision differs from the reference (left: reference, right: library)\n  \
             request: {req:?}\n  options: {options:?}\n--- policy ---\n{}",
            compiled.sources()
        );
    }
});
