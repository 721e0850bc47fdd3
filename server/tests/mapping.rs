//! The wire-to-request mappings and the answers, without a socket: Envoy
//! `CheckRequest`s shaped as Envoy sends them, forwarded headers as nginx, Traefik and
//! Caddy send them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;

use envoy_types::pb::envoy::config::core::v3::HeaderValue;
use envoy_types::pb::envoy::service::auth::v3::CheckRequest;
use envoy_types::pb::envoy::service::auth::v3::attribute_context::Peer;
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use envoy_types::pb::google::protobuf::value::Kind;
use portcullis::OwnedRequest;
use portcullis::Policy;
use portcullis_server::DecisionObject;
use portcullis_server::check::{CheckError, check_response, request_from_check};
use portcullis_server::client_cert::{CertError, identity_from_pem_header};
use portcullis_server::forward_auth::{
    ForwardError, TrustedProxies, answer, refusal, request_from_headers,
};

mod common;

use common::{FRONTEND, envoy_check, socket};

#[test]
fn check_request_header_map_form() {
    let check = envoy_check(
        "GET",
        "/api/v1/orders/42?x=1",
        &[("x-env", "prod"), ("x-env", "eu")],
    );
    let request = request_from_check(&check).unwrap();
    let mut expected = OwnedRequest::new("GET", "/api/v1/orders/42?x=1");
    expected
        .set_host("orders.prod.svc:8443")
        .set_identity(FRONTEND)
        .set_source("10.1.2.3".parse().unwrap())
        .set_port(8443)
        .push_header("x-env", "prod")
        .push_header("x-env", "eu")
        .push_attr("tenant", "acme");
    assert_eq!(request, expected);
}

#[test]
fn check_request_headers_form() {
    // Without `header_map`, Envoy sends a map whose repeated lines are joined by `,`.
    let mut check = envoy_check("POST", "/a", &[]);
    let http = check
        .attributes
        .as_mut()
        .unwrap()
        .request
        .as_mut()
        .unwrap()
        .http
        .as_mut()
        .unwrap();
    http.header_map = None;
    http.headers = HashMap::from([
        (":authority".to_string(), "x".to_string()),
        ("x-b".to_string(), "2".to_string()),
        ("x-env".to_string(), "prod,eu".to_string()),
    ]);
    let request = request_from_check(&check).unwrap();
    assert_eq!(
        request.headers().collect::<Vec<_>>(),
        [("x-b", &b"2"[..]), ("x-env", &b"prod,eu"[..])]
    );
}

#[test]
fn check_request_value_when_raw_value_is_empty() {
    let mut check = envoy_check("GET", "/", &[]);
    let http = check.attributes.as_mut().unwrap().request.as_mut().unwrap();
    let map = http.http.as_mut().unwrap().header_map.as_mut().unwrap();
    map.headers = vec![HeaderValue {
        key: "x-old".to_string(),
        value: "text".to_string(),
        raw_value: Vec::new(),
    }];
    let request = request_from_check(&check).unwrap();
    assert_eq!(
        request.headers().collect::<Vec<_>>(),
        [("x-old", &b"text"[..])]
    );
}

#[test]
fn check_request_absent_parts() {
    // Plain-text listener: no principal; a pipe peer: no socket address.
    let mut check = envoy_check("GET", "/", &[]);
    let attributes = check.attributes.as_mut().unwrap();
    attributes.source = Some(Peer::default());
    attributes.destination = None;
    attributes
        .request
        .as_mut()
        .unwrap()
        .http
        .as_mut()
        .unwrap()
        .host = String::new();
    let request = request_from_check(&check).unwrap();
    assert_eq!(request.identity_value(), None);
    assert_eq!(request.source_value(), None);
    assert_eq!(request.port_value(), None);
    assert_eq!(request.host_value(), None);
}

