//! Every limit of `CompileLimits` and `RequestLimits`: past it, compiling fails or the
//! request is denied as invalid, with an error that names what was exceeded; and
//! hostile input (very long, very deep) ends in an error, never in a stack overflow.
//!
//! Test threads have a 2 MiB stack, so a recursion that grows with the input would
//! overflow here well before it would on a proxy's main thread.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;

use portcullis::normalize::{InvalidRequest, Options, RequestLimits};
use portcullis::{CompileLimits, Policy, Reason, Request};

/// Compiles one source with `limits` and returns the error text (panics if it compiles).
fn compile_error(text: &str, limits: &CompileLimits) -> String {
    match Policy::compile_sources_with([("limits.pcl", text)], limits) {
        Ok(_) => panic!("compiled, but a limit should have stopped it"),
        Err(err) => err.to_string(),
    }
}

fn assert_names(message: &str, needles: &[&str]) {
    // Messages speak of the policy, never of the library's types.
    assert!(!message.contains("CompileLimits"), "{message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "error does not say {needle:?}:\n{message}"
        );
    }
}

/// Evaluates `request` under `policy` (which would allow it) and returns why it is invalid.
fn invalid(policy: &Policy, request: &Request<'_>) -> InvalidRequest {
    let decision = policy.evaluate(request);
    assert!(!decision.is_allowed());
    assert_eq!(decision.reason(), Reason::InvalidRequest);
    decision.error().expect("an invalid request has an error")
}

fn allow_all() -> Policy {
    Policy::compile("default allow").expect("compiles")
}

// ---------------------------------------------------------------- CompileLimits

#[test]
fn defaults_are_documented() {
    let c = CompileLimits::default();
    assert_eq!(
        (
            c.max_source_bytes,
            c.max_rules,
            c.max_values,
            c.max_name_depth,
            c.max_regex_bytes
        ),
        (16 << 20, 100_000, 10_000, 32, 256 << 10)
    );
    let r = RequestLimits::default();
    assert_eq!(
        (
            r.max_path_len,
            r.max_host_len,
            r.max_identity_len,
            r.max_headers,
            r.max_header_bytes,
            r.max_attrs
        ),
        (4096, 255, 2048, 100, 65536, 64)
    );
}

#[test]
fn source_size() {
    let mut limits = CompileLimits::default();
    limits.max_source_bytes = 100;
    let text = format!("allow \"r\" {{}}\n{}", "#".repeat(100));
    let err = compile_error(&text, &limits);
    assert_names(
        &err,
        &["larger than 100 bytes", "(the compile limit)", "limits.pcl"],
    );
    // Exactly at the limit is fine.
    assert!(Policy::compile_sources_with([("p", &text[..100])], &limits).is_ok());
    // The default: 16 MiB, checked before parsing.
    let huge = "#".repeat((16 << 20) + 1);
    let err = compile_error(&huge, &CompileLimits::default());
    assert_names(&err, &["larger than 16777216 bytes", "(the compile limit)"]);
}

#[test]
fn number_of_rules() {
    let mut limits = CompileLimits::default();
    limits.max_rules = 2;
    let err = compile_error("allow \"a\" {}\nallow \"b\" {}\naudit \"c\" {}\n", &limits);
    assert_names(
        &err,
        &["more than 2 rules", "(the compile limit)", "limits.pcl:3"],
    );
    // The limit counts rules across all sources of one policy.
    let err = Policy::compile_sources_with(
        [
            ("one.pcl", "allow \"a\" {}\nallow \"b\" {}"),
            ("two.pcl", "deny \"c\" {}"),
        ],
        &limits,
    )
    .unwrap_err()
    .to_string();
    assert_names(&err, &["more than 2 rules", "two.pcl"]);
    // The default, 100,000.
    let mut text = String::new();
    for i in 0..=100_000 {
        let _ = writeln!(text, "allow \"r{i}\" {{}}");
    }
    let err = compile_error(&text, &CompileLimits::default());
    assert_names(&err, &["more than 100000 rules", "(the compile limit)"]);
}

