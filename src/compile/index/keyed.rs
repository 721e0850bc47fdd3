//! Header and attribute value maps: exact byte strings to subtrees.

use crate::compile::Node;
use crate::compile::hash::FxHashMap;

use super::text;

#[derive(Debug, Default)]
pub(crate) struct ValueIndex {
    pub(crate) values: FxHashMap<Box<[u8]>, Box<Node>>,
}

impl ValueIndex {
    pub(crate) fn for_each<'t>(&'t self, value: &[u8], f: &mut impl FnMut(&'t Node)) {
        if let Some(child) = self.values.get(value) {
            f(child);
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children<'t>(&'t self, out: &mut Vec<(String, &'t Node)>) {
        out.extend(
            self.values
                .iter()
                .map(|(v, child)| (text::bytes(v), &**child)),
        );
    }
}
