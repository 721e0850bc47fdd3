//! What the server tests share: a temporary directory, a running server, Envoy-shaped
//! check requests, raw HTTP/1.1 exchanges.
#![allow(
    dead_code,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

pub mod proxy;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use envoy_types::pb::envoy::config::core::v3::address::Address as AddressKind;
use envoy_types::pb::envoy::config::core::v3::socket_address::PortSpecifier;
use envoy_types::pb::envoy::config::core::v3::{Address, HeaderMap, HeaderValue, SocketAddress};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{HttpRequest, Peer, Request};
use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest};
use portcullis_server::ServeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const FRONTEND: &str = "spiffe://example.org/ns/web/sa/frontend";

/// A directory under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "portcullis-server-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` in the directory, returning its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A configuration serving the policy file `file` on each of `listeners` (`grpc`,
/// `http`, `admin`), each at a free loopback port.
pub fn serve_config(file: impl Into<PathBuf>, listeners: &[&str]) -> ServeConfig {
    let mut config = ServeConfig::new([file.into()]);
    for listener in listeners {
        let free = Some("127.0.0.1:0".parse().unwrap());
        match *listener {
            "grpc" => config.grpc = free,
            "http" => config.http = free,
            "admin" => config.admin = free,
            other => panic!("no listener `{other}`"),
        }
    }
    config
}

/// [`serve_config`] for `policy`, written to `policy.pcl` in `dir`.
pub fn config_for(dir: &TempDir, policy: &str, listeners: &[&str]) -> ServeConfig {
    serve_config(dir.write("policy.pcl", policy), listeners)
}

pub fn socket(address: &str, port: u32) -> Option<Address> {
    Some(Address {
        address: Some(AddressKind::SocketAddress(SocketAddress {
            address: address.to_string(),
            port_specifier: Some(PortSpecifier::PortValue(port)),
            ..SocketAddress::default()
        })),
    })
}

/// A `CheckRequest` as Envoy sends it with `encode_raw_headers: true` (`header_map`
/// with `raw_value`, pseudo-headers included), behind an mTLS listener whose client
/// presented `FRONTEND`.
pub fn envoy_check(method: &str, path: &str, headers: &[(&str, &str)]) -> CheckRequest {
    let mut all = vec![
        (":authority", "orders.prod.svc:8443"),
        (":path", path),
        (":method", method),
        (":scheme", "https"),
    ];
    all.extend_from_slice(headers);
    CheckRequest {
        attributes: Some(AttributeContext {
            source: Some(Peer {
                address: socket("10.1.2.3", 51234),
                principal: FRONTEND.to_string(),
                ..Peer::default()
            }),
            destination: Some(Peer {
                address: socket("10.9.9.9", 8443),
                principal: "spiffe://example.org/ns/shop/sa/orders".to_string(),
                ..Peer::default()
            }),
            request: Some(Request {
                time: None,
                http: Some(HttpRequest {
                    id: "123".to_string(),
                    method: method.to_string(),
                    path: path.to_string(),
                    host: "orders.prod.svc:8443".to_string(),
                    scheme: "https".to_string(),
                    protocol: "HTTP/2".to_string(),
                    header_map: Some(HeaderMap {
                        headers: all
                            .iter()
                            .map(|(k, v)| HeaderValue {
                                key: k.to_string(),
                                value: String::new(),
                                raw_value: v.as_bytes().to_vec(),
                            })
                            .collect(),
                    }),
                    ..HttpRequest::default()
                }),
            }),
            context_extensions: HashMap::from([("tenant".to_string(), "acme".to_string())]),
            ..AttributeContext::default()
        }),
    }
}

/// The same request in the older form: `headers`, a map whose repeated lines Envoy
/// joined with `,`.
pub fn envoy_check_headers_form(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> CheckRequest {
    let mut check = envoy_check(method, path, &[]);
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
    http.headers = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([(":path".to_string(), path.to_string())])
        .collect();
    check
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` (raw bytes, `Connection: close` expected in it) to `address` and
/// reads the whole response.
pub async fn raw_http(address: std::net::SocketAddr, request: &[u8]) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes))
        .await
        .expect("the response arrives within 10 s")
        .unwrap();
    parse_response(&bytes)
}

pub fn parse_response(bytes: &[u8]) -> RawResponse {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("a complete response head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_string(), v.trim().to_string())
        })
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A GET through a fresh connection.
pub async fn get(address: std::net::SocketAddr, path: &str) -> RawResponse {
    let request = format!("GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");
    raw_http(address, request.as_bytes()).await
}

/// The value of the sample `line` (metric name and labels, exactly) in `/metrics`.
pub fn metric(text: &str, line: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line)?.strip_prefix(' ')?.parse().ok())
}
