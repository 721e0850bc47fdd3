//! Regression tests from fuzzing (`fuzz/`, see `fuzz/README.md`).
//!
//! Every crash a fuzz target finds is added here as a test, minimized, with the target
//! that found it and what it found. The runs recorded in `docs/security.md` found none
//! so far. The properties of the text targets are also replayed here on their committed
//! seeds (`fuzz/corpus/TARGET/seed-*`), so that stable `cargo test` checks them too: the
//! same code the targets run, from `portcullis-support` (`support/src/fuzz_properties`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use portcullis::Policy;

use portcullis_support::fuzz_properties::{compile, normalize, parse};

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

#[test]
fn parse_and_compile_seeds_keep_their_properties() {
    for target in ["parse", "compile"] {
        for (name, bytes) in seeds(target) {
            let text = String::from_utf8(bytes).expect("text seed");
            parse::check(&text);
            compile::check(&text);
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
        // Every combination of options.
        for bits in 0..=255u8 {
            normalize::check_path(bits, &path);
        }
        normalize::check_host(&path);
    }
}
