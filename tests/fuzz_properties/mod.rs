//! The properties of the fuzz targets (`fuzz/fuzz_targets`), one module a target.
//!
//! Each target includes its own module with
//! `#[path = "../../tests/fuzz_properties/TARGET.rs"]`, and `tests/fuzz_regressions.rs`
//! includes them all, so the committed seeds are replayed on the very code the fuzzers
//! run.

pub mod compile;
pub mod normalize;
pub mod parse;
