//! Parsing never panics, and printing a parsed tree gives text that parses to the
//! same tree.
#![no_main]

#[path = "../../tests/fuzz_properties/parse.rs"]
mod property;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| property::check(text));
