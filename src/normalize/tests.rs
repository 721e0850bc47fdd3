//! Unit tests of request normalization: one line per case, a literal reference
//! implementation of the documented steps to compare against, and property tests.

use std::net::IpAddr;

use proptest::prelude::*;

use super::InvalidRequest::{
    self as E, AmbiguousSource, DotDotOverEmptySegment, EncodedNul, EncodedSlash, Fragment,
    HeadersTooLarge, InvalidAttrs, InvalidHeaderName, InvalidHeaderValue, InvalidHost,
    InvalidIdentity, InvalidMethod, InvalidPathCharacter, InvalidQueryCharacter, InvalidUtf8,
    MalformedEscape, PathNotAbsolute, PathTooLong,
};
use super::*;
use crate::request::Request;

fn opts(
    escaped: EscapedSlashes,
    backslash: Backslash,
    semicolon: Semicolon,
    merge: bool,
) -> Options {
    Options {
        escaped_slashes: escaped,
        backslash,
        semicolon,
        merge_slashes: merge,
        strict_escapes: false,
        underscores_in_headers: false,
        limits: RequestLimits::default(),
    }
}

const D: Options = Options {
    escaped_slashes: EscapedSlashes::Reject,
    backslash: Backslash::Reject,
    semicolon: Semicolon::Reject,
    merge_slashes: true,
    strict_escapes: false,
    underscores_in_headers: false,
    limits: RequestLimits {
        max_path_len: 4096,
        max_host_len: 255,
        max_identity_len: 2048,
        max_headers: 100,
        max_header_bytes: 65536,
        max_attrs: 64,
    },
};

fn with(f: impl FnOnce(&mut Options)) -> Options {
    let mut o = D;
    f(&mut o);
    o
}

fn path(target: &str, options: &Options) -> Result<String, InvalidRequest> {
    let mut buf = PathBuffers::default();
    path::normalize_path(target, options, &mut buf).map(str::to_owned)
}

fn check(cases: &[(&str, Result<&str, InvalidRequest>)], options: &Options) {
    for &(input, expected) in cases {
        let got = path(input, options);
        assert_eq!(
            got.as_deref().map_err(|e| *e),
            expected,
            "input {input:?} with {options:?}"
        );
        if let Ok(normal) = &got {
            assert_eq!(
                path(normal, options).as_deref(),
                Ok(normal.as_str()),
                "idempotence of {input:?}"
            );
        }
    }
}

#[test]
fn step1_absolute() {
    check(
        &[
            ("/", Ok("/")),
            ("", Err(PathNotAbsolute)),
            ("a/b", Err(PathNotAbsolute)),
            ("?x", Err(PathNotAbsolute)),
            ("#f", Err(PathNotAbsolute)),
            ("*", Err(PathNotAbsolute)),
            ("http://h/a", Err(PathNotAbsolute)),
            ("%2F", Err(PathNotAbsolute)),
            ("\\a", Err(PathNotAbsolute)),
            (" /a", Err(PathNotAbsolute)),
        ],
        &D,
    );
}

#[test]
fn step2_query_and_fragment() {
    check(
        &[
            ("/a?x=1", Ok("/a")),
            ("/a?", Ok("/a")),
            ("/a#f", Err(Fragment)),
            ("/a#", Err(Fragment)),
            ("/#", Err(Fragment)),
            ("/a?x#f", Err(Fragment)),
            ("/a?#", Err(Fragment)),
            ("/a#f?x", Err(Fragment)),
            ("/a/b%41#f", Err(Fragment)),
            ("/a?/../b", Ok("/a")),
            ("/a?x=/..", Ok("/a")),
            ("/a/..?/b", Ok("/")),
            ("/a#/../..", Err(Fragment)),
            ("/a%23", Ok("/a%23")),
            ("/a?%23", Ok("/a")),
            ("/?", Ok("/")),
            ("/a?%zz%00%2F;\\", Ok("/a")),
            ("/a?x y\"<>", Ok("/a")),
            ("/a?é", Ok("/a")),
            ("/a%2e?x", Ok("/a.")),
            ("/a?x\ny", Err(InvalidQueryCharacter)),
            ("/a?x\0", Err(InvalidQueryCharacter)),
            ("/a?\x7f", Err(InvalidQueryCharacter)),
            ("/a?\t#", Err(InvalidQueryCharacter)),
            ("/a#\t", Err(Fragment)),
            ("/a/..?\r", Err(InvalidQueryCharacter)),
            ("/a\n?x", Err(InvalidPathCharacter)),
        ],
        &D,
    );
}

#[test]
fn step3_escapes() {
    check(
        &[
            ("/%41", Ok("/A")),
            ("/%7e", Ok("/~")),
            ("/%7E", Ok("/~")),
            ("/%2d%2E%5f%30%7a%5A", Ok("/-._0zZ")),
            ("/a%2eb", Ok("/a.b")),
            ("/%252e", Ok("/%252e")),
            ("/%252E%252e/", Ok("/%252E%252e/")),
            ("/%25", Ok("/%25")),
            ("/%3b", Ok("/%3B")),
            ("/%3F", Ok("/%3F")),
            ("/%23", Ok("/%23")),
            ("/%20", Ok("/%20")),
            ("/%0a", Ok("/%0A")),
            ("/%0A", Ok("/%0A")),
            ("/%7f", Ok("/%7F")),
            ("/%c3%a9", Ok("/%C3%A9")),
            ("/%E2%80%AE", Ok("/%E2%80%AE")),
            ("/%F0%9F%98%80", Ok("/%F0%9F%98%80")),
            ("/%EF%BF%BF", Ok("/%EF%BF%BF")),
            ("/%F4%8F%BF%BF", Ok("/%F4%8F%BF%BF")),
            ("/%00", Err(EncodedNul)),
            ("/a%00b", Err(EncodedNul)),
            ("/%", Err(MalformedEscape)),
            ("/%4", Err(MalformedEscape)),
            ("/%4g", Err(MalformedEscape)),
            ("/%g4", Err(MalformedEscape)),
            ("/%%41", Err(MalformedEscape)),
            ("/%4?1", Err(MalformedEscape)),
            ("/a%", Err(MalformedEscape)),
            ("/%C0%AE", Err(InvalidUtf8)),
            ("/%C0%AE%C0%AE/", Err(InvalidUtf8)),
            ("/%c1%bf", Err(InvalidUtf8)),
            ("/%E0%80%AE", Err(InvalidUtf8)),
            ("/%F0%80%80%AE", Err(InvalidUtf8)),
            ("/%FF", Err(InvalidUtf8)),
            ("/%80", Err(InvalidUtf8)),
            ("/%C3", Err(InvalidUtf8)),
            ("/%C3/", Err(InvalidUtf8)),
            ("/%C3a%A9", Err(InvalidUtf8)),
            ("/%C3%A9%A9", Err(InvalidUtf8)),
            ("/%E2%80", Err(InvalidUtf8)),
            ("/%ED%A0%80", Err(InvalidUtf8)),
            ("/%F4%90%80%80", Err(InvalidUtf8)),
            ("/%F5%80%80%80", Err(InvalidUtf8)),
            ("/%C3?%A9", Err(InvalidUtf8)),
        ],
        &D,
    );
}