#[test]
fn check_request_errors() {
    assert_eq!(
        request_from_check(&CheckRequest::default()),
        Err(CheckError::NoHttpAttributes)
    );
    let mut no_http = envoy_check("GET", "/", &[]);
    no_http
        .attributes
        .as_mut()
        .unwrap()
        .request
        .as_mut()
        .unwrap()
        .http = None;
    assert_eq!(
        request_from_check(&no_http),
        Err(CheckError::NoHttpAttributes)
    );

    let mut bad_source = envoy_check("GET", "/", &[]);
    bad_source
        .attributes
        .as_mut()
        .unwrap()
        .source
        .as_mut()
        .unwrap()
        .address = socket("fe80::1%eth0", 1);
    assert_eq!(
        request_from_check(&bad_source).unwrap_err().to_string(),
        "source address `fe80::1%eth0` is not an ip address"
    );

    let mut bad_port = envoy_check("GET", "/", &[]);
    bad_port
        .attributes
        .as_mut()
        .unwrap()
        .destination
        .as_mut()
        .unwrap()
        .address = socket("10.0.0.1", 70000);
    assert_eq!(
        request_from_check(&bad_port),
        Err(CheckError::BadPort(70000))
    );
}

fn decide(source: &str, request: &OwnedRequest) -> DecisionObject {
    let policy = Policy::compile(source).unwrap();
    DecisionObject::from_decision(&policy.evaluate(&request.as_request()))
}

const POLICY: &str = r#"
    default deny
    allow "frontends read orders" {
      identity "spiffe://example.org/ns/web/sa/frontend"
      method GET
      path "/api/v1/orders/{id}"
      port 8443
      source in [10.0.0.0/8]
      attr "tenant" == "acme"
    }
    audit "env seen" { header "x-env" present }
"#;

#[test]
fn check_round_trip_through_a_policy() {
    let allowed = envoy_check("GET", "/api/v1/orders/42", &[("x-env", "prod")]);
    let decision = decide(POLICY, &request_from_check(&allowed).unwrap());
    assert!(decision.is_allowed());
    assert_eq!(decision.rule(), Some("frontends read orders"));
    let denied = envoy_check("DELETE", "/api/v1/orders/42", &[]);
    assert!(!decide(POLICY, &request_from_check(&denied).unwrap()).is_allowed());
}

fn metadata_field(
    response: &envoy_types::pb::envoy::service::auth::v3::CheckResponse,
    key: &str,
) -> Kind {
    response.dynamic_metadata.as_ref().unwrap().fields[key]
        .kind
        .clone()
        .unwrap()
}

#[test]
fn allow_by_a_rule_sets_the_header_with_overwrite() {
    let request = request_from_check(&envoy_check("GET", "/api/v1/orders/1", &[("x-env", "p")]));
    let response = check_response(&decide(POLICY, &request.unwrap()));
    assert_eq!(response.status.as_ref().unwrap().code, 0);
    let Some(HttpResponse::OkResponse(ok)) = &response.http_response else {
        panic!("not an ok response: {response:?}");
    };
    assert_eq!(ok.headers.len(), 1);
    let header = &ok.headers[0];
    #[allow(deprecated)]
    let append = header.append.as_ref().map(|b| b.value);
    assert_eq!(append, Some(false));
    assert_eq!(header.append_action, 2, "OVERWRITE_IF_EXISTS_OR_ADD");
    let value = header.header.as_ref().unwrap();
    assert_eq!(
        (value.key.as_str(), value.value.as_str()),
        ("x-portcullis-rule", "frontends read orders")
    );
    assert!(ok.headers_to_remove.is_empty());
    assert_eq!(
        metadata_field(&response, "decision"),
        Kind::StringValue("allow".into())
    );
    assert_eq!(
        metadata_field(&response, "reason"),
        Kind::StringValue("rule".into())
    );
    assert_eq!(
        metadata_field(&response, "rule"),
        Kind::StringValue("frontends read orders".into())
    );
    let Kind::ListValue(audit) = metadata_field(&response, "audit") else {
        panic!("audit is not a list");
    };
    assert_eq!(audit.values.len(), 1);
    assert!(
        !response
            .dynamic_metadata
            .as_ref()
            .unwrap()
            .fields
            .contains_key("error")
    );
}

