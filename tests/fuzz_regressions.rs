//! Regression tests from fuzzing (`fuzz/`, see `fuzz/README.md`).
//!
//! Every crash a fuzz target finds is added here as a test, minimized, with the target
//! that found it and what it found. The runs recorded in `docs/security.md` found none
//! so far. The properties of the text targets are also replayed here on their committed
//! seeds (`fuzz/corpus/TARGET/seed-*`), so that stable `cargo test` checks them too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use portcullis::normalize::{
    Backslash, EscapedSlashes, Options, Semicolon, normalize_host, normalize_path,
};
use portcullis::{Policy, syntax};

/// The committed seeds of one target, as bytes.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut seeds: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .expect("seed directory")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("seed-"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).expect("seed file"),
            )
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// The `parse` target's property.
fn parse_property(text: &str) {
    if let Ok(file) = syntax::parse(text) {
        let printed = syntax::print(&file);
        let again = syntax::parse(&printed)
            .unwrap_or_else(|e| panic!("printed text does not parse: {e}\n{printed}"));
        assert_eq!(syntax::print(&again), printed, "print is not a fixpoint");
    }
}

/// The `compile` target's property.
fn compile_property(text: &str) {
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

/// The `normalize` target's property, for every combination of options.
fn normalize_property(path: &str) {
    for bits in 0..=255u8 {
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
                "not idempotent for {path:?} under {options:?}"
            );
        }
    }
    let _ = normalize_host(path);
}

#[test]
fn parse_and_compile_seeds_keep_their_properties() {
    for target in ["parse", "compile"] {
        for (name, bytes) in seeds(target) {
            let text = String::from_utf8(bytes).expect("text seed");
            parse_property(&text);
            compile_property(&text);
            // The seeds are meant to be valid policies, so that mutations start deep.
            assert!(
                Policy::compile(&text).is_ok(),
                "{target}/{name} does not compile"
            );
        }
    }
}

#[test]
fn normalize_seeds_keep_their_property() {
    for (_, bytes) in seeds("normalize") {
        // The target reads one options byte, then the path.
        let path = String::from_utf8_lossy(bytes.get(1..).unwrap_or_default()).into_owned();
        normalize_property(&path);
    }
}