#[test]
fn step3_raw_bytes() {
    check(
        &[
            ("/AZaz09-._~!$&'()*+,=:@", Ok("/AZaz09-._~!$&'()*+,=:@")),
            ("/a b", Err(InvalidPathCharacter)),
            ("/a\tb", Err(InvalidPathCharacter)),
            ("/a\0", Err(InvalidPathCharacter)),
            ("/a\x7f", Err(InvalidPathCharacter)),
            ("/a\r\n", Err(InvalidPathCharacter)),
            ("/é", Err(InvalidPathCharacter)),
            ("/\u{202e}", Err(InvalidPathCharacter)),
            ("/\"", Err(InvalidPathCharacter)),
            ("/<", Err(InvalidPathCharacter)),
            ("/>", Err(InvalidPathCharacter)),
            ("/[", Err(InvalidPathCharacter)),
            ("/]", Err(InvalidPathCharacter)),
            ("/^", Err(InvalidPathCharacter)),
            ("/`", Err(InvalidPathCharacter)),
            ("/{", Err(InvalidPathCharacter)),
            ("/|", Err(InvalidPathCharacter)),
            ("/}", Err(InvalidPathCharacter)),
            ("/../a b", Err(InvalidPathCharacter)),
        ],
        &D,
    );
}

#[test]
fn step4_escaped_slashes() {
    let reject = D;
    let decode = with(|o| o.escaped_slashes = EscapedSlashes::Decode);
    let keep = with(|o| o.escaped_slashes = EscapedSlashes::Keep);
    let decode_bs = with(|o| {
        o.escaped_slashes = EscapedSlashes::Decode;
        o.backslash = Backslash::Slash;
    });
    check(
        &[
            ("/a%2Fb", Err(EncodedSlash)),
            ("/a%2fb", Err(EncodedSlash)),
            ("/a%5Cb", Err(EncodedSlash)),
            ("/a%5cb", Err(EncodedSlash)),
            ("/..%2f", Err(EncodedSlash)),
            ("/a?%2F", Ok("/a")),
        ],
        &reject,
    );
    check(
        &[
            ("/a%2Fb", Ok("/a/b")),
            ("/a%2fb", Ok("/a/b")),
            ("/a%2F%2Fb", Ok("/a/b")),
            ("/a/%2F/b", Ok("/a/b")),
            ("/..%2f", Ok("/")),
            ("/a/..%2fb", Ok("/b")),
            ("/a%2F..%2Fb", Ok("/b")),
            ("/a%2F%2e%2e%2Fb", Ok("/b")),
            ("/public%2F..%2Fadmin", Ok("/admin")),
            ("/a%5Cb", Err(E::Backslash)),
            ("/a%5cb", Err(E::Backslash)),
        ],
        &decode,
    );
    check(
        &[
            ("/a%5Cb", Ok("/a/b")),
            ("/a%5c..%5cb", Ok("/b")),
            ("/a%5C%2F%5Cb", Ok("/a/b")),
        ],
        &decode_bs,
    );
    check(
        &[
            ("/a%2Fb", Ok("/a%2Fb")),
            ("/a%2fb", Ok("/a%2Fb")),
            ("/a%5cb", Ok("/a%5Cb")),
            ("/a%5Cb", Ok("/a%5Cb")),
            ("/..%2f", Ok("/..%2F")),
            ("/a/..%2F../b", Ok("/a/..%2F../b")),
            ("/a/%2F/..", Ok("/a/")),
            ("/%2F%2F", Ok("/%2F%2F")),
        ],
        &keep,
    );
}

#[test]
fn step5_backslash() {
    let slash = with(|o| o.backslash = Backslash::Slash);
    check(
        &[
            ("/a\\b", Err(E::Backslash)),
            ("/a\\..\\b", Err(E::Backslash)),
        ],
        &D,
    );
    check(
        &[
            ("/a\\b", Ok("/a/b")),
            ("/a\\..\\b", Ok("/b")),
            ("/a\\\\b", Ok("/a/b")),
            ("/\\..\\", Err(DotDotOverEmptySegment)),
            ("/a\\\\..\\b", Err(DotDotOverEmptySegment)),
            ("/a/\\..\\b", Err(DotDotOverEmptySegment)),
            ("/public\\..\\admin", Ok("/admin")),
            ("/a%5Cb", Err(EncodedSlash)),
        ],
        &slash,
    );
    let slash_keep = with(|o| {
        o.backslash = Backslash::Slash;
        o.escaped_slashes = EscapedSlashes::Keep;
    });
    check(
        &[
            ("/a%5C..\\b", Ok("/a%5C../b")),
            ("/a/%5C..\\..\\b", Ok("/a/b")),
            ("/a\\b%5c", Ok("/a/b%5C")),
        ],
        &slash_keep,
    );
}

