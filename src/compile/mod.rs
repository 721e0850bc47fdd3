//! Checked policy → decision tree.

use crate::check::CheckedPolicy;
use crate::eval::decision::{AuditSet, Decision, Reason};
use crate::normalize::Options;
use crate::request::Request;

/// The compiled decision tree.
#[derive(Debug)]
pub(crate) struct Tree {}

impl Tree {
    pub(crate) fn build(policy: &CheckedPolicy) -> Tree {
        let _ = policy;
        Tree {}
    }

    pub(crate) fn evaluate<'p>(
        &'p self,
        policy: &'p CheckedPolicy,
        request: &Request<'_>,
        options: &Options,
    ) -> Decision<'p> {
        let _ = (request, options);
        Decision {
            effect: policy.default,
            reason: Reason::Default,
            rule: None,
            audits: AuditSet::with_capacity(policy.audit_names.len()),
            audit_names: &policy.audit_names,
            error: None,
        }
    }
}
