//! Parsing never panics, and printing a parsed tree gives text that parses to the
//! same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_support::fuzz_properties::parse as property;

fuzz_target!(|text: &str| property::check(text));