#[test]
fn step6_semicolon() {
    let keep = with(|o| o.semicolon = Semicolon::Keep);
    let strip = with(|o| o.semicolon = Semicolon::Strip);
    check(
        &[
            ("/a;b", Err(E::Semicolon)),
            ("/a/..;/b", Err(E::Semicolon)),
            ("/a?;", Ok("/a")),
            ("/a%3Bb", Ok("/a%3Bb")),
        ],
        &D,
    );
    check(
        &[
            ("/a;b", Ok("/a;b")),
            ("/a/..;/b", Ok("/a/..;/b")),
            ("/a/;/b", Ok("/a/;/b")),
            ("/a;/..", Ok("/")),
            ("/a/..;", Ok("/a/..;")),
        ],
        &keep,
    );
    check(
        &[
            ("/a;b", Ok("/a")),
            ("/a;jsessionid=1/b", Ok("/a/b")),
            ("/a/..;/b", Ok("/b")),
            ("/a/..;x=1/b", Ok("/b")),
            ("/public/..;/admin", Ok("/admin")),
            ("/a/.;x/b", Ok("/a/b")),
            ("/a/;x/b", Ok("/a/b")),
            ("/a;x;y/b;z", Ok("/a/b")),
            ("/a/b;..", Ok("/a/b")),
            ("/a;%2F/b", Err(EncodedSlash)),
            ("/a;%ZZ/b", Err(MalformedEscape)),
            ("/a;%FF/b", Err(InvalidUtf8)),
            ("/a; /b", Err(InvalidPathCharacter)),
            ("/a;\\/b", Err(E::Backslash)),
            ("/a/..;", Ok("/")),
            ("/a%2e%2e;x/b", Ok("/a../b")),
        ],
        &strip,
    );
    let strip_decode = with(|o| {
        o.semicolon = Semicolon::Strip;
        o.escaped_slashes = EscapedSlashes::Decode;
    });
    check(
        &[("/a;x%2F..;y/b", Ok("/b")), ("/a;x%2Fb", Ok("/a/b"))],
        &strip_decode,
    );
    let strip_keep = with(|o| {
        o.semicolon = Semicolon::Strip;
        o.escaped_slashes = EscapedSlashes::Keep;
    });
    check(&[("/a;x%2F..;y/b", Ok("/a/b"))], &strip_keep);
    let strip_nomerge = with(|o| {
        o.semicolon = Semicolon::Strip;
        o.merge_slashes = false;
    });
    check(&[("/a/;x/b", Ok("/a//b"))], &strip_nomerge);
}

#[test]
fn step7_dot_dot_over_an_empty_segment() {
    // Invalid in every spelling and under every option that lets the spelling
    // through, whether runs of `/` are merged or not.
    /// Whether the options let the spelling's slashes and dots through as such.
    type Reaches = fn(&Options) -> bool;
    let cases: &[(&str, Reaches)] = &[
        ("/a//../b", |_| true),
        ("/a//./../b", |_| true),
        ("/a//..", |_| true),
        ("/a//../", |_| true),
        ("//..", |_| true),
        ("//../b", |_| true),
        ("/a///../b", |_| true),
        ("/a//b/../../c", |_| true),
        ("/admin//../public/x", |_| true),
        ("/admin//%2e%2e/public/x", |_| true),
        ("/admin//.%2E/public/x", |_| true),
        ("/admin//%2E./public/x", |_| true),
        ("/admin//./%2e%2e/public/x", |_| true),
        ("/admin%2F%2F..%2Fpublic/x", |o| {
            o.escaped_slashes == EscapedSlashes::Decode
        }),
        ("/admin/%2F../public/x", |o| {
            o.escaped_slashes == EscapedSlashes::Decode
        }),
        ("/admin%2F/../public/x", |o| {
            o.escaped_slashes == EscapedSlashes::Decode
        }),
        ("/admin\\\\..\\public/x", |o| {
            o.backslash == Backslash::Slash
        }),
        ("/admin/\\../public/x", |o| o.backslash == Backslash::Slash),
        ("/admin%5C%5C..%5Cpublic/x", |o| {
            o.escaped_slashes == EscapedSlashes::Decode && o.backslash == Backslash::Slash
        }),
        // A segment that `Strip` leaves empty counts as empty (fail closed).
        ("/admin/;x/../public/x", |o| o.semicolon == Semicolon::Strip),
        ("/admin/;/../public/x", |o| o.semicolon == Semicolon::Strip),
        ("/admin//..;x/public/x", |o| o.semicolon == Semicolon::Strip),
    ];
    for o in &all_options() {
        for &(input, reaches) in cases {
            let got = path(input, o);
            if reaches(o) {
                assert_eq!(got, Err(DotDotOverEmptySegment), "{input:?} under {o:?}");
            } else {
                // The spelling is refused, or is not a `..` over an empty segment
                // (a kept `%2F` or `;` is text).
                assert_ne!(got, Err(DotDotOverEmptySegment), "{input:?} under {o:?}");
            }
        }
    }
    // A `..` that removes a non-empty segment is fine, whatever comes before it.
    for o in &all_options() {
        for (input, merged, unmerged) in [
            ("/a/b/../c", "/a/c", "/a/c"),
            ("/a//b/../c", "/a/c", "/a//c"),
            ("//a/../b", "/b", "//b"),
            ("/..//a", "/a", "//a"),
            ("/a/b/..//c", "/a/c", "/a//c"),
        ] {
            let want = if o.merge_slashes { merged } else { unmerged };
            assert_eq!(path(input, o).as_deref(), Ok(want), "{input:?} under {o:?}");
        }
    }
    let keep = with(|o| o.escaped_slashes = EscapedSlashes::Keep);
    // A kept `%2F` is text: `..` removes the segment `a%2F`.
    check(&[("/x/a%2F/../b", Ok("/x/b"))], &keep);
    let keep_semicolon = with(|o| o.semicolon = Semicolon::Keep);
    check(&[("/x/;/../b", Ok("/x/b"))], &keep_semicolon);
}

#[test]
fn step8_merge_slashes() {
    let off = with(|o| o.merge_slashes = false);
    check(
        &[
            ("//", Ok("/")),
            ("//a", Ok("/a")),
            ("/a//b", Ok("/a/b")),
            ("/a///b//", Ok("/a/b/")),
            ("/a/", Ok("/a/")),
            ("//.//a", Ok("/a")),
            ("/a//./b", Ok("/a/b")),
            ("/a/..//b", Ok("/b")),
        ],
        &D,
    );
    check(
        &[
            ("//", Ok("//")),
            ("//a", Ok("//a")),
            ("/a//b", Ok("/a//b")),
            ("/a///b//", Ok("/a///b//")),
            ("/a/..//b", Ok("//b")),
            ("/..//b", Ok("//b")),
            ("/a/.//b", Ok("/a//b")),
            ("/a//b/..", Ok("/a//")),
            ("/a//b/../c", Ok("/a//c")),
        ],
        &off,
    );
}

