//! Portcullis: fast, fail-closed authorization for service-to-service traffic.
//!
//! Every call between services should be checked: may *this caller* (its mTLS
//! identity, usually a SPIFFE ID) use *this method* on *this path* of *this service*,
//! from *this address*? Portcullis answers that from a small policy language, compiled
//! into a decision tree, in a fraction of a microsecond (`BENCHMARKS.md` has the
//! numbers and the command that reproduces them), without I/O or allocation.
//!
//! # Example
//!
//! ```
//! use std::net::IpAddr;
//! use portcullis::{Policy, Reason, Request};
//!
//! let policy = Policy::compile(r#"
//!     default deny
//!
//!     let frontends = [
//!       "spiffe://prod.example.com/ns/web/sa/frontend",
//!       "spiffe://prod.example.com/ns/web/sa/checkout",
//!     ]
//!     let office = [10.0.0.0/8, 2001:db8::/32]
//!
//!     allow "frontends read orders" {
//!       identity in frontends
//!       method GET, HEAD
//!       path "/api/v1/orders", "/api/v1/orders/{id}"
//!     }
//!
//!     deny "no writes from outside the office" {
//!       method POST, PUT, PATCH, DELETE
//!       not source in office
//!     }
//!
//!     audit "debug header seen" {
//!       header "x-debug" present
//!     }
//! "#)?;
//!
//! let outside: IpAddr = "192.0.2.7".parse().unwrap();
//! let read = Request::new("GET", "/api/v1/orders/42?verbose=1")
//!     .identity("spiffe://prod.example.com/ns/web/sa/frontend")
//!     .source(outside)
//!     .header("x-debug", b"1");
//! let decision = policy.evaluate(&read);
//! assert!(decision.is_allowed());
//! assert_eq!(decision.rule(), Some("frontends read orders"));
//! assert_eq!(decision.audit().collect::<Vec<_>>(), ["debug header seen"]);
//!
//! let write = Request::new("DELETE", "/api/v1/orders/42")
//!     .identity("spiffe://prod.example.com/ns/web/sa/frontend")
//!     .source(outside);
//! assert_eq!(policy.evaluate(&write).rule(), Some("no writes from outside the office"));
//!
//! // A request that cannot be normalized safely is denied, whatever the rules say.
//! let sneaky = Request::new("GET", "/api/v1/orders/..%2Fadmin");
//! assert_eq!(policy.evaluate(&sneaky).reason(), Reason::InvalidRequest);
//! # Ok::<(), portcullis::CompileError>(())
//! ```
//!
//! # The rules
//!
//! - A rule matches when **every** condition matches; a condition with several values
//!   matches when **any** does; `not` inverts one condition. A test on an attribute the
//!   request lacks is false (so `not` makes it true).
//! - If any `deny` rule matches, the request is denied by the first one in source
//!   order; else the first matching `allow` rule allows it; else the `default` decides
//!   (`deny` unless the policy says `default allow`). Every matching `audit` rule is
//!   listed, and never changes the effect.
//! - Before matching, the request is normalized (percent escapes, dot segments,
//!   repeated slashes, host case and port, IPv4-mapped addresses). A request that
//!   cannot be normalized safely is denied with [`Reason::InvalidRequest`]. The
//!   [`normalize`] module documents every step and option, with the attack each
//!   option trades off.
//!
//! `docs/language.md` is the language's reference: the grammar, the meaning of every
//! construct, request normalization, decisions, errors, tests, the JSON form and the
//! command line's JSON. `docs/architecture.md` shows the crates and this pipeline.
//!
//! # How it works
//!
//! The crate is a pipeline, one module per stage:
//!
//! ```text
//! source text ──syntax──▶ syntax tree ──check──▶ checked policy ──compile──▶ tree
//!                                                                             │
//!            request ──normalize──▶ normalized request ──eval (walk tree)──▶ Decision
//! ```
//!
//! - [`syntax`] parses text into a [`syntax::File`] with a [`Span`] on every node and
//!   reports every syntax error in one run; the same tree is the policy's JSON form.
//! - The checker resolves `let` names, types every value for its subject and
//!   validates addresses, ports, methods, path patterns and regexes
//!   ([`CompileError`] collects every [`Diagnostic`]).
//! - The compiler builds a decision tree: each split node indexes one attribute (a
//!   path trie, a method table, identity and host maps, CIDR tables, header value
//!   maps) and leaves hold a few rules, so the cost of a decision follows the size of
//!   the request, not the number of rules.
//! - Evaluation normalizes the request once into stack buffers, walks the tree and
//!   returns a [`Decision`] that borrows rule names from the [`Policy`].
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    rustdoc::broken_intra_doc_links
)]

mod bytes;
mod check;
mod compile;
mod compiler;
mod coverage;
mod diagnostic;
mod eval;
mod explain;
mod limits;
pub mod normalize;
mod owned_request;
mod policy;
mod request;
mod sites;
mod span;
mod suggest;
pub mod syntax;
mod testing;
pub mod view;

pub use compiler::Compiler;
pub use coverage::TestCoverage;
pub use diagnostic::{Code, CompileError, Diagnostic, Location, Related, Severity, UnknownCode};
pub use eval::decision::{Decision, Effect, Reason};
pub use eval::owned_decision::OwnedDecision;
pub use explain::{Explanation, RuleExplanation};
pub use limits::CompileLimits;
pub use owned_request::OwnedRequest;
pub use policy::Policy;
pub use request::Request;
pub use sites::{ConditionInfo, RuleInfo};
pub use span::Span;
pub use testing::{TestFailure, TestReport};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
