//! Port table: inclusive ranges, scanned (policies name few distinct ports).

use crate::compile::NodeId;

#[derive(Debug, Default)]
pub(crate) struct PortIndex {
    pub(crate) entries: Vec<((u16, u16), NodeId)>,
}

impl PortIndex {
    pub(crate) fn for_each(&self, port: u16, f: &mut impl FnMut(NodeId)) {
        for &((lo, hi), child) in &self.entries {
            if lo <= port && port <= hi {
                f(child);
            }
        }
    }
}
