//! A real Caddy (Debian's package) in front of a small backend, asking a running
//! `serve` about every request through `forward_auth`, with the configuration that
//! docs/deploy.md gives (`Caddyfile.template`, placeholders filled in). Requests go
//! to Caddy as raw bytes, so that no client normalizes their paths.
//!
//! Without Caddy the test is skipped with a note, unless `PORTCULLIS_REQUIRE_CADDY=1`
//! (CI sets it): then it fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TempDir, raw_http};
use portcullis_server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TEMPLATE: &str = include_str!("Caddyfile.template");

const POLICY: &str = r#"
    default deny
    allow "anyone reads the catalog" {
      method GET, HEAD
      path "/catalog/**"
      host "shop.example.com"
    }
    allow "frontends read orders" {
      identity "spiffe://example.org/ns/web/sa/frontend"
      method GET
      path "/api/v1/orders/{id}"
    }
    allow "loopback posts" { method POST  path "/inbox"  source in [127.0.0.0/8] }
"#;

fn caddy_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("caddy"))
        .find(|p| p.is_file())
}

/// A port nobody listens on now (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills Caddy when the test ends, however it ends.
struct Caddy(Child);

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_caddy(
    binary: &Path,
    dir: &Path,
    port: u16,
    portcullis: SocketAddr,
    backend: SocketAddr,
) -> Caddy {
    let config = TEMPLATE
        .replace("@TMP@", &dir.join("storage").display().to_string())
        .replace("@PORT@", &port.to_string())
        .replace("@PORTCULLIS@", &portcullis.to_string())
        .replace("@BACKEND@", &backend.to_string());
    for placeholder in ["@TMP@", "@PORT@", "@PORTCULLIS@", "@BACKEND@"] {
        assert!(TEMPLATE.contains(placeholder), "{placeholder}");
    }
    let file = dir.join("Caddyfile");
    std::fs::write(&file, config).unwrap();
    let log = std::fs::File::create(dir.join("caddy.log")).unwrap();
    // Caddy keeps its state under HOME and the XDG directories: the test's own.
    let child = Command::new(binary)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&file)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("caddy starts");
    let mut caddy = Caddy(child);
    let listen = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(listen).is_err() {
        let exited = caddy.0.try_wait().unwrap();
        if exited.is_some() || Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("caddy.log")).unwrap_or_default();
            panic!("caddy did not start ({exited:?}):\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    caddy
}

/// A backend that answers every request `200`, its body the request head it got, and
/// remembers the heads.
async fn start_backend() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let heads = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let heads = Arc::clone(&heads);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                heads.lock().unwrap().push(head.clone());
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
                    head.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    (address, seen)
}

