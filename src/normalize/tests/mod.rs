//! Unit tests of what normalization does inside: which buffer a path or host is
//! written to, when a path is borrowed, and the counts that matching relies on (the
//! segments of a path, the directory of an identity). What normalization accepts and
//! what it returns is tested through the public API, in `tests/normalize_path.rs` and
//! `tests/normalize_request.rs`, and speed in `benches/normalize.rs`.

mod host;
mod identity;
mod path;