#[test]
fn list_lengths() {
    let mut limits = CompileLimits::default();
    limits.max_values = 3;
    let err = compile_error("allow \"r\" { port 1, 2, 3, 4 }", &limits);
    assert_names(
        &err,
        &["more than 3 values in one condition", "(the compile limit)"],
    );
    let err = compile_error(
        "let ports = [1, 2, 3, 4]\nallow \"r\" { port in ports }",
        &limits,
    );
    assert_names(&err, &["more than 3 values in one condition"]);
    // The default, 10,000, in a literal list.
    let list: Vec<String> = (0..=10_000).map(|i| format!("\"/p{i}\"")).collect();
    let text = format!("allow \"r\" {{ path in [{}] }}", list.join(", "));
    let err = compile_error(&text, &CompileLimits::default());
    assert_names(&err, &["more than 10000 values in one condition"]);
    // Splicing that doubles at every name (2^30 values) is cut off by the same limit.
    let mut text = String::from("let l0 = [\"x\", \"y\"]\n");
    for i in 1..=30 {
        let _ = writeln!(text, "let l{i} = [l{}, l{}]", i - 1, i - 1);
    }
    text.push_str("allow \"r\" { identity in l30 }\n");
    let err = compile_error(&text, &CompileLimits::default());
    assert_names(&err, &["more than 10000 values in one condition"]);
}

#[test]
fn name_nesting_depth() {
    let chain = |depth: usize| {
        let mut text = String::from("let n0 = [\"x\"]\n");
        for i in 1..=depth {
            let _ = writeln!(text, "let n{i} = n{}", i - 1);
        }
        let _ = writeln!(text, "allow \"r\" {{ identity in n{depth} }}");
        text
    };
    let mut limits = CompileLimits::default();
    limits.max_name_depth = 4;
    let err = compile_error(&chain(10), &limits);
    assert_names(&err, &["more than 4 deep", "(the compile limit)"]);
    // The default, 32: a chain within it compiles.
    assert!(Policy::compile(&chain(20)).is_ok());
    let err = compile_error(&chain(40), &CompileLimits::default());
    assert_names(&err, &["more than 32 deep"]);
    // 100,000 names, each referring to the one before: an error, not a stack overflow.
    let err = compile_error(&chain(100_000), &CompileLimits::default());
    assert_names(&err, &["more than 32 deep"]);
}

#[test]
fn regex_size() {
    let mut limits = CompileLimits::default();
    limits.max_regex_bytes = 1000;
    let err = compile_error("allow \"r\" { path ~ \"/[a-z]{50}\" }", &limits);
    assert_names(
        &err,
        &["regular expression is too large", "limit of 1000 bytes"],
    );
    // The default, 256 KiB.
    let err = compile_error(
        "allow \"r\" { header \"x\" ~ \"(\\\\w{100}){100}\" }",
        &CompileLimits::default(),
    );
    assert_names(&err, &["too large", "limit of 262144 bytes"]);
}

// ------------------------------------------------------- very long or deep input

/// Runs `text` through the compiler with the default limits and expects an error.
fn fails_without_overflow(what: &str, text: &str) {
    let result = Policy::compile(text);
    assert!(result.is_err(), "{what}: compiled");
}

#[test]
fn a_megabyte_of_open_brackets() {
    let brackets = "[".repeat(1 << 20);
    fails_without_overflow("bare [", &brackets);
    fails_without_overflow("let = [[[", &format!("let a = {brackets}"));
    fails_without_overflow(
        "rule value [[[",
        &format!("allow \"r\" {{ path in {brackets} }}"),
    );
}

#[test]
fn a_megabyte_of_braces_parentheses_and_nots() {
    fails_without_overflow("{{{", &"{".repeat(1 << 20));
    fails_without_overflow("allow {{{", &format!("allow \"r\" {}", "{".repeat(1 << 20)));
    fails_without_overflow(
        "not not not",
        &format!("allow \"r\" {{ {} path \"/\" }}", "not ".repeat(1 << 18)),
    );
    // A regex nested 100,000 deep is refused by the regex parser's own nesting limit.
    let regex = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
    let err = compile_error(
        &format!("allow \"r\" {{ path ~ \"{regex}\" }}"),
        &CompileLimits::default(),
    );
    assert_names(&err, &["regular expression"]);
}

#[test]
fn a_hundred_thousand_lets_and_a_long_list() {
    // Many independent names are not a depth problem; the source is about 2 MB.
    let mut text = String::new();
    for i in 0..100_000 {
        let _ = writeln!(text, "let n{i} = \"spiffe://p/ns/a/sa/{i}\"");
    }
    text.push_str("allow \"r\" { identity in [n0, n99999] }\n");
    let policy = Policy::compile(&text).expect("100,000 lets compile");
    let request = Request::new("GET", "/").identity("spiffe://p/ns/a/sa/99999");
    assert!(policy.evaluate(&request).is_allowed());
    // One list value repeated a million times: past the value limit, an error.
    let text = format!(
        "let l = [{}]\nallow \"r\" {{ port in l }}",
        "1,".repeat(1 << 20)
    );
    let err = compile_error(&text, &CompileLimits::default());
    assert_names(&err, &["more than 10000 values"]);
}

