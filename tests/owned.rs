//! The owned request and decision: what integrations build and keep.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use portcullis::{Effect, OwnedDecision, OwnedRequest, Policy, Reason, Request};

const POLICY: &str = r#"
    default deny
    allow "read" { method GET  header "x-env" == "prod" }
    deny "no admin" { path "/admin/**" }
    audit "a" {}
    audit "b" { method GET }
    audit "c" { method POST }
"#;

#[test]
fn an_owned_request_decides_as_the_borrowed_one() {
    let policy = Policy::compile(POLICY).unwrap();
    let owned = OwnedRequest::new("GET", "/orders")
        .identity("spiffe://p/ns/web/sa/a")
        .host("api.svc:8443")
        .port(8443)
        .source("10.1.2.3".parse().unwrap())
        .header("X-Env", "dev")
        .header("x-env", b"prod".to_vec())
        .attr("tenant", "acme");
    let borrowed = Request::new("GET", "/orders")
        .identity("spiffe://p/ns/web/sa/a")
        .host("api.svc:8443")
        .port(8443)
        .source("10.1.2.3".parse().unwrap())
        .header("X-Env", b"dev")
        .header("x-env", b"prod")
        .attr("tenant", "acme");
    let a = policy.evaluate(&owned.as_request()).to_owned();
    let b = policy.evaluate(&borrowed).to_owned();
    assert_eq!(a, b);
    assert_eq!(a.rule(), Some("read"));
    assert_eq!(OwnedRequest::from(&borrowed), owned);
}

#[test]
fn filled_field_by_field_equals_built() {
    let mut filled = OwnedRequest::new("PUT", "/x");
    filled
        .set_method("GET")
        .set_path("/y")
        .set_identity("i")
        .set_host("h")
        .set_port(1)
        .set_source("::1".parse().unwrap())
        .push_header("a", "1")
        .push_attr("k", "v");
    let built = OwnedRequest::new("GET", "/y")
        .identity("i")
        .host("h")
        .port(1)
        .source("::1".parse().unwrap())
        .header("a", "1")
        .attr("k", "v");
    assert_eq!(filled, built);
}

#[test]
fn an_owned_decision_shares_rule_names_with_the_policy() {
    let policy = Policy::compile(POLICY).unwrap();
    let request = Request::new("GET", "/admin/x").header("x-env", b"prod");
    let first = policy.evaluate(&request).to_owned();
    let second = OwnedDecision::from(policy.evaluate(&request));
    assert_eq!(first.effect(), Effect::Deny);
    assert_eq!(first.reason(), Reason::Rule);
    assert_eq!(first.rule(), Some("no admin"));
    assert_eq!(first.audit().collect::<Vec<_>>(), ["a", "b"]);
    // The same allocation, not two copies of the name.
    assert!(Arc::ptr_eq(
        first.rule_shared().unwrap(),
        second.rule_shared().unwrap()
    ));
    for (x, y) in first.audit_shared().iter().zip(second.audit_shared()) {
        assert!(Arc::ptr_eq(x, y));
    }
}

#[test]
fn an_owned_decision_outlives_its_policy_and_crosses_threads() {
    fn storable<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    storable::<OwnedDecision>();
    storable::<OwnedRequest>();
    let decision = {
        let policy = Policy::compile(POLICY).unwrap();
        policy.evaluate(&Request::new("get", "/")).to_owned()
    };
    let moved = std::thread::spawn(move || decision).join().unwrap();
    assert_eq!(moved.reason(), Reason::InvalidRequest);
    assert!(!moved.is_allowed());
    assert_eq!(moved.rule(), None);
    assert_eq!(moved.audit().count(), 0);
    assert!(moved.error().is_some());
}

#[test]
fn effects_match_the_decision() {
    let policy = Policy::compile("default allow\ndeny \"d\" { method DELETE }").unwrap();
    for (method, effect) in [("GET", Effect::Allow), ("DELETE", Effect::Deny)] {
        let d = policy.evaluate(&Request::new(method, "/"));
        assert_eq!(d.effect(), effect);
        assert_eq!(d.is_allowed(), effect == Effect::Allow);
        assert_eq!(d.to_owned().effect(), effect);
        assert_eq!(effect.to_string(), effect.as_str());
    }
}
