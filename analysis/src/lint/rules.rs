//! `unsatisfiable-rule` and `shadowed-rule`: rules that cannot decide any request,
//! proved over the request space ([`crate::space`]), never guessed.

use portcullis::syntax::RuleKind;
use portcullis::{Code, Diagnostic, Policy, Span};

use crate::domain::set::Set;
use crate::explore::{Region, Relation, cover};
use crate::space::{PolicyModel, RuleModel, Space};

/// How many pieces the search for one rule's shadow may cut before it gives up
/// (and stays silent).
const BUDGET: usize = 20_000;

/// The findings about rules, each at its rule's keyword.
pub(crate) fn rule_findings(
    policy: &Policy,
    space: &Space,
    model: &PolicyModel,
    sources: &[(&str, &str)],
) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    let index = Index::new(space, model);
    let mut seen = vec![false; model.rules.len()];
    for (info, rule) in policy.rules().zip(&model.rules) {
        let Some(&(file, text)) = sources.iter().find(|(n, _)| *n == info.file()) else {
            continue;
        };
        let keyword = match info.kind() {
            RuleKind::Deny => "deny",
            RuleKind::Allow => "allow",
            _ => "audit",
        };
        // The rule's span, narrowed to its keyword (same start, line and column).
        let span = info.span();
        let at = Span {
            end: span.start + keyword.len(),
            ..span
        };
        let Some(cube) = &rule.cube else {
            let subject = rule
                .conditions
                .iter()
                .find(|c| {
                    let mut all = space.full(c.dim);
                    for other in rule.conditions.iter().filter(|o| o.dim == c.dim) {
                        all = all.and(&other.set);
                    }
                    all.is_empty()
                })
                .map_or_else(String::new, |c| space.dim_name(c.dim));
            findings.push(Diagnostic::new(
                Code::UnsatisfiableRule,
                file,
                text,
                at,
                format!(
                    "`{}` matches no valid request: its conditions on {subject} exclude each other",
                    rule.name
                ),
            ));
            continue;
        };
        if rule.kind == RuleKind::Audit {
            continue;
        }
        let region = Region::of(space, cube);
        let mut partial = Vec::new();
        let earlier: Vec<&RuleModel> = index
            .candidates(rule, &mut seen)
            .into_iter()
            .filter_map(|i| model.rules.get(i))
            .filter(|r| match rule.kind {
                RuleKind::Deny => r.kind == RuleKind::Deny && r.index < rule.index,
                _ => {
                    r.kind == RuleKind::Deny || (r.kind == RuleKind::Allow && r.index < rule.index)
                }
            })
            .filter(|r| {
                r.cube
                    .as_ref()
                    .is_some_and(|c| region.relation(c, &mut partial) != Relation::Disjoint)
            })
            .collect();
        let mut ordered = earlier;
        ordered.sort_by_key(|r| (r.kind != RuleKind::Deny, r.index));
        let Some(by) = cover(space, region, &ordered, BUDGET) else {
            continue;
        };
        let names: Vec<String> = by
            .iter()
            .filter_map(|&i| model.rules.get(i))
            .map(|r| format!("`{}`", r.name))
            .collect();
        findings.push(Diagnostic::new(
            Code::ShadowedRule,
            file,
            text,
            at,
            format!(
                "`{}` never decides: every request it matches is decided by {}",
                rule.name,
                names.join(", ")
            ),
        ));
    }
    findings
}

/// Which rules can meet a rule, found without comparing it with every rule: per
/// dimension, the rules that do not test it, those that allow much of it, and for
/// each class the rules that allow few classes, that one among them.
struct Index {
    /// Kept only for the dimensions at least half the rules test (`None`: every
    /// rule is a candidate).
    untested: Vec<Option<Vec<usize>>>,
    rules: usize,
    broad: Vec<Vec<usize>>,
    narrow: Vec<Vec<Vec<usize>>>,
}

impl Index {
    fn new(space: &Space, model: &PolicyModel) -> Index {
        let dims = space.dims();
        let mut tested_by = vec![0usize; dims];
        for rule in &model.rules {
            for (d, _) in rule.cube.iter().flatten() {
                if let Some(n) = tested_by.get_mut(*d) {
                    *n += 1;
                }
            }
        }
        let rules = model.rules.len();
        let mut index = Index {
            untested: tested_by
                .iter()
                .map(|&n| (n * 2 >= rules).then(Vec::new))
                .collect(),
            rules,
            broad: vec![Vec::new(); dims],
            narrow: space.sizes.iter().map(|&n| vec![Vec::new(); n]).collect(),
        };
        for rule in &model.rules {
            let Some(cube) = &rule.cube else { continue };
            for (d, list) in index.untested.iter_mut().enumerate() {
                if let Some(list) = list {
                    if cube.binary_search_by_key(&d, |(t, _)| *t).is_err() {
                        list.push(rule.index);
                    }
                }
            }
            for (d, set) in cube {
                let size = space.sizes.get(*d).copied().unwrap_or(0);
                if set.count() * 8 > size {
                    if let Some(list) = index.broad.get_mut(*d) {
                        list.push(rule.index);
                    }
                    continue;
                }
                for c in set.iter() {
                    if let Some(list) = index.narrow.get_mut(*d).and_then(|n| n.get_mut(c)) {
                        list.push(rule.index);
                    }
                }
            }
        }
        index
    }

    /// The rules that may meet `rule` (a superset of those that do), in order.
    /// `seen` is scratch space, all false before and after.
    fn candidates(&self, rule: &RuleModel, seen: &mut [bool]) -> Vec<usize> {
        let Some(cube) = &rule.cube else {
            return Vec::new();
        };
        let cost = |d: usize, set: &Set| {
            let untested = match self.untested.get(d) {
                Some(Some(list)) => list.len(),
                _ => self.rules,
            };
            untested
                + self.broad.get(d).map_or(0, Vec::len)
                + set
                    .iter()
                    .map(|c| {
                        self.narrow
                            .get(d)
                            .and_then(|n| n.get(c))
                            .map_or(0, Vec::len)
                    })
                    .sum::<usize>()
        };
        let Some((d, set)) = cube.iter().min_by_key(|(d, set)| cost(*d, set)) else {
            // A rule with no condition meets every rule.
            return (0..seen.len()).collect();
        };
        let Some(Some(untested)) = self.untested.get(*d) else {
            return (0..self.rules).collect();
        };
        let mut out = Vec::new();
        let lists = [Some(untested), self.broad.get(*d)];
        let narrow = set
            .iter()
            .filter_map(|c| self.narrow.get(*d).and_then(|n| n.get(c)));
        for list in lists.into_iter().flatten().chain(narrow) {
            for &i in list {
                if let Some(flag) = seen.get_mut(i) {
                    if !*flag {
                        *flag = true;
                        out.push(i);
                    }
                }
            }
        }
        for &i in &out {
            if let Some(flag) = seen.get_mut(i) {
                *flag = false;
            }
        }
        out.sort_unstable();
        out
    }
}
