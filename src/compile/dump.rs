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

use super::{Check, CheckTest, Node, Tree};

impl Tree {
    /// The tree as text, for people: see the [module docs](self).
    pub(crate) fn dump(&self, policy: &CheckedPolicy) -> String {
        let mut out = String::new();
        node(&mut out, policy, &self.root, 0);
        out
    }
}

fn node(out: &mut String, policy: &CheckedPolicy, node: &Node, depth: usize) {
    let indent = "  ".repeat(depth);
    match node {
        Node::Leaf(rules) => {
            let _ = writeln!(out, "{indent}leaf");
            for entry in rules.iter() {
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
                let checks = if entry.checks.is_empty() {
                    "always".to_string()
                } else {
                    let checks: Vec<String> = entry.checks.iter().map(check).collect();
                    format!("if {}", checks.join(", "))
                };
                let _ = writeln!(out, "{indent}  {kind} {name} {checks}");
            }
        }
        Node::Split { index, rest } => {
            let _ = writeln!(out, "{indent}split on {}", index.dim());
            for (key, child) in index.children() {
                let _ = writeln!(out, "{indent}  {key}");
                self::node(out, policy, child, depth + 2);
            }
            if let Some(rest) = rest {
                let _ = writeln!(out, "{indent}  rest");
                self::node(out, policy, rest, depth + 2);
            }
        }
    }
}

/// What a check tests, as the subject of its condition: `method`, `not identity`,
/// `path ~`, `header "x-tenant"`.
fn check(check: &Check) -> String {
    let subject = match &check.test {
        CheckTest::IdentityDir(_) => "identity".to_string(),
        CheckTest::Method(_) => "method".to_string(),
        CheckTest::Path(_) => "path".to_string(),
        CheckTest::Cond(cond) => match &cond.test {
            CondTest::Identity(_) => "identity".to_string(),
            CondTest::IdentityRegex(_) => "identity ~".to_string(),
            CondTest::Method(_) => "method".to_string(),
            CondTest::Path(_) => "path".to_string(),
            CondTest::PathRegex(_) => "path ~".to_string(),
            CondTest::Host(_) => "host".to_string(),
            CondTest::HostRegex(_) => "host ~".to_string(),
            CondTest::Port(_) => "port".to_string(),
            CondTest::Source(_) => "source".to_string(),
            CondTest::Present(attribute) => {
                let attribute = match attribute {
                    Attribute::Identity => "identity",
                    Attribute::Host => "host",
                    Attribute::Port => "port",
                    Attribute::Source => "source",
                };
                format!("{attribute} present")
            }
            CondTest::Header { name, test } => keyed("header", name, test),
            CondTest::Attr { name, test } => keyed("attr", name, test),
        },
    };
    if check.negated {
        format!("not {subject}")
    } else {
        subject
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
