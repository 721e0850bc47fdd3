//! Header and attribute value maps: exact byte strings to subtrees.

use crate::compile::NodeId;
use crate::compile::hash::FxHashMap;

use super::text;

#[derive(Debug, Default)]
pub(crate) struct ValueIndex {
    pub(crate) values: FxHashMap<Box<[u8]>, NodeId>,
}

impl ValueIndex {
    pub(crate) fn for_each(&self, value: &[u8], f: &mut impl FnMut(NodeId)) {
        if let Some(child) = self.values.get(value) {
            f(*child);
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children(&self, out: &mut Vec<(String, NodeId)>) {
        out.extend(
            self.values
                .iter()
                .map(|(v, child)| (text::bytes(v), *child)),
        );
    }
}
