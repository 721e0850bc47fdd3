//! [`lint()`]: what compiles but is almost certainly a mistake, one file per code
//! family.

mod default_allow;
mod redundant;
mod rules;
mod unused;

use portcullis::{CompileError, Diagnostic, Policy, syntax};

use crate::space::Space;

/// Lints the named sources as one policy: the policy's compile errors when it does
/// not compile, else every finding, in source order of the files, then of what each
/// finding points at.
///
/// - `unused-let`: a `let` whose name no rule condition and no other `let` uses (at
///   the name);
/// - `unsatisfiable-rule`: a rule that no valid request can match (at its keyword);
/// - `shadowed-rule`: an `allow` or `deny` rule that never decides, as every request
///   it matches is decided by the rules it names (at its keyword);
/// - `redundant-value`: a value of a condition that another value of the same
///   condition already covers (at the value);
/// - `default-allow-without-deny`: `default allow` in a policy without any `deny`
///   rule, so that every request is allowed whatever the `allow` rules say (at
///   `default`).
///
/// Every finding is exact; where a regular expression (`~`) makes a question
/// undecidable here, nothing is reported.
///
/// ```
/// let findings = portcullis_analysis::lint(&[("p.pcl", "let unused = 8080\n")])?;
/// assert_eq!(findings[0].to_string().lines().next(),
///     Some("p.pcl:1:5: warning[unused-let]: `unused` is never used"));
///
/// let source = "deny \"all\" {}\nallow \"reads\" { method GET }\n";
/// let findings = portcullis_analysis::lint(&[("p.pcl", source)])?;
/// assert_eq!(findings[0].to_string().lines().next(), Some(
///     "p.pcl:2:1: warning[shadowed-rule]: `reads` never decides: \
///      every request it matches is decided by `all`"));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
pub fn lint(sources: &[(&str, &str)]) -> Result<Vec<Diagnostic>, CompileError> {
    let policy = Policy::compile_sources(sources.iter().copied())?;
    let mut files = Vec::with_capacity(sources.len());
    for (_, text) in sources {
        files.push(syntax::parse(text)?);
    }
    let mut findings: Vec<Diagnostic> = Vec::new();
    for ((name, text), file) in sources.iter().zip(&files) {
        findings.extend(default_allow::default_allow(&files, name, text, file));
        findings.extend(unused::unused_lets(&files, name, text, file));
    }
    // The exact analyses; silent when the space is too complex to cut exactly.
    if let Ok((space, models)) = Space::new(&[&policy], policy.options()) {
        if let Some(model) = models.first() {
            findings.extend(rules::rule_findings(&policy, &space, model, sources));
            findings.extend(redundant::redundant_values(&files, sources, model));
        }
    }
    let file_order = |d: &Diagnostic| {
        sources
            .iter()
            .position(|(n, _)| *n == d.file())
            .unwrap_or(usize::MAX)
    };
    findings.sort_by_key(|d| (file_order(d), d.line(), d.column()));
    Ok(findings)
}
