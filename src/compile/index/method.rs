//! Method table: a short list of methods, each leading to a subtree.

use crate::check::path_pattern::bytes_eq;
use crate::compile::NodeId;

use super::text;

/// Methods and their subtrees. Policies name few distinct methods, so a linear scan
/// over short strings beats hashing.
#[derive(Debug, Default)]
pub(crate) struct MethodIndex {
    pub(crate) entries: Vec<(Box<str>, NodeId)>,
}

impl MethodIndex {
    pub(crate) fn for_each(&self, method: &str, f: &mut impl FnMut(NodeId)) {
        for (m, child) in &self.entries {
            if bytes_eq(m.as_bytes(), method.as_bytes()) {
                f(*child);
            }
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children(&self, out: &mut Vec<(String, NodeId)>) {
        out.extend(
            self.entries
                .iter()
                .map(|(m, child)| (text::method(m), *child)),
        );
    }
}
