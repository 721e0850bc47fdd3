//! The other attributes of a request through the public API (`docs/language.md`,
//! *Request normalization*): host, method, source, identity, headers and attributes,
//! one line per case, and the messages of every error.

use std::net::IpAddr;

use portcullis::Request;
use portcullis::normalize::InvalidRequest::{
    self as E, AmbiguousEscape, AmbiguousSource, DotDotOverEmptySegment, EncodedNul, EncodedSlash,
    Fragment, HeadersTooLarge, InvalidAttrs, InvalidHeaderName, InvalidHeaderValue, InvalidHost,
    InvalidIdentity, InvalidMethod, InvalidPathCharacter, InvalidQueryCharacter, InvalidUtf8,
    MalformedEscape, PaddedHeaderValue, PathNotAbsolute, PathTooLong,
};
use portcullis::normalize::{
    InvalidRequest, NormalizedRequest, Options, normalize_host, normalize_path, normalize_request,
};
use proptest::prelude::*;

/// A plain request with this identity, normalized with the default options.
fn with_identity(identity: &str) -> Result<NormalizedRequest, InvalidRequest> {
    normalize_request(
        &Request::new("GET", "/").identity(identity),
        &Options::default(),
    )
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
        ("payments.prod.svc:8443", Ok("payments.prod.svc")),
        ("[0::1]", Ok("[::1]")),
        ("host:", Ok("host")),
        ("h%41", Err(InvalidHost)),
    ];
    for &(input, expected) in cases {
        let got = normalize_host(input);
        assert_eq!(got.as_deref().map_err(|e| *e), expected, "host {input:?}");
        if let Ok(normal) = &got {
            assert_eq!(
                normalize_host(normal).as_deref(),
                Ok(normal.as_str()),
                "idempotence of {input:?}"
            );
        }
    }
    assert_eq!(normalize_host(&"a".repeat(255)).map(|h| h.len()), Ok(255));
    assert_eq!(normalize_host(&"a".repeat(256)), Err(InvalidHost));
}

#[test]
fn methods() {
    let method = |m: &str| normalize_request(&Request::new(m, "/"), &Options::default());
    for ok in ["GET", "POST", "M-SEARCH", "PROPFIND", "X!#$%&'*+-.^_`|~1"] {
        assert_eq!(method(ok).map(|n| n.method), Ok(ok.to_string()), "{ok:?}");
    }
    for bad in [
        "", "get", "Get", "GET ", "G T", "GET\r", "GÉT", "GET/", "(GET)", "GET:",
    ] {
        assert_eq!(method(bad).map(|_| ()), Err(InvalidMethod), "{bad:?}");
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
            let got = normalize_request(
                &Request::new("GET", "/").source(address),
                &Options::default(),
            )
            .map(|n| n.source);
            assert_eq!(got, want.map(Some), "{input:?}");
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
        assert_eq!(
            with_identity(identity).map(|n| n.identity),
            Ok(Some(identity.to_string())),
            "{identity:?}"
        );
    }
    let long_td = format!("spiffe://{}/a", "t".repeat(256));
    let max_td = format!("spiffe://{}/a", "t".repeat(255));
    assert!(with_identity(&max_td).is_ok());
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
            with_identity(identity).map(|_| ()),
            Err(InvalidIdentity),
            "{identity:?}"
        );
    }
    assert!(with_identity(&"a".repeat(2048)).is_ok());
    assert_eq!(
        with_identity(&"a".repeat(2049)).map(|_| ()),
        Err(InvalidIdentity)
    );
}

#[test]
fn headers_and_attrs() {
    let check = |r: &Request<'_>| normalize_request(r, &Options::default()).map(|_| ());
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
    let mut lax = Options::default();
    lax.underscores_in_headers = true;
    assert!(normalize_request(&underscored, &lax).is_ok());
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
    let request = Request::new("GET", "/a/./b%41?x")
        .identity("spiffe://td/ns/a")
        .host("SVC.local.:8443")
        .port(8443)
        .source(IpAddr::from([0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203]))
        .header("x-env", b"prod")
        .attr("tenant", "acme");
    let n = normalize_request(&request, &Options::default());
    assert!(n.is_ok(), "{n:?}");
    if let Ok(n) = n {
        assert_eq!(n.method, "GET");
        assert_eq!(n.path, "/a/bA");
        assert_eq!(n.identity.as_deref(), Some("spiffe://td/ns/a"));
        assert_eq!(n.host.as_deref(), Some("svc.local"));
        assert_eq!(n.port, Some(8443));
        assert_eq!(n.source, Some(IpAddr::from([10, 1, 2, 3])));
        assert_eq!(n.headers, [("x-env".to_string(), b"prod".to_vec())]);
        assert_eq!(n.attrs, [("tenant".to_string(), "acme".to_string())]);
    }
    let bare = normalize_request(&Request::new("GET", "/"), &Options::default());
    assert!(matches!(
        bare,
        Ok(NormalizedRequest {
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
        assert_eq!(
            normalize_request(request, &Options::default()).map(|_| ()),
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
        PaddedHeaderValue,
        AmbiguousEscape,
        HeadersTooLarge,
        InvalidAttrs,
        AmbiguousSource,
    ];
    for e in all {
        let m = e.to_string();
        assert!(!m.is_empty() && !m.contains('\n'), "{m:?}");
        assert!(m.chars().next().is_some_and(|c| !c.is_uppercase()), "{m:?}");
        assert!(!m.ends_with('.'), "{m:?}");
    }
    let message =
        |target: &str| normalize_path(target, &Options::default()).map_err(|e| e.to_string());
    assert_eq!(message("/a%2Fb"), Err("encoded slash in path".to_owned()));
    assert_eq!(
        message("/a#b"),
        Err("fragment (`#`) in request target".to_owned())
    );
    assert_eq!(
        message("/a//../b"),
        Err("`..` would remove an empty path segment".to_owned())
    );
    assert_eq!(
        normalize_host("").map_err(|e| e.to_string()),
        Err("invalid host".to_owned())
    );
}

proptest! {
    #[test]
    fn hosts_are_idempotent(h in "[A-Za-z0-9._~:\\[\\]@%-]{0,20}") {
        if let Ok(once) = normalize_host(&h) {
            prop_assert_eq!(normalize_host(&once), Ok(once.clone()));
        }
    }

    #[test]
    fn never_panics_on_any_text(s in "\\PC{0,40}") {
        let _ = normalize_host(&s);
        let _ = with_identity(&s);
        let _ = normalize_request(&Request::new(&s, "/"), &Options::default());
    }
}
