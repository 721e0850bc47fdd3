//! Header and attribute value maps: exact byte strings to subtrees.

use crate::compile::NodeId;

use super::table::KeyTable;
use super::text;

/// The values of one header or attribute (see [`KeyTable`]; every key of kind 0).
#[derive(Debug, Default)]
pub(crate) struct ValueIndex {
    table: KeyTable,
}

impl ValueIndex {
    /// The index of `values` and their children, or the child of a value that comes
    /// twice.
    pub(crate) fn build<'v>(
        values: impl IntoIterator<Item = (&'v [u8], NodeId)>,
    ) -> Result<ValueIndex, NodeId> {
        let table = KeyTable::build(values.into_iter().map(|(v, child)| (0, v, child)))?;
        Ok(ValueIndex { table })
    }

    #[inline]
    pub(crate) fn for_each(&self, value: &[u8], f: &mut impl FnMut(NodeId)) {
        if let Some(child) = self.table.get(0, value) {
            f(child);
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children(&self, out: &mut Vec<(String, NodeId)>) {
        out.extend(
            self.table
                .entries()
                .into_iter()
                .map(|(_, v, child)| (text::bytes(&v), child)),
        );
    }
}
