//! Host matcher: exact names, `*.suffix` wildcards looked up by each label suffix of
//! the host, and `*`.

use crate::check::host_pattern::{HostPattern, suffix_matches};
use crate::compile::NodeId;
use crate::compile::hash::FxHashMap;

use super::table::StrTable;
use super::{insert_new, text};

#[derive(Debug, Default)]
pub(crate) struct HostIndex {
    /// Exact names: looked up for every request that reaches the split.
    exact: StrTable<NodeId>,
    /// Keyed by the suffix with its leading dot (`.example`).
    suffix: FxHashMap<Box<str>, NodeId>,
    any: Option<NodeId>,
}

impl HostIndex {
    /// Puts `child` under `pattern`; gives it back if `pattern` already has one.
    pub(crate) fn insert(&mut self, pattern: &HostPattern, child: NodeId) -> Result<(), NodeId> {
        match pattern {
            HostPattern::Exact(name) => self.exact.insert(name, child),
            HostPattern::Suffix(suffix) => insert_new(&mut self.suffix, (**suffix).into(), child),
            HostPattern::Any => match self.any {
                Some(_) => Err(child),
                None => {
                    self.any = Some(child);
                    Ok(())
                }
            },
        }
    }

    pub(crate) fn for_each(&self, host: &str, f: &mut impl FnMut(NodeId)) {
        if let Some(child) = self.exact.get(host) {
            f(*child);
        }
        if !self.suffix.is_empty() {
            // INVARIANT: `i` is the position of a `.`, so `host.get(i..)` is a suffix.
            for (i, _) in host.match_indices('.') {
                if let Some((suffix, child)) =
                    host.get(i..).and_then(|s| self.suffix.get_key_value(s))
                {
                    if suffix_matches(suffix, host) {
                        f(*child);
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
        out.extend(self.exact.iter().map(|(n, c)| (text::host_exact(n), *c)));
        out.extend(self.suffix.iter().map(|(s, c)| (text::host_suffix(s), *c)));
        out.extend(self.any.iter().map(|c| (text::host_any(), *c)));
    }
}