#[test]
fn step9_dot_segments() {
    check(
        &[
            ("/.", Ok("/")),
            ("/..", Ok("/")),
            ("/../..", Ok("/")),
            ("/../a", Ok("/a")),
            ("/a/..", Ok("/")),
            ("/a/../", Ok("/")),
            ("/a/b/..", Ok("/a/")),
            ("/a/.", Ok("/a/")),
            ("/a/./", Ok("/a/")),
            ("/a/./b", Ok("/a/b")),
            ("/a/b/../c", Ok("/a/c")),
            ("/a/b/../../c", Ok("/c")),
            ("/a/b/../../../c", Ok("/c")),
            ("/a/../../b/./c/.", Ok("/b/c/")),
            ("/a/%2e%2e/b", Ok("/b")),
            ("/a/%2E./b", Ok("/b")),
            ("/a/.%2e/b", Ok("/b")),
            ("/a/%2e/b", Ok("/a/b")),
            ("/a/%2E%2E", Ok("/")),
            ("/a/...", Ok("/a/...")),
            ("/a/..b", Ok("/a/..b")),
            ("/a/b..", Ok("/a/b..")),
            ("/a/.b", Ok("/a/.b")),
            ("/.a", Ok("/.a")),
            ("/a/%252e%252e/b", Ok("/a/%252e%252e/b")),
            ("/a/..%00", Err(EncodedNul)),
            ("/a/./b/../c%41?x=1", Ok("/a/cA")),
            ("/public/../admin", Ok("/admin")),
        ],
        &D,
    );
}

#[test]
fn security_vectors_under_every_option() {
    // (input, [result for each of the 36 option combinations]) is too wide; instead each
    // vector lists the results that must hold for a set of options.
    let all = all_options();
    for o in &all {
        // None of these may ever reach `/admin` with `/public` left in front, nor escape
        // the root, nor keep a `..` segment.
        for input in [
            "/public/../admin",
            "/public/%2e%2e/admin",
            "/public/%2E./admin",
            "/public/..%2fadmin",
            "/public//../admin",
            "/public/./../admin",
            "/public\\..\\admin",
            "/public/..;/admin",
            "/public/%252e%252e/admin",
            "/public/%C0%AE%C0%AE/admin",
            "/public/..%5cadmin",
        ] {
            if let Ok(p) = path(input, o) {
                assert!(
                    !p.split('/').any(|s| s == ".." || s == "."),
                    "{input:?} -> {p:?} under {o:?}"
                );
            }
        }
    }
}

fn all_options() -> Vec<Options> {
    let mut all = Vec::new();
    for escaped in [
        EscapedSlashes::Reject,
        EscapedSlashes::Decode,
        EscapedSlashes::Keep,
    ] {
        for backslash in [Backslash::Reject, Backslash::Slash] {
            for semicolon in [Semicolon::Reject, Semicolon::Keep, Semicolon::Strip] {
                for merge in [true, false] {
                    all.push(opts(escaped, backslash, semicolon, merge));
                }
            }
        }
    }
    all
}

#[test]
fn limits_and_buffers() {
    let long = format!("/{}", "a".repeat(4095));
    assert_eq!(path(&long, &D).as_deref(), Ok(long.as_str()));
    let too_long = format!("/{}", "a".repeat(4096));
    assert_eq!(path(&too_long, &D), Err(PathTooLong));
    let with_query = format!("/a?{}", "q".repeat(4094));
    assert_eq!(path(&with_query, &D), Err(PathTooLong));
    // A larger configured limit: the heap buffer takes over past 4096 bytes.
    let big = with(|o| o.limits.max_path_len = 10_000);
    let long_dots = format!("/{}/../b/./c%41//d", "x".repeat(6000));
    assert_eq!(path(&long_dots, &big).as_deref(), Ok("/b/cA/d"));
    let long_kept = format!("/{}%c3%a9", "y".repeat(8000));
    assert_eq!(
        path(&long_kept, &big),
        Ok(format!("/{}%C3%A9", "y".repeat(8000)))
    );
    let exactly = format!("/{}%41", "z".repeat(4092));
    assert_eq!(exactly.len(), 4096);
    assert_eq!(path(&exactly, &D), Ok(format!("/{}A", "z".repeat(4092))));
}

#[test]
fn unchanged_paths_are_borrowed() {
    let mut buf = PathBuffers::default();
    let target = "/api/v1/orders/42.json?verbose=1";
    let got = path::normalize_path(target, &D, &mut buf);
    assert_eq!(got.map(str::as_ptr), Ok(target.as_ptr()));
    let mut buf = PathBuffers::default();
    let got = path::normalize_path("/a/./b", &D, &mut buf);
    assert_eq!(got, Ok("/a/b"));
    assert_eq!(buf.heap.capacity(), 0);
}

// --- host ---

fn host(h: &str) -> Result<String, InvalidRequest> {
    normalize_host(h)
}

