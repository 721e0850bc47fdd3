//! Parsing never panics, and printing a parsed tree gives text that parses to the
//! same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::syntax;

fuzz_target!(|text: &str| {
    if let Ok(file) = syntax::parse(text) {
        let printed = syntax::print(&file);
        let again = syntax::parse(&printed);
        assert!(again.is_ok(), "printed text does not parse:\n{printed}");
        if let Ok(again) = again {
            assert_eq!(syntax::print(&again), printed, "print is not a fixpoint");
        }
    }
});
