//! The server's wire mappings: an Envoy `CheckRequest` decoded from arbitrary bytes,
//! arbitrary forward-auth header lists from arbitrary peers, and arbitrary
//! certificate headers never panic, and the answers agree with the decisions: a
//! request the mapping refuses is denied, an answer allows exactly when the decision
//! does, an untrusted peer always gets 403, a rule header is always a valid header
//! value.
#![no_main]

use std::net::IpAddr;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use envoy_types::pb::envoy::service::auth::v3::CheckRequest;
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use libfuzzer_sys::fuzz_target;
use portcullis::Policy;
use portcullis_server::forward_auth::{self, TrustedProxies};
use portcullis_server::{DecisionObject, check, client_cert};
use prost::Message;

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// A `CheckRequest` in protobuf encoding.
    Check(&'a [u8]),
    /// The header lines of an auth request, and the TCP peer that sent it.
    Forward {
        peer: IpAddr,
        headers: Vec<(&'a str, &'a [u8])>,
    },
    /// A client-certificate header value, PEM and XFCC forms.
    Certificate(&'a [u8]),
}

const POLICY: &str = r#"
default deny
allow "a" { identity "spiffe://p/ns/*/sa/x" method GET path "/api/{id}/*.json", "/s/**" }
allow "b" { host "*.svc" port 80..90 source 10.0.0.0/8, ::1 }
deny "c" { header "x" in ["1", "2"] not attr "k" present }
audit "d" { path ~ "/a.*" identity "**" }
allow "rule with \"quotes\" and é" { method POST }
"#;

fn policy() -> &'static Policy {
    static POLICY_CELL: OnceLock<Policy> = OnceLock::new();
    POLICY_CELL.get_or_init(|| match Policy::compile(POLICY) {
        Ok(policy) => policy,
        Err(e) => panic!("the fuzz policy does not compile: {e}"),
    })
}

fuzz_target!(|input: Input<'_>| {
    match input {
        Input::Check(bytes) => {
            let Ok(request) = CheckRequest::decode(bytes) else {
                return;
            };
            let decision = match check::request_from_check(&request) {
                Ok(request) => {
                    DecisionObject::from_decision(&policy().evaluate(&request.as_request()))
                }
                Err(error) => {
                    let decision = DecisionObject::invalid(error);
                    assert!(!decision.is_allowed());
                    decision
                }
            };
            let response = check::check_response(&decision);
            let code = response.status.as_ref().map(|s| s.code);
            assert_eq!(code == Some(0), decision.is_allowed());
            match &response.http_response {
                Some(HttpResponse::OkResponse(ok)) => {
                    assert!(decision.is_allowed());
                    for header in &ok.headers {
                        let value = header.header.as_ref().map_or("", |h| h.value.as_str());
                        assert!(value.bytes().all(|b| (0x20..0x7f).contains(&b)));
                    }
                }
                Some(HttpResponse::DeniedResponse(denied)) => {
                    assert!(!decision.is_allowed());
                    assert_eq!(denied.status.as_ref().map(|s| s.code), Some(403));
                }
                _ => panic!("neither an ok nor a denied response"),
            }
            let _ = response.encode_to_vec();
        }
        Input::Forward { peer, headers } => {
            let trusted = TrustedProxies::default();
            match forward_auth::request_from_headers(peer, &trusted, headers.iter().copied()) {
                Ok(request) => {
                    assert!(trusted.contains(peer));
                    let decision =
                        DecisionObject::from_decision(&policy().evaluate(&request.as_request()));
                    let answer = forward_auth::answer(&decision);
                    assert_eq!(answer.status == 200, decision.is_allowed());
                    assert!(answer.status == 200 || answer.status == 403);
                    if let Some(rule) = answer.rule {
                        assert!(rule.bytes().all(|b| (0x20..0x7f).contains(&b)));
                    }
                }
                Err(error) => {
                    let answer = forward_auth::refusal(&error);
                    let expected = if trusted.contains(peer) { 400 } else { 403 };
                    assert_eq!(answer.status, expected);
                }
            }
        }
        Input::Certificate(bytes) => {
            let _ = client_cert::identity_from_pem_header(bytes);
            if let Ok(text) = std::str::from_utf8(bytes) {
                let _ = client_cert::identity_from_xfcc(text);
            }
        }
    }
});
