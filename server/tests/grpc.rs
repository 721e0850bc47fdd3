//! Envoy's side of `ext_authz`: a real gRPC client (tonic) calling `Check` on a
//! running server with requests shaped as Envoy sends them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{TempDir, envoy_check, envoy_check_headers_form, get, metric};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use envoy_types::pb::envoy::service::auth::v3::{CheckRequest, CheckResponse};
use envoy_types::pb::google::protobuf::value::Kind;
use portcullis_server::Server;
use tonic::transport::Channel;

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
    allow "anyone reads the catalog" { method GET  path "/catalog/**" }
    deny "no debug" { header "x-debug" present }
    audit "env seen" { header "x-env" == "prod" }
"#;

struct Running {
    server: Server,
    client: AuthorizationClient<Channel>,
    _dir: TempDir,
}

async fn start(policy: &str) -> Running {
    let dir = TempDir::new("grpc");
    let config = common::config_for(&dir, policy, &["grpc", "admin"]);
    let server = Server::start(config).await.unwrap();
    let url = format!("http://{}", server.grpc_addr().unwrap());
    let client = AuthorizationClient::connect(url).await.unwrap();
    Running {
        server,
        client,
        _dir: dir,
    }
}

async fn check(client: &mut AuthorizationClient<Channel>, request: CheckRequest) -> CheckResponse {
    client.check(request).await.unwrap().into_inner()
}

fn field(response: &CheckResponse, key: &str) -> Option<Kind> {
    response
        .dynamic_metadata
        .as_ref()?
        .fields
        .get(key)?
        .kind
        .clone()
}

