//! Checking a built tree against its policy ([`Tree::validate`]): a debugging aid that
//! the tests and the differential fuzz target run on every tree they build.
//!
//! What the types of the tree cannot hold is checked here:
//!
//! - leaves hold rules of the policy, ascending, each with its kind and audit slot;
//! - a leaf rule's checks are conditions of that rule, each once, in the form the
//!   condition has (same negation, same values), cheapest first;
//! - every condition a leaf rule does not check is *proven*: it is plain (not
//!   negated) and a split above the leaf looked it up, the leaf sitting under one of
//!   the condition's own keys (indexes are exact);
//! - a rule under a key of a split is under every key of one of its conditions on
//!   that split's attribute (unless it can never match), and not in the rest
//!   (indexes are complete);
//! - every rule is in the tree, unless it can never match (a plain condition with no
//!   value: `method in []`).

use std::sync::Arc;

use crate::check::{CheckedPolicy, CheckedRule, Cond, CondTest, Keyed};
use crate::syntax::RuleKind;

use super::build::{Key, cost, keys};
use super::index::{Dim, Index, text};
use super::{CheckTest, LeafRule, Node, NodeId, PathCheck, Range32, Role, Tree};

impl Tree {
    /// Checks the invariants of the tree listed in the [module docs](self) against
    /// `policy`, the policy it was built from; the error says which one failed, and
    /// where.
    pub(crate) fn validate(&self, policy: &CheckedPolicy) -> Result<(), String> {
        let mut validator = Validator {
            policy,
            tree: self,
            path: Vec::new(),
        };
        if self.nodes.first() != Some(&Node::Leaf(Range32 { start: 0, len: 0 })) {
            return Err("the tree does not start with its empty leaf".to_string());
        }
        let present = validator.node(self.root, NodeId(super::to_u32(self.nodes.len())))?;
        for (r, rule) in policy.rules.iter().enumerate() {
            let r = super::to_u32(r);
            if present.binary_search(&r).is_err() && !never_matches(policy.conditions(rule)) {
                return Err(format!("rule `{}` is in no leaf", rule.name));
            }
        }
        Ok(())
    }
}

/// Walks a tree, knowing the splits above the node it is at.
struct Validator<'p, 't> {
    policy: &'p CheckedPolicy,
    tree: &'t Tree,
    /// The splits above the node: their attribute, and the key of the child taken
    /// (`None` for the rest).
    path: Vec<(Dim<'t>, Option<String>)>,
}

impl<'t> Validator<'_, 't> {
    /// Checks the subtree at node `id`, a child of node `parent` (children come
    /// before their parent, so no walk goes round in circles); returns its rules,
    /// ascending, each once.
    fn node(&mut self, id: NodeId, parent: NodeId) -> Result<Vec<u32>, String> {
        if id.0 >= parent.0 {
            return Err(format!(
                "{}: node {} does not come before its parent {}",
                self.at(),
                id.0,
                parent.0
            ));
        }
        let tree = self.tree;
        match tree.nodes.get(id.0 as usize) {
            Some(Node::Leaf(range)) => match range.of(&tree.rules) {
                Some(rules) => self.leaf(rules),
                None => Err(format!(
                    "{}: a leaf's rules are outside the tree",
                    self.at()
                )),
            },
            Some(&Node::Split { index, rest }) => match tree.indexes.get(index as usize) {
                Some(index) => self.split(id, index, rest),
                None => Err(format!("{}: index {index} is not in the tree", self.at())),
            },
            None => Err(format!("{}: node {} is not in the tree", self.at(), id.0)),
        }
    }

