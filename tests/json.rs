//! The JSON form of a policy (`docs/language.md`, *The JSON form*): text → JSON → policy keeps the meaning, and
//! unknown fields or constructs are errors, never ignored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use portcullis::syntax::{self, File};
use portcullis::{Policy, Request};

const MESH: &str = include_str!("../examples/mesh.pcl");

/// The payments policy that `tests/syntax.rs` checks, and a rule with ranges,
/// a regular expression and escapes.
const SPEC_EXAMPLE: &str = concat!(
    include_str!("data/spec_example.pcl"),
    r#"allow "regex and ranges" { port 8000..8100 host ~ "[a-z]+\\.svc" attr "tenant" in ["acme", "x\"y"] header "x-env" == "prod" }
"#
);

fn round_trip(text: &str) -> (File, File) {
    let file = syntax::parse(text).unwrap();
    let json = serde_json::to_string_pretty(&file).unwrap();
    let back: File = serde_json::from_str(&json).unwrap();
    (file, back)
}

fn json_value(file: &File) -> serde_json::Value {
    serde_json::to_value(file).unwrap()
}

#[test]
fn text_to_json_to_text_keeps_the_tree() {
    for text in [SPEC_EXAMPLE, MESH] {
        let (file, back) = round_trip(text);
        assert_eq!(json_value(&file), json_value(&back));
        let printed = syntax::print(&back);
        let reparsed = syntax::parse(&printed).unwrap();
        assert_eq!(json_value(&file), json_value(&reparsed));
    }
}

#[test]
fn json_policy_decides_like_the_text() {
    for text in [SPEC_EXAMPLE, MESH] {
        let (_, back) = round_trip(text);
        let from_text = Policy::compile(text).unwrap();
        let from_json = Policy::from_syntax(&back).unwrap();
        let requests = [
            Request::new("GET", "/api/v1/orders/42")
                .identity("spiffe://prod.example.com/ns/web/sa/frontend"),
            Request::new("DELETE", "/api/v1/orders/42").source("192.0.2.7".parse().unwrap()),
            Request::new("GET", "/healthz").port(9090),
            Request::new("GET", "/x").header("x-debug", b""),
            Request::new("GET", "/x")
                .host("a.svc")
                .port(8080)
                .attr("tenant", "x\"y")
                .header("x-env", b"prod"),
            Request::new("GET", "/x%2F"),
        ];
        for r in &requests {
            let (a, b) = (from_text.evaluate(r), from_json.evaluate(r));
            assert_eq!(a.effect(), b.effect());
            assert_eq!(a.reason(), b.reason());
            assert_eq!(a.rule(), b.rule());
            assert_eq!(a.audit().collect::<Vec<_>>(), b.audit().collect::<Vec<_>>());
        }
        assert_eq!(from_json.run_tests().failures().len(), 0);
    }
}

#[test]
fn unknown_fields_and_constructs_are_rejected() {
    let bad = [
        r#"{"default": "deny", "extra": 1}"#,
        r#"{"default": "maybe"}"#,
        r#"{"rules": [{"effect": "allow", "name": "r", "when": [], "priority": 1}]}"#,
        r#"{"rules": [{"effect": "permit", "name": "r", "when": []}]}"#,
        r#"{"rules": [{"effect": "allow", "name": "r", "when": [{"subject": "identity", "test": {"values": ["a"]}, "unless": true}]}]}"#,
        r#"{"rules": [{"effect": "allow", "name": "r", "when": [{"subject": "cookie", "test": "present"}]}]}"#,
        r#"{"rules": [{"effect": "allow", "name": "r", "when": [{"subject": "source", "test": {"values": [{"address": "10.0.0.0/8", "x": 1}]}}]}]}"#,
        r#"{"rules": [{"effect": "allow", "name": "r", "when": [{"subject": "path", "test": {"glob": "/a"}}]}]}"#,
        r#"{"tests": [{"name": "t", "expectations": [{"effect": "allow", "method": "GET", "path": "/", "fields": [{"cookie": "x"}]}]}]}"#,
    ];
    for json in bad {
        assert!(
            serde_json::from_str::<File>(json).is_err(),
            "accepted: {json}"
        );
    }
}

