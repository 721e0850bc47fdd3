//! Analyses of Portcullis policies for tools (the `portcullis lint` command, an
//! editor, a CI bot), on the core's public API.
//!
//! [`lint`] reports what compiles but is almost certainly a mistake, as warnings with
//! a stable code (`docs/tools.md`). Every finding is exact: it is reported only when
//! it is certain, never as a guess. The codes found so far are `unused-let` and
//! `default-allow-without-deny`.
//!
//! ```
//! let sources = [("p.pcl", "default allow\nlet office = [10.0.0.0/8]\nallow \"a\" {}")];
//! let findings = portcullis_analysis::lint(&sources)?;
//! let codes: Vec<&str> = findings.iter().map(|d| d.code().as_str()).collect();
//! assert_eq!(codes, ["default-allow-without-deny", "unused-let"]);
//! # Ok::<(), portcullis::CompileError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

use std::collections::HashSet;

use portcullis::syntax::{
    self, Effect, File, InTarget, LetValue, RuleKind, Test, Value, ValueKind,
};
use portcullis::{Code, CompileError, Diagnostic, Policy};

/// Lints the named sources as one policy: the policy's compile errors when it does
/// not compile, else every finding, in source order of the files, then of what each
/// finding points at.
///
/// - `unused-let`: a `let` whose name no rule condition and no other `let` uses (at
///   the name);
/// - `default-allow-without-deny`: `default allow` in a policy without any `deny`
///   rule, so that every request is allowed whatever the `allow` rules say (at
///   `default`).
///
/// ```
/// let findings = portcullis_analysis::lint(&[("p.pcl", "let unused = 8080\n")])?;
/// assert_eq!(findings[0].to_string().lines().next(),
///     Some("p.pcl:1:5: warning[unused-let]: `unused` is never used"));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
pub fn lint(sources: &[(&str, &str)]) -> Result<Vec<Diagnostic>, CompileError> {
    Policy::compile_sources(sources.iter().copied())?;
    let mut files = Vec::with_capacity(sources.len());
    for (_, text) in sources {
        files.push(syntax::parse(text)?);
    }
    // `None`: a construct this version does not know could use a name, so no `let`
    // is reported unused (silent where unsure).
    let used = used_names(&files);
    let any_deny = files
        .iter()
        .flat_map(|f| &f.rules)
        .any(|r| r.kind == RuleKind::Deny);
    let mut findings = Vec::new();
    for ((name, text), file) in sources.iter().zip(&files) {
        let mut here = Vec::new();
        if let Some(default) = &file.default {
            if default.effect == Effect::Allow && !any_deny {
                here.push(Diagnostic::new(
                    Code::DefaultAllowWithoutDeny,
                    name,
                    text,
                    default.span,
                    "`default allow` without any `deny` rule allows every request: \
                     the `allow` rules change nothing",
                ));
            }
        }
        for binding in &file.lets {
            if used
                .as_ref()
                .is_some_and(|used| !used.contains(binding.name.name.as_str()))
            {
                here.push(Diagnostic::new(
                    Code::UnusedLet,
                    name,
                    text,
                    binding.name.span,
                    format!("`{}` is never used", binding.name.name),
                ));
            }
        }
        here.sort_by_key(|d| (d.line(), d.column()));
        findings.extend(here);
    }
    Ok(findings)
}

/// Every name some condition or some `let` (other than the name's own) uses; `None`
/// when some test is of a kind this crate does not know.
fn used_names(files: &[File]) -> Option<HashSet<&str>> {
    let mut used = HashSet::new();
    for file in files {
        for condition in file.rules.iter().flat_map(|r| &r.conditions) {
            match &condition.test {
                Test::Values(values) => names_in(values, None, &mut used),
                Test::In(InTarget::Name(name)) => {
                    used.insert(name.name.as_str());
                }
                Test::In(InTarget::List(list)) => names_in(&list.values, None, &mut used),
                Test::Regex(_) | Test::Present | Test::Equals(_) => {}
                _ => return None,
            }
        }
        for binding in &file.lets {
            let own = Some(binding.name.name.as_str());
            match &binding.value {
                LetValue::List(list) => names_in(&list.values, own, &mut used),
                LetValue::Single(value) => names_in(std::slice::from_ref(value), own, &mut used),
            }
        }
    }
    Some(used)
}

fn names_in<'a>(values: &'a [Value], own: Option<&str>, used: &mut HashSet<&'a str>) {
    for value in values {
        if let ValueKind::Name { name } = &value.kind {
            if Some(name.as_str()) != own {
                used.insert(name.as_str());
            }
        }
    }
}
