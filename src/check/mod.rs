//! Syntax tree → checked policy: names resolved, values typed and validated.
//!
//! The checker reads every source, reports every error it finds (not only the first)
//! and, when there is none, returns a [`CheckedPolicy`]: rules in source order whose
//! conditions hold ready-to-match values (globs classified, path patterns split into
//! segments, CIDR blocks parsed, regexes compiled with a size limit).

mod conditions;
mod expectations;
pub(crate) mod host_pattern;
pub(crate) mod identity_glob;
mod identity_satisfiable;
mod lets;
mod memo;
pub(crate) mod path_pattern;
pub(crate) mod regex;
mod values;

use std::collections::hash_map::Entry;
use std::sync::Arc;

use ipnet::IpNet;

use crate::compile::hash::FxHashMap;
use crate::compile::to_u32;
use crate::diagnostic::{Code, Diagnostic};
use crate::limits::CompileLimits;
use crate::sites::Sites;
use crate::span::Span;
use crate::syntax::{self, Effect, File, RuleKind};

pub(crate) use expectations::{CheckedTest, ExpectedBy};
use host_pattern::HostPattern;
use identity_glob::IdentityGlob;
use path_pattern::PathPattern;

/// One parsed source handed to the checker.
#[derive(Debug)]
pub(crate) struct Source<'a> {
    pub(crate) name: &'a str,
    pub(crate) text: &'a str,
    pub(crate) file: File,
}

/// A policy whose names are resolved and whose values are valid.
#[derive(Debug)]
pub(crate) struct CheckedPolicy {
    pub(crate) default: Effect,
    /// Every rule, in source order; a rule's index is its identity.
    pub(crate) rules: Vec<CheckedRule>,
    /// The names of the `audit` rules, in source order (shared with their rules, so
    /// that an owned decision copies reference counts, not names).
    pub(crate) audit_names: Vec<Arc<str>>,
    pub(crate) tests: Vec<CheckedTest>,
    /// Every rule's conditions, one rule after the other (a rule holds its range):
    /// one vector for the policy rather than one per rule. A condition written alike
    /// in several rules is one, shared with the leaves of the tree that check it.
    pub(crate) conditions: Vec<Arc<Cond>>,
    /// Where each rule and condition is written.
    pub(crate) sites: Sites,
}

impl CheckedPolicy {
    /// The conditions of `rule`, in source order.
    pub(crate) fn conditions(&self, rule: &CheckedRule) -> &[Arc<Cond>] {
        self.conditions
            .get(rule.conditions.0 as usize..rule.conditions.1 as usize)
            .unwrap_or_default()
    }
}

/// A rule of a checked policy: it matches when every condition matches.
#[derive(Debug)]
pub(crate) struct CheckedRule {
    pub(crate) name: Arc<str>,
    /// The range of its conditions in [`CheckedPolicy::conditions`] (read them with
    /// [`CheckedPolicy::conditions`]).
    conditions: (u32, u32),
    /// For `audit` rules, the position among the audit rules.
    pub(crate) audit_slot: u32,
    pub(crate) kind: RuleKind,
}

impl CheckedRule {
    /// The range of its conditions in [`CheckedPolicy::conditions`] and in the
    /// condition sites ([`Sites`]), which are in the same order.
    pub(crate) fn condition_range(&self) -> std::ops::Range<usize> {
        self.conditions.0 as usize..self.conditions.1 as usize
    }
}

/// One condition: a test, possibly inverted.
#[derive(Debug)]
pub(crate) struct Cond {
    pub(crate) negated: bool,
    pub(crate) test: CondTest,
}

/// The request attributes with a plain value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Attribute {
    Identity,
    Host,
    Port,
    Source,
}

