//! `portcullis serve`: the Portcullis decision server.
//!
//! Envoy (`ext_authz` over gRPC), nginx (`auth_request`), Traefik (`ForwardAuth`) and
//! Caddy (`forward_auth`) ask it whether to let a request through; it answers from a
//! compiled policy, reloads the policy when its files change (or on SIGHUP), and
//! reports every decision in Prometheus metrics and an optional JSON-lines log.
//!
//! ```no_run
//! use portcullis_server::{ServeConfig, Server};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = ServeConfig::new(["policy.pcl"]);
//! config.grpc = Some("127.0.0.1:9191".parse()?);
//! config.http = Some("127.0.0.1:9192".parse()?);
//! config.admin = Some("127.0.0.1:9193".parse()?);
//! let server = Server::start(config).await?;
//! // ... Envoy calls Check on 9191, nginx calls /forward-auth on 9192 ...
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # How it is built
//!
//! The wire is mapped to the core in pure functions that need no socket:
//!
//! - [`check`]: an Envoy `CheckRequest` to a request, a decision to a `CheckResponse`;
//! - [`forward_auth`]: forwarded headers to a request (believed only from a trusted
//!   proxy), a decision to an HTTP answer;
//! - [`client_cert`]: the client's identity from a PEM or XFCC certificate header.
//!
//! The runtime is kept apart: the listeners (tonic for gRPC, hyper for HTTP), the
//! reload (`portcullis_http::Reloader`, shared with `PolicyHandle::watch`), the
//! metrics and the decision log.
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    rustdoc::broken_intra_doc_links
)]

pub mod check;
pub mod client_cert;
mod config;
mod decide;
mod decision;
pub mod forward_auth;
mod listeners;
mod log;
mod metrics;
mod run;

pub use config::{Limits, LogTarget, ServeConfig};
pub use decision::DecisionObject;
pub use run::{Server, StartError, run};
