//! Host matcher: exact names, `*.suffix` wildcards looked up by each label suffix of
//! the host, and `*`.

use crate::check::host_pattern::{HostPattern, suffix_matches};
use crate::compile::NodeId;

use super::table::KeyTable;
use super::text;

/// The kinds of key in [`HostIndex::table`].
const EXACT: u8 = 0;
/// Keyed by the suffix with its leading dot (`.example`).
const SUFFIX: u8 = 1;

#[derive(Debug, Default)]
pub(crate) struct HostIndex {
    /// Exact names and suffixes, in one table (see [`KeyTable`]): the exact name is
    /// looked up for every request that reaches the split.
    table: KeyTable,
    any: Option<NodeId>,
}

impl HostIndex {
    /// The index of `patterns` and their children, or the child of a pattern that
    /// comes twice.
    pub(crate) fn build<'p>(
        patterns: impl IntoIterator<Item = (&'p HostPattern, NodeId)>,
    ) -> Result<HostIndex, NodeId> {
        let mut keys = Vec::new();
        let mut any = None;
        for (pattern, child) in patterns {
            match pattern {
                HostPattern::Exact(name) => keys.push((EXACT, name.as_bytes(), child)),
                HostPattern::Suffix(suffix) => {
                    keys.push((SUFFIX, suffix.as_bytes(), child));
                }
                HostPattern::Any => match any {
                    Some(_) => return Err(child),
                    None => any = Some(child),
                },
            }
        }
        Ok(HostIndex {
            table: KeyTable::build(keys)?,
            any,
        })
    }

    pub(crate) fn for_each(&self, host: &str, f: &mut impl FnMut(NodeId)) {
        if let Some(child) = self.table.get(EXACT, host.as_bytes()) {
            f(child);
        }
        if self.table.has_kind(SUFFIX) {
            // INVARIANT: `i` is the position of a `.`, so `host.get(i..)` is a suffix.
            for (i, _) in host.match_indices('.') {
                if let Some(suffix) = host.get(i..) {
                    if let Some(child) = self.table.get(SUFFIX, suffix.as_bytes()) {
                        if suffix_matches(suffix, host) {
                            f(child);
                        }
                    }
                }
            }
        }
        if let Some(child) = &self.any {
            f(*child);
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children(&self, out: &mut Vec<(String, NodeId)>) {
        for (kind, key, child) in self.table.entries() {
            let key = String::from_utf8_lossy(&key);
            let text = if kind == EXACT {
                text::host_exact(&key)
            } else {
                text::host_suffix(&key)
            };
            out.push((text, child));
        }
        out.extend(self.any.iter().map(|c| (text::host_any(), *c)));
    }
}
