//! Request paths through the public API (`docs/language.md`, *Request normalization*):
//! each step's cases, one line per case, under the options that matter for it; the
//! 1.1 rules under every combination of options; and properties against the
//! reference's own literal reading of the steps (`portcullis-support`).

use portcullis::normalize::InvalidRequest::{
    self as E, DotDotOverEmptySegment, EncodedNul, EncodedSlash, Fragment, InvalidPathCharacter,
    InvalidQueryCharacter, InvalidUtf8, MalformedEscape, PathNotAbsolute, PathTooLong,
};
use portcullis::normalize::{
    Backslash, EscapedSlashes, InvalidRequest, Options, Semicolon, normalize_path,
};
use portcullis_support::reference::normalize as reference;
use proptest::prelude::*;

fn options(
    escaped: EscapedSlashes,
    backslash: Backslash,
    semicolon: Semicolon,
    merge: bool,
) -> Options {
    let mut o = Options::default();
    o.escaped_slashes = escaped;
    o.backslash = backslash;
    o.semicolon = semicolon;
    o.merge_slashes = merge;
    o
}

fn every_options() -> Vec<Options> {
    let mut all = Vec::new();
    for e in [
        EscapedSlashes::Reject,
        EscapedSlashes::Decode,
        EscapedSlashes::Keep,
    ] {
        for b in [Backslash::Reject, Backslash::Slash] {
            for s in [Semicolon::Reject, Semicolon::Keep, Semicolon::Strip] {
                for m in [true, false] {
                    all.push(options(e, b, s, m));
                }
            }
        }
    }
    all
}

fn run(options: &Options, cases: &[(&str, Result<&str, InvalidRequest>)]) {
    for &(input, expected) in cases {
        let got = normalize_path(input, options);
        assert_eq!(
            got.as_deref().map_err(|e| *e),
            expected,
            "{input:?} under {options:?}"
        );
        if let Ok(once) = &got {
            assert_eq!(
                normalize_path(once, options).as_deref(),
                Ok(once.as_str()),
                "idempotence of {input:?}"
            );
        }
    }
}

/// The default options with `f` applied.
fn with(f: impl FnOnce(&mut Options)) -> Options {
    let mut o = Options::default();
    f(&mut o);
    o
}

#[test]
fn defaults_refuse_every_ambiguous_construct() {
    use InvalidRequest::*;
    run(
        &Options::default(),
        &[
            ("/api/v1/orders/42?verbose=1", Ok("/api/v1/orders/42")),
            ("/a/%2e%2e/b", Ok("/b")),
            ("/a/%2E./b", Ok("/b")),
            ("/..%2f", Err(EncodedSlash)),
            ("//a", Ok("/a")),
            ("/a\\..\\b", Err(Backslash)),
            ("/a/..;/b", Err(Semicolon)),
            ("/%252e", Ok("/%252e")),
            ("/%C0%AE", Err(InvalidUtf8)),
            ("/%FF", Err(InvalidUtf8)),
            ("/%E2%80%AE", Ok("/%E2%80%AE")),
            ("/%00", Err(EncodedNul)),
            ("/%0a", Ok("/%0A")),
            ("/%7e", Ok("/~")),
            ("/%41", Ok("/A")),
            ("/a#/../b", Err(Fragment)),
            ("/a?x#y", Err(Fragment)),
            ("/a//../b", Err(DotDotOverEmptySegment)),
            ("/a?/../b", Ok("/a")),
            ("/a?x=%2F..%2F", Ok("/a")),
            ("/a?\n", Err(InvalidQueryCharacter)),
            ("/a b", Err(InvalidPathCharacter)),
            ("/%zz", Err(MalformedEscape)),
            ("a", Err(PathNotAbsolute)),
        ],
    );
}

