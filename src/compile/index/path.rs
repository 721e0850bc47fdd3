//! Path trie over normalized segments, stored flat.
//!
//! Each trie node has literal children, a one-segment child (`*`, `{name}`), in-segment
//! glob children (`*.png`), and may end a pattern (`end`) or carry a `**` tail
//! (`tail`). Looking a path up walks its segments once, branching only where wildcards
//! allow.
//!
//! The nodes are small plain records (32 bytes, two to a cache line) in one vector,
//! referring to each other by position; the children of a node sit next to each other
//! (its literal children, then its globs), and the segments they are reached by lie in
//! one byte arena, siblings' next to each other. A node with a few literal children
//! finds the one a segment names by comparing lengths, then bytes; a node with more
//! finds it in one open-addressed table for the whole trie, keyed by (parent,
//! segment), the full hash kept beside each slot. The subtrees a node ends or tails
//! in are held in the node when there is one (the common case), else in a list.
//! A chain of nodes that only lead on to one literal child each (`/api/v1/...` in
//! every pattern of a service) is folded into one node whose key is the chain's
//! segments. Compared with a hash map per node (whose buckets held whole nodes and a
//! pointer to a separately allocated key), a walk touches about one cache line per
//! node instead of three or four, and visits fewer nodes.

use std::collections::BTreeMap;

use crate::check::path_pattern::{PathPattern, Segment, starts_with};
use crate::compile::hash::hash_bytes;
use crate::compile::path_check::{glob_text_matches, split_segment};
use crate::compile::{NodeId, Range32, to_u32};

use super::text;

/// No node.
const NONE: u32 = u32::MAX;

/// A node with at most this many literal children compares them one by one (their
/// records share one or two cache lines); with more, they are found in the table.
const SCAN: u32 = 4;

/// The child reported when a position in the trie points outside it (never, for a
/// trie [`PathTrieBuilder::finish`] made): it is not below any split, so evaluation
/// marks the decision corrupt and denies.
const CORRUPT: NodeId = NodeId(u32::MAX);

/// The subtrees a trie node leads to (its `end` or its `tail`): none, one held inline,
/// or a list in [`PathTrie::lists`] (its length, then the subtrees).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Targets(u32);

impl Targets {
    const NONE: Targets = Targets(u32::MAX);
    /// Set in a list's position; clear in a subtree held inline.
    const LIST: u32 = 1 << 31;
}

/// A trie node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(32))]
struct TrieNode {
    /// The segment the parent reaches this node by, a range of [`PathTrie::bytes`]: a
    /// literal, or a glob's text (`*.png`); empty for the root and a `*` child. A
    /// literal key may be several segments joined by `/` (a chain of nodes that did
    /// nothing but lead on to one literal child, folded into one).
    key: Range32,
    /// The node's literal children, then its glob children: positions `kids..` in
    /// [`PathTrie::nodes`].
    kids: u32,
    literals: u32,
    globs: u32,
    /// The `*` (or `{name}`) child, or [`NONE`].
    one: u32,
    /// Subtrees of patterns that end here. Patterns that differ only in spelling (`*`
    /// and `{id}`) share a trie path but may lead to different subtrees.
    end: Targets,
    /// Subtrees of patterns with a `**` tail here.
    tail: Targets,
}

impl TrieNode {
    /// A node with key `key` and nothing under it yet.
    fn bare(key: Range32) -> TrieNode {
        TrieNode {
            key,
            kids: 0,
            literals: 0,
            globs: 0,
            one: NONE,
            end: Targets::NONE,
            tail: Targets::NONE,
        }
    }
}

/// A slot of the literal-children table: the child `child` of `parent` (a node with
/// more than [`SCAN`] literal children) is reached by the segment that is its key;
/// `hash` is that segment's hash seeded with `parent`.
#[derive(Clone, Copy, Debug)]
struct Slot {
    hash: u64,
    parent: u32,
    /// [`NONE`] in an empty slot.
    child: u32,
}

const EMPTY_SLOT: Slot = Slot {
    hash: 0,
    parent: NONE,
    child: NONE,
};