// ---------------------------------------------------------------- RequestLimits

#[test]
fn path_length() {
    let policy = allow_all();
    let ok = format!("/{}", "a".repeat(4095));
    assert!(policy.evaluate(&Request::new("GET", &ok)).is_allowed());
    // The limit counts the whole target, query included.
    let long = format!("{ok}?");
    let error = invalid(&policy, &Request::new("GET", &long));
    assert_eq!(error, InvalidRequest::PathTooLong);
    assert_eq!(error.to_string(), "path too long");
    // A megabyte of `/..` is refused by length, not walked.
    let climb = "/..".repeat(1 << 18);
    assert_eq!(
        invalid(&policy, &Request::new("GET", &climb)),
        InvalidRequest::PathTooLong
    );
    // A raised limit is honoured.
    let mut options = Options::default();
    options.limits.max_path_len = 1 << 20;
    let policy = allow_all().with_options(options);
    assert!(policy.evaluate(&Request::new("GET", &climb)).is_allowed());
}

#[test]
fn host_length() {
    let policy = allow_all();
    let label = "a".repeat(63);
    let ok = [label.as_str(); 4].join(".");
    assert_eq!(ok.len(), 255);
    assert!(
        policy
            .evaluate(&Request::new("GET", "/").host(&ok))
            .is_allowed()
    );
    let long = format!("{ok}a");
    let error = invalid(&policy, &Request::new("GET", "/").host(&long));
    // The host error does not say which rule of the host it broke.
    assert_eq!(error, InvalidRequest::InvalidHost);
    assert_eq!(error.to_string(), "invalid host");
}

#[test]
fn identity_length() {
    let policy = allow_all();
    let prefix = "spiffe://p/";
    let ok = format!("{prefix}{}", "a".repeat(2048 - prefix.len()));
    assert!(
        policy
            .evaluate(&Request::new("GET", "/").identity(&ok))
            .is_allowed()
    );
    let long = format!("{ok}a");
    let error = invalid(&policy, &Request::new("GET", "/").identity(&long));
    assert_eq!(error, InvalidRequest::InvalidIdentity);
    assert_eq!(error.to_string(), "invalid identity");
}

#[test]
fn header_count() {
    let policy = allow_all();
    let mut request = Request::new("GET", "/");
    for _ in 0..100 {
        request = request.header("x-a", b"1");
    }
    assert!(policy.evaluate(&request).is_allowed());
    request = request.header("x-a", b"1");
    let error = invalid(&policy, &request);
    assert_eq!(error, InvalidRequest::HeadersTooLarge);
    assert_names(&error.to_string(), &["too many", "headers"]);
}

#[test]
fn header_size() {
    let policy = allow_all();
    // Names and values count together: 2 + 65534 = 65536 bytes is at the limit.
    let value = vec![b'v'; 65534];
    let request = Request::new("GET", "/").header("xy", &value);
    assert!(policy.evaluate(&request).is_allowed());
    let value = vec![b'v'; 65535];
    let error = invalid(&policy, &Request::new("GET", "/").header("xy", &value));
    assert_eq!(error, InvalidRequest::HeadersTooLarge);
    assert_names(&error.to_string(), &["too large", "headers"]);
    // Spread over several lines, the total counts.
    let value = vec![b'v'; 30_000];
    let request = Request::new("GET", "/")
        .header("a", &value)
        .header("b", &value)
        .header("c", &value);
    assert_eq!(invalid(&policy, &request), InvalidRequest::HeadersTooLarge);
}

#[test]
fn attrs() {
    let policy = allow_all();
    let keys: Vec<String> = (0..65).map(|i| format!("k{i}")).collect();
    let mut request = Request::new("GET", "/");
    for key in keys.iter().take(64) {
        request = request.attr(key, "v");
    }
    assert!(policy.evaluate(&request).is_allowed());
    if let Some(key) = keys.last() {
        request = request.attr(key, "v");
    }
    let error = invalid(&policy, &request);
    assert_eq!(error, InvalidRequest::InvalidAttrs);
    assert_names(&error.to_string(), &["too many attributes"]);
}
