//! Every compile-time error (`docs/language.md`, *Errors*), reported where it belongs,
//! all in one run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use portcullis::{CompileLimits, Policy};

/// Compiles `source` and returns `(line, column, message)` of every error.
fn errors(source: &str) -> Vec<(u32, u32, String)> {
    match Policy::compile(source) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| (d.line(), d.column(), d.message().to_string()))
            .collect(),
    }
}

/// One case: a source with exactly one error at `line:col` whose message contains `needle`.
#[track_caller]
fn one(source: &str, line: u32, col: u32, needle: &str) {
    let found = errors(source);
    assert_eq!(found.len(), 1, "{source:?} gave {found:?}");
    let (l, c, m) = &found[0];
    assert_eq!((*l, *c), (line, col), "{source:?}: {m}");
    assert!(m.contains(needle), "{source:?}: `{m}` lacks `{needle}`");
}

#[test]
fn each_error_of_section_8() {
    let cases: &[(&str, u32, u32, &str)] = &[
        ("allow \"r\" {", 1, 11, "unclosed `{` of rule \"r\""),
        ("default deny\ndefault allow", 2, 1, "second `default`"),
        (
            "allow \"r\" {}\ndeny \"r\" {}",
            2,
            6,
            "duplicate rule name `r`",
        ),
        (
            "let a = [\"x\"]\nlet a = [\"y\"]",
            2,
            5,
            "duplicate `let` name `a`",
        ),
        (
            "test \"t\" {}\ntest \"t\" {}",
            2,
            6,
            "duplicate test name `t`",
        ),
        (
            "let fronts = [\"x\"]\nallow \"r\" { identity in front }",
            2,
            25,
            "did you mean `fronts`?",
        ),
        (
            "let o = [10.0.0.0/8]\nallow \"r\" { identity in o }",
            2,
            25,
            "`o` holds addresses, but `identity` takes strings",
        ),
        (
            "allow \"r\" { identity 10.0.0.1 }",
            1,
            22,
            "takes strings, found address",
        ),
        (
            "allow \"r\" { source \"10.0.0.1\" }",
            1,
            20,
            "takes addresses",
        ),
        (
            "allow \"r\" { source 10.0.0.256 }",
            1,
            20,
            "invalid IPv4 address",
        ),
        ("allow \"r\" { source 10.1.2.3/8 }", 1, 20, "host bits"),
        ("allow \"r\" { source 2001:db8::1/32 }", 1, 20, "host bits"),
        ("allow \"r\" { source 010.0.0.1 }", 1, 20, "leading zero"),
        ("allow \"r\" { source 10.0.0.0/33 }", 1, 20, "prefix length"),
        (
            "allow \"r\" { source 10.0.0.0/08 }",
            1,
            20,
            "has a leading zero; did you mean `/8`?",
        ),
        ("allow \"r\" { port 65536 }", 1, 18, "above 65535"),
        ("allow \"r\" { port 90..80 }", 1, 18, "starts after it ends"),
        ("allow \"r\" { port 80..65536 }", 1, 18, "above 65535"),
        (
            "allow \"r\" { path \"a\" }",
            1,
            18,
            "does not begin with `/`",
        ),
        ("allow \"r\" { path \"/a/../b\" }", 1, 18, "normalized form"),
        ("allow \"r\" { path \"/a//b\" }", 1, 18, "normalized form"),
        ("allow \"r\" { path \"/a%2Fb\" }", 1, 18, "encoded slash"),
        ("allow \"r\" { path \"/a%41\" }", 1, 18, "normalized form"),
        ("allow \"r\" { path \"/**/a\" }", 1, 18, "last segment"),
        (
            "allow \"r\" { path \"/a b\" }",
            1,
            18,
            "invalid path pattern",
        ),
        (
            "allow \"r\" { path ~ \"(\" }",
            1,
            20,
            "invalid regular expression",
        ),
        (
            "allow \"r\" { header \"x\" ~ \"a{1000}{1000}\" }",
            1,
            26,
            "too large",
        ),
        ("allow \"r\" { method \"get\" }", 1, 20, "not upper case"),
        // A `let` no rule uses is still checked for undefined names and cycles.
        ("let a = [zzz]", 1, 10, "undefined name `zzz`"),
        ("let a = [a]", 1, 10, "`a` is defined in terms of itself"),
        (
            "let a = b\nlet b = a",
            2,
            9,
            "`a` is defined in terms of itself",
        ),
        // A method string held by a `let` is checked where it is used as a method (a
        // string's meaning depends on its subject), and reported at the value.
        (
            "let m = [\"get\"]\nallow \"r\" { method in m }",
            1,
            10,
            "not upper case",
        ),
        (
            "let m = [\"GE T\", \"PUT\"]\nallow \"r\" { method in m }\nallow \"s\" { method in m }",
            1,
            10,
            "invalid method",
        ),
        ("allow \"r\" { method \"GE T\" }", 1, 20, "invalid method"),
        ("allow \"r\" { method get }", 1, 20, "did you mean `GET`?"),
        (
            "allow \"r\" { method present }",
            1,
            13,
            "`present` is not allowed for `method`",
        ),
        (
            "allow \"r\" { path present }",
            1,
            13,
            "`present` is not allowed for `path`",
        ),
        (
            "allow \"r\" { port ~ \"80\" }",
            1,
            20,
            "`~` is not allowed for `port`",
        ),
        ("allow \"r\" { host \"a:80\" }", 1, 18, "has a port"),
        (
            "allow \"r\" { identiy \"x\" }",
            1,
            13,
            "did you mean `identity`?",
        ),
        (
            "test \"t\" { allow GET \"/\" port 70000 }",
            1,
            31,
            "above 65535",
        ),
        (
            "test \"t\" { allow GET \"/\" source 10.0.0.0/8 }",
            1,
            33,
            "one address",
        ),
        (
            "deny \"r\" { identity \"spiffe://Prod.example/**\" }",
            1,
            21,
            "can never match a valid identity: the SPIFFE trust domain must be lower case",
        ),
        (
            "allow \"r\" { identity \"spiffe://td/ns//sa/x\" }",
            1,
            22,
            "a SPIFFE ID has no empty path segment",
        ),
        (
            "let ids = [\"ok\", \"SPIFFE://td/x\"]\nallow \"r\" { identity in ids }",
            1,
            18,
            "whose scheme is `spiffe://` in lower case",
        ),
        (
            "allow \"r\" { not identity in [\"a\", \"spiffe:/td/x\"] }",
            1,
            35,
            "which begins with `spiffe://`",
        ),
    ];
    for &(source, line, col, needle) in cases {
        one(source, line, col, needle);
    }
}

