//! `unsatisfiable-rule` and `shadowed-rule`: rules that cannot decide any request,
//! proved over the request space ([`crate::space`]), never guessed.

use portcullis::syntax::RuleKind;
use portcullis::{Code, Diagnostic, Policy, Span};

use crate::explore::{Region, cover};
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
    for (info, rule) in policy.rules().zip(&model.rules) {
        let Some(&(file, text)) = sources.iter().find(|(n, _)| *n == info.file()) else {
            continue;
        };
        let keyword = match info.kind() {
            RuleKind::Deny => "deny",
            RuleKind::Allow => "allow",
            _ => "audit",
        };
        let start = info.span().start;
        let at = Span::locate(text, start, start + keyword.len());
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
        let earlier: Vec<&RuleModel> = model
            .rules
            .iter()
            .filter(|r| r.cube.is_some())
            .filter(|r| match rule.kind {
                RuleKind::Deny => r.kind == RuleKind::Deny && r.index < rule.index,
                _ => {
                    r.kind == RuleKind::Deny || (r.kind == RuleKind::Allow && r.index < rule.index)
                }
            })
            .collect();
        let mut ordered = earlier;
        ordered.sort_by_key(|r| (r.kind != RuleKind::Deny, r.index));
        let Some(by) = cover(space, Region::of(space, cube), &ordered, BUDGET) else {
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
