//! The `normalize` target's property: path normalization never panics, and normalizing
//! a normalized path changes nothing, under every combination of options; host
//! normalization never panics.

use portcullis::normalize::{
    Backslash, EscapedSlashes, Options, Semicolon, normalize_host, normalize_path,
};

/// The normalization options that one byte of fuzz input selects; the bytes `0..=255`
/// give every combination.
fn options(bits: u8) -> Options {
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
    options
}

/// Panics when normalizing `path` under the options `bits` selects gives a path that
/// does not start with `/` or that normalizes to something else.
pub fn check_path(bits: u8, path: &str) {
    let options = options(bits);
    if let Ok(once) = normalize_path(path, &options) {
        assert!(once.starts_with('/'));
        let twice = normalize_path(&once, &options);
        assert_eq!(
            twice.as_deref(),
            Ok(once.as_str()),
            "not idempotent for {path:?} under {options:?}"
        );
    }
}

/// Normalizes `host`. Hosts lose one trailing dot per normalization (`docs/language.md`,
/// *Request normalization*), so the
/// property is only "never panics".
pub fn check_host(host: &str) {
    let _ = normalize_host(host);
}
