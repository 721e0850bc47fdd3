//! A real HTTPS server (the `mtls_server` example's code) and real clients over mTLS,
//! with certificates made here: the client's SPIFFE ID decides, a denied request never
//! reaches the service, and a certificate from another CA is refused at the handshake.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/mtls_server.rs"]
#[allow(dead_code)]
mod example;

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use example::demo::{self, Issued};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use portcullis::Policy;
use portcullis_http::{OwnedDecision, PeerIdentity, PolicyHandle};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsConnector;

type Error = Box<dyn std::error::Error + Send + Sync>;

const FRONTEND: &str = "spiffe://example.org/ns/web/sa/frontend";
const BATCH: &str = "spiffe://example.org/ns/jobs/sa/batch";

const POLICY: &str = r#"
    default deny
    deny "no office traffic" { source 10.0.0.0/8 }
    allow "frontend reads" {
      identity "spiffe://example.org/ns/web/sa/frontend"
      method GET
    }
"#;

/// The PKI of one test: a CA, the server's certificate, two clients it issued, and
/// a client issued by another CA with the same SPIFFE ID as the allowed one.
struct Pki {
    ca: CertificateDer<'static>,
    server: Issued,
    frontend: Issued,
    batch: Issued,
    impostor: Issued,
}

fn pki() -> Pki {
    let ca = demo::ca("test CA").unwrap();
    let other = demo::ca("another CA").unwrap();
    Pki {
        ca: ca.der().clone(),
        server: demo::server(&ca).unwrap(),
        frontend: demo::client(&ca, FRONTEND).unwrap(),
        batch: demo::client(&ca, BATCH).unwrap(),
        impostor: demo::client(&other, FRONTEND).unwrap(),
    }
}

/// A server on 127.0.0.1:0 with a service that counts its calls; stopped on drop.
struct Server {
    addr: SocketAddr,
    calls: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    async fn start(pki: &Pki, handle: PolicyHandle) -> Server {
        let tls = example::tls_config(
            vec![pki.ca.clone()],
            vec![pki.server.der.clone()],
            pki.server.private_key(),
        )
        .unwrap();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let service = tower::service_fn(move |request: Request<Incoming>| {
            counted.fetch_add(1, Ordering::SeqCst);
            let identity = request.extensions().get::<PeerIdentity>().cloned();
            let rule = request
                .extensions()
                .get::<OwnedDecision>()
                .and_then(|d| d.rule().map(str::to_string));
            async move {
                let text = format!(
                    "{} by {}",
                    identity.map_or_else(String::new, |i| i.0),
                    rule.unwrap_or_default()
                );
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
            }
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(example::serve(listener, tls, handle, service, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            calls,
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

/// One request over a new mTLS connection, presenting `client` (or no certificate).
async fn request(
    server: &Server,
    ca: &CertificateDer<'static>,
    client: Option<&Issued>,
    build: http::request::Builder,
) -> Result<(StatusCode, String), Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone())?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let config = match client {
        Some(client) => {
            config.with_client_auth_cert(vec![client.der.clone()], client.private_key())?
        }
        None => config.with_no_client_auth(),
    };
    let tcp = TcpStream::connect(server.addr).await?;
    let name = ServerName::IpAddress(Ipv4Addr::LOCALHOST.into());
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    let driver = tokio::spawn(connection);
    let response = sender
        .send_request(
            build
                .header("host", "localhost")
                .body(Empty::<Bytes>::new())?,
        )
        .await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    drop(sender);
    let _ = driver.await;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn get(path: &str) -> http::request::Builder {
    Request::builder().uri(path)
}

#[tokio::test]
async fn the_client_certificate_decides_and_a_denied_request_never_reaches_the_service() {
    let pki = pki();
    let server = Server::start(&pki, PolicyHandle::new(Policy::compile(POLICY).unwrap())).await;

    let allowed = request(&server, &pki.ca, Some(&pki.frontend), get("/orders/1"))
        .await
        .unwrap();
    assert_eq!(
        allowed,
        (StatusCode::OK, format!("{FRONTEND} by frontend reads"))
    );
    assert_eq!(server.calls(), 1);

    let other_identity = request(&server, &pki.ca, Some(&pki.batch), get("/orders/1"))
        .await
        .unwrap();
    assert_eq!(other_identity, (StatusCode::FORBIDDEN, String::new()));
    let other_method = request(
        &server,
        &pki.ca,
        Some(&pki.frontend),
        get("/orders/1").method("DELETE"),
    )
    .await
    .unwrap();
    assert_eq!(other_method.0, StatusCode::FORBIDDEN);
    let invalid = request(
        &server,
        &pki.ca,
        Some(&pki.frontend),
        get("/orders/..%2Fadmin"),
    )
    .await
    .unwrap();
    assert_eq!(invalid.0, StatusCode::FORBIDDEN);
    assert_eq!(server.calls(), 1, "denied requests reached the service");
    server.stop().await;
}

#[tokio::test]
async fn a_certificate_from_another_ca_or_none_is_refused_at_the_handshake() {
    let pki = pki();
    let server = Server::start(
        &pki,
        PolicyHandle::new(Policy::compile("default allow").unwrap()),
    )
    .await;

    // Same SPIFFE ID as an allowed client, issued by another CA: no response at all,
    // not even a 403 (with TLS 1.3 the client learns it on its first read).
    let impostor = request(&server, &pki.ca, Some(&pki.impostor), get("/")).await;
    assert!(impostor.is_err(), "answered {impostor:?}");
    let anonymous = request(&server, &pki.ca, None, get("/")).await;
    assert!(anonymous.is_err(), "answered {anonymous:?}");
    assert_eq!(server.calls(), 0);

    // The server still serves verified clients afterwards.
    let allowed = request(&server, &pki.ca, Some(&pki.batch), get("/"))
        .await
        .unwrap();
    assert_eq!(allowed.0, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn forwarded_headers_do_not_change_the_source_and_a_reload_applies_to_the_next_request() {
    let pki = pki();
    let handle = PolicyHandle::new(Policy::compile(POLICY).unwrap());
    let server = Server::start(&pki, handle.clone()).await;

    // The peer is 127.0.0.1: a forwarded 10.x address is not believed.
    let forwarded = get("/")
        .header("x-forwarded-for", "10.0.0.1")
        .header("x-real-ip", "10.0.0.1")
        .header("forwarded", "for=10.0.0.1");
    let response = request(&server, &pki.ca, Some(&pki.frontend), forwarded)
        .await
        .unwrap();
    assert_eq!(response.0, StatusCode::OK);

    let port = server.addr.port();
    handle.store(
        Policy::compile(&format!(
            r#"allow "batch on this port" {{ identity "{BATCH}" port {port} source 127.0.0.1 }}"#
        ))
        .unwrap(),
    );
    let batch = request(&server, &pki.ca, Some(&pki.batch), get("/"))
        .await
        .unwrap();
    assert_eq!(
        batch,
        (StatusCode::OK, format!("{BATCH} by batch on this port"))
    );
    let frontend = request(&server, &pki.ca, Some(&pki.frontend), get("/"))
        .await
        .unwrap();
    assert_eq!(frontend.0, StatusCode::FORBIDDEN);
    assert_eq!(server.calls(), 2);
    server.stop().await;
}