#[test]
fn hosts() {
    let cases: &[(&str, Result<&str, InvalidRequest>)] = &[
        ("example.com", Ok("example.com")),
        ("EXAMPLE.com.:443", Ok("example.com")),
        ("Payments.SVC.:8443", Ok("payments.svc")),
        ("a.b.", Ok("a.b")),
        ("a.b:", Ok("a.b")),
        ("a.b.:", Ok("a.b")),
        ("a.b:0", Ok("a.b")),
        ("a.b:65535", Ok("a.b")),
        ("a.b:065535", Ok("a.b")),
        ("a_b-c~d", Ok("a_b-c~d")),
        ("10.1.2.3:80", Ok("10.1.2.3")),
        ("localhost", Ok("localhost")),
        ("[::1]", Ok("[::1]")),
        ("[::1]:80", Ok("[::1]")),
        ("[::1]:8443", Ok("[::1]")),
        ("[::1]:", Ok("[::1]")),
        ("[0:0::1]", Ok("[::1]")),
        ("[0000:0000:0000:0000:0000:0000:0000:0001]", Ok("[::1]")),
        ("[2001:DB8::A]", Ok("[2001:db8::a]")),
        ("[::ffff:10.1.2.3]", Ok("[::ffff:10.1.2.3]")),
        ("10.1.2.3.", Ok("10.1.2.3")),
        ("255.255.255.255", Ok("255.255.255.255")),
        ("svc.1a", Ok("svc.1a")),
        ("1.svc", Ok("1.svc")),
        ("0xsvc", Ok("0xsvc")),
        // A last label that is a number makes the name an IPv4 address to URL
        // parsers, which accept these spellings of 127.0.0.1; only the dotted quad is.
        ("127.1", Err(InvalidHost)),
        ("0x7f.0.0.1", Err(InvalidHost)),
        ("0X7F.0.0.1", Err(InvalidHost)),
        ("0177.0.0.1", Err(InvalidHost)),
        ("127.0.0.01", Err(InvalidHost)),
        ("2130706433", Err(InvalidHost)),
        ("0x7f000001", Err(InvalidHost)),
        ("017700000001", Err(InvalidHost)),
        ("256.0.0.1", Err(InvalidHost)),
        ("1.2.3.4.5", Err(InvalidHost)),
        ("svc.0x", Err(InvalidHost)),
        ("svc.42", Err(InvalidHost)),
        ("a.b..", Err(InvalidHost)),
        ("a..b", Err(InvalidHost)),
        (".a", Err(InvalidHost)),
        (".", Err(InvalidHost)),
        ("..", Err(InvalidHost)),
        (":80", Err(InvalidHost)),
        ("a:b:c", Err(InvalidHost)),
        ("a:b", Err(InvalidHost)),
        ("user@host", Err(InvalidHost)),
        ("", Err(InvalidHost)),
        ("host:99999", Err(InvalidHost)),
        ("host:65536", Err(InvalidHost)),
        ("host:-1", Err(InvalidHost)),
        ("host:8o", Err(InvalidHost)),
        ("host:99999999999999999999999", Err(InvalidHost)),
        ("ho st", Err(InvalidHost)),
        ("host%2ecom", Err(InvalidHost)),
        ("a,b", Err(InvalidHost)),
        ("a!b", Err(InvalidHost)),
        ("bücher.de", Err(InvalidHost)),
        ("host/", Err(InvalidHost)),
        ("host\0", Err(InvalidHost)),
        ("[::1", Err(InvalidHost)),
        ("[::1]x", Err(InvalidHost)),
        ("[::1].", Err(InvalidHost)),
        ("[::1]:99999", Err(InvalidHost)),
        ("[::1]:a", Err(InvalidHost)),
        ("[]", Err(InvalidHost)),
        ("[1.2.3.4]", Err(InvalidHost)),
        ("[fe80::1%25eth0]", Err(InvalidHost)),
        ("[v1.fe]", Err(InvalidHost)),
        ("[::g]", Err(InvalidHost)),
        ("[::1]]", Err(InvalidHost)),
        ("::1", Err(InvalidHost)),
    ];
    for &(input, expected) in cases {
        let got = host(input);
        assert_eq!(got.as_deref().map_err(|e| *e), expected, "host {input:?}");
        if let Ok(normal) = &got {
            assert_eq!(
                host(normal).as_deref(),
                Ok(normal.as_str()),
                "idempotence of {input:?}"
            );
        }
    }
    assert_eq!(host(&"a".repeat(255)).map(|h| h.len()), Ok(255));
    assert_eq!(host(&"a".repeat(256)), Err(InvalidHost));
}

#[test]
fn long_hosts_use_the_heap_when_the_limit_allows() {
    let mut buf = None;
    let mut heap = Vec::new();
    let long = "A".repeat(300);
    let got = host::normalize_host(&long, 1000, &mut buf, &mut heap);
    assert_eq!(got, Ok("a".repeat(300).as_str()));
}

// --- method, source, identity, headers, attrs ---

#[test]
fn methods() {
    for ok in ["GET", "POST", "M-SEARCH", "PROPFIND", "X!#$%&'*+-.^_`|~1"] {
        assert_eq!(method::check_method(ok), Ok(()), "{ok:?}");
    }
    for bad in [
        "", "get", "Get", "GET ", "G T", "GET\r", "GÉT", "GET/", "(GET)", "GET:",
    ] {
        assert_eq!(method::check_method(bad), Err(InvalidMethod), "{bad:?}");
    }
}