#[test]
fn dot_dot_semicolon_under_each_semicolon_option() {
    let mut o = Options::default();
    o.semicolon = Semicolon::Reject;
    run(&o, &[("/a/..;/b", Err(InvalidRequest::Semicolon))]);
    o.semicolon = Semicolon::Keep;
    run(&o, &[("/a/..;/b", Ok("/a/..;/b"))]);
    o.semicolon = Semicolon::Strip;
    run(&o, &[("/a/..;/b", Ok("/b")), ("/a;x=1/b;y", Ok("/a/b"))]);
}

#[test]
fn escaped_slash_options() {
    let mut o = Options::default();
    o.escaped_slashes = EscapedSlashes::Decode;
    run(
        &o,
        &[
            ("/..%2f", Ok("/")),
            ("/a%2Fb", Ok("/a/b")),
            ("/a%5Cb", Err(InvalidRequest::Backslash)),
        ],
    );
    o.backslash = Backslash::Slash;
    run(&o, &[("/a%5C..%5Cb", Ok("/b")), ("/a\\..\\b", Ok("/b"))]);
    o.escaped_slashes = EscapedSlashes::Keep;
    run(
        &o,
        &[
            ("/..%2f", Ok("/..%2F")),
            ("/a%2fb", Ok("/a%2Fb")),
            ("/a%5cb", Ok("/a%5Cb")),
        ],
    );
}

#[test]
fn merge_off_keeps_empty_segments() {
    let mut o = Options::default();
    o.merge_slashes = false;
    run(
        &o,
        &[
            ("//a", Ok("//a")),
            ("/a//b/", Ok("/a//b/")),
            ("/a/..//b", Ok("//b")),
            ("/a//b/../c", Ok("/a//c")),
            ("/a//../b", Err(InvalidRequest::DotDotOverEmptySegment)),
        ],
    );
}

/// Language 1.1: a `#` anywhere makes the request invalid, in the path or the query;
/// an escaped `%23` is text.
#[test]
fn a_fragment_is_invalid() {
    for o in every_options() {
        for input in [
            "/a#",
            "/a#b",
            "/#",
            "/a?x#y",
            "/a?#",
            "/public/x#/../../admin",
        ] {
            assert_eq!(
                normalize_path(input, &o),
                Err(InvalidRequest::Fragment),
                "{input:?}"
            );
        }
        assert_eq!(normalize_path("/a%23b", &o).as_deref(), Ok("/a%23b"));
    }
}

#[test]
fn no_option_lets_a_dot_segment_through() {
    for o in every_options() {
        // None of these may escape the root or keep a dot segment.
        for input in [
            "/public/../admin",
            "/public/%2e%2e/admin",
            "/public/%2E./admin",
            "/public/..%2fadmin",
            "/public/..%5cadmin",
            "/public\\..\\admin",
            "/public/..;/admin",
            "/public/.;/admin",
            "/public//../admin",
            "/public//..//admin",
            "/public/./../admin",
            "/public/%252e%252e/admin",
            "/public/%C0%AE%C0%AE/admin",
        ] {
            if let Ok(p) = normalize_path(input, &o) {
                assert!(
                    !p.split('/').any(|s| s == "." || s == ".."),
                    "{input:?} -> {p:?} under {o:?}"
                );
                assert!(p.starts_with('/'));
            }
        }
    }
}

#[test]
fn step1_absolute() {
    run(
        &Options::default(),
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
    );
}

#[test]
fn step2_query_and_fragment() {
    run(
        &Options::default(),
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
    );
}

#[test]
fn step3_escapes() {
    run(
        &Options::default(),
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
    );
}

#[test]
fn step3_raw_bytes() {
    run(
        &Options::default(),
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
    );
}

