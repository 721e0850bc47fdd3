//! Port table: inclusive ranges, scanned (policies name few distinct ports).

use crate::compile::Node;

use super::text;

#[derive(Debug, Default)]
pub(crate) struct PortIndex {
    pub(crate) entries: Vec<((u16, u16), Box<Node>)>,
}

impl PortIndex {
    pub(crate) fn for_each<'t>(&'t self, port: u16, f: &mut impl FnMut(&'t Node)) {
        for ((lo, hi), child) in &self.entries {
            if *lo <= port && port <= *hi {
                f(child);
            }
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children<'t>(&'t self, out: &mut Vec<(String, &'t Node)>) {
        out.extend(
            self.entries
                .iter()
                .map(|(r, child)| (text::port(*r), &**child)),
        );
    }
}