/// What a condition tests, before `not`. A list may be empty (`in []`): the test is
/// then false, and `not` makes it true.
///
/// 24 bytes (a condition 32): lists are boxed slices (they never grow), and the
/// rare large tests (a regular expression, 32 bytes; a header or attribute test, a
/// name and a test) are boxed, so that the common ones do not pay for them.
#[derive(Debug)]
pub(crate) enum CondTest {
    Identity(Box<[IdentityGlob]>),
    IdentityRegex(Box<::regex::bytes::Regex>),
    /// Shared with the leaves that check it (see [`CheckTest`](crate::compile::CheckTest)).
    Method(Arc<[Box<str>]>),
    /// Shared as [`Method`](Self::Method) is.
    Path(Arc<[PathPattern]>),
    PathRegex(Box<::regex::bytes::Regex>),
    Host(Box<[HostPattern]>),
    HostRegex(Box<::regex::bytes::Regex>),
    Port(Box<[(u16, u16)]>),
    Source(Box<[IpNet]>),
    /// The attribute occurs in the request.
    Present(Attribute),
    /// A header (name in lower case).
    Header(Box<KeyedTest>),
    /// A caller attribute (key as written).
    Attr(Box<KeyedTest>),
}

/// A test on the value of a header or attribute: its name and the test.
#[derive(Debug)]
pub(crate) struct KeyedTest {
    pub(crate) name: Box<str>,
    pub(crate) test: Keyed,
}

/// A test on a header or attribute value.
#[derive(Debug)]
pub(crate) enum Keyed {
    /// `==` or `in`: equals one of these byte strings.
    Values(Box<[Box<[u8]>]>),
    /// `~`: the whole value matches.
    Regex(::regex::bytes::Regex),
    /// `present`.
    Present,
}

/// Collects diagnostics for the sources being checked.
#[derive(Debug)]
pub(crate) struct Reporter<'s> {
    sources: &'s [Source<'s>],
    diagnostics: Vec<Diagnostic>,
    pub(crate) limits: CompileLimits,
}

impl Reporter<'_> {
    /// The name and text of source `source`.
    fn source(&self, source: usize) -> (&str, &str) {
        self.sources
            .get(source)
            .map_or(("", ""), |s| (s.name, s.text))
    }

    /// Reports an error with `code` at `span` of source `source`.
    pub(crate) fn error(
        &mut self,
        code: Code,
        source: usize,
        span: Span,
        message: impl Into<String>,
    ) {
        let (name, text) = self.source(source);
        let diagnostic = Diagnostic::new(code, name, text, span, message);
        self.diagnostics.push(diagnostic);
    }

    /// Reports an error that also points at `related` (a source, a span and a label,
    /// such as the first definition of a duplicate name).
    pub(crate) fn error_with(
        &mut self,
        code: Code,
        source: usize,
        span: Span,
        message: impl Into<String>,
        related: (usize, Span, &str),
    ) {
        let (name, text) = self.source(source);
        let diagnostic = Diagnostic::new(code, name, text, span, message);
        let (name, text) = self.source(related.0);
        let diagnostic = diagnostic.with_related(name, text, related.1, related.2);
        self.diagnostics.push(diagnostic);
    }

    /// The number of diagnostics so far.
    pub(crate) fn count(&self) -> usize {
        self.diagnostics.len()
    }
}

