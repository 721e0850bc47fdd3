//! The shape of a compiled decision tree, read from [`Policy::dump_tree`]: how deep its
//! leaves sit and how many rules they hold. For the benches' tables; the dump's format
//! is for people and may change, so a change there shows up in this module's tests.
//!
//! [`Policy::dump_tree`]: portcullis::Policy::dump_tree

/// Depth and leaf sizes of one tree.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TreeStats {
    /// Split nodes.
    pub splits: usize,
    /// Leaves (each the end of one path through the splits).
    pub leaves: usize,
    /// Leaves that hold no rule.
    pub empty_leaves: usize,
    /// The most splits above one leaf.
    pub max_depth: usize,
    /// Splits above a leaf, averaged over leaves.
    pub mean_depth: f64,
    /// Rules in the largest leaf.
    pub max_leaf: usize,
    /// Rules per non-empty leaf, averaged.
    pub mean_leaf: f64,
    /// Rule entries over all leaves (a rule under several keys counts once per leaf).
    pub entries: usize,
}

impl TreeStats {
    /// Reads a [`Policy::dump_tree`](portcullis::Policy::dump_tree) text: `leaf` and
    /// `split on ...` lines, indented two spaces per level, a split's keys one level
    /// below it and their nodes two; a leaf's rules one level below it.
    ///
    /// ```
    /// use portcullis_support::tree_stats::TreeStats;
    /// let policy = portcullis::Policy::compile(r#"
    ///     allow "a" { method GET }
    ///     allow "b" { method POST }
    /// "#).unwrap();
    /// let stats = TreeStats::from_dump(&policy.dump_tree());
    /// assert_eq!(stats.entries, 2);
    /// assert!(stats.leaves >= 1);
    /// ```
    pub fn from_dump(dump: &str) -> TreeStats {
        let mut stats = TreeStats::default();
        let mut depth_total = 0usize;
        // The indentation of the leaf whose rules are being counted, and its count.
        let mut open: Option<(usize, usize)> = None;
        let close = |open: &mut Option<(usize, usize)>, stats: &mut TreeStats| {
            if let Some((_, rules)) = open.take() {
                stats.entries += rules;
                stats.max_leaf = stats.max_leaf.max(rules);
                if rules == 0 {
                    stats.empty_leaves += 1;
                }
            }
        };
        for line in dump.lines() {
            let text = line.trim_start_matches(' ');
            let indent = line.len() - text.len();
            if let Some((leaf_indent, rules)) = open.as_mut() {
                if indent == *leaf_indent + 2 {
                    *rules += 1;
                    continue;
                }
            }
            close(&mut open, &mut stats);
            if text == "leaf" {
                // A leaf under d splits is indented 4·d (a key line between each).
                let depth = indent / 4;
                stats.leaves += 1;
                depth_total += depth;
                stats.max_depth = stats.max_depth.max(depth);
                open = Some((indent, 0));
            } else if text.starts_with("split on ") {
                stats.splits += 1;
            }
        }
        close(&mut open, &mut stats);
        if stats.leaves > 0 {
            stats.mean_depth = depth_total as f64 / stats.leaves as f64;
        }
        let full = stats.leaves - stats.empty_leaves;
        if full > 0 {
            stats.mean_leaf = stats.entries as f64 / full as f64;
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::TreeStats;

    #[test]
    fn reads_depth_and_leaf_sizes() {
        let dump = "split on method\n  \"DELETE\"\n    split on host\n      \"a.svc\"\n        leaf\n          deny \"x\" if not identity\n          allow \"y\" always\n      rest\n        leaf\n  rest\n    leaf\n      allow \"probes\" if path\n";
        let stats = TreeStats::from_dump(dump);
        assert_eq!(stats.splits, 2);
        assert_eq!(stats.leaves, 3);
        assert_eq!(stats.empty_leaves, 1);
        assert_eq!(stats.max_depth, 2);
        assert_eq!(stats.entries, 3);
        assert_eq!(stats.max_leaf, 2);
        assert!((stats.mean_depth - 5.0 / 3.0).abs() < 1e-9);
        assert!((stats.mean_leaf - 1.5).abs() < 1e-9);
    }

    #[test]
    fn a_single_leaf() {
        let stats = TreeStats::from_dump("leaf\n  allow \"probes\" if path\n");
        assert_eq!((stats.leaves, stats.max_depth, stats.entries), (1, 0, 1));
    }
}
