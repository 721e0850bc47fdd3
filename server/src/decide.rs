//! Deciding one request the way every listener does: the enforced policy (and the
//! shadow one, when given) on the request built from the wire, then the metrics and
//! the decision log.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use portcullis_http::PolicyHandle;

use crate::decision::DecisionObject;
use crate::log::{self, DecisionLog};
use crate::metrics::Metrics;
use portcullis::OwnedRequest;

/// What the listeners share to decide.
#[derive(Clone, Debug)]
pub(crate) struct Decider {
    pub(crate) enforced: PolicyHandle,
    pub(crate) shadow: Option<PolicyHandle>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) log: Option<DecisionLog>,
}

impl Decider {
    /// Decides `request`, or reports `invalid` (a request the wire did not give),
    /// counting and logging either. `start` is when the check arrived.
    pub(crate) fn decide(
        &self,
        start: Instant,
        request: Result<&OwnedRequest, DecisionObject>,
    ) -> DecisionObject {
        // One policy for the whole decision, even if a reload lands meanwhile.
        let enforced = self.enforced.load();
        let logged = request.as_ref().ok().copied();
        let (decision, shadow) = match request {
            Ok(request) => {
                let borrowed = request.as_request();
                let decision = DecisionObject::from_decision(&enforced.evaluate(&borrowed));
                let shadow = self.shadow.as_ref().map(|shadow| {
                    DecisionObject::from_decision(&shadow.load().evaluate(&borrowed))
                });
                (decision, shadow)
            }
            Err(invalid) => {
                let shadow = self.shadow.as_ref().map(|_| invalid.clone());
                (invalid, shadow)
            }
        };
        let elapsed = start.elapsed();
        self.metrics.record(&decision, shadow.as_ref(), elapsed);
        if let Some(log) = &self.log {
            let revision = enforced
                .revision()
                .map(|r| r.to_string())
                .unwrap_or_default();
            log.send(log::line(
                SystemTime::now(),
                &decision,
                shadow.as_ref(),
                &revision,
                elapsed,
                logged,
            ));
        }
        decision
    }
}