/// The path trie of a split on the path.
///
/// INVARIANT (for a trie [`PathTrieBuilder::finish`] made): node 0 is the root;
/// every position (node, key range, list) is in range; `table.len()` is a power of
/// two (or 0) and more than twice the number of children it holds, so every probe
/// ends at an empty slot. A broken one makes a lookup report [`CORRUPT`], never skip
/// a subtree silently.
#[derive(Debug, Default)]
pub(crate) struct PathTrie {
    nodes: Box<[TrieNode]>,
    table: Box<[Slot]>,
    bytes: Box<str>,
    lists: Box<[u32]>,
}

impl PathTrie {
    /// The trie of `patterns`, each leading to its child.
    pub(crate) fn build<'a>(
        patterns: impl IntoIterator<Item = (&'a PathPattern, NodeId)>,
    ) -> PathTrie {
        let mut builder = PathTrieBuilder::default();
        for (pattern, child) in patterns {
            builder.insert(pattern, child);
        }
        builder.finish()
    }

    /// Calls `f` with the child of every pattern that matches the normalized `path`.
    pub(crate) fn for_each(&self, path: &str, f: &mut impl FnMut(NodeId)) {
        // INVARIANT: a normalized path starts with `/` (spec §6).
        let rest = path.strip_prefix('/').unwrap_or(path);
        if !self.nodes.is_empty() && self.walk(0, Some(rest), f).is_none() {
            f(CORRUPT);
        }
    }

    /// Walks from node `at`. `rest` is the unmatched part of the path (segments
    /// joined by `/`), or `None` once every segment is consumed. `None` if a position
    /// is out of range.
    fn walk(&self, at: u32, rest: Option<&str>, f: &mut impl FnMut(NodeId)) -> Option<()> {
        let node = self.nodes.get(at as usize)?;
        self.targets(node.tail, f)?;
        let Some(rest) = rest else {
            return self.targets(node.end, f);
        };
        let (segment, after) = split_segment(rest);
        if node.literals > 0 {
            if let Some((next, after)) = self.literal(at, node, segment, rest)? {
                self.walk(next, after, f)?;
            }
        }
        if node.one != NONE && !segment.is_empty() {
            self.walk(node.one, after, f)?;
        }
        if node.globs > 0 {
            let first = node.kids.checked_add(node.literals)?;
            for g in first..first.checked_add(node.globs)? {
                let glob = self.key(self.nodes.get(g as usize)?)?;
                if glob_text_matches(glob, segment) {
                    self.walk(g, after, f)?;
                }
            }
        }
        Some(())
    }