    fn split(&mut self, id: NodeId, index: &'t Index, rest: NodeId) -> Result<Vec<u32>, String> {
        let dim = index.dim();
        let mut under = Vec::new();
        for (key, child) in index.children() {
            self.path.push((dim, Some(key.clone())));
            let rules = self.node(child, id);
            self.path.pop();
            under.push((key, rules?));
        }
        let rest = if rest == NodeId::EMPTY {
            Vec::new()
        } else {
            self.path.push((dim, None));
            let rules = self.node(rest, id);
            self.path.pop();
            rules?
        };
        let mut keyed: Vec<u32> = under.iter().flat_map(|(_, rules)| rules).copied().collect();
        keyed.sort_unstable();
        keyed.dedup();
        for &r in &keyed {
            let rule = self.rule(r)?;
            if rest.binary_search(&r).is_ok() {
                return Err(format!(
                    "{}: rule `{}` is both under a key and in the rest of the split on {dim}",
                    self.at(),
                    rule.name
                ));
            }
            // A rule that can never match may be dropped by any split below (one on
            // the attribute of its condition without values).
            let conditions = self.policy.conditions(rule);
            let complete = never_matches(conditions)
                || conditions.iter().any(|cond| {
                    let mut cond_keys = Vec::new();
                    keys(cond, &mut cond_keys) == Some(dim)
                        && cond_keys.iter().map(Key::text).all(|key| {
                            under
                                .iter()
                                .any(|(k, rules)| *k == key && rules.binary_search(&r).is_ok())
                        })
                });
            if !complete {
                return Err(format!(
                    "{}: rule `{}` is under some keys of the split on {dim}, but not under \
                     every key of any of its conditions on {dim}",
                    self.at(),
                    rule.name
                ));
            }
        }
        keyed.extend(rest);
        keyed.sort_unstable();
        keyed.dedup();
        Ok(keyed)
    }

    fn leaf(&self, rules: &[LeafRule]) -> Result<Vec<u32>, String> {
        for pair in rules.windows(2) {
            if let [a, b] = pair {
                if a.rule >= b.rule {
                    return Err(format!(
                        "{}: a leaf's rules are not ascending ({} before {})",
                        self.at(),
                        a.rule,
                        b.rule
                    ));
                }
            }
        }
        for entry in rules {
            self.leaf_rule(entry)?;
        }
        Ok(rules.iter().map(|entry| entry.rule).collect())
    }

    fn leaf_rule(&self, entry: &LeafRule) -> Result<(), String> {
        let rule = self.rule(entry.rule)?;
        let name = &rule.name;
        let role_ok = match (rule.kind, entry.role()) {
            (RuleKind::Deny, Role::Deny) | (RuleKind::Allow, Role::Allow) => true,
            (RuleKind::Audit, Role::Audit(slot)) => {
                slot == rule.audit_slot
                    && (rule.audit_slot as usize) < self.policy.audit_names.len()
            }
            _ => false,
        };
        if !role_ok {
            return Err(format!(
                "{}: rule `{name}` has the kind or audit slot of another rule",
                self.at()
            ));
        }
        let conditions = self.policy.conditions(rule);
        let mut checked = vec![false; conditions.len()];
        let mut last_cost = 0;
        let Some(checks) = entry.checks.of(&self.tree.checks) else {
            return Err(format!(
                "{}: the checks of rule `{name}` are outside the tree",
                self.at()
            ));
        };
        for check in checks {
            let c = check.cond as usize;
            let (Some(cond), Some(seen)) = (conditions.get(c), checked.get_mut(c)) else {
                return Err(format!(
                    "{}: rule `{name}` checks condition {c}, which it does not have",
                    self.at()
                ));
            };
            if std::mem::replace(seen, true) {
                return Err(format!(
                    "{}: rule `{name}` checks its condition {c} twice",
                    self.at()
                ));
            }
            if check.negated != cond.negated || !same_test(self.tree, check.test, cond) {
                return Err(format!(
                    "{}: rule `{name}` checks its condition {c} as another condition",
                    self.at()
                ));
            }
            let cost = cost(cond);
            if cost < last_cost {
                return Err(format!(
                    "{}: rule `{name}` checks its condition {c} after a costlier one",
                    self.at()
                ));
            }
            last_cost = cost;
        }
        for (c, cond) in conditions.iter().enumerate() {
            if !checked.get(c).copied().unwrap_or(false) && !self.proven(cond) {
                return Err(format!(
                    "{}: rule `{name}` skips its condition {c}, which no split above looked up",
                    self.at()
                ));
            }
        }
        Ok(())
    }

    /// Does a split above the node look `cond` up, the node being under one of the
    /// condition's keys?
    fn proven(&self, cond: &Cond) -> bool {
        let mut cond_keys = Vec::new();
        let Some(dim) = keys(cond, &mut cond_keys) else {
            return false;
        };
        let texts: Vec<String> = cond_keys.iter().map(Key::text).collect();
        self.path
            .iter()
            .any(|(d, key)| *d == dim && key.as_ref().is_some_and(|k| texts.contains(k)))
    }

