//! Request normalization through the public API only (`docs/language.md`, *Request
//! normalization*).

use portcullis::normalize::{
    Backslash, EscapedSlashes, InvalidRequest, Options, Semicolon, normalize_host, normalize_path,
};

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

/// Language 1.1: `/admin//../public/x` is `/admin/public/x` to RFC 3986 resolvers,
/// URL parsers and Envoy, and `/public/x` to path cleaners that merge slashes first.
/// It is invalid, in every spelling, under every combination of options, merging on
/// or off.
#[test]
fn a_dot_dot_over_an_empty_segment_is_invalid_in_every_spelling() {
    let spellings = [
        "/admin//../public/x",
        "/admin//./../public/x",
        "/admin//%2e%2e/public/x",
        "/admin//%2E%2E/public/x",
        "/admin//.%2E/public/x",
        "/admin//%2e./public/x",
        "/admin%2F%2F..%2Fpublic/x",
        "/admin/%2f../public/x",
        "/admin\\\\..\\public/x",
        "/admin/\\../public/x",
        "/admin%5C%5C..%5Cpublic/x",
        "/admin//..;x/public/x",
        "/admin/;x/../public/x",
    ];
    for o in every_options() {
        for input in spellings {
            let got = normalize_path(input, &o);
            assert!(
                got.is_err() || !got.as_deref().is_ok_and(|p| p.starts_with("/public")),
                "{input:?} -> {got:?} under {o:?}"
            );
            if input.contains("//") && !input.contains(';') {
                // Raw `//` and dots: no option makes it anything but this error.
                assert_eq!(
                    got,
                    Err(InvalidRequest::DotDotOverEmptySegment),
                    "{input:?} under {o:?}"
                );
            }
        }
    }
    // Where the option reads the spelling as `/`, it is this error too.
    let mut decode = Options::default();
    decode.escaped_slashes = EscapedSlashes::Decode;
    let mut slash = Options::default();
    slash.backslash = Backslash::Slash;
    let mut both = decode;
    both.backslash = Backslash::Slash;
    let mut strip = Options::default();
    strip.semicolon = Semicolon::Strip;
    for (o, input) in [
        (&decode, "/admin%2F%2F..%2Fpublic/x"),
        (&decode, "/admin/%2f../public/x"),
        (&slash, "/admin\\\\..\\public/x"),
        (&slash, "/admin/\\../public/x"),
        (&both, "/admin%5C%5C..%5Cpublic/x"),
        (&strip, "/admin/;x/../public/x"),
    ] {
        assert_eq!(
            normalize_path(input, o),
            Err(InvalidRequest::DotDotOverEmptySegment),
            "{input:?} under {o:?}"
        );
    }
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
        for input in [
            "/public/../admin",
            "/public/%2e%2e/admin",
            "/public/..%2fadmin",
            "/public/..%5cadmin",
            "/public\\..\\admin",
            "/public/..;/admin",
            "/public/.;/admin",
            "/public//..//admin",
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
fn path_limit() {
    let o = Options::default();
    let ok = format!("/{}", "a".repeat(4095));
    assert_eq!(normalize_path(&ok, &o).map(|p| p.len()), Ok(4096));
    let long = format!("/{}", "a".repeat(4096));
    assert_eq!(normalize_path(&long, &o), Err(InvalidRequest::PathTooLong));
    let mut big = Options::default();
    big.limits.max_path_len = 20_000;
    let long = format!("/{}/./x/../%41", "a".repeat(10_000));
    assert_eq!(
        normalize_path(&long, &big),
        Ok(format!("/{}/A", "a".repeat(10_000)))
    );
}

#[test]
fn hosts() {
    let cases: &[(&str, Option<&str>)] = &[
        ("EXAMPLE.com.:443", Some("example.com")),
        ("payments.prod.svc:8443", Some("payments.prod.svc")),
        ("a.b..", None),
        ("[::1]", Some("[::1]")),
        ("[::1]:80", Some("[::1]")),
        ("[::1]:8443", Some("[::1]")),
        ("[0::1]", Some("[::1]")),
        ("a:b:c", None),
        ("user@host", None),
        ("", None),
        ("host:99999", None),
        ("host:", Some("host")),
        ("[::1]x", None),
        ("h%41", None),
    ];
    for &(input, expected) in cases {
        let got = normalize_host(input);
        assert_eq!(got.as_deref().ok(), expected, "{input:?}");
        if expected.is_none() {
            assert_eq!(got, Err(InvalidRequest::InvalidHost), "{input:?}");
        }
    }
}

#[test]
fn error_messages() {
    assert_eq!(
        normalize_path("/a%2Fb", &Options::default()).map_err(|e| e.to_string()),
        Err("encoded slash in path".to_owned())
    );
    assert_eq!(
        normalize_host("").map_err(|e| e.to_string()),
        Err("invalid host".to_owned())
    );
    assert_eq!(
        normalize_path("/a#b", &Options::default()).map_err(|e| e.to_string()),
        Err("fragment (`#`) in request target".to_owned())
    );
    assert_eq!(
        normalize_path("/a//../b", &Options::default()).map_err(|e| e.to_string()),
        Err("`..` would remove an empty path segment".to_owned())
    );
}
