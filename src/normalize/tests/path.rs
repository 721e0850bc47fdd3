//! Path buffers, borrowing, and the segment count of a normalized path.

use super::super::path::{normalize_path, normalize_path_counted};
use super::super::{Backslash, EscapedSlashes, Options, PathBuffers, Semicolon};

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
