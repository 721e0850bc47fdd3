//! Portcullis for Rust HTTP services and proxies: decide every request with a policy
//! before the service sees it, by the caller's verified identity, and reload the policy
//! while serving.
//!
//! - [`AuthorizeLayer`]: a [`tower` layer](tower_layer::Layer) that builds a
//!   Portcullis request from each `http::Request`, answers `403 Forbidden` when the
//!   policy denies it, and otherwise calls the service with the [`OwnedDecision`] in
//!   the request's extensions.
//! - [`PolicyHandle`]: the policy, replaceable while requests are being decided, with
//!   lock-free reads from every thread; [`PolicyHandle::watch`] keeps it in step with
//!   its files.
//! - [`Reloader`]: the reload itself (read every file, compile, swap only on success,
//!   count, report), for servers that also reload on a signal.
//! - `peer_identity` (feature `rustls`): the SPIFFE ID of a verified client
//!   certificate, to insert as the [`PeerIdentity`] extension.
//!
//! # Example
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use portcullis::Policy;
//! use portcullis_http::{AuthorizeLayer, OwnedDecision, PeerIdentity, PolicyHandle};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! let handle = PolicyHandle::new(Policy::compile(r#"
//!     default deny
//!     allow "frontend reads orders" {
//!       identity "spiffe://example.org/ns/web/sa/frontend"
//!       method GET
//!       path "/orders/{id}"
//!     }
//! "#)?);
//!
//! let service = ServiceBuilder::new()
//!     .layer(AuthorizeLayer::new(handle.clone()))
//!     .service_fn(|request: Request<String>| async move {
//!         // Only allowed requests get here, with the decision that allowed them.
//!         let rule = request.extensions().get::<OwnedDecision>().and_then(|d| d.rule());
//!         let body = format!("allowed by {}", rule.unwrap_or("the default"));
//!         Ok::<_, Infallible>(Response::new(body))
//!     });
//!
//! // The connection handler inserts what it verified (see below).
//! let from = |identity: &str, method: &str| {
//!     let mut request = Request::builder()
//!         .method(method)
//!         .uri("/orders/42")
//!         .body(String::new())
//!         .unwrap();
//!     request.extensions_mut().insert(PeerIdentity(identity.to_string()));
//!     request
//! };
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//!
//! let frontend = "spiffe://example.org/ns/web/sa/frontend";
//! let response = runtime.block_on(service.clone().oneshot(from(frontend, "GET")))?;
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(response.body(), "allowed by frontend reads orders");
//!
//! // Denied: 403 with an empty body, and the service is not called.
//! let response = runtime.block_on(service.clone().oneshot(from(frontend, "DELETE")))?;
//! assert_eq!(response.status(), StatusCode::FORBIDDEN);
//! assert_eq!(response.body(), "");
//!
//! // A new policy decides every request from now on.
//! handle.store(Policy::compile("default allow")?);
//! let response = runtime.block_on(service.oneshot(from(frontend, "DELETE")))?;
//! assert_eq!(response.status(), StatusCode::OK);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the request is built from
//!
//! | Portcullis | from |
//! |---|---|
//! | method | the request's method, as received |
//! | path | the request target as received, query included (`/a/..%2Fb?x=1` is decided as sent, so denied as invalid) |
//! | host | the URI's authority (HTTP/2 `:authority`, an absolute-form target), without user info; else the `Host` header |
//! | port | the [`LocalAddr`] extension's port (the port the connection was accepted on); else a port the authority names explicitly (`Host: api:8443`, only what the client claims); else none |
//! | identity | the [`PeerIdentity`] extension; none without it |
//! | source | the [`PeerAddr`] extension's address; none without it |
//! | headers | every header line, a repeated one as several values, values as bytes (not necessarily UTF-8) |
//!
//! Forwarded-address headers (`X-Forwarded-For`, `Forwarded`, `X-Real-IP`) are never
//! read: the source is the TCP peer, as the listener saw it. A request whose host is
//! ambiguous is denied before the policy is asked: several `Host` lines, a `Host` that
//! is not UTF-8, or a `Host` naming another authority than the URI's (RFC 9113 §8.3.1
//! calls that malformed; a backend reading the other one would be served a host that
//! was not decided).
//!
//! The extensions are the connection handler's job, from what the connection verified
//! and never from the request: with rustls, read the verified chain once per
//! connection and insert the same values into every request served on it.
//!
//! ```ignore
//! let identity = tls.get_ref().1.peer_certificates().and_then(portcullis_http::peer_identity);
//! let service = hyper::service::service_fn(move |mut request| {
//!     request.extensions_mut().insert(PeerAddr(peer));
//!     request.extensions_mut().insert(LocalAddr(local));
//!     if let Some(id) = &identity {
//!         request.extensions_mut().insert(PeerIdentity(id.clone()));
//!     }
//!     layered.clone().oneshot(request)
//! });
//! ```
//!
//! The complete server (rustls with `WebPkiClientVerifier`, tokio-rustls, hyper 1) is
//! `examples/mtls_server.rs`; its tests run it with certificates made on the spot.
//!
//! # Reloading
//!
//! ```
//! use portcullis::normalize::{Options, Semicolon};
//! use portcullis_http::PolicyHandle;
//!
//! let dir = std::env::temp_dir().join(format!("portcullis-doc-lib-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let file = dir.join("policy.pcl");
//! std::fs::write(&file, r#"allow "reads" { method GET  path "/api/**" }"#)?;
//!
//! let mut options = Options::default();
//! options.semicolon = Semicolon::Strip;
//! let handle = PolicyHandle::watch([&file], options)?;
//!
//! let policy = handle.load();
//! assert!(policy.evaluate(&portcullis::Request::new("GET", "/api/a;v=1")).is_allowed());
//! assert_eq!(policy.options().semicolon, Semicolon::Strip);
//! # drop(policy);
//! # drop(handle);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The rules of reloading, for the watcher and for [`Reloader::reload_now`] alike:
//!
//! - All files are read and compiled again as one policy, in the order given, with
//!   the options given at the start: a reload never resets them.
//! - A policy that does not compile, or a file that cannot be read (deleted, being
//!   replaced), never replaces the policy in use. The diagnostics are reported and the
//!   failure counted; the last good policy goes on deciding.
//! - A request being decided finishes on the policy it began with; every request
//!   after a successful reload sees the new one. No request waits for a reload.
//! - Each policy carries its revision: the first 12 hex digits of the SHA-256 of the
//!   files' contents, concatenated in order.
//! - The watcher sees in-place writes, renames over a file and the Kubernetes
//!   ConfigMap swap within a second or so (it polls; [`Reloader::watch`] says how),
//!   and stops when the last handle is dropped.
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    rustdoc::broken_intra_doc_links
)]

mod authorize;
mod extensions;
mod handle;
#[cfg(feature = "rustls")]
mod identity;
pub mod json;
mod json_map;
mod reload;
mod request;
mod watch;

pub use authorize::{Authorize, AuthorizeLayer, ResponseFuture};
pub use extensions::{LocalAddr, PeerAddr, PeerIdentity};
pub use handle::{PolicyGuard, PolicyHandle};
#[cfg(feature = "rustls")]
pub use identity::peer_identity;
pub use portcullis::OwnedDecision;
pub use reload::{Compiled, PolicySource, ReloadError, ReloadEvent, Reloader, Revision};
pub use watch::WatchGuard;
