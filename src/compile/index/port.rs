//! Port table: inclusive ranges, scanned (policies name few distinct ports).

use crate::compile::NodeId;

use super::text;

#[derive(Debug, Default)]
pub(crate) struct PortIndex {
    pub(crate) entries: Box<[((u16, u16), NodeId)]>,
}

impl PortIndex {
    pub(crate) fn for_each(&self, port: u16, f: &mut impl FnMut(NodeId)) {
        for ((lo, hi), child) in &self.entries {
            if *lo <= port && port <= *hi {
                f(*child);
            }
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children(&self, out: &mut Vec<(String, NodeId)>) {
        out.extend(
            self.entries
                .iter()
                .map(|(r, child)| (text::port(*r), *child)),
        );
    }
}