    /// The literal child of `node` (at position `at`) that `rest` (starting with
    /// `segment`) continues with, if any, and what is left of `rest` after its key.
    #[inline]
    fn literal<'r>(
        &self,
        at: u32,
        node: &TrieNode,
        segment: &str,
        rest: &'r str,
    ) -> Option<Option<(u32, Option<&'r str>)>> {
        if node.literals <= SCAN {
            let kids = Range32 {
                start: node.kids,
                len: node.literals,
            };
            for (i, kid) in kids.of(&self.nodes)?.iter().enumerate() {
                if kid.key.len as usize <= rest.len() {
                    if let Some(after) = after_key(rest, self.key(kid)?) {
                        return Some(Some((node.kids.checked_add(to_u32(i))?, after)));
                    }
                }
            }
            return Some(None);
        }
        let hash = hash_bytes(u64::from(at), segment.as_bytes());
        let mask = self.table.len().wrapping_sub(1);
        let mut probe = home(hash, mask);
        // INVARIANT (see the type): the probe ends at an empty slot; a full table
        // (never) stops after one round.
        for _ in 0..self.table.len() {
            let slot = self.table.get(probe)?;
            if slot.child == NONE {
                return Some(None);
            }
            if slot.hash == hash && slot.parent == at {
                let kid = self.nodes.get(slot.child as usize)?;
                if let Some(after) = after_key(rest, self.key(kid)?) {
                    return Some(Some((slot.child, after)));
                }
            }
            probe = (probe + 1) & mask;
        }
        Some(None)
    }

    /// The key of `node` (see [`TrieNode::key`]).
    #[inline]
    fn key(&self, node: &TrieNode) -> Option<&str> {
        let start = node.key.start as usize;
        self.bytes
            .get(start..start.checked_add(node.key.len as usize)?)
    }

    /// Calls `f` with each subtree of `targets`.
    #[inline]
    fn targets(&self, targets: Targets, f: &mut impl FnMut(NodeId)) -> Option<()> {
        if targets == Targets::NONE {
        } else if targets.0 & Targets::LIST == 0 {
            f(NodeId(targets.0));
        } else {
            let at = (targets.0 & !Targets::LIST) as usize;
            let len = *self.lists.get(at)? as usize;
            let start = at.checked_add(1)?;
            for &child in self.lists.get(start..start.checked_add(len)?)? {
                f(NodeId(child));
            }
        }
        Some(())
    }

    /// Every subtree of `targets` (for listing children; out-of-range lists give
    /// [`CORRUPT`], which no key of a policy leads to).
    fn target_list(&self, targets: Targets) -> Vec<NodeId> {
        let mut out = Vec::new();
        if self.targets(targets, &mut |c| out.push(c)).is_none() {
            out.push(CORRUPT);
        }
        out
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children));
    /// `prefix` holds the texts of the segments leading to this trie.
    pub(crate) fn children(&self, prefix: &mut Vec<String>, out: &mut Vec<(String, NodeId)>) {
        if !self.nodes.is_empty() {
            self.children_of(0, prefix, out);
        }
    }

    fn children_of(&self, at: u32, prefix: &mut Vec<String>, out: &mut Vec<(String, NodeId)>) {
        let Some(node) = self.nodes.get(at as usize) else {
            out.push((text::path(prefix), CORRUPT));
            return;
        };
        out.extend(
            self.target_list(node.end)
                .into_iter()
                .map(|c| (text::path(prefix), c)),
        );
        if node.tail != Targets::NONE {
            prefix.push("**".to_string());
            out.extend(
                self.target_list(node.tail)
                    .into_iter()
                    .map(|c| (text::path(prefix), c)),
            );
            prefix.pop();
        }
        let kids = u64::from(node.kids)..u64::from(node.kids) + u64::from(node.literals);
        let globs = kids.end..kids.end + u64::from(node.globs);
        let keyed = kids.chain(globs).map(|kid| {
            let key = u32::try_from(kid)
                .ok()
                .and_then(|kid| self.nodes.get(kid as usize))
                .and_then(|n| self.key(n))
                .unwrap_or("\u{fffd}");
            (key.to_string(), u32::try_from(kid).unwrap_or(NONE))
        });
        let one = (node.one != NONE).then(|| ("*".to_string(), node.one));
        for (segment, next) in keyed.chain(one) {
            prefix.push(segment);
            self.children_of(next, prefix, out);
            prefix.pop();
        }
    }
}

/// If `rest` (segments joined by `/`) starts with the whole segments of the literal
/// key `key`, what is left after them: `Some(None)` when nothing is.
#[inline]
fn after_key<'r>(rest: &'r str, key: &str) -> Option<Option<&'r str>> {
    if !starts_with(rest.as_bytes(), key.as_bytes()) {
        return None;
    }
    match rest.as_bytes().get(key.len()) {
        None => Some(None),
        Some(b'/') => Some(rest.get(key.len() + 1..)),
        Some(_) => None,
    }
}

/// The first slot to probe for `hash` (the high bits: the multiply mixes upward).
#[inline]
fn home(hash: u64, mask: usize) -> usize {
    (hash >> 32) as usize & mask
}

/// A trie node while the trie is built (a plain pointer trie, laid out flat by
/// [`PathTrieBuilder::finish`]).
#[derive(Debug, Default)]
struct Draft {
    /// By key, so that the layout does not depend on insertion order.
    literal: BTreeMap<Box<str>, Draft>,
    one: Option<Box<Draft>>,
    /// By glob text, in insertion order.
    globs: Vec<(String, Draft)>,
    end: Vec<NodeId>,
    tail: Vec<NodeId>,
}