/// Language 1.1: an identity pattern that no valid identity can match is an error,
/// since in a `deny` rule it would silently never deny; one that some valid identity
/// matches compiles, SPIFFE or not.
#[test]
fn identity_patterns_that_can_never_match() {
    for pattern in [
        "spiffe://prod.example.com/ns/web/sa/frontend",
        "spiffe://prod.example.com/**",
        "spiffe://td",
        "spiffe://*/ns/web",
        "spiffe://td/*",
        "spiffe://td/**",
        "spifee://Staging.example.com/x",
        "CN=frontend,O=Example",
        "*",
        "**",
    ] {
        let text = format!("deny \"r\" {{ identity \"{pattern}\" }}");
        assert!(errors(&text).is_empty(), "{pattern}: {:?}", errors(&text));
    }
    for (pattern, reason) in [
        (
            "spiffe://Staging.example.com/**",
            "the SPIFFE trust domain must be lower case",
        ),
        ("SPIFFE://td/x", "in lower case"),
        ("Spiffe://td/**", "in lower case"),
        ("spiffe:/td/x", "begins with `spiffe://`"),
        ("spiffe://td/a/./b", "no `.` or `..` path segment"),
        ("spiffe://td/x/", "no empty path segment"),
        ("spiffe://td/**/", "no empty path segment"),
        ("spiffe://td:8443/x", "no port, user or percent-encoding"),
        ("spiffe://td/a b", "path segments have only"),
        ("", "never empty"),
        ("a/../b", "no `.` or `..` segment"),
    ] {
        let text = format!("deny \"r\" {{ identity \"{pattern}\" }}");
        one(&text, 1, 21, reason);
    }
    // Every bad pattern is reported, where it is written.
    let found = errors(
        "let staging = \"spiffe://Staging.example/**\"\n\
         deny \"a\" { identity staging }\n\
         deny \"b\" { identity \"spiffe://td//x\", \"spiffe://td/x\", \"SPIFFE://td/y\" }",
    );
    let places: Vec<(u32, u32)> = found.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(places, [(1, 15), (3, 21), (3, 56)], "{found:?}");
    // A regular expression on identities is not checked.
    assert!(errors("deny \"r\" { identity ~ \"SPIFFE://.*\" }").is_empty());
}

#[test]
fn all_errors_in_one_run_in_source_order() {
    let found = errors(
        "default deny\ndefault allow\nallow \"a\" { port 70000 }\nallow \"b\" { method get }\nallow \"a\" {}\n",
    );
    let lines: Vec<u32> = found.iter().map(|e| e.0).collect();
    assert_eq!(lines, [2, 3, 4, 5], "{found:?}");
}

#[test]
fn errors_across_sources_name_their_file() {
    let err = Policy::compile_sources([("a.pcl", "allow \"r\" {}"), ("b.pcl", "\nallow \"r\" {}")])
        .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!((d.file(), d.line(), d.column()), ("b.pcl", 2, 7));
    assert!(
        err.to_string()
            .starts_with("b.pcl:2:7: error: duplicate rule name `r`\n")
    );
}