#[test]
fn sources() {
    let cases: &[(&str, Result<&str, InvalidRequest>)] = &[
        ("10.1.2.3", Ok("10.1.2.3")),
        ("::ffff:10.1.2.3", Ok("10.1.2.3")),
        ("::ffff:0.0.0.0", Ok("0.0.0.0")),
        ("::", Ok("::")),
        ("::1", Ok("::1")),
        ("2001:db8::1", Ok("2001:db8::1")),
        ("::1:0:0:0", Ok("::1:0:0:0")),
        ("64:ff9b::10.1.2.3", Ok("64:ff9b::a01:203")),
        ("::10.1.2.3", Err(AmbiguousSource)),
        ("::2", Err(AmbiguousSource)),
        ("::0.0.1.0", Err(AmbiguousSource)),
        ("::255.255.255.255", Err(AmbiguousSource)),
    ];
    for &(input, expected) in cases {
        let address: Result<IpAddr, _> = input.parse();
        assert!(address.is_ok(), "{input:?}");
        if let Ok(address) = address {
            let want: Result<IpAddr, InvalidRequest> =
                expected.map(|e| e.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
            assert_eq!(source::normalize_source(address), want, "{input:?}");
        }
    }
}

#[test]
fn identities() {
    let ok = [
        "spiffe://prod.example.com/ns/web/sa/frontend",
        "spiffe://example.org",
        "spiffe://a-b_c.d/A.b-c_D/0",
        "spiffe://td/x/.../y",
        "spiffe://td/.a/a.",
        "CN=frontend,O=Example",
        "frontend@example.com",
        "user:Zoë",
        "a/b/c",
        "a/b/",
        "a//b",
        "%41",
        "https://example.com/a",
        "...",
        "a/.../b",
        // Not the `spiffe:` scheme: general identities.
        "spiffe",
        "spiffe/x",
        "spifee://td/x",
        "spiffer://td/x",
        "xspiffe://td/x",
        "spiffe-ca:x",
    ];
    for identity in ok {
        // The directory: everything up to and including the last `/`.
        let dir = identity.rfind('/').map_or(0, |i| i + 1);
        assert_eq!(
            identity::check_identity(identity, 2048),
            Ok(dir),
            "{identity:?}"
        );
    }
    let long_td = format!("spiffe://{}/a", "t".repeat(256));
    let max_td = format!("spiffe://{}/a", "t".repeat(255));
    assert_eq!(
        identity::check_identity(&max_td, 2048),
        Ok("spiffe://".len() + 255 + 1)
    );
    let bad = [
        "",
        " ",
        "a b",
        "a\tb",
        "a\nb",
        "a\0",
        "a\x7f",
        "a\u{85}",
        "a\u{a0}b",
        "a\u{2028}",
        "a\u{3000}",
        "a/./b",
        "a/../b",
        "a/.",
        "a/..",
        "./a",
        "../a",
        ".",
        "..",
        "spiffe://td/a/../b",
        "spiffe://td/a/./b",
        "spiffe://td/..",
        "SPIFFE://td/a",
        "Spiffe://td/a",
        "sPiFfE://td/a",
        "spiffe:",
        "SPIFFE:",
        "spiffe:/x",
        "spiffe:/td/x",
        "spiffe:td/x",
        "Spiffe:x",
        "spiffe:\\\\td\\x",
        "spiffe:%2F%2Ftd/x",
        "spiffe:///",
        "spiffe://",
        "spiffe:///a",
        "spiffe://TD/a",
        "spiffe://td:443/a",
        "spiffe://user@td/a",
        "spiffe://td/a/",
        "spiffe://td/",
        "spiffe://td//a",
        "spiffe://td/a?b",
        "spiffe://td/a#b",
        "spiffe://td/a%2Fb",
        "spiffe://td/a b",
        "spiffe://td/é",
        "spiffe://td/a~b",
        "spiffe://t%64/a",
        long_td.as_str(),
    ];
    for identity in bad {
        assert_eq!(
            identity::check_identity(identity, 2048),
            Err(InvalidIdentity),
            "{identity:?}"
        );
    }
    assert_eq!(identity::check_identity(&"a".repeat(2048), 2048), Ok(0));
    assert_eq!(
        identity::check_identity(&"a".repeat(2049), 2048),
        Err(InvalidIdentity)
    );
}

#[test]
fn headers_and_attrs() {
    let limits = RequestLimits::default();
    let check = |r: &Request<'_>| {
        headers::check_headers(&r.headers, &D).and(headers::check_attrs(&r.attrs, &limits))
    };
    let base = Request::new("GET", "/");
    assert_eq!(check(&base), Ok(()));
    assert_eq!(
        check(&base.clone().header("x-env", b"prod").header("X-Env", b"")),
        Ok(())
    );
    assert_eq!(check(&base.clone().header("x", b"\x80\xff\t x")), Ok(()));
    // Every control but tab, not only NUL, CR and LF: some servers trim VT and FF.
    for bad in [
        &b"prod\x0b"[..],
        b"\x0cprod",
        b"a\x7fb",
        b"a\x1bb",
        b"a\x01",
    ] {
        assert_eq!(
            check(&base.clone().header("x", bad)),
            Err(InvalidHeaderValue),
            "{bad:?}"
        );
    }
    // `_` in a name: CGI-style backends read `x_env` as `x-env`.
    let underscored = base.clone().header("x_env", b"prod");
    assert_eq!(check(&underscored), Err(InvalidHeaderName));
    let lax = with(|o| o.underscores_in_headers = true);
    assert_eq!(headers::check_headers(&underscored.headers, &lax), Ok(()));
    assert_eq!(
        check(&base.clone().header("x", b"a\0")),
        Err(InvalidHeaderValue)
    );
    assert_eq!(
        check(&base.clone().header("x", b"a\rb")),
        Err(InvalidHeaderValue)
    );
    assert_eq!(
        check(&base.clone().header("x", b"a\n")),
        Err(InvalidHeaderValue)
    );
    for bad in ["", "x env", "x:env", "x\nenv", "é", "x(y)", "x/y", "x@y"] {
        assert_eq!(
            check(&base.clone().header(bad, b"v")),
            Err(InvalidHeaderName),
            "{bad:?}"
        );
    }
    let mut many = base.clone();
    for _ in 0..100 {
        many = many.header("x", b"v");
    }
    assert_eq!(check(&many), Ok(()));
    assert_eq!(check(&many.header("x", b"v")), Err(HeadersTooLarge));
    let big = vec![b'v'; 65535];
    assert_eq!(check(&base.clone().header("x", &big)), Ok(()));
    assert_eq!(
        check(&base.clone().header("xy", &big)),
        Err(HeadersTooLarge)
    );
    assert_eq!(check(&base.clone().attr("a", "1").attr("A", "2")), Ok(()));
    // A key once per value (language 1.1): several values are not a duplicate.
    assert_eq!(
        check(&base.clone().attr("a", "1").attr("a", "2").attr("a", "1")),
        Ok(())
    );
    let keys: Vec<String> = (0..65).map(|i| format!("k{i}")).collect();
    let mut attrs = base.clone();
    for key in keys.iter().take(64) {
        attrs = attrs.attr(key, "v");
    }
    assert_eq!(check(&attrs), Ok(()));
    for key in keys.iter().skip(64) {
        attrs = attrs.attr(key, "v");
    }
    assert_eq!(check(&attrs), Err(InvalidAttrs));
    // The limit counts values, whatever their keys.
    let mut one_key = base.clone();
    for _ in 0..64 {
        one_key = one_key.attr("groups", "g");
    }
    assert_eq!(check(&one_key), Ok(()));
    assert_eq!(check(&one_key.attr("groups", "h")), Err(InvalidAttrs));
}

#[test]
fn whole_request() {
    let mut scratch = Scratch::new();
    let request = Request::new("GET", "/a/./b%41?x")
        .identity("spiffe://td/ns/a")
        .host("SVC.local.:8443")
        .port(8443)
        .source(
            "::ffff:10.1.2.3"
                .parse()
                .unwrap_or(IpAddr::from([0, 0, 0, 0])),
        )
        .header("x-env", b"prod")
        .attr("tenant", "acme");
    let n = normalize(&request, &D, &mut scratch);
    assert!(n.is_ok(), "{n:?}");
    if let Ok(n) = n {
        assert_eq!(n.method, "GET");
        assert_eq!(n.path, "/a/bA");
        assert_eq!(n.identity, Some("spiffe://td/ns/a"));
        assert_eq!(n.host, Some("svc.local"));
        assert_eq!(n.port, Some(8443));
        assert_eq!(n.source, Some(IpAddr::from([10, 1, 2, 3])));
        assert_eq!(n.headers.len(), 1);
        assert_eq!(n.attrs.len(), 1);
    }
    let bare = Request::new("GET", "/");
    let mut scratch = Scratch::new();
    let n = normalize(&bare, &D, &mut scratch);
    assert!(matches!(
        n,
        Ok(Normalized {
            host: None,
            identity: None,
            source: None,
            port: None,
            ..
        })
    ));
    let bad: [(Request<'_>, InvalidRequest); 8] = [
        (Request::new("get", "/"), InvalidMethod),
        (Request::new("GET", "x"), PathNotAbsolute),
        (Request::new("GET", "/%2F"), EncodedSlash),
        (Request::new("GET", "/").host("a@b"), InvalidHost),
        (Request::new("GET", "/").identity(""), InvalidIdentity),
        (
            Request::new("GET", "/").source(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0x0a01, 0x0203])),
            AmbiguousSource,
        ),
        (
            Request::new("GET", "/").header("x", b"\n"),
            InvalidHeaderValue,
        ),
        (
            (0..65).fold(Request::new("GET", "/"), |r, _| r.attr("k", "1")),
            InvalidAttrs,
        ),
    ];
    for (request, error) in &bad {
        let mut scratch = Scratch::new();
        assert_eq!(
            normalize(request, &D, &mut scratch).map(|_| ()),
            Err(*error),
            "{request:?}"
        );
    }
}