#[test]
fn allow_by_default_removes_the_header() {
    let response = check_response(&decide("default allow", &OwnedRequest::new("GET", "/")));
    assert_eq!(response.status.as_ref().unwrap().code, 0);
    let Some(HttpResponse::OkResponse(ok)) = &response.http_response else {
        panic!("not an ok response");
    };
    assert!(ok.headers.is_empty());
    assert_eq!(ok.headers_to_remove, ["x-portcullis-rule"]);
    assert_eq!(metadata_field(&response, "rule"), Kind::NullValue(0));
}

#[test]
fn every_deny_is_permission_denied_and_403() {
    let decisions = [
        decide("default deny", &OwnedRequest::new("GET", "/")),
        decide("deny \"no\" {}", &OwnedRequest::new("GET", "/")),
        decide("default allow", &OwnedRequest::new("GET", "/a/..%2Fb")),
        DecisionObject::invalid(CheckError::NoHttpAttributes),
    ];
    for decision in decisions {
        let response = check_response(&decision);
        assert_eq!(response.status.as_ref().unwrap().code, 7, "{decision:?}");
        let Some(HttpResponse::DeniedResponse(denied)) = &response.http_response else {
            panic!("not a denied response");
        };
        assert_eq!(denied.status.as_ref().unwrap().code, 403);
        assert!(!denied.body.contains("no"), "the body never names rules");
        assert_eq!(
            metadata_field(&response, "decision"),
            Kind::StringValue("deny".into())
        );
    }
    let invalid = check_response(&DecisionObject::invalid(CheckError::NoHttpAttributes));
    assert_eq!(
        metadata_field(&invalid, "error"),
        Kind::StringValue("check request without http attributes".into())
    );
}

// ---- forward auth -------------------------------------------------------------

fn forwarded(peer: &str, headers: &[(&str, &str)]) -> Result<OwnedRequest, ForwardError> {
    request_from_headers(
        peer.parse().unwrap(),
        &TrustedProxies::default(),
        headers.iter().map(|(n, v)| (*n, v.as_bytes())),
    )
}

#[test]
fn forward_auth_fields() {
    let request = forwarded(
        "127.0.0.1",
        &[
            ("Host", "portcullis:9000"),
            ("X-Forwarded-Method", "POST"),
            ("X-Forwarded-Uri", "/api/..%2Fadmin?x=1"),
            ("X-Forwarded-Host", "orders.example.com"),
            ("X-Forwarded-Port", "443"),
            ("X-Forwarded-For", "203.0.113.9, 10.0.0.1"),
            ("X-Forwarded-For", "10.0.0.2"),
            ("X-Real-IP", "192.0.2.1"),
            ("X-Forwarded-Proto", "https"),
            ("Cookie", "a=b"),
        ],
    )
    .unwrap();
    let mut expected = OwnedRequest::new("POST", "/api/..%2Fadmin?x=1");
    expected
        .set_host("orders.example.com")
        .set_port(443)
        .set_source("10.0.0.2".parse().unwrap())
        .push_header("x-forwarded-proto", "https")
        .push_header("cookie", "a=b");
    assert_eq!(request, expected);
}

#[test]
fn forward_auth_fallbacks() {
    let request = forwarded(
        "::1",
        &[
            ("X-Original-Method", "GET"),
            ("X-Original-URI", "/x"),
            ("X-Real-IP", "192.0.2.1"),
        ],
    )
    .unwrap();
    assert_eq!((request.method(), request.path()), ("GET", "/x"));
    assert_eq!(request.source_value(), Some("192.0.2.1".parse().unwrap()));
    assert_eq!(
        request.host_value(),
        None,
        "never the Host of the auth request"
    );
    // The X-Forwarded-* spelling wins.
    let both = forwarded(
        "127.0.0.1",
        &[
            ("X-Original-Method", "GET"),
            ("X-Forwarded-Method", "PUT"),
            ("X-Original-URI", "/original"),
            ("X-Forwarded-Uri", "/forwarded"),
        ],
    )
    .unwrap();
    assert_eq!((both.method(), both.path()), ("PUT", "/forwarded"));
}

