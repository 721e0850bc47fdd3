//! Identity matcher: an exact map, a map of `prefix/*` globs keyed by the prefix, and a
//! short list of the remaining globs.

use crate::check::identity_glob::IdentityGlob;
use crate::compile::NodeId;
use crate::compile::hash::FxHashMap;

use super::{insert_new, text};

#[derive(Debug, Default)]
pub(crate) struct IdentityIndex {
    /// Globs without `*`.
    pub(crate) exact: FxHashMap<Box<str>, NodeId>,
    /// `prefix*` where the prefix is empty or ends with `/`: the identity matches when
    /// everything up to its last `/` equals the prefix.
    pub(crate) last_segment: FxHashMap<Box<str>, NodeId>,
    /// Every other glob.
    pub(crate) others: Vec<(IdentityGlob, NodeId)>,
}

impl IdentityIndex {
    /// Puts `child` under `glob`; gives it back if `glob` already has one.
    pub(crate) fn insert(&mut self, glob: &IdentityGlob, child: NodeId) -> Result<(), NodeId> {
        match glob {
            IdentityGlob::Exact(s) => insert_new(&mut self.exact, (**s).into(), child),
            IdentityGlob::PrefixOneSegment(p) if p.is_empty() || p.ends_with('/') => {
                insert_new(&mut self.last_segment, (**p).into(), child)
            }
            other => {
                self.others.push((other.clone(), child));
                Ok(())
            }
        }
    }

    /// `dir` is the length of the identity's directory: the bytes up to and including
    /// its last `/` (see [`Normalized`](crate::normalize::Normalized)).
    pub(crate) fn for_each(&self, identity: &str, dir: usize, f: &mut impl FnMut(NodeId)) {
        if let Some(child) = self.exact.get(identity) {
            f(*child);
        }
        if !self.last_segment.is_empty() {
            // INVARIANT: normalization gives the directory's length, just past a `/`
            // (see `Normalized::identity_dir`). Were it wrong, the directory is found
            // again here rather than the lookup skipped: a skipped child could hold a
            // `deny` rule.
            debug_assert!(
                identity.get(..dir).is_some(),
                "identity directory out of range"
            );
            let directory = identity.get(..dir).unwrap_or_else(|| {
                let end = identity.rfind('/').map_or(0, |slash| slash + 1);
                identity.get(..end).unwrap_or_default()
            });
            if let Some(child) = self.last_segment.get(directory) {
                f(*child);
            }
        }
        for (glob, child) in &self.others {
            if glob.matches_with_dir(identity, dir) {
                f(*child);
            }
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children(&self, out: &mut Vec<(String, NodeId)>) {
        let exact = self
            .exact
            .iter()
            .map(|(s, c)| (text::identity_exact(s), *c));
        let dirs = self.last_segment.iter();
        let dirs = dirs.map(|(p, c)| (text::identity_one_segment(p), *c));
        let others = self.others.iter().map(|(g, c)| (text::identity(g), *c));
        out.extend(exact.chain(dirs).chain(others));
    }
}
