//! What the connection handler knows and the request does not say: request
//! extensions that [`AuthorizeLayer`](crate::AuthorizeLayer) reads.

use std::net::SocketAddr;

/// The verified identity of the peer (for mTLS, the SPIFFE ID of its certificate:
/// see `peer_identity` with the `rustls` feature). Insert it into each request's
/// extensions from the connection handler, after the TLS handshake verified the
/// certificate; never from anything the request itself carries.
///
/// ```
/// use portcullis_http::PeerIdentity;
/// let mut request = http::Request::new(());
/// request
///     .extensions_mut()
///     .insert(PeerIdentity("spiffe://example.org/ns/web/sa/frontend".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PeerIdentity(pub String);

/// The address of the peer of the connection, as the listener accepted it: the
/// request's `source`. Forwarded-address headers (`X-Forwarded-For`, `Forwarded`,
/// `X-Real-IP`) are never read.
///
/// ```
/// use portcullis_http::PeerAddr;
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(PeerAddr("10.1.2.3:50123".parse().unwrap()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

/// The local address the connection was accepted on. When present, its port is the
/// request's `port` (the destination port); when absent, the port is the one the
/// request's authority names explicitly (`Host: api.example.com:8443`), if any, which
/// is only what the client claims.
///
/// ```
/// use portcullis_http::LocalAddr;
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(LocalAddr("0.0.0.0:8443".parse().unwrap()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LocalAddr(pub SocketAddr);
