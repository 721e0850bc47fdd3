//! An HTTPS server that verifies client certificates and lets Portcullis decide every
//! request by the client's SPIFFE ID, with the policy reloaded when its file changes.
//!
//! ```text
//! cargo run -p portcullis-http --features rustls --example mtls_server -- \
//!     --policy policy.pcl --demo /tmp/mtls-demo
//! ```
//!
//! `--demo DIR` writes a throw-away CA, a server certificate for `127.0.0.1` and
//! `localhost`, and a client certificate for `spiffe://example.org/ns/demo/sa/client`
//! into `DIR`, and prints the `curl` command that uses them. With your own PKI, pass
//! `--ca CA.pem --cert SERVER.pem --key SERVER.key` instead. A policy to start from:
//!
//! ```text
//! default deny
//! allow "demo client reads" {
//!   identity "spiffe://example.org/ns/demo/sa/*"
//!   method GET
//! }
//! ```
//!
//! How it fits together: rustls verifies the client's chain during the handshake
//! (`WebPkiClientVerifier`: a client without a certificate from the CA is refused
//! there); the connection handler reads the verified chain once, turns it into a
//! [`PeerIdentity`] with [`peer_identity`], and inserts it, with the [`PeerAddr`] and
//! [`LocalAddr`] of the connection, into every request it serves; the
//! [`AuthorizeLayer`] then decides each request and answers 403 or calls the service.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use portcullis::normalize::Options;
use portcullis_http::{
    AuthorizeLayer, LocalAddr, OwnedDecision, PeerAddr, PeerIdentity, PolicyHandle, peer_identity,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::{Layer, Service, ServiceExt};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The TLS configuration: the server's chain and key, and client certificates
/// required and verified against `client_ca`.
pub fn tls_config(
    client_ca: Vec<CertificateDer<'static>>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, Error> {
    // One crypto provider, named: nothing depends on which ones the build enabled.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for certificate in client_ca {
        roots.add(certificate)?;
    }
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// Serves HTTPS on `listener` until `shutdown` completes: each request is decided
/// with `handle`'s policy, and `service` sees only the allowed ones.
pub async fn serve<S>(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    handle: PolicyHandle,
    service: S,
    shutdown: impl Future<Output = ()>,
) where
    S: Service<Request<Incoming>, Response = Response<Full<Bytes>>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    let acceptor = TlsAcceptor::from(tls);
    let service = AuthorizeLayer::new(handle).layer(service);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            },
        };
        let local = tcp.local_addr().ok();
        let acceptor = acceptor.clone();
        let service = service.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                // No certificate, or one the CA did not issue: refused here.
                Err(e) => return eprintln!("handshake with {peer} failed: {e}"),
            };
            // The chain was verified by the handshake; read it once per connection.
            let identity = tls.get_ref().1.peer_certificates().and_then(peer_identity);
            let per_request = hyper::service::service_fn(move |mut request: Request<Incoming>| {
                let extensions = request.extensions_mut();
                extensions.insert(PeerAddr(peer));
                if let Some(local) = local {
                    extensions.insert(LocalAddr(local));
                }
                if let Some(identity) = &identity {
                    extensions.insert(PeerIdentity(identity.clone()));
                }
                service.clone().oneshot(request)
            });
            let connection = http1::Builder::new().serve_connection(TokioIo::new(tls), per_request);
            if let Err(e) = connection.await {
                eprintln!("connection with {peer} failed: {e}");
            }
        });
    }
}

/// The service behind the layer: says who called and which rule let them in.
async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let identity = request
        .extensions()
        .get::<PeerIdentity>()
        .map_or("?", |id| id.0.as_str());
    let rule = request
        .extensions()
        .get::<OwnedDecision>()
        .and_then(|d| d.rule())
        .unwrap_or("the default");
    let text = format!("hello {identity}, allowed by {rule}\n");
    Ok(Response::new(Full::new(Bytes::from(text))))
}

