//! Checking and compiling arbitrary source never panics; errors always render.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::Policy;

fuzz_target!(|text: &str| {
    match Policy::compile(text) {
        Ok(policy) => {
            let _ = policy.run_tests();
        }
        Err(err) => {
            assert!(!err.diagnostics().is_empty());
            let _ = err.to_string();
        }
    }
});