#[test]
fn forward_auth_refusals() {
    let full = [("X-Forwarded-Method", "GET"), ("X-Forwarded-Uri", "/")];
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "192.0.2.1",
            full.to_vec(),
            403,
            "forwarded headers from an untrusted peer",
        ),
        (
            "::ffff:10.0.0.1",
            full.to_vec(),
            403,
            "forwarded headers from an untrusted peer",
        ),
        (
            "127.0.0.1",
            vec![("X-Forwarded-Uri", "/")],
            400,
            "missing header `X-Forwarded-Method`",
        ),
        (
            "127.0.0.1",
            vec![("X-Forwarded-Method", "GET")],
            400,
            "missing header `X-Forwarded-Uri`",
        ),
        (
            "127.0.0.1",
            [full.as_slice(), &[("X-Forwarded-Uri", "/b")]].concat(),
            400,
            "header `X-Forwarded-Uri` given more than once",
        ),
        (
            "127.0.0.1",
            [full.as_slice(), &[("X-Forwarded-Port", "http")]].concat(),
            400,
            "header `X-Forwarded-Port`: not a port number",
        ),
        (
            "127.0.0.1",
            [full.as_slice(), &[("X-Forwarded-For", "10.0.0.1, unknown")]].concat(),
            400,
            "header `X-Forwarded-For`: not an ip address",
        ),
        (
            "127.0.0.1",
            [
                full.as_slice(),
                &[("X-SSL-Client-Cert", "-----BEGIN%20CERTIFICATE-----%0Azz")],
            ]
            .concat(),
            400,
            "header `X-SSL-Client-Cert`: not a pem or base64 certificate",
        ),
        (
            "127.0.0.1",
            [
                full.as_slice(),
                &[("X-Forwarded-Tls-Client-Cert", "TUlJ%2")],
            ]
            .concat(),
            400,
            "header `X-Forwarded-Tls-Client-Cert`: malformed percent escape",
        ),
        (
            "127.0.0.1",
            [full.as_slice(), &[("X-Forwarded-Tls-Client-Cert", "TUlJQ")]].concat(),
            400,
            "header `X-Forwarded-Tls-Client-Cert`: not an x.509 certificate",
        ),
        (
            "127.0.0.1",
            [
                full.as_slice(),
                &[("X-Forwarded-Client-Cert", "URI=\"spiffe://a")],
            ]
            .concat(),
            400,
            "header `X-Forwarded-Client-Cert`: malformed value",
        ),
    ];
    for (peer, headers, status, text) in cases {
        let error = forwarded(peer, &headers).unwrap_err();
        let refused = refusal(&error);
        assert_eq!(
            (refused.status, refused.body.trim_end()),
            (status, text),
            "{headers:?}"
        );
    }
}

#[test]
fn forward_auth_non_utf8_method_is_400() {
    let headers: [(&str, &[u8]); 2] =
        [("X-Forwarded-Method", b"G\xffT"), ("X-Forwarded-Uri", b"/")];
    let error = request_from_headers(
        "127.0.0.1".parse().unwrap(),
        &TrustedProxies::default(),
        headers,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "header `X-Forwarded-Method`: not valid utf-8"
    );
    // Other header values are bytes, passed on for the policy to judge.
    let headers: [(&str, &[u8]); 3] = [
        ("X-Forwarded-Method", b"GET"),
        ("X-Forwarded-Uri", b"/"),
        ("X-Bin", b"\xff"),
    ];
    let request = request_from_headers(
        "127.0.0.1".parse().unwrap(),
        &TrustedProxies::default(),
        headers,
    )
    .unwrap();
    assert_eq!(
        request.headers().collect::<Vec<_>>(),
        [("x-bin", &b"\xff"[..])]
    );
}

#[test]
fn forward_auth_other_trusted_blocks() {
    let office: TrustedProxies = "10.0.0.0/8".parse().unwrap();
    let headers: [(&str, &[u8]); 2] = [("X-Forwarded-Method", b"GET"), ("X-Forwarded-Uri", b"/")];
    assert!(request_from_headers("10.2.3.4".parse().unwrap(), &office, headers).is_ok());
    assert_eq!(
        request_from_headers("127.0.0.1".parse().unwrap(), &office, headers),
        Err(ForwardError::UntrustedPeer)
    );
}

