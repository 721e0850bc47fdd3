//! Forward auth over HTTP as nginx, Traefik and Caddy call it, through raw HTTP/1.1 on
//! a socket (so that nothing normalizes the paths on the way); the admin endpoints;
//! the decision log; `--shadow`; timeouts and limits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::{Duration, Instant};

use common::{TempDir, get, metric, raw_http};
use portcullis_server::{LogTarget, ServeConfig, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const POLICY: &str = r#"
    default deny
    allow "frontends read orders" {
      identity "spiffe://example.org/ns/web/sa/frontend"
      method GET
      path "/api/v1/orders/{id}"
    }
    allow "anyone reads the catalog" { method GET  path "/catalog/**"  host "shop.example.com" }
    audit "from the office" { source in [10.0.0.0/8] }
"#;

fn config(dir: &TempDir, policy: &str) -> ServeConfig {
    common::config_for(dir, policy, &["http", "admin"])
}

/// An auth request as nginx sends it: the original request described in
/// `X-Forwarded-*` headers, `Host` naming the auth server.
fn auth_request(method: &str, uri: &str, extra: &str) -> Vec<u8> {
    format!(
        "GET /forward-auth HTTP/1.1\r\nHost: portcullis\r\nX-Forwarded-Method: {method}\r\n\
         X-Forwarded-Uri: {uri}\r\nX-Forwarded-Host: shop.example.com\r\n{extra}Connection: close\r\n\r\n"
    )
    .into_bytes()
}

const CERT: &str = include_str!("data/spiffe-frontend.pem");

fn escaped(pem: &str) -> String {
    pem.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_over_http() {
    let dir = TempDir::new("fa");
    let server = Server::start(config(&dir, POLICY)).await.unwrap();
    let http = server.http_addr().unwrap();
    let cert = format!("X-SSL-Client-Cert: {}\r\n", escaped(CERT));
    let cases: Vec<(Vec<u8>, u16, Option<&str>)> = vec![
        (auth_request("GET", "/catalog/shoes?size=42", ""), 200, Some("anyone reads the catalog")),
        (auth_request("GET", "/api/v1/orders/7", &cert), 200, Some("frontends read orders")),
        (auth_request("GET", "/api/v1/orders/7", ""), 403, None),
        (auth_request("DELETE", "/catalog/shoes", ""), 403, None),
        // Raw paths reach the normalizer as sent.
        (auth_request("GET", "/catalog/..%2Fadmin", ""), 403, None),
        (auth_request("GET", "/catalog/../admin", ""), 403, None),
        (auth_request("GET", "/catalog/%2e%2e/admin", ""), 403, None),
        // The Original spellings (Traefik-style X-Forwarded-* absent).
        (
            b"POST /forward-auth HTTP/1.1\r\nHost: p\r\nX-Original-Method: GET\r\nX-Original-URI: /catalog/a\r\nX-Forwarded-Host: shop.example.com\r\nConnection: close\r\n\r\n".to_vec(),
            200,
            Some("anyone reads the catalog"),
        ),
    ];
    for (request, status, rule) in cases {
        let response = raw_http(http, &request).await;
        let shown = String::from_utf8_lossy(&request);
        assert_eq!(response.status, status, "{shown}");
        assert_eq!(response.header("x-portcullis-rule"), rule, "{shown}");
        assert!(!response.body.contains("frontends"), "never lists rules");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_bad_input() {
    let dir = TempDir::new("fa-bad");
    let server = Server::start(config(&dir, "default allow")).await.unwrap();
    let http = server.http_addr().unwrap();
    let huge = format!("X-Big: {}\r\n", "a".repeat(70 * 1024));
    let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (
            b"GET /forward-auth HTTP/1.1\r\nHost: p\r\nX-Forwarded-Uri: /\r\nConnection: close\r\n\r\n".to_vec(),
            400,
            "missing header `X-Forwarded-Method`",
        ),
        (
            b"GET /forward-auth HTTP/1.1\r\nHost: p\r\nX-Forwarded-Method: GET\r\nConnection: close\r\n\r\n".to_vec(),
            400,
            "missing header `X-Forwarded-Uri`",
        ),
        (
            auth_request("GET", "/", "X-Forwarded-Tls-Client-Cert: -----BEGIN%20CERTIFICATE-----%0A%25%25\r\n"),
            400,
            "header `X-Forwarded-Tls-Client-Cert`: not a pem or base64 certificate",
        ),
        (
            [b"GET /forward-auth HTTP/1.1\r\nHost: p\r\nX-Forwarded-Method: GET\r\nX-Forwarded-Uri: /\xff\xfe\r\nConnection: close\r\n\r\n".as_slice()].concat(),
            400,
            "header `X-Forwarded-Uri`: not valid utf-8",
        ),
        (auth_request("GET", "/", &huge), 431, ""),
        (auth_request("GET", "/", &many), 431, ""),
        (b"GET /other HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n".to_vec(), 404, "not found"),
    ];
    for (request, status, text) in cases {
        let response = raw_http(http, &request).await;
        let shown: String = String::from_utf8_lossy(&request)
            .chars()
            .take(200)
            .collect();
        assert_eq!(response.status, status, "{shown}");
        assert_eq!(response.body.trim_end(), text, "{shown}");
    }
    // A non-UTF-8 value in another header is the policy's to judge: allowed here.
    let binary = b"GET /forward-auth HTTP/1.1\r\nHost: p\r\nX-Bin: \xff\r\nX-Forwarded-Method: GET\r\nX-Forwarded-Uri: /\r\nConnection: close\r\n\r\n";
    assert_eq!(raw_http(http, binary).await.status, 200);
    let metrics = get(server.admin_addr().unwrap(), "/metrics").await.body;
    assert_eq!(
        metric(
            &metrics,
            r#"portcullis_forward_auth_refusals_total{status="400"}"#
        ),
        Some(4.0)
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let dir = TempDir::new("fa-untrusted");
    let mut config = config(&dir, "default allow");
    // The test client connects from 127.0.0.1, which this block excludes.
    config.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    let server = Server::start(config).await.unwrap();
    let response = raw_http(server.http_addr().unwrap(), &auth_request("GET", "/", "")).await;
    assert_eq!(response.status, 403, "denied whatever the headers say");
    assert_eq!(
        response.body.trim_end(),
        "forwarded headers from an untrusted peer"
    );
    let metrics = get(server.admin_addr().unwrap(), "/metrics").await.body;
    assert_eq!(
        metric(
            &metrics,
            r#"portcullis_forward_auth_refusals_total{status="403"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &metrics,
            r#"portcullis_decisions_total{decision="allow",reason="default"}"#
        ),
        Some(0.0)
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_endpoints() {
    let dir = TempDir::new("admin");
    let server = Server::start(config(&dir, POLICY)).await.unwrap();
    let admin = server.admin_addr().unwrap();
    let health = get(admin, "/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    let metrics = get(admin, "/metrics").await;
    assert_eq!(metrics.status, 200);
    for family in [
        "portcullis_decisions_total",
        "portcullis_rule_decisions_total",
        "portcullis_audit_matches_total",
        "portcullis_shadow_decisions_total",
        "portcullis_policy_reloads_total",
        "portcullis_policy_info",
        "portcullis_check_duration_seconds",
    ] {
        assert!(
            metrics.body.contains(&format!("# TYPE {family} ")),
            "{family} missing:\n{}",
            metrics.body
        );
    }
    let post = raw_http(
        admin,
        b"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(post.status, 405);
    assert_eq!(get(admin, "/forward-auth").await.status, 404);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decision_log_and_shadow() {
    let dir = TempDir::new("log");
    let mut config = config(&dir, POLICY);
    config.shadow = vec![dir.write("candidate.pcl", "default allow")];
    let log = dir.path().join("decisions.log");
    config.decision_log = Some(LogTarget::File(log.clone()));
    let server = Server::start(config).await.unwrap();
    let http = server.http_addr().unwrap();
    let secret = "X-Forwarded-For: 203.0.113.7, 10.1.2.3\r\nX-Forwarded-Port: 443\r\nAuthorization: Bearer secret-token\r\n";
    assert_eq!(
        raw_http(http, &auth_request("GET", "/catalog/a?q=1", secret))
            .await
            .status,
        200
    );
    assert_eq!(
        raw_http(http, &auth_request("PUT", "/catalog/a", ""))
            .await
            .status,
        403
    );
    assert_eq!(
        raw_http(http, &auth_request("GET", "/x/..%2f", ""))
            .await
            .status,
        403
    );
    let metrics = get(server.admin_addr().unwrap(), "/metrics").await.body;
    let revision = server.revision();
    server.shutdown().await;

    let value = |line: &str| metric(&metrics, line);
    assert_eq!(
        value(r#"portcullis_shadow_decisions_total{decision="allow",agrees="true"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(r#"portcullis_shadow_decisions_total{decision="allow",agrees="false"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(r#"portcullis_shadow_decisions_total{decision="deny",agrees="true"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(r#"portcullis_audit_matches_total{rule="from the office"}"#),
        Some(1.0)
    );

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("secret"),
        "header values are never logged:\n{text}"
    );
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    let first = &lines[0];
    // The fields in the documented order.
    let line = text.lines().next().unwrap();
    let at = |key: &str| {
        line.find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key}"))
    };
    let order = [
        "time",
        "decision",
        "reason",
        "rule",
        "audit",
        "revision",
        "shadow",
        "duration_us",
        "request",
    ];
    assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{line}");
    assert_eq!(first["decision"], "allow");
    assert_eq!(first["rule"], "anyone reads the catalog");
    assert_eq!(first["audit"], serde_json::json!(["from the office"]));
    assert_eq!(first["revision"], revision.as_str());
    assert_eq!(
        first["shadow"],
        serde_json::json!({"decision": "allow", "reason": "default", "rule": null, "audit": []})
    );
    assert!(first["duration_us"].as_f64().unwrap() > 0.0);
    assert_eq!(
        first["request"],
        serde_json::json!({"method": "GET", "path": "/catalog/a?q=1", "host": "shop.example.com",
                           "identity": null, "source": "10.1.2.3", "port": 443})
    );
    let time = first["time"].as_str().unwrap();
    assert!(
        time.len() == 27 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
        "{time}"
    );
    assert_eq!(lines[1]["decision"], "deny");
    assert_eq!(lines[1]["shadow"]["decision"], "allow");
    assert_eq!(lines[2]["reason"], "invalid_request");
    assert_eq!(lines[2]["error"], "encoded slash in path");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off() {
    let dir = TempDir::new("slow");
    let mut config = config(&dir, "default allow");
    config.limits.header_read_timeout_ms = 300;
    let server = Server::start(config).await.unwrap();
    let http = server.http_addr().unwrap();

    // Half a request head, then nothing.
    let mut slow = tokio::net::TcpStream::connect(http).await.unwrap();
    slow.write_all(b"GET /forward-auth HTTP/1.1\r\nHost: p\r\nX-Forw")
        .await
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest))
        .await
        .expect("a slow client is cut off")
        .ok();
    assert!(started.elapsed() < Duration::from_secs(3));

    // A keep-alive connection that goes quiet after one request.
    let mut idle = tokio::net::TcpStream::connect(http).await.unwrap();
    idle.write_all(&auth_request("GET", "/", "").replace_connection_close())
        .await
        .unwrap();
    let started = Instant::now();
    let mut all = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut all))
        .await
        .expect("an idle connection is closed")
        .ok();
    assert!(String::from_utf8_lossy(&all).starts_with("HTTP/1.1 200"));
    assert!(started.elapsed() < Duration::from_secs(3));
    server.shutdown().await;
}

trait KeepAlive {
    fn replace_connection_close(self) -> Vec<u8>;
}

impl KeepAlive for Vec<u8> {
    fn replace_connection_close(self) -> Vec<u8> {
        String::from_utf8(self)
            .unwrap()
            .replace("Connection: close\r\n", "")
            .into_bytes()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_prompt_with_idle_connections_open() {
    let dir = TempDir::new("shutdown");
    let server = Server::start(config(&dir, "default allow")).await.unwrap();
    let http = server.http_addr().unwrap();
    let mut idle = tokio::net::TcpStream::connect(http).await.unwrap();
    idle.write_all(&auth_request("GET", "/", "").replace_connection_close())
        .await
        .unwrap();
    let mut buffer = [0; 512];
    let n = idle.read(&mut buffer).await.unwrap();
    assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
    let started = Instant::now();
    server.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        tokio::net::TcpStream::connect(http).await.is_err(),
        "no longer accepting"
    );
}
