//! Identity matcher: one table of exact identities and of `prefix/*` globs keyed by
//! the prefix, and a short list of the remaining globs.

use crate::check::identity_glob::IdentityGlob;
use crate::compile::NodeId;

use super::table::KeyTable;
use super::text;

/// The kinds of key in [`IdentityIndex::table`]: globs without `*`.
const EXACT: u8 = 0;
/// `prefix*` where the prefix is empty or ends with `/`: the identity matches when
/// everything up to its last `/` equals the prefix.
const DIRECTORY: u8 = 1;

#[derive(Debug, Default)]
pub(crate) struct IdentityIndex {
    /// Exact identities and directories (see [`KeyTable`]).
    table: KeyTable,
    /// Every other glob.
    others: Box<[(IdentityGlob, NodeId)]>,
}

impl IdentityIndex {
    /// The index of `globs` and their children, or the child of a glob that comes
    /// twice (as an exact identity or a directory).
    pub(crate) fn build<'g>(
        globs: impl IntoIterator<Item = (&'g IdentityGlob, NodeId)>,
    ) -> Result<IdentityIndex, NodeId> {
        let mut keys = Vec::new();
        let mut others = Vec::new();
        for (glob, child) in globs {
            match glob {
                IdentityGlob::Exact(s) => keys.push((EXACT, s.as_bytes(), child)),
                IdentityGlob::PrefixOneSegment(p) if p.is_empty() || p.ends_with('/') => {
                    keys.push((DIRECTORY, p.as_bytes(), child));
                }
                other => others.push((other.clone(), child)),
            }
        }
        Ok(IdentityIndex {
            table: KeyTable::build(keys)?,
            others: others.into_boxed_slice(),
        })
    }

    /// `dir` is the length of the identity's directory: the bytes up to and including
    /// its last `/` (see [`Normalized`](crate::normalize::Normalized)).
    pub(crate) fn for_each(&self, identity: &str, dir: usize, f: &mut impl FnMut(NodeId)) {
        if let Some(child) = self.table.get(EXACT, identity.as_bytes()) {
            f(child);
        }
        if self.table.has_kind(DIRECTORY) {
            // INVARIANT: normalization gives the directory's length, just past a `/`
            // (see `Normalized::identity_dir`). Were it wrong, the directory is found
            // again here rather than the lookup skipped: a skipped child could hold a
            // `deny` rule.
            debug_assert!(
                identity.get(..dir).is_some(),
                "identity directory out of range"
            );
            let directory = identity.get(..dir).unwrap_or_else(|| {
                let end = identity.rfind('/').map_or(0, |slash| slash + 1);
                identity.get(..end).unwrap_or_default()
            });
            if let Some(child) = self.table.get(DIRECTORY, directory.as_bytes()) {
                f(child);
            }
        }
        for (glob, child) in &self.others {
            if glob.matches_with_dir(identity, dir) {
                f(*child);
            }
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children(&self, out: &mut Vec<(String, NodeId)>) {
        for (kind, key, child) in self.table.entries() {
            let key = String::from_utf8_lossy(&key);
            let text = if kind == EXACT {
                text::identity_exact(&key)
            } else {
                text::identity_one_segment(&key)
            };
            out.push((text, child));
        }
        let others = self.others.iter().map(|(g, c)| (text::identity(g), *c));
        out.extend(others);
    }
}
