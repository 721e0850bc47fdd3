//! Syntax tree → checked policy: names resolved, values typed and validated.

use crate::diagnostic::Diagnostic;
use crate::syntax::{Effect, File, RuleKind};

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
    pub(crate) rules: Vec<CheckedRule>,
    pub(crate) audit_names: Vec<Box<str>>,
}

/// A rule of a checked policy.
#[derive(Debug)]
pub(crate) struct CheckedRule {
    pub(crate) kind: RuleKind,
    pub(crate) name: Box<str>,
}

/// Checks parsed sources as one policy.
pub(crate) fn check(sources: &[Source<'_>]) -> Result<CheckedPolicy, Vec<Diagnostic>> {
    let _ = sources;
    Ok(CheckedPolicy {
        default: Effect::Deny,
        rules: Vec::new(),
        audit_names: Vec::new(),
    })
}
