//! `AuthorizeLayer` without sockets: what reaches the service, what is refused, and
//! what the request is built from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::{HeaderValue, Request, Response, StatusCode};
use portcullis::{Policy, Reason};
use portcullis_http::{AuthorizeLayer, OwnedDecision, PeerAddr, PeerIdentity, PolicyHandle};
use tower::{Layer, Service, ServiceExt};

/// What the inner service saw: how many calls, and the decision's rule of the last.
#[derive(Clone, Default)]
struct Seen {
    calls: Arc<AtomicUsize>,
}

fn layered(
    handle: &PolicyHandle,
    seen: &Seen,
) -> impl Service<Request<()>, Response = Response<String>, Error = Infallible> + Clone {
    let calls = Arc::clone(&seen.calls);
    let inner = tower::service_fn(move |request: Request<()>| {
        calls.fetch_add(1, Ordering::SeqCst);
        let decision = request.extensions().get::<OwnedDecision>().cloned();
        async move {
            let decision = decision.expect("an allowed request carries its decision");
            let audit: Vec<&str> = decision.audit().collect();
            let body = format!("{} {}", decision.rule().unwrap_or("-"), audit.join(","));
            Ok::<_, Infallible>(Response::new(body))
        }
    });
    AuthorizeLayer::new(handle.clone()).layer(inner)
}

fn call(
    service: &(impl Service<Request<()>, Response = Response<String>, Error = Infallible> + Clone),
    request: Request<()>,
) -> Response<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(service.clone().oneshot(request)).unwrap()
}

const POLICY: &str = r#"
    default deny
    let office = [10.0.0.0/8]
    deny "no deletes" { method DELETE }
    allow "frontend" { identity "spiffe://example.org/ns/web/sa/frontend" }
    allow "office" { source in office }
    allow "canary" { header "x-env" == "canary" path "/canary" }
    allow "authority" { host "api.example.com" path "/host" }
    audit "debug" { header "x-debug" present }
"#;

fn handle() -> PolicyHandle {
    PolicyHandle::new(Policy::compile(POLICY).unwrap())
}

fn get(path: &str) -> http::request::Builder {
    Request::builder().uri(path)
}

fn with_identity(mut request: Request<()>, identity: &str) -> Request<()> {
    request
        .extensions_mut()
        .insert(PeerIdentity(identity.to_string()));
    request
}

fn with_peer(mut request: Request<()>, addr: &str) -> Request<()> {
    request
        .extensions_mut()
        .insert(PeerAddr(addr.parse().unwrap()));
    request
}

#[test]
fn an_allowed_request_reaches_the_service_with_its_decision() {
    let (handle, seen) = (handle(), Seen::default());
    let service = layered(&handle, &seen);
    let request = with_identity(
        get("/a").header("x-debug", "1").body(()).unwrap(),
        "spiffe://example.org/ns/web/sa/frontend",
    );
    let response = call(&service, request);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "frontend debug");
    assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_denied_request_is_403_and_never_reaches_the_service() {
    let (handle, seen) = (handle(), Seen::default());
    let service = layered(&handle, &seen);
    let cases = [
        // By the default.
        with_identity(
            get("/a").body(()).unwrap(),
            "spiffe://example.org/ns/web/sa/batch",
        ),
        // By a deny rule, whoever asks.
        with_identity(
            get("/a").method("DELETE").body(()).unwrap(),
            "spiffe://example.org/ns/web/sa/frontend",
        ),
        // Invalid: a path that cannot be normalized safely.
        with_identity(
            get("/a/..%2Fadmin").body(()).unwrap(),
            "spiffe://example.org/ns/web/sa/frontend",
        ),
        // Invalid: a method the normalizer refuses.
        with_identity(
            get("/a").method("get").body(()).unwrap(),
            "spiffe://example.org/ns/web/sa/frontend",
        ),
        // No identity at all.
        get("/a").body(()).unwrap(),
    ];
    for request in cases {
        let shown = format!("{} {}", request.method(), request.uri());
        let response = call(&service, request);
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{shown}");
        assert_eq!(response.body(), "", "{shown}: the body says nothing");
    }
    assert_eq!(seen.calls.load(Ordering::SeqCst), 0);
}

#[test]
fn the_decision_of_a_denial_is_in_the_response_extensions() {
    let (handle, seen) = (handle(), Seen::default());
    let service = layered(&handle, &seen);
    let response = call(&service, get("/a").method("DELETE").body(()).unwrap());
    let decision = response.extensions().get::<OwnedDecision>().unwrap();
    assert_eq!(decision.rule(), Some("no deletes"));
    assert_eq!(decision.reason(), Reason::Rule);
    let response = call(&service, get("/a/..%2Fb").body(()).unwrap());
    let decision = response.extensions().get::<OwnedDecision>().unwrap();
    assert_eq!(decision.reason(), Reason::InvalidRequest);
}

