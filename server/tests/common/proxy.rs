//! What the end-to-end proxy tests (a real nginx, a real Caddy) share: the policy, a
//! backend that records what reaches it, raw requests, and the cases every proxy in
//! front of `serve` must decide alike.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::raw_http;

pub const POLICY: &str = r#"
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

/// A port nobody listens on now (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A backend that answers every request `200`, its body the request head it got, and
/// remembers the heads.
pub async fn start_backend() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
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

pub fn request(method: &str, target: &str, extra: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: shop.example.com\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

pub trait Host {
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

/// Sends every case through the proxy listening on `listen` and checks the status and
/// whether the backend (whose request heads are `heads`) was reached; then that the
/// backend learns the deciding rule, whatever the client claimed.
pub async fn drive_the_cases(listen: SocketAddr, heads: &Mutex<Vec<String>>) {
    let cert = include_str!("../data/spiffe-frontend.pem")
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
            "source from the proxy's view of the peer",
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
}
