//! Normalization options and compile limits as configuration: serde, `FromStr`, and
//! compiling with them so that a reload keeps them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portcullis::normalize::{Backslash, EscapedSlashes, Options, Semicolon};
use portcullis::{CompileLimits, Compiler, Policy, Request};

/// Every name of every choice parses to the choice that prints it, and serde
/// spells it the same way.
#[test]
fn choice_names_round_trip() {
    fn check<T>(names: &[&str])
    where
        T: std::str::FromStr + std::fmt::Display + serde::Serialize + serde::de::DeserializeOwned,
        T::Err: std::fmt::Display,
    {
        for name in names {
            let parsed: T = name.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(parsed.to_string(), *name);
            assert_eq!(
                serde_json::to_string(&parsed).unwrap(),
                format!("\"{name}\"")
            );
            let back: T = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(back.to_string(), *name);
        }
        for bad in ["", "Reject", "REJECT", " reject", "nope"] {
            let err = bad
                .parse::<T>()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(&format!("`{bad}`")), "{bad}: {err}");
            for name in names {
                assert!(err.contains(&format!("`{name}`")), "{err}");
            }
            assert!(
                !err.contains("Options") && !err.contains("Slashes"),
                "{err}"
            );
        }
    }
    check::<EscapedSlashes>(EscapedSlashes::NAMES);
    check::<Backslash>(Backslash::NAMES);
    check::<Semicolon>(Semicolon::NAMES);
    assert_eq!(EscapedSlashes::NAMES, ["reject", "decode", "keep"]);
    assert_eq!(Backslash::NAMES, ["reject", "slash"]);
    assert_eq!(Semicolon::NAMES, ["reject", "keep", "strip"]);
}

#[test]
fn options_and_limits_round_trip_through_serde() {
    let mut options = Options::default();
    options.escaped_slashes = EscapedSlashes::Keep;
    options.backslash = Backslash::Slash;
    options.semicolon = Semicolon::Strip;
    options.merge_slashes = false;
    options.strict_escapes = true;
    options.underscores_in_headers = true;
    options.limits.max_headers = 7;
    let json = serde_json::to_value(options).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "escaped-slashes": "keep", "backslash": "slash", "semicolon": "strip",
            "merge-slashes": false, "strict-escapes": true, "underscores-in-headers": true,
            "limits": {"max-path-len": 4096, "max-host-len": 255, "max-identity-len": 2048,
                       "max-headers": 7, "max-header-bytes": 65536, "max-attrs": 64}
        })
    );
    assert_eq!(serde_json::from_value::<Options>(json).unwrap(), options);
    assert_eq!(
        serde_json::from_str::<Options>("{}").unwrap(),
        Options::default()
    );

    let mut limits = CompileLimits::default();
    limits.max_regex_bytes = 1024;
    let json = serde_json::to_value(limits).unwrap();
    assert_eq!(json["max-regex-bytes"], 1024);
    assert_eq!(
        serde_json::from_value::<CompileLimits>(json).unwrap(),
        limits
    );
}

#[test]
fn unknown_fields_and_choices_are_errors() {
    for bad in [
        r#"{"escaped_slashes": "keep"}"#,
        r#"{"escaped-slashes": "Keep"}"#,
        r#"{"merge-slashes": "no"}"#,
        r#"{"limits": {"max-paths": 1}}"#,
        r#"{"extra": 1}"#,
    ] {
        assert!(serde_json::from_str::<Options>(bad).is_err(), "{bad}");
    }
    assert!(serde_json::from_str::<CompileLimits>(r#"{"max-rule": 1}"#).is_err());
}

/// The trap of compiling again with `compile_sources`: the options go back to the
/// defaults. `recompile` and a `Compiler` keep them.
#[test]
fn recompiling_keeps_the_options_and_limits() {
    let mut options = Options::default();
    options.semicolon = Semicolon::Strip;
    let mut limits = CompileLimits::default();
    limits.max_rules = 2;
    let request = Request::new("GET", "/a;v=1/b");
    let v1 = r#"allow "v1" { path "/a/b" }"#;
    let v2 = r#"allow "v2" { path "/a/b" }"#;

    let policy = Compiler::new()
        .options(options)
        .limits(limits)
        .compile(v1)
        .unwrap();
    assert_eq!(policy.evaluate(&request).rule(), Some("v1"));
    assert_eq!(policy.limits(), &limits);

    let reloaded = policy.recompile([("policy", v2)]).unwrap();
    assert_eq!(reloaded.options(), &options);
    assert_eq!(reloaded.limits(), &limits);
    assert_eq!(reloaded.evaluate(&request).rule(), Some("v2"));
    let three = "allow \"a\" {}\nallow \"b\" {}\nallow \"c\" {}";
    assert!(
        policy.recompile([("policy", three)]).is_err(),
        "limits kept"
    );

    // Options set after compiling are kept too.
    let later = Policy::compile(v1).unwrap().with_options(options);
    let reloaded = later.recompile([("policy", v2)]).unwrap();
    assert_eq!(reloaded.evaluate(&request).rule(), Some("v2"));

    // What `compile_sources` does, for contrast: the defaults, which reject `;`.
    let fresh = Policy::compile_sources([("policy", v2)]).unwrap();
    assert_eq!(fresh.evaluate(&request).rule(), None);

    let file = portcullis::syntax::parse(v2).unwrap();
    let from_tree = policy.compiler().from_syntax(&file).unwrap();
    assert_eq!(from_tree.evaluate(&request).rule(), Some("v2"));
}
