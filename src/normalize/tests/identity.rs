//! The directory of an identity: the bytes up to and including its last `/`, which
//! the `prefix/*` globs compare against without searching.

use super::super::identity::check_identity;

#[test]
fn the_directory_is_up_to_the_last_slash() {
    let long_domain = format!("spiffe://{}/a", "t".repeat(255));
    for (identity, dir) in [
        ("spiffe://prod.example.com/ns/web/sa/frontend", 36),
        ("spiffe://example.org", 9),
        ("spiffe://td/x", 12),
        ("CN=frontend,O=Example", 0),
        ("a/b/c", 4),
        ("a/b/", 4),
        ("a//b", 3),
        ("https://example.com/a", 20),
        (long_domain.as_str(), 9 + 255 + 1),
    ] {
        assert_eq!(check_identity(identity, 2048), Ok(dir), "{identity:?}");
        let expected = identity.rfind('/').map_or(0, |i| i + 1);
        assert_eq!(dir, expected, "{identity:?}");
    }
}

// --- the word scan of a SPIFFE path against the byte loop ---

use proptest::prelude::*;

use super::super::identity::{check_spiffe_path, spiffe_path_bytes};

fn assert_paths_agree(path: &[u8]) {
    assert_eq!(
        check_spiffe_path(path),
        spiffe_path_bytes(path),
        "{:?}",
        String::from_utf8_lossy(path)
    );
}

/// Every byte at every position of a valid path long enough for several words, and
/// every pair that starts a dot segment or an empty one, on either side of a word
/// boundary.
#[test]
fn the_word_scan_agrees_with_the_byte_loop_at_every_offset() {
    let valid = b"/ns/payments/sa/orders-api.v2/x";
    assert_eq!(check_spiffe_path(valid), Ok(30));
    for at in 1..valid.len() {
        for b in 0..=255u8 {
            let mut path = valid.to_vec();
            path[at] = b;
            assert_paths_agree(&path);
            path.truncate(at + 1);
            assert_paths_agree(&path);
        }
        for pair in [b"/.", b"//", b"./", b"..", b".a"] {
            let mut path = valid.to_vec();
            path.splice(at..at, pair.iter().copied());
            assert_paths_agree(&path);
            path.truncate(at + 2);
            assert_paths_agree(&path);
        }
    }
}

fn spiffe_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9_-]{1,12}",
        2 => prop::sample::select(vec![
            "/", "/", "/", "//", ".", "..", "/./", "/../", "/.", "/..", "...", ".a", "%2e", "\\",
            ";", "?", "#", ":", "@", " ", "\t", "\u{0}", "\u{7f}", "é", "\u{85}", "\u{2028}",
        ])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_word_scan_is_exact_on_hostile_paths(
        parts in prop::collection::vec(spiffe_piece(), 0..16)
    ) {
        let path = format!("/{}", parts.concat());
        assert_paths_agree(path.as_bytes());
        let identity = format!("spiffe://prod.example.com{path}");
        if let Ok(dir) = check_identity(&identity, 2048) {
            prop_assert_eq!(dir, identity.rfind('/').map_or(0, |i| i + 1));
        }
    }
}
