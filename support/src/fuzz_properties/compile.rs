//! The `compile` target's property: checking and compiling arbitrary source never
//! panics; a compiled tree keeps its invariants (`Policy::validate_tree`); errors
//! always have diagnostics and render.

use portcullis::Policy;

/// Panics when the property does not hold for `text`.
pub fn check(text: &str) {
    match Policy::compile(text) {
        Ok(policy) => {
            if let Err(e) = policy.validate_tree() {
                panic!("the compiled tree breaks an invariant: {e}");
            }
            let _ = policy.dump_tree();
            let _ = policy.run_tests();
        }
        Err(err) => {
            assert!(!err.diagnostics().is_empty());
            let _ = err.to_string();
        }
    }
}