#[test]
fn messages_are_lower_case_one_liners() {
    let all = [
        PathNotAbsolute,
        MalformedEscape,
        EncodedNul,
        InvalidUtf8,
        InvalidPathCharacter,
        EncodedSlash,
        E::Backslash,
        E::Semicolon,
        InvalidQueryCharacter,
        Fragment,
        DotDotOverEmptySegment,
        PathTooLong,
        InvalidMethod,
        InvalidHost,
        InvalidIdentity,
        InvalidHeaderName,
        InvalidHeaderValue,
        HeadersTooLarge,
        InvalidAttrs,
        AmbiguousSource,
    ];
    for e in all {
        let m = e.to_string();
        assert!(!m.is_empty() && !m.contains('\n'), "{m:?}");
        assert!(m.chars().next().is_some_and(|c| !c.is_uppercase()), "{m:?}");
    }
    assert_eq!(EncodedSlash.to_string(), "encoded slash in path");
}

// --- reference implementation and properties ---

/// The path steps 1–9 (module docs, `docs/language.md`) written as literally as
/// possible, one pass per step, with allocation everywhere. Only whether it succeeds and what it returns are compared
/// (which error is found first may differ).
fn reference(target: &str, o: &Options) -> Result<String, ()> {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Text(u8),
        Esc(u8),
        EncSlash(u8),
        Slash,
        Backslash,
        Semi,
        Param, // stripped marker
    }
    if target.len() > o.limits.max_path_len || !target.starts_with('/') {
        return Err(());
    }
    if target.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(());
    }
    // Step 2.
    if target.contains('#') {
        return Err(());
    }
    let path = target.split('?').next().unwrap_or("");
    let bytes = path.as_bytes();
    // Step 3.
    let mut toks = Vec::new();
    let mut decoded = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = path.get(i + 1..i + 3).ok_or(())?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return Err(());
            }
            let v = u8::from_str_radix(hex, 16).map_err(|_| ())?;
            if v == 0 {
                return Err(());
            }
            decoded.push(v);
            toks.push(if v.is_ascii_alphanumeric() || b"-._~".contains(&v) {
                Tok::Text(v)
            } else if v == b'/' || v == b'\\' {
                Tok::EncSlash(v)
            } else {
                Tok::Esc(v)
            });
            i += 3;
            continue;
        }
        decoded.push(b);
        toks.push(match b {
            b'/' => Tok::Slash,
            b'\\' => Tok::Backslash,
            b';' => Tok::Semi,
            _ if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,=:@".contains(&b) => Tok::Text(b),
            _ => return Err(()),
        });
        i += 1;
    }
    if std::str::from_utf8(&decoded).is_err() {
        return Err(());
    }
    // Step 4.
    let mut step4 = Vec::new();
    for t in toks {
        step4.push(match (t, o.escaped_slashes) {
            (Tok::EncSlash(_), EscapedSlashes::Reject) => return Err(()),
            (Tok::EncSlash(b'/'), EscapedSlashes::Decode) => Tok::Slash,
            (Tok::EncSlash(_), EscapedSlashes::Decode) => Tok::Backslash,
            (Tok::EncSlash(v), _) => Tok::Esc(v),
            (t, _) => t,
        });
    }
    // Step 5.
    let mut step5 = Vec::new();
    for t in step4 {
        step5.push(match (t, o.backslash) {
            (Tok::Backslash, Backslash::Reject) => return Err(()),
            (Tok::Backslash, _) => Tok::Slash,
            (t, _) => t,
        });
    }
    // Step 6.
    let mut step6 = Vec::new();
    for t in step5 {
        step6.push(match (t, o.semicolon) {
            (Tok::Semi, Semicolon::Reject) => return Err(()),
            (Tok::Semi, Semicolon::Keep) => Tok::Text(b';'),
            (Tok::Semi, _) => Tok::Param,
            (t, _) => t,
        });
    }
    let mut s = String::new();
    let mut in_param = false;
    for t in step6 {
        match t {
            Tok::Slash => {
                in_param = false;
                s.push('/');
            }
            Tok::Param => in_param = true,
            _ if in_param => {}
            Tok::Text(b) => s.push(char::from(b)),
            Tok::Esc(v) => s.push_str(&format!("%{v:02X}")),
            _ => return Err(()),
        }
    }
    // Step 7: RFC 3986 §5.2.4 on the segments as they are, with a stack; popping an
    // empty segment is invalid.
    let mut stack: Vec<&str> = Vec::new();
    for segment in s.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                if stack.pop() == Some("") {
                    return Err(());
                }
            }
            other => stack.push(other),
        }
    }
    // Step 8.
    if o.merge_slashes {
        while s.contains("//") {
            s = s.replace("//", "/");
        }
    }
    // Step 9: RFC 3986 §5.2.4, literally.
    let mut input = s;
    let mut output = String::new();
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest.to_owned();
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest.to_owned();
        } else if input.starts_with("/./") {
            input = input.split_off(2);
        } else if input == "/." {
            input = "/".to_owned();
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." {
                "/".to_owned()
            } else {
                input.split_off(3)
            };
            let cut = output.rfind('/').unwrap_or(0);
            output.truncate(cut);
        } else if input == "." || input == ".." {
            input.clear();
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input
                .get(start..)
                .and_then(|r| r.find('/'))
                .map_or(input.len(), |e| e + start);
            output.push_str(input.get(..end).unwrap_or(""));
            input = input.split_off(end);
        }
    }
    Ok(output)
}

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "/", "/", "/", "//", ".", "..", ".", "a", "b", "Az", "%2e", "%2E", "%2f", "%2F", "%5c",
        "%5C", "\\", ";", ";x", "%25", "%41", "%7e", "%c3%a9", "%C3", "%A9", "%FF", "%0a", "%00",
        "?", "#", "%", "%g", "%4", " ", "é", "~", "@", ":", "..;", "%3B", "%252e", "\n", "a.b",
    ])
}

