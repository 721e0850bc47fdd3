//! Half-open and slow clients on every listener: a real TCP client that connects and
//! sends nothing, or half of what it should, is cut off within a bounded time, and
//! the listener goes on serving everyone else meanwhile.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{TempDir, envoy_check, get};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use portcullis_server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The timeouts of these tests; the defaults are in `docs/deploy.md`.
const TIMEOUT_MS: u64 = 300;

/// How long a cut-off may take here: the timeout, plus a keep-alive ping's round on
/// gRPC, plus a loaded 2-core machine's slack.
const BOUND: Duration = Duration::from_secs(4);

async fn start(dir: &TempDir) -> Server {
    let policy = r#"allow "catalog" { method GET  path "/catalog/**" }"#;
    let mut config = common::config_for(dir, policy, &["grpc", "http", "admin"]);
    config.limits.header_read_timeout_ms = TIMEOUT_MS;
    config.limits.grpc_keepalive_ms = TIMEOUT_MS;
    Server::start(config).await.unwrap()
}

/// Connects, sends `bytes` (perhaps nothing), then waits for the server to close the
/// connection; how long that took from the last byte sent.
async fn cut_off_after(address: SocketAddr, bytes: &[u8]) -> Duration {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let started = Instant::now();
    let mut sink = Vec::new();
    // A reset or an orderly close both end the read; what the server wrote first
    // (an HTTP/2 SETTINGS frame, a GOAWAY, a 408) is read and dropped.
    let closed = tokio::time::timeout(BOUND * 2, stream.read_to_end(&mut sink)).await;
    assert!(
        closed.is_ok(),
        "{address}: still open {:?} after {} bytes",
        BOUND * 2,
        bytes.len()
    );
    started.elapsed()
}

/// The HTTP/2 connection preface and an empty SETTINGS frame, as a gRPC client
/// starts.
fn h2_preface() -> Vec<u8> {
    let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listener_cuts_off_half_open_clients_and_serves_others() {
    let dir = TempDir::new("half-open");
    let server = start(&dir).await;
    let (grpc, http, admin) = (
        server.grpc_addr().unwrap(),
        server.http_addr().unwrap(),
        server.admin_addr().unwrap(),
    );
    let preface = h2_preface();
    // A HEADERS frame header announcing 64 bytes of which none follow.
    let mut half_headers = preface.clone();
    half_headers.extend_from_slice(&[0, 0, 64, 0x1, 0x4, 0, 0, 0, 1]);
    let half_http = b"GET /forward-auth HTTP/1.1\r\nHost: p\r\nX-Forw".to_vec();
    let half_admin = b"GET /metrics HTTP/1.1\r\nHo".to_vec();
    let cases: Vec<(&str, SocketAddr, Vec<u8>)> = vec![
        ("grpc, nothing sent", grpc, Vec::new()),
        ("grpc, half the preface", grpc, preface[..10].to_vec()),
        ("grpc, preface then silence", grpc, preface.clone()),
        ("grpc, half a HEADERS frame", grpc, half_headers),
        ("http, nothing sent", http, Vec::new()),
        ("http, half a request head", http, half_http),
        ("admin, nothing sent", admin, Vec::new()),
        ("admin, half a request head", admin, half_admin),
    ];
    // All at once, while real clients are served.
    let stalled: Vec<_> = cases
        .into_iter()
        .map(|(what, address, bytes)| {
            tokio::spawn(async move { (what, cut_off_after(address, &bytes).await) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut client = AuthorizationClient::connect(format!("http://{grpc}"))
        .await
        .unwrap();
    let allowed = client
        .check(envoy_check("GET", "/catalog/a", &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(allowed.status.unwrap().code, 0);
    assert_eq!(get(admin, "/healthz").await.status, 200);
    for task in stalled {
        let (what, took) = task.await.unwrap();
        assert!(took < BOUND, "{what}: cut off after {took:?}");
        assert!(
            took >= Duration::from_millis(TIMEOUT_MS / 2),
            "{what}: cut off after {took:?}, before its timeout"
        );
    }
    // Still serving, on the connection opened before the stalls ended too.
    let allowed = client
        .check(envoy_check("GET", "/catalog/b", &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(allowed.status.unwrap().code, 0);
    let fa = common::raw_http(
        http,
        b"GET /forward-auth HTTP/1.1\r\nHost: p\r\nX-Forwarded-Method: GET\r\nX-Forwarded-Uri: /catalog/c\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(fa.status, 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_call_whose_message_never_comes_is_ended() {
    use envoy_types::pb::envoy::service::auth::v3::{CheckRequest, CheckResponse};
    use tonic::codegen::http::uri::PathAndQuery;

    let dir = TempDir::new("half-call");
    let mut config = common::config_for(&dir, "default allow", &["grpc"]);
    config.limits.grpc_request_timeout_ms = TIMEOUT_MS;
    let server = Server::start(config).await.unwrap();
    let url = format!("http://{}", server.grpc_addr().unwrap());
    let channel = tonic::transport::Endpoint::from_shared(url)
        .unwrap()
        .connect()
        .await
        .unwrap();

    // The call's headers, then a message stream that never yields: the server waits
    // for the `CheckRequest` until the request timeout.
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let started = Instant::now();
    let call = grpc.client_streaming(
        tonic::Request::new(tokio_stream::pending::<CheckRequest>()),
        PathAndQuery::from_static("/envoy.service.auth.v3.Authorization/Check"),
        tonic_prost::ProstCodec::<CheckRequest, CheckResponse>::default(),
    );
    let status = tokio::time::timeout(BOUND * 2, call)
        .await
        .expect("the stalled call is ended by the server")
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Cancelled, "{status:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(TIMEOUT_MS / 2) && took < BOUND,
        "{took:?}"
    );

    // The same connection goes on serving.
    let mut client = AuthorizationClient::new(channel);
    let allowed = client
        .check(envoy_check("GET", "/", &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(allowed.status.unwrap().code, 0);
    server.shutdown().await;
}
