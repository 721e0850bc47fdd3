//! Portcullis: fast, fail-closed authorization for service-to-service traffic.
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    rustdoc::broken_intra_doc_links
)]

mod check;
mod compile;
mod diagnostic;
mod eval;
mod limits;
pub mod normalize;
mod policy;
mod request;
mod span;
mod suggest;
pub mod syntax;
mod testing;

pub use diagnostic::{CompileError, Diagnostic};
pub use eval::decision::{Decision, Reason};
pub use limits::CompileLimits;
pub use policy::Policy;
pub use request::Request;
pub use span::Span;
pub use testing::{TestFailure, TestReport};