fn string(value: &str) -> Option<Kind> {
    Some(Kind::StringValue(value.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_sets_the_rule_header_over_the_clients_copy() {
    let mut running = start(POLICY).await;
    let request = envoy_check(
        "GET",
        "/api/v1/orders/42?verbose=1",
        &[("x-portcullis-rule", "forged"), ("x-env", "prod")],
    );
    let response = check(&mut running.client, request).await;
    assert_eq!(response.status.as_ref().unwrap().code, 0);
    let Some(HttpResponse::OkResponse(ok)) = &response.http_response else {
        panic!("not an ok response: {response:?}");
    };
    let header = ok.headers[0].header.as_ref().unwrap();
    assert_eq!(header.key, "x-portcullis-rule");
    assert_eq!(header.value, "frontends read orders");
    #[allow(deprecated)]
    let append = ok.headers[0].append.as_ref().map(|b| b.value);
    assert_eq!(append, Some(false), "overwrite, never append");
    assert_eq!(ok.headers[0].append_action, 2, "OVERWRITE_IF_EXISTS_OR_ADD");
    assert_eq!(field(&response, "decision"), string("allow"));
    assert_eq!(field(&response, "reason"), string("rule"));
    assert_eq!(field(&response, "rule"), string("frontends read orders"));
    let Some(Kind::ListValue(audit)) = field(&response, "audit") else {
        panic!("no audit list");
    };
    assert_eq!(audit.values[0].kind, string("env seen"));
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_and_invalid() {
    let mut running = start(POLICY).await;
    let cases = [
        // A write: no rule allows it.
        (
            envoy_check("DELETE", "/api/v1/orders/42", &[]),
            "default",
            None,
        ),
        // A deny rule.
        (
            envoy_check("GET", "/catalog/a", &[("x-debug", "1")]),
            "rule",
            None,
        ),
        // A path the normalizer refuses.
        (
            envoy_check("GET", "/catalog/..%2Fadmin", &[]),
            "invalid_request",
            Some("encoded slash in path"),
        ),
        // No HTTP attributes at all.
        (
            CheckRequest::default(),
            "invalid_request",
            Some("check request without http attributes"),
        ),
    ];
    for (request, reason, error) in cases {
        let response = check(&mut running.client, request).await;
        assert_eq!(response.status.as_ref().unwrap().code, 7, "{reason}");
        let Some(HttpResponse::DeniedResponse(denied)) = &response.http_response else {
            panic!("not a denied response: {response:?}");
        };
        assert_eq!(denied.status.as_ref().unwrap().code, 403);
        assert_eq!(field(&response, "decision"), string("deny"));
        assert_eq!(field(&response, "reason"), string(reason));
        assert_eq!(field(&response, "error"), error.and_then(string));
    }
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_comes_from_its_attribute() {
    let mut running = start(POLICY).await;
    let allowed = envoy_check("GET", "/api/v1/orders/42", &[]);
    let mut cases = vec![(allowed.clone(), true)];
    // Take away, one at a time, each part the allow rule needs.
    let edits: [fn(&mut CheckRequest); 4] = [
        |c| {
            c.attributes
                .as_mut()
                .unwrap()
                .source
                .as_mut()
                .unwrap()
                .principal
                .clear()
        },
        |c| {
            c.attributes
                .as_mut()
                .unwrap()
                .source
                .as_mut()
                .unwrap()
                .address = common::socket("192.0.2.1", 1)
        },
        |c| {
            c.attributes
                .as_mut()
                .unwrap()
                .destination
                .as_mut()
                .unwrap()
                .address = common::socket("10.9.9.9", 9443)
        },
        |c| c.attributes.as_mut().unwrap().context_extensions.clear(),
    ];
    for edit in edits {
        let mut request = allowed.clone();
        edit(&mut request);
        cases.push((request, false));
    }
    for (index, (request, allow)) in cases.into_iter().enumerate() {
        let response = check(&mut running.client, request).await;
        assert_eq!(response.status.unwrap().code == 0, allow, "case {index}");
    }
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headers_form() {
    let mut running = start(r#"default allow  deny "no debug" { header "x-debug" present }"#).await;
    let response = check(
        &mut running.client,
        envoy_check_headers_form("GET", "/x", &[("x-debug", "1,2")]),
    )
    .await;
    assert_eq!(response.status.unwrap().code, 7);
    let response = check(
        &mut running.client,
        envoy_check_headers_form("GET", "/x", &[("x-portcullis-rule", "forged")]),
    )
    .await;
    let Some(HttpResponse::OkResponse(ok)) = &response.http_response else {
        panic!("not an ok response");
    };
    assert!(ok.headers.is_empty());
    assert_eq!(
        ok.headers_to_remove,
        ["x-portcullis-rule"],
        "the default decided: the client's copy is removed"
    );
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_grpc_decisions() {
    let mut running = start(POLICY).await;
    for _ in 0..3 {
        check(
            &mut running.client,
            envoy_check("GET", "/api/v1/orders/1", &[("x-env", "prod")]),
        )
        .await;
    }
    check(&mut running.client, CheckRequest::default()).await;
    let admin = running.server.admin_addr().unwrap();
    let metrics = get(admin, "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = metrics.body;
    let value = |line: &str| metric(&text, line);
    assert_eq!(
        value(r#"portcullis_decisions_total{decision="allow",reason="rule"}"#),
        Some(3.0)
    );
    assert_eq!(
        value(r#"portcullis_decisions_total{decision="deny",reason="invalid_request"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(r#"portcullis_rule_decisions_total{rule="frontends read orders"}"#),
        Some(3.0)
    );
    assert_eq!(
        value(r#"portcullis_audit_matches_total{rule="env seen"}"#),
        Some(3.0)
    );
    assert_eq!(value("portcullis_check_duration_seconds_count"), Some(4.0));
    assert_eq!(
        value(r#"portcullis_check_duration_seconds_bucket{le="+Inf"}"#),
        Some(4.0)
    );
    let revision = running.server.revision();
    assert_eq!(revision.len(), 12);
    assert_eq!(
        value(&format!(
            "portcullis_policy_info{{revision=\"{revision}\"}}"
        )),
        Some(1.0)
    );
    assert_eq!(
        value(r#"portcullis_policy_reloads_total{result="success"}"#),
        Some(0.0)
    );
    assert_eq!(get(admin, "/healthz").await.status, 200);
    assert_eq!(get(admin, "/nothing").await.status, 404);
    running.server.shutdown().await;
}
