//! Method table: a short list of methods, each leading to a subtree.

use crate::check::path_pattern::bytes_eq;
use crate::compile::Node;

/// Methods and their subtrees. Policies name few distinct methods, so a linear scan
/// over short strings beats hashing.
#[derive(Debug, Default)]
pub(crate) struct MethodIndex {
    pub(crate) entries: Vec<(Box<str>, Box<Node>)>,
}

impl MethodIndex {
    pub(crate) fn for_each<'t>(&'t self, method: &str, f: &mut impl FnMut(&'t Node)) {
        for (m, child) in &self.entries {
            if bytes_eq(m.as_bytes(), method.as_bytes()) {
                f(child);
            }
        }
    }
}
