//! Bounds on what a policy may ask of the compiler, so that no source, however large
//! or hostile, takes unbounded time or memory to compile.

use serde::{Deserialize, Serialize};

/// Compile-time limits. Every limit has a default that fits real policies with room to
/// spare; a source past one fails to compile with an error that names the limit.
///
/// ```
/// use portcullis::{CompileLimits, Policy};
/// let mut limits = CompileLimits::default();
/// limits.max_rules = 1;
/// let err = Policy::compile_sources_with([("p", "allow \"a\" {}\nallow \"b\" {}")], &limits)
///     .unwrap_err();
/// assert!(err.to_string().contains("more than 1 rules"));
/// ```
///
/// In serde forms the fields are spelled in kebab case (`max-rules`); a missing one
/// keeps its default, an unknown one is an error:
///
/// ```
/// let limits: portcullis::CompileLimits = serde_json::from_str(r#"{"max-rules": 500}"#)?;
/// assert_eq!(limits.max_rules, 500);
/// assert_eq!(limits.max_name_depth, 32);
/// assert!(serde_json::from_str::<portcullis::CompileLimits>(r#"{"max_rules": 5}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct CompileLimits {
    /// Largest source text, in bytes. Default 16 MiB.
    pub max_source_bytes: usize,
    /// Most rules across all sources. Default 100,000.
    pub max_rules: usize,
    /// Most values one condition may hold once `let` names are spliced in.
    /// Default 10,000.
    pub max_values: usize,
    /// Deepest chain of `let` names referring to other names. Default 32.
    pub max_name_depth: usize,
    /// Most heap one compiled regular expression may use, in bytes. Default 256 KiB.
    pub max_regex_bytes: usize,
}

impl Default for CompileLimits {
    fn default() -> CompileLimits {
        CompileLimits {
            max_source_bytes: 16 << 20,
            max_rules: 100_000,
            max_values: 10_000,
            max_name_depth: 32,
            max_regex_bytes: 256 << 10,
        }
    }
}