#[test]
fn names_are_order_free_and_cycles_are_errors() {
    assert!(errors("allow \"r\" { identity in ids }\nlet ids = [\"a\"]").is_empty());
    assert!(
        errors("let a = [b]\nlet b = [\"x\", c]\nlet c = [\"y\"]\nallow \"r\" { identity in a }")
            .is_empty()
    );
    let found = errors("let a = [b]\nlet b = [a]\nallow \"r\" { identity in a }");
    assert!(
        found.iter().any(|e| e.2.contains("in terms of itself")),
        "{found:?}"
    );
}

#[test]
fn limits_fail_with_clear_errors() {
    let mut limits = CompileLimits::default();
    limits.max_values = 3;
    let err = Policy::compile_sources_with([("p", "allow \"r\" { port 1, 2, 3, 4 }")], &limits)
        .unwrap_err();
    assert!(err.to_string().contains("more than 3 values"), "{err}");

    // Exponential splicing is cut off by the value limit, quickly.
    let mut text = String::from("let l0 = [\"x\", \"y\"]\n");
    for i in 1..30 {
        text.push_str(&format!("let l{i} = [l{}, l{}]\n", i - 1, i - 1));
    }
    text.push_str("allow \"r\" { identity in l29 }\n");
    let err = Policy::compile(&text).unwrap_err();
    assert!(err.to_string().contains("values in one condition"), "{err}");

    // Deep chains of names stop at the depth limit instead of overflowing the stack.
    let mut text = String::from("let n0 = [\"x\"]\n");
    for i in 1..5000 {
        text.push_str(&format!("let n{i} = n{}\n", i - 1));
    }
    text.push_str("allow \"r\" { identity in n4999 }\n");
    let err = Policy::compile(&text).unwrap_err();
    assert!(err.to_string().contains("deep"), "{err}");

    let mut limits = CompileLimits::default();
    limits.max_regex_bytes = 1000;
    let err =
        Policy::compile_sources_with([("p", "allow \"r\" { path ~ \"/[a-z]{50}\" }")], &limits)
            .unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
}

/// Compiles `source` and returns `(line, column, code)` of every error.
fn codes(source: &str) -> Vec<(u32, u32, &'static str)> {
    match Policy::compile(source) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| (d.line(), d.column(), d.code().as_str()))
            .collect(),
    }
}

#[test]
fn every_error_has_a_stable_code() {
    let cases: &[(&str, &str)] = &[
        ("allow \"r\" {", "syntax"),
        ("default deny\ndefault allow", "duplicate-default"),
        ("let a = 1\nlet a = 2", "duplicate-let"),
        ("allow \"r\" {}\ndeny \"r\" {}", "duplicate-rule"),
        ("test \"t\" {}\ntest \"t\" {}", "duplicate-test"),
        ("allow \"r\" { identity in x }", "undefined-name"),
        ("let a = a\nallow \"r\" { identity in a }", "name-cycle"),
        (
            "let a = 10.0.0.0/8\nallow \"r\" { identity in a }",
            "type-mismatch",
        ),
        ("allow \"r\" { port \"80\" }", "type-mismatch"),
        ("allow \"r\" { method present }", "invalid-test"),
        ("allow \"r\" { port ~ \"8\" }", "invalid-test"),
        ("allow \"r\" { source 10.1.2.3/8 }", "invalid-address"),
        ("allow \"r\" { port 70000 }", "invalid-port"),
        ("allow \"r\" { port 9..8 }", "invalid-port"),
        ("allow \"r\" { method \"get\" }", "invalid-method"),
        ("allow \"r\" { path \"/a//b\" }", "invalid-path-pattern"),
        ("allow \"r\" { host \"a:1\" }", "invalid-host-pattern"),
        (
            "allow \"r\" { identity \"SPIFFE://td/x\" }",
            "invalid-identity-pattern",
        ),
        ("allow \"r\" { path ~ \"(\" }", "invalid-regex"),
        (
            "allow \"r\" { header \"a b\" present }",
            "invalid-header-name",
        ),
        (
            "test \"t\" { allow GET \"/\" port 1 port 2 }",
            "invalid-expectation",
        ),
        (
            "test \"t\" { allow GET \"/\" source 10.0.0.0/8 }",
            "invalid-expectation",
        ),
    ];
    for &(source, code) in cases {
        let found = codes(source);
        assert_eq!(found.len(), 1, "{source:?} gave {found:?}");
        assert_eq!(found[0].2, code, "{source:?}");
    }
    let mut limits = CompileLimits::default();
    limits.max_rules = 1;
    let err = Policy::compile_sources_with([("p", "allow \"a\" {}\nallow \"b\" {}")], &limits)
        .unwrap_err();
    assert_eq!(err.diagnostics()[0].code().as_str(), "compile-limit");
}