/// Checks parsed sources as one policy.
pub(crate) fn check(
    sources: &[Source<'_>],
    limits: &CompileLimits,
) -> Result<CheckedPolicy, Vec<Diagnostic>> {
    let mut report = Reporter {
        sources,
        diagnostics: Vec::new(),
        limits: *limits,
    };

    let mut default: Option<(Effect, usize, Span)> = None;
    for (i, source) in sources.iter().enumerate() {
        let decls = source
            .file
            .default
            .iter()
            .chain(&source.file.extra_defaults);
        for decl in decls {
            match default {
                Some((_, first_source, first)) => report.error_with(
                    Code::DuplicateDefault,
                    i,
                    decl.span,
                    "a second `default`: a policy has at most one",
                    (first_source, first, "the first `default` is here"),
                ),
                None => default = Some((decl.effect, i, decl.span)),
            }
        }
    }

    let lets = lets::Lets::collect(
        sources
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.file.lets.as_slice())),
        &mut report,
    );
    conditions::check_let_values(sources, &mut report);

    let total: usize = sources.iter().map(|s| s.file.rules.len()).sum();
    let mut rules = Vec::with_capacity(total.min(limits.max_rules));
    let mut audit_names = Vec::new();
    // Rule names come from the policy, so the fast hasher is safe here (see
    // `compile::hash`).
    let mut rule_names: FxHashMap<&str, (usize, Span)> = FxHashMap::default();
    rule_names.reserve(total.min(limits.max_rules));
    let mut memo = memo::Memo::default();
    let mut spliced = Vec::new();
    let mut strings = Vec::new();
    // Sized up front: a condition's text is at most its span (white space only
    // shrinks), and a span-less condition's printed text is rare.
    let (conditions, text_bytes) = sources
        .iter()
        .flat_map(|s| &s.file.rules)
        .flat_map(|r| &r.conditions)
        .fold((0, 0), |(n, bytes), c| {
            (n + 1, bytes + c.span.end.saturating_sub(c.span.start))
        });
    // Rules and conditions are numbered in 32 bits (here and in the tree); past that
    // the policy is refused rather than numbered wrongly.
    if u32::try_from(conditions).is_err() || u32::try_from(total).is_err() {
        report.error(
            Code::CompileLimit,
            0,
            Span::default(),
            "the policy has more than 4294967295 rules or conditions",
        );
        return Err(report.diagnostics);
    }
    let mut sites = Sites::with_capacity(total.min(limits.max_rules), conditions, text_bytes);
    let mut all_conditions: Vec<Arc<Cond>> = Vec::with_capacity(conditions);
    // Conditions by the number of their text in `sites` (texts are stored once): a
    // condition written the same way as an earlier one is that condition (names are
    // the policy's, not a rule's), so its rules share it. It is still checked where
    // it is written, so that every use reports its errors.
    let mut shared: Vec<Arc<Cond>> = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        sites.push_file(source.name);
        for rule in &source.file.rules {
            let name = rule.name.value.as_str();
            if rules.len() == limits.max_rules {
                report.error(
                    Code::CompileLimit,
                    i,
                    rule.span,
                    format!(
                        "the policy has more than {} rules (the compile limit)",
                        limits.max_rules
                    ),
                );
            }
            if rules.len() >= limits.max_rules {
                continue;
            }
            match rule_names.entry(name) {
                Entry::Occupied(first) => {
                    let &(first_source, first) = first.get();
                    report.error_with(
                        Code::DuplicateRule,
                        i,
                        rule.name.span,
                        format!("duplicate rule name `{name}`"),
                        (first_source, first, "first defined here"),
                    );
                }
                Entry::Vacant(slot) => {
                    slot.insert((i, rule.name.span));
                }
            }
            sites.push_rule(rule.span);
            let first = all_conditions.len();
            for c in &rule.conditions {
                let reported = report.count();
                let checked = conditions::check_condition(
                    i,
                    c,
                    &lets,
                    &mut memo,
                    &mut spliced,
                    &mut strings,
                    &mut report,
                );
                match checked {
                    Some(cond) => {
                        let text = match source.text.get(c.span.start..c.span.end) {
                            Some(text) if !text.is_empty() => sites.push_condition(c.span, text),
                            // A tree without spans (built in code): its printed text.
                            _ => sites.push_condition(c.span, &syntax::condition_text(c)),
                        };
                        let cond = match shared.get(text) {
                            Some(earlier) => Arc::clone(earlier),
                            None => {
                                let cond = Arc::new(cond);
                                shared.push(Arc::clone(&cond));
                                cond
                            }
                        };
                        all_conditions.push(cond);
                    }
                    // A condition left out would widen its rule: it must never be left
                    // out silently. Every failing check reports its own error; this is
                    // the net under that (fail closed).
                    None if report.count() == reported => {
                        report.error(Code::InvalidCondition, i, c.span, "invalid condition");
                    }
                    None => {}
                }
            }
            let audit_slot = to_u32(audit_names.len());
            let name: Arc<str> = name.into();
            if rule.kind == RuleKind::Audit {
                audit_names.push(Arc::clone(&name));
            }
            rules.push(CheckedRule {
                kind: rule.kind,
                name,
                conditions: (to_u32(first), to_u32(all_conditions.len())),
                audit_slot,
            });
        }
    }

    sites.finish();
    drop(shared);
    all_conditions.shrink_to_fit();
    lets.check_unreached(&mut report);

    let tests = expectations::check_tests(sources, &mut report);

    if report.diagnostics.is_empty() {
        Ok(CheckedPolicy {
            default: default.map_or(Effect::Deny, |(effect, ..)| effect),
            rules,
            audit_names,
            tests,
            conditions: all_conditions,
            sites,
        })
    } else {
        Err(report.diagnostics)
    }
}
