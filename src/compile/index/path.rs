//! Path trie over normalized segments.
//!
//! Each trie node has literal children (a hash map), a one-segment child (`*`,
//! `{name}`), in-segment glob children (`*.png`), and may end a pattern (`end`) or
//! carry a `**` tail (`tail`). Looking a path up walks its segments once, branching
//! only where wildcards allow.

use crate::check::path_pattern::{PathPattern, Segment, glob_matches};
use crate::compile::NodeId;
use crate::compile::hash::FxHashMap;

use super::text;

/// A trie node: the patterns that continue with a segment, by the kind of segment.
#[derive(Debug, Default)]
pub(crate) struct PathTrie {
    literal: FxHashMap<Box<str>, PathTrie>,
    one: Option<Box<PathTrie>>,
    globs: Vec<(Box<[Box<str>]>, PathTrie)>,
    /// Subtrees of patterns that end here. Patterns that differ only in spelling
    /// (`*` and `{id}`) share a trie path but may lead to different subtrees.
    end: Vec<NodeId>,
    /// Subtrees of patterns with a `**` tail here.
    tail: Vec<NodeId>,
}

impl PathTrie {
    /// Inserts `pattern` leading to `child`. (Never fails; the error, which gives the
    /// child back, is there so that a broken invariant fails the build of this split
    /// instead of dropping the child.)
    pub(crate) fn insert(&mut self, pattern: &PathPattern, child: NodeId) -> Result<(), NodeId> {
        let mut at = self;
        for segment in pattern.segments() {
            at = match segment {
                Segment::Tail => {
                    at.tail.push(child);
                    return Ok(());
                }
                Segment::Literal(lit) => at.literal.entry(lit.clone()).or_default(),
                Segment::One => at.one.get_or_insert_with(Box::default),
                Segment::Glob(parts) => {
                    let found = at.globs.iter().position(|(p, _)| p == parts);
                    let i = found.unwrap_or_else(|| {
                        at.globs.push((parts.clone(), PathTrie::default()));
                        at.globs.len() - 1
                    });
                    // `i` was found in the list or is its last entry.
                    match at.globs.get_mut(i) {
                        Some((_, next)) => next,
                        None => return Err(child),
                    }
                }
            };
        }
        at.end.push(child);
        Ok(())
    }

    /// Calls `f` with the child of every pattern that matches the normalized `path`.
    pub(crate) fn for_each(&self, path: &str, f: &mut impl FnMut(NodeId)) {
        // INVARIANT: a normalized path starts with `/` (spec §6).
        let rest = path.strip_prefix('/').unwrap_or(path);
        self.walk(Some(rest), f);
    }

    /// `rest` is the unmatched part of the path (segments joined by `/`), or `None`
    /// once every segment is consumed.
    fn walk(&self, rest: Option<&str>, f: &mut impl FnMut(NodeId)) {
        for tail in &self.tail {
            f(*tail);
        }
        let Some(rest) = rest else {
            for end in &self.end {
                f(*end);
            }
            return;
        };
        let (segment, after) = match rest.split_once('/') {
            Some((s, a)) => (s, Some(a)),
            None => (rest, None),
        };
        if let Some(next) = self.literal.get(segment) {
            next.walk(after, f);
        }
        if let Some(next) = &self.one {
            if !segment.is_empty() {
                next.walk(after, f);
            }
        }
        for (parts, next) in &self.globs {
            if glob_matches(parts, segment) {
                next.walk(after, f);
            }
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children));
    /// `prefix` holds the texts of the segments leading to this trie node.
    pub(crate) fn children(&self, prefix: &mut Vec<String>, out: &mut Vec<(String, NodeId)>) {
        out.extend(self.end.iter().map(|c| (text::path(prefix), *c)));
        if !self.tail.is_empty() {
            prefix.push("**".to_string());
            out.extend(self.tail.iter().map(|c| (text::path(prefix), *c)));
            prefix.pop();
        }
        let literal = self
            .literal
            .iter()
            .map(|(lit, next)| (lit.to_string(), next));
        let one = self.one.iter().map(|next| ("*".to_string(), &**next));
        let globs = self
            .globs
            .iter()
            .map(|(parts, next)| (parts.join("*"), next));
        for (segment, next) in literal.chain(one).chain(globs) {
            prefix.push(segment);
            next.children(prefix, out);
            prefix.pop();
        }
    }
}
