//! `default-allow-without-deny`: `default allow` in a policy with no `deny` rule.

use portcullis::syntax::{Effect, File, RuleKind};
use portcullis::{Code, Diagnostic};

/// The finding for one file (`name`, `text`, parsed as `file`), given every file of
/// the policy: at its `default`.
pub(crate) fn default_allow(
    files: &[File],
    name: &str,
    text: &str,
    file: &File,
) -> Option<Diagnostic> {
    let any_deny = files
        .iter()
        .flat_map(|f| &f.rules)
        .any(|r| r.kind == RuleKind::Deny);
    let default = file.default.as_ref()?;
    (default.effect == Effect::Allow && !any_deny).then(|| {
        Diagnostic::new(
            Code::DefaultAllowWithoutDeny,
            name,
            text,
            default.span,
            "`default allow` without any `deny` rule allows every request: \
             the `allow` rules change nothing",
        )
    })
}
