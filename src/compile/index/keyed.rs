//! Header and attribute value maps: exact byte strings to subtrees.

use crate::compile::Node;
use crate::compile::hash::FxHashMap;

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
}
