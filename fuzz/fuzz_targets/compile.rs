//! Checking and compiling arbitrary source never panics; errors always render.
#![no_main]

#[path = "../../tests/fuzz_properties/compile.rs"]
mod property;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| property::check(text));