#[test]
fn step4_escaped_slashes() {
    let reject = Options::default();
    let decode = with(|o| o.escaped_slashes = EscapedSlashes::Decode);
    let keep = with(|o| o.escaped_slashes = EscapedSlashes::Keep);
    let decode_bs = with(|o| {
        o.escaped_slashes = EscapedSlashes::Decode;
        o.backslash = Backslash::Slash;
    });
    run(
        &reject,
        &[
            ("/a%2Fb", Err(EncodedSlash)),
            ("/a%2fb", Err(EncodedSlash)),
            ("/a%5Cb", Err(EncodedSlash)),
            ("/a%5cb", Err(EncodedSlash)),
            ("/..%2f", Err(EncodedSlash)),
            ("/a?%2F", Ok("/a")),
        ],
    );
    run(
        &decode,
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
    );
    run(
        &decode_bs,
        &[
            ("/a%5Cb", Ok("/a/b")),
            ("/a%5c..%5cb", Ok("/b")),
            ("/a%5C%2F%5Cb", Ok("/a/b")),
        ],
    );
    run(
        &keep,
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
    );
}

#[test]
fn step5_backslash() {
    let slash = with(|o| o.backslash = Backslash::Slash);
    run(
        &Options::default(),
        &[
            ("/a\\b", Err(E::Backslash)),
            ("/a\\..\\b", Err(E::Backslash)),
        ],
    );
    run(
        &slash,
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
    );
    let slash_keep = with(|o| {
        o.backslash = Backslash::Slash;
        o.escaped_slashes = EscapedSlashes::Keep;
    });
    run(
        &slash_keep,
        &[
            ("/a%5C..\\b", Ok("/a%5C../b")),
            ("/a/%5C..\\..\\b", Ok("/a/b")),
            ("/a\\b%5c", Ok("/a/b%5C")),
        ],
    );
}

#[test]
fn step6_semicolon() {
    let keep = with(|o| o.semicolon = Semicolon::Keep);
    let strip = with(|o| o.semicolon = Semicolon::Strip);
    run(
        &Options::default(),
        &[
            ("/a;b", Err(E::Semicolon)),
            ("/a/..;/b", Err(E::Semicolon)),
            ("/a?;", Ok("/a")),
            ("/a%3Bb", Ok("/a%3Bb")),
        ],
    );
    run(
        &keep,
        &[
            ("/a;b", Ok("/a;b")),
            ("/a/..;/b", Ok("/a/..;/b")),
            ("/a/;/b", Ok("/a/;/b")),
            ("/a;/..", Ok("/")),
            ("/a/..;", Ok("/a/..;")),
        ],
    );
    run(
        &strip,
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
    );
    let strip_decode = with(|o| {
        o.semicolon = Semicolon::Strip;
        o.escaped_slashes = EscapedSlashes::Decode;
    });
    run(
        &strip_decode,
        &[("/a;x%2F..;y/b", Ok("/b")), ("/a;x%2Fb", Ok("/a/b"))],
    );
    let strip_keep = with(|o| {
        o.semicolon = Semicolon::Strip;
        o.escaped_slashes = EscapedSlashes::Keep;
    });
    run(&strip_keep, &[("/a;x%2F..;y/b", Ok("/a/b"))]);
    let strip_nomerge = with(|o| {
        o.semicolon = Semicolon::Strip;
        o.merge_slashes = false;
    });
    run(&strip_nomerge, &[("/a/;x/b", Ok("/a//b"))]);
}

/// Language 1.1: `/admin//../public/x` is `/admin/public/x` to RFC 3986 resolvers,
/// URL parsers and Envoy, and `/public/x` to path cleaners that merge slashes first.
/// It is invalid, in every spelling, under every combination of options, merging on
/// or off.
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
    for o in &every_options() {
        for &(input, reaches) in cases {
            let got = normalize_path(input, o);
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
    for o in &every_options() {
        for (input, merged, unmerged) in [
            ("/a/b/../c", "/a/c", "/a/c"),
            ("/a//b/../c", "/a/c", "/a//c"),
            ("//a/../b", "/b", "//b"),
            ("/..//a", "/a", "//a"),
            ("/a/b/..//c", "/a/c", "/a//c"),
        ] {
            let want = if o.merge_slashes { merged } else { unmerged };
            assert_eq!(
                normalize_path(input, o).as_deref(),
                Ok(want),
                "{input:?} under {o:?}"
            );
        }
    }
    let keep = with(|o| o.escaped_slashes = EscapedSlashes::Keep);
    // A kept `%2F` is text: `..` removes the segment `a%2F`.
    run(&keep, &[("/x/a%2F/../b", Ok("/x/b"))]);
    let keep_semicolon = with(|o| o.semicolon = Semicolon::Keep);
    run(&keep_semicolon, &[("/x/;/../b", Ok("/x/b"))]);
}

#[test]
fn step8_merge_slashes() {
    let off = with(|o| o.merge_slashes = false);
    run(
        &Options::default(),
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
    );
    run(
        &off,
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
    );
}

#[test]
fn step9_dot_segments() {
    run(
        &Options::default(),
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
    );
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
            normalize_path(path, &Options::default()).is_ok(),
            "{path} is valid by default"
        );
    }
    for path in ["/a%2A", "/a%21", "/%41", "/a/%2e%2e/b", "/a%5B"] {
        assert!(normalize_path(path, &strict).is_ok(), "{path}");
    }
}

