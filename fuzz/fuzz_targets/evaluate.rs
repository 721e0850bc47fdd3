//! An arbitrary request against an arbitrary compiled policy never panics, and an
//! invalid request is always denied.
#![no_main]

use std::net::IpAddr;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use portcullis::{Policy, Reason, Request};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    policy: &'a str,
    method: &'a str,
    path: &'a str,
    identity: Option<&'a str>,
    host: Option<&'a str>,
    port: Option<u16>,
    source: Option<IpAddr>,
    headers: Vec<(&'a str, &'a [u8])>,
    attrs: Vec<(&'a str, &'a str)>,
}

/// A small fixed policy exercising every index, used when the input's policy does not
/// compile (most arbitrary text does not).
const FALLBACK: &str = r#"
default deny
allow "a" { identity "spiffe://p/ns/*/sa/x" method GET path "/api/{id}/*.json", "/s/**" }
allow "b" { host "*.svc" port 80..90 source 10.0.0.0/8, ::1 }
deny "c" { header "x" in ["1", "2"] not attr "k" present }
audit "d" { path ~ "/a.*" identity "**" }
allow "e" { identity "spiffe://p/ns/a/sa/b" host "h.svc" path "/x" method POST }
"#;

fuzz_target!(|input: Input<'_>| {
    let policy = match Policy::compile(input.policy) {
        Ok(p) => p,
        Err(_) => match Policy::compile(FALLBACK) {
            Ok(p) => p,
            Err(e) => panic!("fallback policy does not compile: {e}"),
        },
    };
    let mut request = Request::new(input.method, input.path);
    if let Some(v) = input.identity {
        request = request.identity(v);
    }
    if let Some(v) = input.host {
        request = request.host(v);
    }
    if let Some(v) = input.port {
        request = request.port(v);
    }
    if let Some(v) = input.source {
        request = request.source(v);
    }
    for (n, v) in input.headers {
        request = request.header(n, v);
    }
    for (k, v) in input.attrs {
        request = request.attr(k, v);
    }
    let decision = policy.evaluate(&request);
    if decision.reason() == Reason::InvalidRequest {
        assert!(!decision.is_allowed());
        assert!(decision.rule().is_none());
        assert_eq!(decision.audit().count(), 0);
    }
});