    fn rule(&self, r: u32) -> Result<&CheckedRule, String> {
        self.policy
            .rules
            .get(r as usize)
            .ok_or_else(|| format!("{}: a leaf holds rule {r}, not in the policy", self.at()))
    }

    /// Where the walk is: the splits taken from the root.
    fn at(&self) -> String {
        if self.path.is_empty() {
            return "at the root".to_string();
        }
        let steps: Vec<String> = self
            .path
            .iter()
            .map(|(dim, key)| match key {
                Some(key) => format!("{dim} {key}"),
                None => format!("{dim} rest"),
            })
            .collect();
        format!("under {}", steps.join(" > "))
    }
}

/// Is `check` the prepared form of `cond`'s test (in `tree`'s tables)?
fn same_test(tree: &Tree, check: CheckTest, cond: &Arc<Cond>) -> bool {
    match (check, &cond.test) {
        (CheckTest::Cond(at), _) => tree
            .conds
            .get(at as usize)
            .is_some_and(|shared| Arc::ptr_eq(shared, cond)),
        (CheckTest::Method(methods), CondTest::Method(written)) => {
            let Some(methods) = methods.of(&tree.strings) else {
                return false;
            };
            methods.len() == written.len()
                && methods
                    .iter()
                    .zip(written.iter())
                    .all(|(&m, w)| tree.str(m) == Some(&**w))
        }
        (CheckTest::Header(list), CondTest::Header(keyed))
        | (CheckTest::Attr(list), CondTest::Attr(keyed)) => {
            let (Some(list), Keyed::Values(written)) = (list.of(&tree.strings), &keyed.test) else {
                return false;
            };
            let Some((&name, values)) = list.split_first() else {
                return false;
            };
            tree.str(name) == Some(&*keyed.name)
                && values.len() == written.len()
                && values
                    .iter()
                    .zip(written.iter())
                    .all(|(&v, w)| tree.str(v).map(str::as_bytes) == Some(&**w))
        }
        (CheckTest::Path(patterns), CondTest::Path(written)) => {
            patterns.of(&tree.path_checks).is_some_and(|patterns| {
                patterns.len() == written.len()
                    && patterns.iter().zip(written.iter()).all(|(flat, p)| {
                        tree.str(flat.text) == Some(p.text())
                            && *flat == PathCheck::new(p, flat.text)
                    })
            })
        }
        (CheckTest::IdentityDir(prefix), CondTest::Identity(globs)) => {
            let Some(prefix) = tree.str(prefix) else {
                return false;
            };
            matches!(&**globs, [glob] if text::identity(glob) == text::identity_one_segment(prefix))
                && prefix.ends_with('/')
        }
        _ => false,
    }
}

