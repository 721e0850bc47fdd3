//! Path buffers, borrowing, and the segment count of a normalized path.

use proptest::prelude::*;

use super::super::path::{
    normalize_path, normalize_path_counted, normalize_path_rewritten, scan_bytes, scan_unchanged,
};
use super::super::{Backslash, EscapedSlashes, InvalidRequest, Options, PathBuffers, Semicolon};

#[test]
fn unchanged_paths_are_borrowed() {
    let o = Options::default();
    let mut buf = PathBuffers::default();
    let target = "/api/v1/orders/42.json?verbose=1";
    let got = normalize_path(target, &o, &mut buf);
    assert_eq!(got.map(str::as_ptr), Ok(target.as_ptr()));
    let mut buf = PathBuffers::default();
    let got = normalize_path("/a/./b", &o, &mut buf);
    assert_eq!(got, Ok("/a/b"));
    assert_eq!(buf.heap.capacity(), 0);
}

#[test]
fn only_paths_past_4096_bytes_use_the_heap() {
    let mut big = Options::default();
    big.limits.max_path_len = 10_000;
    let exactly = format!("/{}%41", "z".repeat(4092));
    let mut buf = PathBuffers::default();
    let got = normalize_path(&exactly, &big, &mut buf).map(str::len);
    assert_eq!(got, Ok(4094));
    assert_eq!(buf.heap.capacity(), 0);
    let long = format!("/{}/../b/./c%41//d", "x".repeat(6000));
    let mut buf = PathBuffers::default();
    assert_eq!(normalize_path(&long, &big, &mut buf), Ok("/b/cA/d"));
    assert!(buf.heap.capacity() >= long.len());
}

/// Every combination of the path options.
fn every_options() -> Vec<Options> {
    let mut all = Vec::new();
    for escaped in [
        EscapedSlashes::Reject,
        EscapedSlashes::Decode,
        EscapedSlashes::Keep,
    ] {
        for backslash in [Backslash::Reject, Backslash::Slash] {
            for semicolon in [Semicolon::Reject, Semicolon::Keep, Semicolon::Strip] {
                for merge in [true, false] {
                    all.push(Options {
                        escaped_slashes: escaped,
                        backslash,
                        semicolon,
                        merge_slashes: merge,
                        ..Options::default()
                    });
                }
            }
        }
    }
    all
}

/// The count is the number of `/` of the normalized path, whether the path was
/// borrowed (counted by the fast scan) or rewritten (counted again).
#[test]
fn counts_the_segments_of_the_normalized_path() {
    let paths = [
        "/",
        "/a",
        "/a/",
        "/a/b/c?x=/y",
        "//a//b/",
        "/a/./b/../c",
        "/a/%2e%2e/b",
        "/a%2Fb/c",
        "/a%5C..%5Cb",
        "/a\\b\\..\\c",
        "/a;x/b;y/",
        "/a/b/..",
        "/..",
        "/a%41/b",
        "/a//b/../c",
    ];
    let mut rewritten = 0;
    for o in every_options() {
        for p in paths {
            let mut buf = PathBuffers::default();
            if let Ok((normalized, segments)) = normalize_path_counted(p, &o, &mut buf) {
                assert_eq!(
                    segments,
                    normalized.matches('/').count(),
                    "{p:?} under {o:?}"
                );
                rewritten += usize::from(!std::ptr::eq(normalized.as_ptr(), p.as_ptr()));
            }
        }
    }
    assert!(rewritten > 0);
}

// --- the fast path against the full pass ---

/// The fast scan (eight bytes at a time, then byte by byte) and the byte-by-byte scan
/// alone find the same thing: that the path is unchanged, with the same end and
/// segment count, or where the full pass must start.
fn assert_scans_agree(path: &[u8]) {
    for merge in [true, false] {
        assert_eq!(
            scan_unchanged(path, merge),
            scan_bytes(path, 1, 1, merge),
            "{:?}, merge {merge}",
            String::from_utf8_lossy(path)
        );
    }
}

