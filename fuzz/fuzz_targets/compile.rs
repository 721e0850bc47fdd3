//! Checking and compiling arbitrary source never panics; errors always render.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_support::fuzz_properties::compile as property;

fuzz_target!(|text: &str| property::check(text));