impl Draft {
    /// The one literal child of a node that does nothing else (no pattern ends or
    /// tails there, no wildcard child): the node can be skipped.
    fn only_literal(&self) -> Option<(&str, &Draft)> {
        let plain = self.one.is_none()
            && self.globs.is_empty()
            && self.end.is_empty()
            && self.tail.is_empty();
        match (plain, self.literal.len()) {
            (true, 1) => self.literal.iter().next().map(|(k, d)| (&**k, d)),
            _ => None,
        }
    }
}

/// Collects the patterns of a split on the path; [`finish`](Self::finish) lays the
/// trie out flat.
#[derive(Debug, Default)]
struct PathTrieBuilder {
    root: Draft,
}

impl PathTrieBuilder {
    /// Adds `pattern` leading to `child`.
    fn insert(&mut self, pattern: &PathPattern, child: NodeId) {
        let mut at = &mut self.root;
        for segment in pattern.segments() {
            at = match segment {
                Segment::Tail => {
                    at.tail.push(child);
                    return;
                }
                Segment::Literal(lit) => at.literal.entry(lit.clone()).or_default(),
                Segment::One => at.one.get_or_insert_with(Box::default),
                Segment::Glob(parts) => {
                    let glob = parts.join("*");
                    match at.globs.iter().position(|(g, _)| *g == glob) {
                        Some(i) => match at.globs.get_mut(i) {
                            Some((_, next)) => next,
                            None => return,
                        },
                        None => {
                            at.globs.push((glob, Draft::default()));
                            match at.globs.last_mut() {
                                Some((_, next)) => next,
                                None => return,
                            }
                        }
                    }
                }
            };
        }
        at.end.push(child);
    }

    /// The flat trie: nodes laid out depth first, each node's children in one run
    /// (literals by key, then globs), keys in the same order in the arena.
    fn finish(self) -> PathTrie {
        let mut out = Layout::default();
        out.nodes.push(TrieNode::bare(Range32 { start: 0, len: 0 }));
        out.place(&self.root, 0);
        let table = out.table();
        PathTrie {
            nodes: out.nodes.into_boxed_slice(),
            table,
            bytes: out.bytes.into_boxed_str(),
            lists: out.lists.into_boxed_slice(),
        }
    }
}

/// The vectors of a trie being laid out.
#[derive(Default)]
struct Layout {
    nodes: Vec<TrieNode>,
    bytes: String,
    lists: Vec<u32>,
}

impl Layout {
    /// Fills in node `at` (already pushed, its key set) from `draft`, and below it.
    fn place(&mut self, draft: &Draft, at: u32) {
        let kids = to_u32(self.nodes.len());
        let mut below: Vec<(&Draft, u32)> = Vec::new();
        for (key, mut next) in &draft.literal {
            // A chain of nodes that only lead on to one literal child each becomes
            // one node, its key the chain's segments joined by `/`.
            let mut key = key.to_string();
            while let Some((more, child)) = next.only_literal() {
                key.push('/');
                key.push_str(more);
                next = child;
            }
            below.push((next, self.push(&key)));
        }
        for (glob, next) in &draft.globs {
            below.push((next, self.push(glob)));
        }
        let one = match &draft.one {
            Some(next) => {
                let one = self.push("");
                below.push((next, one));
                one
            }
            None => NONE,
        };
        let end = self.targets(&draft.end);
        let tail = self.targets(&draft.tail);
        if let Some(node) = self.nodes.get_mut(at as usize) {
            node.kids = kids;
            node.literals = to_u32(draft.literal.len());
            node.globs = to_u32(draft.globs.len());
            node.one = one;
            node.end = end;
            node.tail = tail;
        }
        for (next, position) in below {
            self.place(next, position);
        }
    }

    /// Adds a node reached by `key`; its position.
    fn push(&mut self, key: &str) -> u32 {
        let start = to_u32(self.bytes.len());
        self.bytes.push_str(key);
        self.nodes.push(TrieNode::bare(Range32 {
            start,
            len: to_u32(key.len()),
        }));
        to_u32(self.nodes.len() - 1)
    }