// ---- client certificates ----------------------------------------------------------

const CERT: &str = include_str!("data/spiffe-frontend.pem");
const NO_SAN: &str = include_str!("data/no-san.pem");

/// nginx's `$ssl_client_escaped_cert`: the PEM, URL-escaped.
fn nginx_escaped(pem: &str) -> String {
    let mut out = String::new();
    for byte in pem.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Traefik's `passTLSClientCert` with `pem: true`: the base64 without the PEM lines,
/// URL-escaped, certificates separated by commas.
fn traefik_escaped(pem: &str) -> String {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    body.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

#[test]
fn certificate_headers() {
    let chain = format!("{CERT}{NO_SAN}");
    let forms = [
        ("nginx escaped", nginx_escaped(CERT)),
        ("nginx escaped chain", nginx_escaped(&chain)),
        ("raw pem", CERT.to_string()),
        ("traefik", traefik_escaped(CERT)),
        (
            "traefik chain",
            format!("{},{}", traefik_escaped(CERT), traefik_escaped(NO_SAN)),
        ),
        (
            "caddy base64 der",
            CERT.lines().filter(|l| !l.starts_with("-----")).collect(),
        ),
    ];
    for (form, value) in forms {
        assert_eq!(
            identity_from_pem_header(value.as_bytes()),
            Ok(Some(FRONTEND.to_string())),
            "{form}"
        );
        let request = forwarded(
            "127.0.0.1",
            &[
                ("X-Forwarded-Method", "GET"),
                ("X-Forwarded-Uri", "/"),
                ("X-SSL-Client-Cert", &value),
            ],
        )
        .unwrap();
        assert_eq!(request.identity_value(), Some(FRONTEND), "{form}");
    }
    assert_eq!(
        identity_from_pem_header(nginx_escaped(NO_SAN).as_bytes()),
        Ok(None)
    );
    assert_eq!(
        identity_from_pem_header(b"-----BEGIN CERTIFICATE-----\nMIIB\n"),
        Err(CertError::BadEncoding)
    );
}

#[test]
fn xfcc_identity_is_the_nearest_proxys_element() {
    let request = forwarded(
        "127.0.0.1",
        &[
            ("X-Forwarded-Method", "GET"),
            ("X-Forwarded-Uri", "/"),
            (
                "X-Forwarded-Client-Cert",
                "By=spiffe://e/gw;URI=spiffe://e/attacker",
            ),
            (
                "X-Forwarded-Client-Cert",
                "By=spiffe://e/app;Hash=1f;URI=spiffe://e/ns/web/sa/frontend",
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        request.identity_value(),
        Some("spiffe://e/ns/web/sa/frontend")
    );
    // A PEM header wins over XFCC.
    let request = forwarded(
        "127.0.0.1",
        &[
            ("X-Forwarded-Method", "GET"),
            ("X-Forwarded-Uri", "/"),
            ("X-Forwarded-Client-Cert", "URI=spiffe://e/other"),
            ("X-Forwarded-Tls-Client-Cert", &nginx_escaped(CERT)),
        ],
    )
    .unwrap();
    assert_eq!(request.identity_value(), Some(FRONTEND));
}

#[test]
fn forward_auth_answers() {
    let allowed = decide(
        "allow \"probes\" { path \"/healthz\" }",
        &OwnedRequest::new("GET", "/healthz"),
    );
    let a = answer(&allowed);
    assert_eq!(
        (a.status, a.rule.as_deref(), a.body.as_str()),
        (200, Some("probes"), "")
    );
    let by_default = answer(&decide("default allow", &OwnedRequest::new("GET", "/")));
    assert_eq!((by_default.status, by_default.rule), (200, None));
    let denied = answer(&decide(
        "deny \"secret rule\" {}",
        &OwnedRequest::new("GET", "/"),
    ));
    assert_eq!(
        (denied.status, denied.rule, denied.body.as_str()),
        (403, None, "")
    );
}