#[test]
fn limits() {
    let long = format!("/{}", "a".repeat(4095));
    assert_eq!(
        normalize_path(&long, &Options::default()).as_deref(),
        Ok(long.as_str())
    );
    let too_long = format!("/{}", "a".repeat(4096));
    assert_eq!(
        normalize_path(&too_long, &Options::default()),
        Err(PathTooLong)
    );
    let with_query = format!("/a?{}", "q".repeat(4094));
    assert_eq!(
        normalize_path(&with_query, &Options::default()),
        Err(PathTooLong)
    );
    // A larger configured limit.
    let big = with(|o| o.limits.max_path_len = 10_000);
    let long_dots = format!("/{}/../b/./c%41//d", "x".repeat(6000));
    assert_eq!(normalize_path(&long_dots, &big).as_deref(), Ok("/b/cA/d"));
    let long_kept = format!("/{}%c3%a9", "y".repeat(8000));
    assert_eq!(
        normalize_path(&long_kept, &big),
        Ok(format!("/{}%C3%A9", "y".repeat(8000)))
    );
    let exactly = format!("/{}%41", "z".repeat(4092));
    assert_eq!(exactly.len(), 4096);
    assert_eq!(
        normalize_path(&exactly, &Options::default()),
        Ok(format!("/{}A", "z".repeat(4092)))
    );
}

// --- properties against the reference ---

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

/// Every combination of the path options, `strict_escapes` too.
fn any_options() -> impl Strategy<Value = Options> {
    (prop::sample::select(every_options()), any::<bool>()).prop_map(|(mut o, strict)| {
        o.strict_escapes = strict;
        o
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// The library and the reference agree on whether a path is valid and on what
    /// it becomes.
    #[test]
    fn matches_the_reference(p in byteish_path(), o in any_options()) {
        let got = normalize_path(&p, &o);
        let want = reference::path(&p, &o);
        prop_assert_eq!(got.as_ref().ok(), want.as_ref(), "{:?} -> {:?} under {:?}", p, got, o);
    }

    #[test]
    fn is_idempotent(p in byteish_path(), o in any_options()) {
        if let Ok(once) = normalize_path(&p, &o) {
            prop_assert_eq!(normalize_path(&once, &o), Ok(once.clone()), "{:?}", p);
            prop_assert!(once.starts_with('/'));
            prop_assert!(!once.split('/').any(|s| s == "." || s == ".."));
            if o.merge_slashes {
                prop_assert!(!once.contains("//"));
            }
        }
    }

    #[test]
    fn never_panics_on_any_text(p in "\\PC{0,40}", o in any_options()) {
        let _ = normalize_path(&p, &o);
        let _ = normalize_path(&format!("/{p}"), &o);
    }

    #[test]
    fn never_panics_on_any_chars(p in ".{0,40}", o in any_options()) {
        if let Ok(once) = normalize_path(&format!("/{p}"), &o) {
            prop_assert_eq!(normalize_path(&once, &o), Ok(once.clone()));
        }
    }
}
