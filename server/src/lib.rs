//! `portcullis serve`: the Portcullis decision server.
//!
//! Envoy (`ext_authz` over gRPC), nginx (`auth_request`), Traefik (`ForwardAuth`) and
//! Caddy (`forward_auth`) ask it whether to let a request through; it answers from a
//! compiled policy, reloads the policy when its files change, and reports every
//! decision in Prometheus metrics and an optional JSON-lines log.
//!
//! The wire is mapped to the core in pure functions that need no socket:
//!
//! - [`check`]: an Envoy `CheckRequest` to a request, a decision to a `CheckResponse`;
//! - [`forward_auth`]: forwarded headers to a request (believed only from a trusted
//!   proxy), a decision to an HTTP answer;
//! - [`client_cert`]: the client's identity from a PEM or XFCC certificate header.
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    rustdoc::broken_intra_doc_links
)]

pub mod check;
pub mod client_cert;
mod decision;
pub mod forward_auth;
mod owned;

pub use decision::DecisionObject;
pub use owned::OwnedRequest;