fn byteish_path() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(piece(), 0..14))
        .prop_map(|(slash, parts)| format!("{}{}", if slash { "/" } else { "" }, parts.concat()))
}

fn any_options() -> impl Strategy<Value = Options> {
    (0usize..36).prop_map(|i| all_options().get(i).copied().unwrap_or(D))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn matches_the_reference(p in byteish_path(), o in any_options()) {
        let got = path(&p, &o);
        let want = reference(&p, &o);
        prop_assert_eq!(got.as_ref().ok(), want.as_ref().ok(), "{:?} -> {:?} under {:?}", p, got, o);
    }

    #[test]
    fn is_idempotent(p in byteish_path(), o in any_options()) {
        if let Ok(once) = path(&p, &o) {
            prop_assert_eq!(path(&once, &o), Ok(once.clone()), "{:?}", p);
            prop_assert!(once.starts_with('/'));
            prop_assert!(!once.split('/').any(|s| s == "." || s == ".."));
            if o.merge_slashes {
                prop_assert!(!once.contains("//"));
            }
        }
    }

    #[test]
    fn counts_the_segments_of_the_normalized_path(p in byteish_path(), o in any_options()) {
        let mut buf = PathBuffers::default();
        if let Ok((normalized, segments)) = path::normalize_path_counted(&p, &o, &mut buf) {
            prop_assert_eq!(segments, normalized.matches('/').count(), "{:?}", p);
        }
    }

    #[test]
    fn never_panics_on_any_text(p in "\\PC{0,40}", o in any_options()) {
        let _ = path(&p, &o);
        let _ = path(&format!("/{p}"), &o);
        let _ = normalize_host(&p);
        let _ = identity::check_identity(&p, 2048);
        let _ = method::check_method(&p);
    }

    #[test]
    fn never_panics_on_any_chars(p in ".{0,40}", o in any_options()) {
        if let Ok(once) = path(&format!("/{p}"), &o) {
            prop_assert_eq!(path(&once, &o), Ok(once.clone()));
        }
    }

    #[test]
    fn hosts_are_idempotent(h in "[A-Za-z0-9._~:\\[\\]@%-]{0,20}") {
        if let Ok(once) = normalize_host(&h) {
            prop_assert_eq!(normalize_host(&once), Ok(once.clone()));
        }
    }
}

/// Rough timing, for `cargo test --release --lib normalize::tests::speed -- --ignored
/// --nocapture`; not a benchmark harness, just a guard against gross regressions.
#[test]
#[ignore = "timing; run in release mode"]
fn speed() {
    use std::hint::black_box;
    use std::time::Instant;
    let cases = [
        "/api/v1/orders/42/items?verbose=1",
        "/api/v1/./orders/../orders/42%41",
        "/static/css/app.min.css",
    ];
    // Calibration: how long this machine takes to count the `/` of a 33-byte string.
    let rounds = 2_000_000u32;
    let start = Instant::now();
    for _ in 0..rounds {
        let n = black_box(cases[0]).bytes().filter(|&b| b == b'/').count();
        black_box(n);
    }
    println!(
        "calibration (count bytes of 33): {:?} per call",
        start.elapsed() / rounds
    );
    for target in cases {
        let mut buf = PathBuffers::default();
        let rounds = 2_000_000u32;
        let start = Instant::now();
        for _ in 0..rounds {
            let r = path::normalize_path(black_box(target), black_box(&D), &mut buf);
            let _ = black_box(r.map(str::len));
        }
        let per = start.elapsed() / rounds;
        println!("path {target:?} ({} bytes): {per:?} per call", target.len());
    }
    let request = Request::new("GET", "/api/v1/orders/42?verbose=1")
        .identity("spiffe://prod.example.com/ns/web/sa/frontend")
        .host("Payments.prod.svc:8443")
        .port(8443)
        .source(IpAddr::from([10, 1, 2, 3]))
        .header("x-env", b"prod")
        .header("user-agent", b"curl/8.0")
        .attr("tenant", "acme");
    let mut scratch = Scratch::new();
    let rounds = 1_000_000u32;
    let start = Instant::now();
    for _ in 0..rounds {
        let r = normalize(black_box(&request), black_box(&D), &mut scratch);
        let _ = black_box(r.map(|n| n.path.len()));
    }
    println!("whole request: {:?} per call", start.elapsed() / rounds);
    let time = |name: &str, f: &dyn Fn() -> bool| {
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(f());
        }
        println!("  {name}: {:?} per call", start.elapsed() / rounds);
    };
    time("method", &|| method::check_method(black_box("GET")).is_ok());
    time("identity", &|| {
        identity::check_identity(
            black_box("spiffe://prod.example.com/ns/web/sa/frontend"),
            2048,
        )
        .is_ok()
    });
    time("host", &|| {
        let mut buf = None;
        let mut heap = Vec::new();
        host::normalize_host(
            black_box("Payments.prod.svc:8443"),
            255,
            &mut buf,
            &mut heap,
        )
        .is_ok()
    });
    time("headers+attrs", &|| {
        headers::check_headers(&black_box(&request).headers, &D).is_ok()
            && headers::check_attrs(&black_box(&request).attrs, &D.limits).is_ok()
    });
}

#[test]
fn strict_escapes_refuse_what_a_second_decoder_could_change() {
    let strict = with(|o| o.strict_escapes = true);
    for path in [
        "/a/%252e%252e/b",
        "/a/..%3Bx",
        "/admin%20/x",
        "/%0dadmin",
        "/a%09",
        "/a%7F",
        "/%EF%BC%8Fadmin",
        "/%C3%A9",
        "/admin%3F/x",
        "/admin%3f",
        "/admin%23/x",
    ] {
        assert_eq!(
            normalize_path(path, &strict),
            Err(InvalidRequest::AmbiguousEscape),
            "{path}"
        );
        assert!(
            normalize_path(path, &D).is_ok(),
            "{path} is valid by default"
        );
    }
    for path in ["/a%2A", "/a%21", "/%41", "/a/%2e%2e/b", "/a%5B"] {
        assert!(normalize_path(path, &strict).is_ok(), "{path}");
    }
}
