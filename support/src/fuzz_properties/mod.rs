//! The properties of the fuzz targets (`fuzz/fuzz_targets`), one module a target.
//!
//! Each target calls its own module, and `tests/fuzz_regressions.rs` calls them all, so
//! the committed seeds are replayed on the very code the fuzzers run.

pub mod compile;
pub mod normalize;
pub mod parse;
