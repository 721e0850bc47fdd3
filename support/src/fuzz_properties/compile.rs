//! The `compile` target's property: checking and compiling arbitrary source never
//! panics; errors always have diagnostics and render.

use portcullis::Policy;

/// Panics when the property does not hold for `text`.
pub fn check(text: &str) {
    match Policy::compile(text) {
        Ok(policy) => {
            let _ = policy.run_tests();
        }
        Err(err) => {
            assert!(!err.diagnostics().is_empty());
            let _ = err.to_string();
        }
    }
}