#[test]
fn the_source_is_the_peer_address_never_a_forwarded_header() {
    let (handle, seen) = (handle(), Seen::default());
    let service = layered(&handle, &seen);
    let forwarded = |peer: Option<&str>| {
        let request = get("/a")
            .header("x-forwarded-for", "10.1.2.3")
            .header("x-real-ip", "10.1.2.3")
            .header("forwarded", "for=10.1.2.3")
            .body(())
            .unwrap();
        match peer {
            Some(peer) => with_peer(request, peer),
            None => request,
        }
    };
    assert_eq!(
        call(&service, forwarded(None)).status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&service, forwarded(Some("192.0.2.1:4000"))).status(),
        StatusCode::FORBIDDEN
    );
    let inside = call(&service, forwarded(Some("10.9.9.9:4000")));
    assert_eq!(inside.status(), StatusCode::OK);
    assert_eq!(inside.body(), "office ");
    assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn every_header_line_counts() {
    let (handle, seen) = (handle(), Seen::default());
    let service = layered(&handle, &seen);
    // The second of two lines matches.
    let two = get("/canary")
        .header("x-env", "prod")
        .header("x-env", "canary")
        .body(())
        .unwrap();
    assert_eq!(call(&service, two).body(), "canary ");
    // One line holding both is another value.
    let joined = get("/canary")
        .header("x-env", "prod,canary")
        .body(())
        .unwrap();
    assert_eq!(call(&service, joined).status(), StatusCode::FORBIDDEN);
}

#[test]
fn header_bytes_that_are_not_text_do_not_panic() {
    let (handle, seen) = (handle(), Seen::default());
    let service = layered(&handle, &seen);
    let mut request = get("/canary").body(()).unwrap();
    let headers = request.headers_mut();
    headers.append("x-env", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
    headers.append("x-env", HeaderValue::from_bytes(b"canary").unwrap());
    headers.append(
        "x-bin",
        HeaderValue::from_bytes(b"caf\xc3\xa9 \x80").unwrap(),
    );
    let response = call(&service, request);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "canary ");
}

#[test]
fn the_host_comes_from_the_authority_or_the_host_header() {
    let (handle, seen) = (handle(), Seen::default());
    let service = layered(&handle, &seen);
    let status = |request: Request<()>| call(&service, request).status();
    let host_header = get("/host")
        .header("host", "API.example.com")
        .body(())
        .unwrap();
    assert_eq!(status(host_header), StatusCode::OK);
    let authority = get("https://api.example.com/host").body(()).unwrap();
    assert_eq!(status(authority), StatusCode::OK);
    let elsewhere = get("/host")
        .header("host", "www.example.com")
        .body(())
        .unwrap();
    assert_eq!(status(elsewhere), StatusCode::FORBIDDEN);
    // Ambiguous: refused before the policy is asked.
    let two = get("/host")
        .header("host", "api.example.com")
        .header("host", "www.example.com")
        .body(())
        .unwrap();
    assert_eq!(status(two), StatusCode::FORBIDDEN);
    let disagreeing = get("https://api.example.com/host")
        .header("host", "www.example.com")
        .body(())
        .unwrap();
    assert_eq!(status(disagreeing), StatusCode::FORBIDDEN);
    assert_eq!(seen.calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_stored_policy_decides_the_next_request() {
    let (handle, seen) = (handle(), Seen::default());
    let service = layered(&handle, &seen);
    let batch = || {
        with_identity(
            get("/a").body(()).unwrap(),
            "spiffe://example.org/ns/web/sa/batch",
        )
    };
    assert_eq!(call(&service, batch()).status(), StatusCode::FORBIDDEN);
    handle.store(
        Policy::compile(r#"allow "batch" { identity "spiffe://example.org/ns/web/sa/batch" }"#)
            .unwrap(),
    );
    assert_eq!(call(&service, batch()).body(), "batch ");
}

#[test]
fn the_handle_reloader_and_layer_go_across_threads() {
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<PolicyHandle>();
    shared::<portcullis_http::Reloader>();
    shared::<AuthorizeLayer>();
    shared::<OwnedDecision>();
    fn sent<T: Send + 'static>() {}
    sent::<portcullis_http::WatchGuard>();
}
