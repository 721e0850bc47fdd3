//! Normalization never panics, and normalizing a normalized path changes nothing,
//! under every combination of options; host normalization never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::normalize::{
    Backslash, EscapedSlashes, Options, Semicolon, normalize_host, normalize_path,
};

fuzz_target!(|input: (u8, &str)| {
    let (bits, path) = input;
    let mut options = Options::default();
    options.escaped_slashes = match bits % 3 {
        0 => EscapedSlashes::Reject,
        1 => EscapedSlashes::Decode,
        _ => EscapedSlashes::Keep,
    };
    options.backslash = if bits & 4 == 0 {
        Backslash::Reject
    } else {
        Backslash::Slash
    };
    options.semicolon = match (bits >> 3) % 3 {
        0 => Semicolon::Reject,
        1 => Semicolon::Keep,
        _ => Semicolon::Strip,
    };
    options.merge_slashes = bits & 64 == 0;
    options.strict_escapes = bits & 128 != 0;
    if let Ok(once) = normalize_path(path, &options) {
        assert!(once.starts_with('/'));
        let twice = normalize_path(&once, &options);
        assert_eq!(
            twice.as_deref(),
            Ok(once.as_str()),
            "not idempotent for {path:?}"
        );
    }
    // Hosts lose one trailing dot per normalization (spec §6), so only "never panics".
    let _ = normalize_host(path);
});