/// A CA, and certificates it issues, for demos and tests.
pub mod demo {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose, SanType,
    };
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    use super::Error;

    /// A certificate with its key, in DER and PEM.
    pub struct Issued {
        /// The certificate.
        pub der: CertificateDer<'static>,
        /// The certificate, PEM.
        pub pem: String,
        /// Its private key, PKCS#8 DER.
        pub key: PrivatePkcs8KeyDer<'static>,
        /// Its private key, PEM.
        pub key_pem: String,
    }

    impl Issued {
        /// The private key, as rustls takes it.
        pub fn private_key(&self) -> PrivateKeyDer<'static> {
            PrivateKeyDer::Pkcs8(self.key.clone_key())
        }
    }

    /// A self-signed CA named `name`.
    pub fn ca(name: &str) -> Result<CertifiedIssuer<'static, KeyPair>, Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Ok(CertifiedIssuer::self_signed(params, KeyPair::generate()?)?)
    }

    /// A server certificate for `127.0.0.1`, `::1` and `localhost`.
    pub fn server(ca: &CertifiedIssuer<'static, KeyPair>) -> Result<Issued, Error> {
        let mut params = CertificateParams::new(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ])?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        issue(params, ca)
    }

    /// A client certificate whose only URI name is `spiffe_id`, as an X.509-SVID.
    pub fn client(
        ca: &CertifiedIssuer<'static, KeyPair>,
        spiffe_id: &str,
    ) -> Result<Issued, Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.subject_alt_names = vec![SanType::URI(spiffe_id.try_into()?)];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        issue(params, ca)
    }

    fn issue(
        params: CertificateParams,
        ca: &CertifiedIssuer<'static, KeyPair>,
    ) -> Result<Issued, Error> {
        let key = KeyPair::generate()?;
        let certificate = params.signed_by(&key, ca)?;
        Ok(Issued {
            der: certificate.der().clone(),
            pem: certificate.pem(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
            key_pem: key.serialize_pem(),
        })
    }
}

struct Args {
    policies: Vec<PathBuf>,
    listen: SocketAddr,
    demo: Option<PathBuf>,
    ca: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

const USAGE: &str = "usage: mtls_server --policy FILE [--policy FILE]... [--listen ADDR] \
                     (--demo DIR | --ca CA.pem --cert SERVER.pem --key SERVER.key)";

fn parse_args() -> Result<Args, Error> {
    let mut args = Args {
        policies: Vec::new(),
        listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
        demo: None,
        ca: None,
        cert: None,
        key: None,
    };
    let mut words = std::env::args().skip(1);
    while let Some(flag) = words.next() {
        let mut value = || {
            words
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))
        };
        match flag.as_str() {
            "--policy" => args.policies.push(value()?.into()),
            "--listen" => args.listen = value()?.parse()?,
            "--demo" => args.demo = Some(value()?.into()),
            "--ca" => args.ca = Some(value()?.into()),
            "--cert" => args.cert = Some(value()?.into()),
            "--key" => args.key = Some(value()?.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}").into()),
        }
    }
    if args.policies.is_empty() {
        return Err(USAGE.into());
    }
    Ok(args)
}

/// Writes the demo PKI into `dir` and returns the CA and the server's chain and key.
fn write_demo(
    dir: &Path,
    listen: SocketAddr,
) -> Result<
    (
        Vec<CertificateDer<'static>>,
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
    ),
    Error,
> {
    std::fs::create_dir_all(dir)?;
    let ca = demo::ca("portcullis demo CA")?;
    let server = demo::server(&ca)?;
    let client = demo::client(&ca, "spiffe://example.org/ns/demo/sa/client")?;
    std::fs::write(dir.join("ca.pem"), ca.pem())?;
    std::fs::write(dir.join("client.pem"), &client.pem)?;
    std::fs::write(dir.join("client.key"), &client.key_pem)?;
    let d = dir.display();
    eprintln!(
        "try: curl --cacert {d}/ca.pem --cert {d}/client.pem --key {d}/client.key https://{listen}/"
    );
    Ok((
        vec![ca.der().clone()],
        vec![server.der.clone()],
        server.private_key(),
    ))
}

fn main() -> Result<(), Error> {
    let args = parse_args()?;
    let (client_ca, chain, key) = match (&args.demo, &args.ca, &args.cert, &args.key) {
        (Some(dir), _, _, _) => write_demo(dir, args.listen)?,
        (None, Some(ca), Some(cert), Some(key)) => (
            CertificateDer::pem_file_iter(ca)?.collect::<Result<_, _>>()?,
            CertificateDer::pem_file_iter(cert)?.collect::<Result<_, _>>()?,
            PrivateKeyDer::from_pem_file(key)?,
        ),
        _ => return Err(USAGE.into()),
    };
    let tls = tls_config(client_ca, chain, key)?;
    // Reloaded when a file changes; a broken edit keeps the last good policy.
    let handle = PolicyHandle::watch(&args.policies, Options::default())?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(args.listen).await?;
        eprintln!("listening https {}", listener.local_addr()?);
        let service = tower::service_fn(hello);
        // Runs until the process is stopped (Ctrl-C).
        serve(listener, tls, handle, service, std::future::pending()).await;
        Ok(())
    })
}
