//! Identity matcher: an exact map, a map of `prefix/*` globs keyed by the prefix, and a
//! short list of the remaining globs.

use crate::check::identity_glob::IdentityGlob;
use crate::compile::NodeId;
use crate::compile::hash::FxHashMap;

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
    pub(crate) fn insert(&mut self, glob: &IdentityGlob, child: NodeId) {
        match glob {
            IdentityGlob::Exact(s) => {
                self.exact.insert((**s).into(), child);
            }
            IdentityGlob::PrefixOneSegment(p) if p.is_empty() || p.ends_with('/') => {
                self.last_segment.insert((**p).into(), child);
            }
            other => self.others.push((other.clone(), child)),
        }
    }

    /// `dir` is the length of the identity's directory: the bytes up to and including
    /// its last `/` (see [`Normalized`](crate::normalize::Normalized)).
    pub(crate) fn for_each(&self, identity: &str, dir: usize, f: &mut impl FnMut(NodeId)) {
        if let Some(&child) = self.exact.get(identity) {
            f(child);
        }
        if !self.last_segment.is_empty() {
            if let Some(&child) = identity.get(..dir).and_then(|p| self.last_segment.get(p)) {
                f(child);
            }
        }
        for (glob, child) in &self.others {
            if glob.matches_with_dir(identity, dir) {
                f(*child);
            }
        }
    }
}
