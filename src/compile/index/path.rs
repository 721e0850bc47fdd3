//! Path trie over normalized segments.
//!
//! Each trie node has literal children (a hash map), a one-segment child (`*`,
//! `{name}`), in-segment glob children (`*.png`), and may end a pattern (`end`) or
//! carry a `**` tail (`tail`). Looking a path up walks its segments once, branching
//! only where wildcards allow.

use crate::check::path_pattern::{PathPattern, Segment, glob_matches};
use crate::compile::NodeId;
use crate::compile::hash::FxHashMap;

#[derive(Debug, Default)]
struct TrieNode {
    literal: FxHashMap<Box<str>, u32>,
    one: Option<u32>,
    globs: Vec<(Box<[Box<str>]>, u32)>,
    /// Subtrees of patterns that end here. Patterns that differ only in spelling
    /// (`*` and `{id}`) share a trie path but may lead to different subtrees.
    end: Vec<NodeId>,
    /// Subtrees of patterns with a `**` tail here.
    tail: Vec<NodeId>,
}

#[derive(Debug)]
pub(crate) struct PathTrie {
    nodes: Vec<TrieNode>,
}

impl Default for PathTrie {
    fn default() -> PathTrie {
        PathTrie {
            nodes: vec![TrieNode::default()],
        }
    }
}

impl PathTrie {
    /// Inserts `pattern` leading to `child`.
    pub(crate) fn insert(&mut self, pattern: &PathPattern, child: NodeId) {
        let mut at = 0usize;
        for segment in pattern.segments() {
            let next = self.nodes.len();
            let Some(node) = self.nodes.get_mut(at) else {
                return;
            };
            let target = match segment {
                Segment::Tail => {
                    node.tail.push(child);
                    return;
                }
                Segment::Literal(lit) => *node.literal.entry(lit.clone()).or_insert(next as u32),
                Segment::One => *node.one.get_or_insert(next as u32),
                Segment::Glob(parts) => match node.globs.iter().find(|(p, _)| p == parts) {
                    Some(&(_, t)) => t,
                    None => {
                        node.globs.push((parts.clone(), next as u32));
                        next as u32
                    }
                },
            };
            if target as usize == next {
                self.nodes.push(TrieNode::default());
            }
            at = target as usize;
        }
        if let Some(node) = self.nodes.get_mut(at) {
            node.end.push(child);
        }
    }

    /// Calls `f` with the child of every pattern that matches the normalized `path`.
    pub(crate) fn for_each(&self, path: &str, f: &mut impl FnMut(NodeId)) {
        let rest = path.strip_prefix('/').unwrap_or(path);
        self.walk(0, Some(rest), f);
    }

    /// `rest` is the unmatched part of the path (segments joined by `/`), or `None`
    /// once every segment is consumed.
    fn walk(&self, at: u32, rest: Option<&str>, f: &mut impl FnMut(NodeId)) {
        let Some(node) = self.nodes.get(at as usize) else {
            return;
        };
        for &tail in &node.tail {
            f(tail);
        }
        let Some(rest) = rest else {
            for &end in &node.end {
                f(end);
            }
            return;
        };
        let (segment, after) = match rest.split_once('/') {
            Some((s, a)) => (s, Some(a)),
            None => (rest, None),
        };
        if let Some(&next) = node.literal.get(segment) {
            self.walk(next, after, f);
        }
        if let Some(next) = node.one {
            if !segment.is_empty() {
                self.walk(next, after, f);
            }
        }
        for (parts, next) in &node.globs {
            if glob_matches(parts, segment) {
                self.walk(*next, after, f);
            }
        }
    }
}
