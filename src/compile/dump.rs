//! A tree written out for people ([`Tree::dump`]): each split with its attribute and
//! keys, each leaf with its rules and the conditions they still check.
//!
//! ```text
//! split on method
//!   "DELETE"
//!     leaf
//!       deny "no deletes" if not identity
//!   rest
//!     leaf
//!       allow "probes" if path
//!       allow "everything else" always
//! ```
//!
//! Children are sorted by key, and keys are written as in the policy (strings quoted),
//! with path patterns' `{name}` as `*` (they match alike). Not used by evaluation.

use std::fmt::Write as _;

use crate::check::{Attribute, CheckedPolicy, CondTest, Keyed};
use crate::syntax::RuleKind;

use super::{Check, CheckTest, Node, NodeId, Tree};

impl Tree {
    /// The tree as text, for people: see the [module docs](self).
    pub(crate) fn dump(&self, policy: &CheckedPolicy) -> String {
        let mut out = String::new();
        self.node(&mut out, policy, self.root, 0);
        out
    }

    fn node(&self, out: &mut String, policy: &CheckedPolicy, id: NodeId, depth: usize) {
        let indent = "  ".repeat(depth);
        match self.nodes.get(id.0 as usize) {
            None => {
                let _ = writeln!(out, "{indent}node {} (not in the tree)", id.0);
            }
            Some(Node::Leaf(range)) => {
                let _ = writeln!(out, "{indent}leaf");
                for entry in range.of(&self.rules).unwrap_or_default() {
                    let Some(rule) = policy.rules.get(entry.rule as usize) else {
                        let _ = writeln!(out, "{indent}  rule {} (not in the policy)", entry.rule);
                        continue;
                    };
                    let kind = match rule.kind {
                        RuleKind::Allow => "allow",
                        RuleKind::Deny => "deny",
                        RuleKind::Audit => "audit",
                    };
                    let name = super::index::text::quoted(rule.name.as_bytes());
                    let checks = entry.checks.of(&self.checks).unwrap_or_default();
                    let checks = if checks.is_empty() {
                        "always".to_string()
                    } else {
                        let checks: Vec<String> = checks.iter().map(|c| self.check(c)).collect();
                        format!("if {}", checks.join(", "))
                    };
                    let _ = writeln!(out, "{indent}  {kind} {name} {checks}");
                }
            }
            Some(Node::Split { index, rest }) => {
                let Some(index) = self.indexes.get(*index as usize) else {
                    let _ = writeln!(out, "{indent}index {index} (not in the tree)");
                    return;
                };
                let _ = writeln!(out, "{indent}split on {}", index.dim());
                for (key, child) in index.children() {
                    let _ = writeln!(out, "{indent}  {key}");
                    self.node(out, policy, child, depth + 2);
                }
                if *rest != NodeId::EMPTY {
                    let _ = writeln!(out, "{indent}  rest");
                    self.node(out, policy, *rest, depth + 2);
                }
            }
        }
    }

    /// What a check tests, as the subject of its condition: `method`, `not identity`,
    /// `path ~`, `header "x-tenant"`.
    fn check(&self, check: &Check) -> String {
        let subject = match check.test {
            CheckTest::IdentityDir(_) => "identity".to_string(),
            CheckTest::Method(_) => "method".to_string(),
            CheckTest::Path(_) => "path".to_string(),
            CheckTest::Header(list) | CheckTest::Attr(list) => {
                let subject = match check.test {
                    CheckTest::Header(_) => "header",
                    _ => "attr",
                };
                let name = list.of(&self.strings).and_then(|l| l.first());
                match name.and_then(|&n| self.str(n)) {
                    // As `keyed` writes a test on values.
                    Some(name) => {
                        format!("{subject} {}", super::index::text::quoted(name.as_bytes()))
                    }
                    None => format!("{subject} (not in the tree)"),
                }
            }
            CheckTest::Cond(at) => match self.conds.get(at as usize).map(|c| &c.test) {
                None => format!("condition {at} (not in the tree)"),
                Some(CondTest::Identity(_)) => "identity".to_string(),
                Some(CondTest::IdentityRegex(_)) => "identity ~".to_string(),
                Some(CondTest::Method(_)) => "method".to_string(),
                Some(CondTest::Path(_)) => "path".to_string(),
                Some(CondTest::PathRegex(_)) => "path ~".to_string(),
                Some(CondTest::Host(_)) => "host".to_string(),
                Some(CondTest::HostRegex(_)) => "host ~".to_string(),
                Some(CondTest::Port(_)) => "port".to_string(),
                Some(CondTest::Source(_)) => "source".to_string(),
                Some(CondTest::Present(attribute)) => {
                    let attribute = match attribute {
                        Attribute::Identity => "identity",
                        Attribute::Host => "host",
                        Attribute::Port => "port",
                        Attribute::Source => "source",
                    };
                    format!("{attribute} present")
                }
                Some(CondTest::Header(test)) => keyed("header", &test.name, &test.test),
                Some(CondTest::Attr(test)) => keyed("attr", &test.name, &test.test),
            },
        };
        if check.negated {
            format!("not {subject}")
        } else {
            subject
        }
    }
}

fn keyed(subject: &str, name: &str, test: &Keyed) -> String {
    let name = super::index::text::quoted(name.as_bytes());
    match test {
        Keyed::Values(_) => format!("{subject} {name}"),
        Keyed::Regex(_) => format!("{subject} {name} ~"),
        Keyed::Present => format!("{subject} {name} present"),
    }
}