/// The normalizer with its fast path and the full pass alone give the same result,
/// error included.
fn assert_fast_path_is_exact(target: &str, options: &Options) {
    let mut fast = PathBuffers::default();
    let mut full = PathBuffers::default();
    let got: Result<(String, usize), InvalidRequest> =
        normalize_path_counted(target, options, &mut fast).map(|(p, n)| (p.to_owned(), n));
    let want = normalize_path_rewritten(target, options, &mut full).map(|(p, n)| (p.to_owned(), n));
    assert_eq!(got, want, "{target:?} under {options:?}");
}

/// Every byte at every position of a clean path long enough for several words, and
/// every pair that can start a dot segment or an empty one, on either side of a word
/// boundary.
#[test]
fn the_word_scan_agrees_with_the_byte_scan_at_every_offset() {
    let clean = b"/api/v1/orders/8f3a9c1e/items/0123";
    for at in 1..clean.len() {
        for b in 0..=255u8 {
            let mut path = clean.to_vec();
            path[at] = b;
            assert_scans_agree(&path);
            path.truncate(at + 1);
            assert_scans_agree(&path);
        }
        for pair in [b"/.", b"//", b"./", b".."] {
            let mut path = clean.to_vec();
            path.splice(at..at, pair.iter().copied());
            assert_scans_agree(&path);
            path.truncate(at + 2);
            assert_scans_agree(&path);
        }
    }
    for options in every_options() {
        for target in [
            "/abcdefg/.",
            "/abcdefg/..",
            "/abcdefg/./x",
            "/abcdefgh//",
            "/abcdefg//x",
            "/abcdefghijklmno/.well-known",
            "/abcdefghijklmno?/../#",
            "/abcdefghijklmno%2e",
            "/abcdefg/abcdefg/abcdefg/abcdefg/",
        ] {
            assert_fast_path_is_exact(target, &options);
        }
    }
}

/// A piece of a hostile path: escapes of every byte (either case), dot segments,
/// slashes, backslashes, `;`, `#`, `?`, controls, non-ASCII, overlong UTF-8, and plain
/// text of every length, so that each construct lands at every offset of a word.
fn hostile_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => (any::<u8>(), any::<bool>()).prop_map(|(b, upper)| if upper {
            format!("%{b:02X}")
        } else {
            format!("%{b:02x}")
        }),
        2 => prop::sample::select(vec![
            "/", "/", "/", "//", ".", "..", "/./", "/../", "\\", "\\..\\", ";", ";x=1", "..;",
            "#", "?", "?q=/../#", "?a\u{1}", "%", "%g1", "%4", "%2e%2E", "%2f", "%5C", "é",
            "\u{ff0f}", "%C0%AE", "%E0%80%AE", "%ED%A0%80", "%F4%90%80%80", "%c3%a9", "%c3",
            "%F0%9F%98%80", " ", "\u{7f}", "\t", "\n", "~", "@:!$&'()*+,=", ".well-known",
            "a.b", "...", "\"", "<", "[", "`", "{", "|",
        ])
        .prop_map(str::to_owned),
        3 => "[a-zA-Z0-9_~-]{1,12}",
    ]
}

fn hostile_path() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(hostile_piece(), 0..24))
        .prop_map(|(slash, parts)| format!("{}{}", if slash { "/" } else { "" }, parts.concat()))
}

/// Every combination of the options that change paths, `strict_escapes` too.
fn any_path_options() -> impl Strategy<Value = Options> {
    (prop::sample::select(every_options()), any::<bool>()).prop_map(|(mut o, strict)| {
        o.strict_escapes = strict;
        o
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_fast_path_is_exact_on_hostile_paths(p in hostile_path(), o in any_path_options()) {
        assert_fast_path_is_exact(&p, &o);
        if p.starts_with('/') {
            assert_scans_agree(p.as_bytes());
        }
    }

    #[test]
    fn the_fast_path_is_exact_on_any_text(p in "/\\PC{0,60}", o in any_path_options()) {
        assert_fast_path_is_exact(&p, &o);
        assert_scans_agree(p.as_bytes());
    }
}