#[test]
fn errors_have_an_end() {
    let err = Policy::compile("allow \"r\" {\n  source 10.1.2.3/8\n}").unwrap_err();
    let at = err.diagnostics()[0].location();
    assert_eq!(
        (at.line(), at.column(), at.end_line(), at.end_column()),
        (2, 10, 2, 20)
    );
    assert_eq!((at.span().start, at.span().end), (21, 31));
}

#[test]
fn duplicates_point_at_the_first_definition() {
    type Case<'a> = (&'a str, (u32, u32), (u32, u32), &'a str);
    let cases: &[Case] = &[
        (
            "allow \"r\" {}\ndeny \"r\" {}",
            (2, 6),
            (1, 7),
            "first defined here",
        ),
        (
            "let a = 1\n\nlet a = 2",
            (3, 5),
            (1, 5),
            "first defined here",
        ),
        (
            "test \"t\" {}\ntest \"t\" {}",
            (2, 6),
            (1, 6),
            "first defined here",
        ),
        (
            "default deny\n  default allow",
            (2, 3),
            (1, 1),
            "the first `default` is here",
        ),
    ];
    for &(source, at, first, label) in cases {
        let err = Policy::compile(source).unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!((d.line(), d.column()), at, "{source:?}");
        let related = d.related();
        assert_eq!(related.len(), 1, "{source:?}");
        let r = &related[0];
        assert_eq!(
            (r.location().line(), r.location().column()),
            first,
            "{source:?}"
        );
        assert_eq!(r.label(), label);
    }
    // Across files, the note names the file of the first definition.
    let err = Policy::compile_sources([("a.pcl", "allow \"r\" {}"), ("b.pcl", "\nallow \"r\" {}")])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "b.pcl:2:7: error: duplicate rule name `r`\n  |\n2 | allow \"r\" {}\n  |       ^^^\n\
         a.pcl:1:7: note: first defined here\n  |\n1 | allow \"r\" {}\n  |       ^^^\n"
    );
}

#[test]
fn every_bad_word_is_reported() {
    // Both the lower-case name and the mixed-case method, not only the second.
    assert_eq!(
        errors("allow \"r\" { method get, Post }"),
        [
            (
                1,
                20,
                "undefined name `get`; methods are upper case: did you mean `GET`?".to_string()
            ),
            (
                1,
                25,
                "method `Post` is not upper case; did you mean `POST`?".to_string()
            ),
        ]
    );
    one(
        "let Office = [10.0.0.0/8]\nallow \"r\" { source 10.0.0.0/8 }",
        1,
        5,
        "invalid name `Office`: a name is lower-case letters, digits and `_`",
    );
    one(
        "allow \"r\" { identity in a-b }",
        1,
        25,
        "invalid name `a-b`",
    );
    assert_eq!(
        codes("let Office = 1\nallow \"r\" { identity in a-b }"),
        [(1, 5, "invalid-name"), (2, 25, "invalid-name")]
    );
}

#[test]
fn checked_rules_keep_their_places_and_condition_texts() {
    let policy = Policy::compile_sources([
        ("base.pcl", "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]\n"),
        (
            "rules.pcl",
            "allow \"reads\" {\n  identity in ops   # ops only\n  method GET,\n    HEAD\n}\n\n  deny \"no debug\" { header \"x-debug\" present }\n",
        ),
    ])
    .unwrap();
    let rules: Vec<_> = policy.rules().collect();
    assert_eq!(rules.len(), 2);
    let summary: Vec<_> = rules
        .iter()
        .map(|r| {
            let at = (r.file(), r.span().line, r.span().column);
            let conditions: Vec<_> = r
                .conditions()
                .map(|c| (c.text(), c.file(), c.span().line, c.span().column))
                .collect();
            (r.index(), r.name(), r.kind(), at, conditions)
        })
        .collect();
    use portcullis::syntax::RuleKind;
    assert_eq!(
        summary,
        [
            (
                0,
                "reads",
                RuleKind::Allow,
                ("rules.pcl", 1, 1),
                vec![
                    ("identity in ops", "rules.pcl", 2, 3),
                    ("method GET, HEAD", "rules.pcl", 3, 3)
                ]
            ),
            (
                1,
                "no debug",
                RuleKind::Deny,
                ("rules.pcl", 7, 3),
                vec![("header \"x-debug\" present", "rules.pcl", 7, 21)]
            ),
        ]
    );
    // A rule spans from its keyword to its `}`.
    let span = rules[1].span();
    assert_eq!(
        span.end - span.start,
        "deny \"no debug\" { header \"x-debug\" present }".len()
    );
}