#[test]
fn json_errors_are_reported_like_text_errors() {
    let file: File = serde_json::from_str(
        r#"{"rules": [{"effect": "allow", "name": "r", "when": [
            {"subject": "source", "test": {"values": [{"address": "10.1.2.3/8"}]}}]}]}"#,
    )
    .unwrap();
    let err = Policy::from_syntax(&file).unwrap_err();
    assert!(err.to_string().contains("host bits"), "{err}");
}

#[test]
fn json_names_and_addresses_the_text_form_cannot_hold_are_reported_by_the_checker() {
    // The tree is compiled as it is: a name or an address no text could hold gets
    // the checker's error, at the node, never another meaning.
    for (json, message, code) in [
        (
            r#"{"rules": [{"effect": "allow", "name": "r", "when": [
                {"subject": "source", "test": {"values": [{"address": "10.0.0.0/8, 0.0.0.0/0"}]}}]}]}"#,
            "invalid address `10.0.0.0/8, 0.0.0.0/0`",
            "invalid-address",
        ),
        (
            r#"{"rules": [{"effect": "allow", "name": "r", "when": [
                {"subject": "identity", "test": {"in": {"name": "in"}}}]}]}"#,
            "invalid name `in`: `in` is a keyword",
            "invalid-name",
        ),
        (
            r#"{"let": [{"name": "Office", "value": [{"address": "10.0.0.0/8"}]}]}"#,
            "invalid name `Office`: a name is lower-case letters, digits and `_`, not starting with a digit",
            "invalid-name",
        ),
        (
            r#"{"rules": [{"effect": "allow", "name": "r", "when": [
                {"subject": "method", "test": {"values": [{"method": "get"}]}}]}]}"#,
            "method `get` is not upper case; did you mean `GET`?",
            "invalid-method",
        ),
        (
            r#"{"rules": [{"effect": "allow", "name": "r", "when": [
                {"subject": "path", "test": {"values": []}}]}]}"#,
            "`path` needs at least one value",
            "invalid-test",
        ),
        (
            r#"{"rules": [{"effect": "allow", "name": "r", "when": [
                {"subject": "path", "test": {"equals": "/x"}}]}]}"#,
            "`==` is only for `header` and `attr`; write `path \"...\"`",
            "invalid-test",
        ),
    ] {
        let file: File = serde_json::from_str(json).unwrap();
        let err = Policy::from_syntax(&file).unwrap_err();
        assert_eq!(err.diagnostics().len(), 1, "{err}");
        let d = &err.diagnostics()[0];
        assert_eq!(d.message(), message, "{err}");
        assert_eq!(d.code().as_str(), code, "{err}");
        assert_eq!(d.file(), "policy.json");
    }
}

#[test]
fn json_errors_point_at_the_printed_node() {
    let file: File = serde_json::from_str(
        r#"{"default": "deny", "rules": [{"effect": "allow", "name": "r", "when": [
            {"subject": "method", "test": {"values": [{"method": "GET"}]}},
            {"subject": "port", "test": {"values": [70000]}}]}]}"#,
    )
    .unwrap();
    let err = Policy::from_syntax(&file).unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy.json:5:8: error: port `70000` is above 65535\n  |\n5 |   port 70000\n  |        ^^^^^\n"
    );
    // The places are those `print_with_spans` gives the same tree.
    let mut spanned = file.clone();
    let text = portcullis::syntax::print_with_spans(&mut spanned);
    let syntax::Test::Values(values) = &spanned.rules[0].conditions[1].test else {
        panic!("values")
    };
    assert_eq!(err.diagnostics()[0].span(), values[0].span);
    assert_eq!(&text[values[0].span.start..values[0].span.end], "70000");
    // And `Policy::rules` reports them too.
    let file: File = serde_json::from_str(
        r#"{"rules": [{"effect": "allow", "name": "r", "when": [
            {"subject": "method", "test": {"values": [{"method": "GET"}, "HEAD"]}}]}]}"#,
    )
    .unwrap();
    let policy = Policy::from_syntax(&file).unwrap();
    let rule = policy.rules().next().unwrap();
    let condition = rule.conditions().next().unwrap();
    assert_eq!(condition.text(), "method GET, \"HEAD\"");
    assert_eq!(
        (rule.file(), condition.span().line, condition.span().column),
        ("policy.json", 2, 3)
    );
}