    /// `children` as [`Targets`]: inline when there is one that fits, else a list.
    fn targets(&mut self, children: &[NodeId]) -> Targets {
        match children {
            [] => Targets::NONE,
            [one] if one.0 & Targets::LIST == 0 => Targets(one.0),
            _ => {
                let at = to_u32(self.lists.len());
                self.lists.push(to_u32(children.len()));
                self.lists.extend(children.iter().map(|c| c.0));
                Targets(at | Targets::LIST)
            }
        }
    }

    /// The literal-children table: every literal child of a node with more than
    /// [`SCAN`] of them.
    fn table(&self) -> Box<[Slot]> {
        let entries: usize = self
            .nodes
            .iter()
            .filter(|n| n.literals > SCAN)
            .map(|n| n.literals as usize)
            .sum();
        if entries == 0 {
            return Box::default();
        }
        let size = (entries * 2 + 1).next_power_of_two();
        let mask = size - 1;
        let mut table = vec![EMPTY_SLOT; size];
        for (parent, node) in self.nodes.iter().enumerate() {
            if node.literals <= SCAN {
                continue;
            }
            for child in node.kids..node.kids.saturating_add(node.literals) {
                let Some(key) = self.nodes.get(child as usize).and_then(|kid| {
                    let start = kid.key.start as usize;
                    self.bytes.get(start..start + kid.key.len as usize)
                }) else {
                    continue;
                };
                // The table is looked up by the first segment of a key.
                let hash = hash_bytes(parent as u64, split_segment(key).0.as_bytes());
                let mut probe = home(hash, mask);
                // INVARIANT: more than half the slots stay empty, and `probe` is masked.
                while let Some(slot) = table.get_mut(probe) {
                    if slot.child == NONE {
                        *slot = Slot {
                            hash,
                            parent: to_u32(parent),
                            child,
                        };
                        break;
                    }
                    probe = (probe + 1) & mask;
                }
            }
        }
        table.into_boxed_slice()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use proptest::prelude::*;

    use super::*;
    use crate::check::path_pattern::glob_matches;
    use crate::compile::path_check::glob_text_matches;

    /// What the trie must find: every pattern that matches, each with its child.
    fn reference(patterns: &[(PathPattern, NodeId)], path: &str) -> Vec<u32> {
        let mut out: Vec<u32> = patterns
            .iter()
            .filter(|(p, _)| p.matches(path))
            .map(|(_, c)| c.0)
            .collect();
        out.sort_unstable();
        out
    }

    fn trie(patterns: &[(PathPattern, NodeId)]) -> PathTrie {
        PathTrie::build(patterns.iter().map(|(p, c)| (p, *c)))
    }

    fn found(trie: &PathTrie, path: &str) -> Vec<u32> {
        let mut out = Vec::new();
        trie.for_each(path, &mut |c| out.push(c.0));
        out.sort_unstable();
        out
    }

    /// A segment of a pattern from a small alphabet, so that patterns share prefixes
    /// and paths hit them.
    fn pattern_segment() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[ab]{0,2}",
            2 => Just("abcdefghij".to_string()),
            1 => Just("*".to_string()),
            1 => Just("{id}".to_string()),
            1 => "[ab]{0,1}\\*[ab]{0,1}",
            1 => "a\\*b\\*a",
            1 => (0..12usize).prop_map(|i| format!("k{i}")),
        ]
    }

    fn pattern() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(pattern_segment(), 1..4),
            any::<bool>(),
        )
            .prop_map(|(segs, tail)| {
                let mut text = format!("/{}", segs.join("/"));
                if tail {
                    text.push_str("/**");
                }
                text
            })
    }

    fn path() -> impl Strategy<Value = String> {
        let segment = prop_oneof![
            4 => "[ab]{0,3}",
            1 => Just("abcdefghij".to_string()),
            1 => Just("*".to_string()),
            1 => (0..12usize).prop_map(|i| format!("k{i}")),
        ];
        prop::collection::vec(segment, 1..6).prop_map(|segs| format!("/{}", segs.join("/")))
    }

    proptest! {
        /// The flat trie finds exactly the children of the patterns that match (as
        /// the checked pattern matches), over random patterns and paths, and lists
        /// each pattern's key once per child.
        #[test]
        fn flat_trie_agrees_with_plain_matching(
            texts in prop::collection::vec(pattern(), 0..40),
            paths in prop::collection::vec(path(), 1..20),
        ) {
            let patterns: Vec<(PathPattern, NodeId)> = texts
                .iter()
                .filter_map(|t| PathPattern::new(t).ok())
                .enumerate()
                .map(|(i, p)| (p, NodeId(to_u32(i) + 1)))
                .collect();
            let trie = trie(&patterns);
            for path in &paths {
                prop_assert_eq!(found(&trie, path), reference(&patterns, path), "{}", path);
            }
            let mut listed = Vec::new();
            trie.children(&mut Vec::new(), &mut listed);
            let mut listed: Vec<(String, u32)> = listed.into_iter().map(|(k, c)| (k, c.0)).collect();
            listed.sort();
            let mut expected: Vec<(String, u32)> = patterns
                .iter()
                .map(|(p, c)| (text::path_pattern(p), c.0))
                .collect();
            expected.sort();
            prop_assert_eq!(listed, expected);
        }

        /// The glob test read from the glob's text is the test on its parts.
        #[test]
        fn glob_text_agrees_with_parts(glob in "[ab*]{1,6}", text in "[ab]{0,6}") {
            prop_assume!(glob.contains('*'));
            let parts: Vec<Box<str>> = glob.split('*').map(Into::into).collect();
            prop_assert_eq!(glob_text_matches(&glob, &text), glob_matches(&parts, &text));
        }
    }

    #[test]
    fn wide_nodes_use_the_table_and_keep_children_and_subtrees() {
        // 200 literal children under `/t` (the table), a few under `/s` (the scan),
        // several subtrees on one pattern (a list) and spellings of `*`.
        let mut patterns = Vec::new();
        let mut next = 1;
        let mut add = |text: &str, patterns: &mut Vec<(PathPattern, NodeId)>| {
            patterns.push((PathPattern::new(text).unwrap(), NodeId(next)));
            next += 1;
        };
        for i in 0..200 {
            add(&format!("/t/{i}/**"), &mut patterns);
            add(&format!("/t/{i}"), &mut patterns);
        }
        for text in ["/s/a", "/s/b", "/s/a", "/s/{id}", "/s/*", "/s/*.png", "/"] {
            add(text, &mut patterns);
        }
        // Chains folded into one node each (`3/x/y`), under a wide node.
        for i in 0..10 {
            add(&format!("/w/{i}/x/y"), &mut patterns);
        }
        let trie = trie(&patterns);
        assert!(!trie.table.is_empty());
        for path in [
            "/t/7",
            "/t/7/x",
            "/t/199/",
            "/t/200",
            "/t",
            "/s/a",
            "/s/x.png",
            "/s/",
            "/",
            "/w/3/x/y",
            "/w/3/x",
            "/w/3/x/y/",
            "/w/3/x/yy",
            "/w/3/xx/y",
            "/w/33/x/y",
        ] {
            assert_eq!(found(&trie, path), reference(&patterns, path), "{path}");
        }
        assert_eq!(found(&trie, "/t/7"), vec![15, 16]);
        assert_eq!(found(&trie, "/s/a").len(), 4);
        assert_eq!(found(&trie, "/w/3/x/y"), vec![411]);
        assert!(trie.nodes.iter().any(|n| trie.key(n) == Some("3/x/y")));
        let mut listed = Vec::new();
        trie.children(&mut Vec::new(), &mut listed);
        assert!(listed.contains(&(r#""/w/3/x/y""#.to_string(), NodeId(411))));
    }

    #[test]
    fn nodes_are_half_a_cache_line() {
        assert_eq!(std::mem::size_of::<TrieNode>(), 32);
        assert_eq!(std::mem::align_of::<TrieNode>(), 32);
    }

    #[test]
    fn a_position_outside_the_trie_reports_a_corrupt_child() {
        let mut builder = PathTrieBuilder::default();
        builder.insert(&PathPattern::new("/a/b").unwrap(), NodeId(1));
        let mut trie = builder.finish();
        let mut nodes = trie.nodes.to_vec();
        nodes[0].kids = 99;
        trie.nodes = nodes.into_boxed_slice();
        assert_eq!(found(&trie, "/a/b"), vec![CORRUPT.0]);
    }
}
