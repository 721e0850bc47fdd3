//! Normalization never panics, and normalizing a normalized path changes nothing,
//! under every combination of options; host normalization never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_support::fuzz_properties::normalize as property;

fuzz_target!(|input: (u8, &str)| {
    let (bits, path) = input;
    property::check_path(bits, path);
    property::check_host(path);
});
