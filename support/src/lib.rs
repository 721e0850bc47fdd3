//! Test support shared by the Portcullis crates, their benches and the fuzz targets.
//! Never published.
//!
//! - [`workload`]: a deterministic service-mesh workload (policies, a labelled request
//!   mix) for benches, the workload tests and the peer comparison;
//! - [`reference`](mod@reference): a plain reference model of a policy with a rule-by-rule evaluator
//!   and proptest strategies, for differential testing and fuzzing;
//! - [`tree_stats`]: depth and leaf sizes of a compiled tree, for the bench tables;
//! - [`fuzz_properties`]: the properties the fuzz targets check, replayed on the
//!   committed seeds by `tests/fuzz_regressions.rs`.
//!
//! The core crate uses this crate as a dev-dependency (a dev-dependency cycle cargo
//! allows): only integration tests and benches may use it, never the core's own unit
//! tests, which would see a second copy of the core's types.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test support: a broken expectation should stop the test that relies on it"
)]

pub mod bench_args;
pub mod fuzz_properties;
#[allow(
    missing_docs,
    reason = "the model's variants and fields mirror the policy language one to one"
)]
pub mod reference;
pub mod tree_stats;
pub mod workload;