fn request(method: &str, target: &str, extra: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: shop.example.com\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_forward_auth_end_to_end() {
    let Some(binary) = caddy_binary() else {
        let required = std::env::var("PORTCULLIS_REQUIRE_CADDY").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "caddy is not installed and PORTCULLIS_REQUIRE_CADDY=1: install Debian's \
             package (`apt-get install -y caddy`)"
        );
        eprintln!("note: caddy is not installed; skipping the caddy end-to-end test");
        return;
    };
    let dir = TempDir::new("caddy");
    let policy = dir.write("policy.pcl", POLICY);
    let mut config = common::serve_config(policy, &["http"]);
    let log = dir.path().join("decisions.log");
    config.decision_log = Some(portcullis_server::LogTarget::File(log.clone()));
    let server = Server::start(config).await.unwrap();
    let (backend, heads) = start_backend().await;
    let port = free_port();
    let listen = SocketAddr::from(([127, 0, 0, 1], port));
    let caddy = start_caddy(
        &binary,
        dir.path(),
        port,
        server.http_addr().unwrap(),
        backend,
    );

    let cert = include_str!("data/spiffe-frontend.pem")
        .replace('\n', "%0A")
        .replace(' ', "%20");
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("allowed", request("GET", "/catalog/shoes?size=42", ""), 200),
        ("allowed, HEAD", request("HEAD", "/catalog/shoes", ""), 200),
        (
            "another host",
            request("GET", "/catalog/shoes", "").replace_host("admin.example.com"),
            403,
        ),
        ("no rule", request("GET", "/admin", ""), 403),
        ("wrong method", request("DELETE", "/catalog/shoes", ""), 403),
        (
            "encoded slash",
            request("GET", "/catalog/..%2Fadmin", ""),
            403,
        ),
        (
            "encoded dots",
            request("GET", "/catalog/%2e%2e/admin", ""),
            403,
        ),
        ("dot segments", request("GET", "/catalog/../admin", ""), 403),
        ("double slash", request("GET", "//catalog/x", ""), 200),
        (
            "forged forwarded headers are overwritten",
            request(
                "GET",
                "/admin",
                "X-Forwarded-Uri: /catalog/x\r\nX-Forwarded-Method: GET\r\nX-Original-URI: /catalog/x\r\n",
            ),
            403,
        ),
        (
            "a forged client certificate is not believed",
            request(
                "GET",
                "/api/v1/orders/1",
                &format!("X-SSL-Client-Cert: {cert}\r\n"),
            ),
            403,
        ),
        (
            "a forged XFCC is not believed",
            request(
                "GET",
                "/api/v1/orders/1",
                "X-Forwarded-Client-Cert: URI=spiffe://example.org/ns/web/sa/frontend\r\n",
            ),
            403,
        ),
        (
            "source from Caddy's view of the peer",
            request("POST", "/inbox", ""),
            200,
        ),
        (
            "a forged X-Forwarded-For is replaced",
            request("POST", "/inbox", "X-Forwarded-For: 10.0.0.1\r\n")
                .replace_host("shop.example.com"),
            200,
        ),
    ];
    for (name, bytes, status) in cases {
        let before = heads.lock().unwrap().len();
        let response = raw_http(listen, &bytes).await;
        assert_eq!(response.status, status, "{name}: {response:?}");
        let reached = heads.lock().unwrap().len() > before;
        assert_eq!(
            reached,
            status == 200,
            "{name}: the backend is reached only when allowed"
        );
    }

    // The backend learns the deciding rule, whatever the client claimed.
    let response = raw_http(
        listen,
        &request("GET", "/catalog/a", "X-Portcullis-Rule: forged\r\n"),
    )
    .await;
    assert_eq!(response.status, 200);
    let head = heads.lock().unwrap().last().unwrap().to_lowercase();
    assert!(
        head.contains("x-portcullis-rule: anyone reads the catalog\r\n"),
        "{head}"
    );
    assert!(!head.contains("forged"), "{head}");

    drop(caddy);
    server.shutdown().await;

    // Portcullis decided the raw targets, as the client sent them, and the port
    // Caddy listens on.
    let log = std::fs::read_to_string(&log).unwrap();
    let requests: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["request"].clone())
        .collect();
    for raw in [
        "/catalog/..%2Fadmin",
        "/catalog/%2e%2e/admin",
        "/catalog/../admin",
        "/catalog/shoes?size=42",
    ] {
        assert!(
            requests.iter().any(|r| r["path"] == raw),
            "`{raw}` not decided as sent:\n{log}"
        );
    }
    assert!(
        requests.iter().all(|r| r["port"] == port),
        "every request at Caddy's port {port}:\n{log}"
    );
}

trait Host {
    fn replace_host(self, host: &str) -> Vec<u8>;
}

impl Host for Vec<u8> {
    fn replace_host(self, host: &str) -> Vec<u8> {
        String::from_utf8(self)
            .unwrap()
            .replace("Host: shop.example.com", &format!("Host: {host}"))
            .into_bytes()
    }
}

/// The docs quote this very configuration.
#[test]
fn the_docs_quote_the_tested_configuration() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/deploy.md")).unwrap();
    assert!(
        docs.contains(TEMPLATE.trim_end()),
        "docs/deploy.md must quote server/tests/Caddyfile.template verbatim"
    );
}