/// Can the rule never match, having a plain condition with no value (`method in
/// []`)? Such a rule may be left out of the tree.
fn never_matches(conditions: &[Arc<Cond>]) -> bool {
    conditions.iter().any(|cond| {
        let mut cond_keys = Vec::new();
        keys(cond, &mut cond_keys).is_some() && cond_keys.is_empty()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;
    use crate::check::{self, Source};
    use crate::limits::CompileLimits;
    use crate::normalize::Options;
    use crate::request::Request;

    /// The checked policy and tree of `text`.
    fn build(text: &str) -> (CheckedPolicy, Tree) {
        let (file, errors) = crate::syntax::parse_source("p", text);
        assert!(errors.is_empty(), "{errors:?}");
        let sources = [Source {
            name: "p",
            text,
            file,
        }];
        let checked = check::check(&sources, &CompileLimits::default()).unwrap();
        let tree = Tree::build(&checked);
        tree.validate(&checked).unwrap();
        (checked, tree)
    }

    /// Six rules split on method: `GET` and `POST` children, and a rest.
    const SPLIT: &str = r#"
        allow "read a" { method GET  path ~ "/a" }
        allow "read b" { method GET, POST  path ~ "/b" }
        allow "write a" { method POST  path ~ "/a" }
        deny "no c" { method POST  path ~ "/c" }
        allow "probes" { port 9090 }
        allow "reads" { method GET }
    "#;

    /// The node of the leaf under the key `key` of the root split.
    fn leaf_node(tree: &Tree, key: &str) -> usize {
        let Some(&Node::Split { index, .. }) = tree.nodes.get(tree.root.0 as usize) else {
            panic!("the root is not a split");
        };
        let Some(Index::Method(methods)) = tree.indexes.get(index as usize) else {
            panic!("the root does not split on method");
        };
        methods.child(key).unwrap().0 as usize
    }

    /// The rules of the leaf under the key `key` of the root split.
    fn leaf_under<'t>(tree: &'t mut Tree, key: &str) -> &'t mut [LeafRule] {
        let node = leaf_node(tree, key);
        let Node::Leaf(range) = tree.nodes[node] else {
            panic!("not a leaf");
        };
        let start = range.start as usize;
        &mut tree.rules[start..start + range.len as usize]
    }

    fn error_of(checked: &CheckedPolicy, tree: &Tree) -> String {
        tree.validate(checked).unwrap_err()
    }

    #[test]
    fn a_rule_missing_under_one_of_its_keys_is_found() {
        let (checked, mut tree) = build(SPLIT);
        let kept: Vec<LeafRule> = leaf_under(&mut tree, "POST")
            .iter()
            .filter(|entry| entry.rule != 1)
            .copied()
            .collect();
        let node = leaf_node(&tree, "POST");
        tree.nodes[node] = Node::Leaf(Range32 {
            start: super::super::to_u32(tree.rules.len()),
            len: super::super::to_u32(kept.len()),
        });
        tree.rules.extend(kept);
        let error = error_of(&checked, &tree);
        assert!(
            error.contains("rule `read b` is under some keys of the split on method"),
            "{error}"
        );
    }

    #[test]
    fn a_skipped_condition_that_no_split_proved_is_found() {
        let (checked, mut tree) = build(SPLIT);
        let get = leaf_under(&mut tree, "GET");
        let entry = get.iter_mut().find(|entry| entry.rule == 0).unwrap();
        entry.checks = Range32 { start: 0, len: 0 };
        let error = error_of(&checked, &tree);
        assert_eq!(
            error,
            "under method \"GET\": rule `read a` skips its condition 1, which no split above \
             looked up"
        );
    }

    #[test]
    fn a_check_of_another_condition_is_found() {
        let (checked, mut tree) = build(SPLIT);
        let get = leaf_under(&mut tree, "GET");
        let first = get
            .iter()
            .find(|entry| entry.rule == 0)
            .unwrap()
            .checks
            .start;
        let check = &mut tree.checks[first as usize];
        check.negated = !check.negated;
        let error = error_of(&checked, &tree);
        assert!(
            error.contains("checks its condition 1 as another condition"),
            "{error}"
        );
    }

    #[test]
    fn roles_order_and_rule_numbers_are_checked() {
        let (checked, mut tree) = build(SPLIT);
        let post = leaf_under(&mut tree, "POST");
        let deny = post.iter_mut().find(|entry| entry.rule == 3).unwrap();
        deny.set_role(Role::Allow);
        let error = error_of(&checked, &tree);
        assert!(
            error.contains("kind or audit slot of another rule"),
            "{error}"
        );

        let (checked, mut tree) = build(SPLIT);
        leaf_under(&mut tree, "POST").reverse();
        let error = error_of(&checked, &tree);
        assert!(error.contains("rules are not ascending"), "{error}");

        let (checked, mut tree) = build(SPLIT);
        leaf_under(&mut tree, "POST")
            .iter_mut()
            .for_each(|entry| entry.rule += 100);
        let error = error_of(&checked, &tree);
        assert!(error.contains("not in the policy"), "{error}");
    }

    /// A leaf naming an `allow` rule that the policy does not have denies (and, in a
    /// build with debug assertions, such as the tests', panics first).
    #[test]
    fn an_allow_rule_outside_the_policy_denies() {
        let (checked, mut tree) = build(SPLIT);
        let get = leaf_under(&mut tree, "GET");
        for entry in get.iter_mut().filter(|entry| entry.role() == Role::Allow) {
            entry.rule += 100;
        }
        let request = Request::new("GET", "/a");
        let decide = || {
            tree.evaluate(&checked, &request, &Options::default())
                .is_allowed()
        };
        if cfg!(debug_assertions) {
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(decide));
            assert!(caught.is_err(), "no debug assertion caught it");
        } else {
            assert!(!decide());
        }
    }
}
