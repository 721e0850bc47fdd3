//! Host matcher: exact names, `*.suffix` wildcards looked up by each label suffix of
//! the host, and `*`.

use crate::check::host_pattern::{HostPattern, suffix_matches};
use crate::compile::NodeId;
use crate::compile::hash::FxHashMap;

use super::table::StrTable;

#[derive(Debug, Default)]
pub(crate) struct HostIndex {
    /// Exact names: looked up for every request that reaches the split.
    exact: StrTable,
    /// Keyed by the suffix with its leading dot (`.example`).
    suffix: FxHashMap<Box<str>, NodeId>,
    any: Option<NodeId>,
}

impl HostIndex {
    pub(crate) fn insert(&mut self, pattern: &HostPattern, child: NodeId) {
        match pattern {
            HostPattern::Exact(name) => {
                self.exact.insert(name, child);
            }
            HostPattern::Suffix(suffix) => {
                self.suffix.insert((**suffix).into(), child);
            }
            HostPattern::Any => self.any = Some(child),
        }
    }

    pub(crate) fn for_each(&self, host: &str, f: &mut impl FnMut(NodeId)) {
        if let Some(child) = self.exact.get(host) {
            f(child);
        }
        if !self.suffix.is_empty() {
            for (i, _) in host.match_indices('.') {
                if let Some((suffix, &child)) =
                    host.get(i..).and_then(|s| self.suffix.get_key_value(s))
                {
                    if suffix_matches(suffix, host) {
                        f(child);
                    }
                }
            }
        }
        if let Some(child) = self.any {
            f(child);
        }
    }
}
