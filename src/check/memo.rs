//! Patterns checked once per policy.
//!
//! A large policy repeats its patterns: the same path in several rules of one service,
//! the same host in every rule of that service, the same identity glob in many rules.
//! Checking a pattern (splitting it, normalizing it, building it) costs several times
//! more than copying the result, so each distinct text is checked once and its result
//! copied for every later use. An error is kept too, and every use reports it again,
//! at its own place, exactly as if it had been checked there.

use crate::compile::hash::FxHashMap;

use super::host_pattern::HostPattern;
use super::identity_glob::IdentityGlob;
use super::identity_satisfiable;
use super::path_pattern::PathPattern;

/// The patterns checked so far, by text as written.
#[derive(Debug, Default)]
pub(crate) struct Memo<'a> {
    paths: FxHashMap<&'a str, Result<PathPattern, String>>,
    hosts: FxHashMap<&'a str, Result<HostPattern, String>>,
    identities: FxHashMap<&'a str, Result<IdentityGlob, String>>,
}

impl<'a> Memo<'a> {
    /// [`PathPattern::new`] of `text`.
    pub(crate) fn path(&mut self, text: &'a str) -> Result<PathPattern, String> {
        self.paths
            .entry(text)
            .or_insert_with(|| PathPattern::new(text))
            .clone()
    }

    /// [`HostPattern::new`] of `text`.
    pub(crate) fn host(&mut self, text: &'a str) -> Result<HostPattern, String> {
        self.hosts
            .entry(text)
            .or_insert_with(|| HostPattern::new(text))
            .clone()
    }

    /// [`IdentityGlob::new`] of `text`, or why no valid identity can match it
    /// ([`identity_satisfiable::check`]).
    pub(crate) fn identity(&mut self, text: &'a str) -> Result<IdentityGlob, String> {
        self.identities
            .entry(text)
            .or_insert_with(|| identity_satisfiable::check(text).map(|()| IdentityGlob::new(text)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_repeated_bad_pattern_is_reported_at_every_use() {
        let text = "allow \"a\" { path \"x\" }\nallow \"b\" { host \"a:1\" path \"x\" }";
        let Err(err) = crate::Policy::compile(text) else {
            unreachable!("the policy is invalid");
        };
        let message = err.to_string();
        assert!(
            message.contains("policy:1:18: error: path pattern `x`"),
            "{message}"
        );
        assert!(
            message.contains("policy:2:29: error: path pattern `x`"),
            "{message}"
        );
    }
}
