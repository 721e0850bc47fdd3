//! Every metric the server exports, and their Prometheus text rendering. The names are
//! defined here and nowhere else.
//!
//! Written by hand from atomics rather than with a metrics crate: the set is small
//! and fixed, the only labels with unbounded values are rule names (counted in one
//! map each), and the hot path is a few relaxed atomic additions with no allocation
//! once a rule has been seen.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use portcullis::Reason;

use crate::decision::DecisionObject;

/// The metric names.
pub(crate) mod names {
    /// Decisions of the enforced policy, by effect and reason.
    pub const DECISIONS: &str = "portcullis_decisions_total";
    /// Decisions made by each rule.
    pub const RULE_DECISIONS: &str = "portcullis_rule_decisions_total";
    /// Matches of each audit rule.
    pub const AUDIT_MATCHES: &str = "portcullis_audit_matches_total";
    /// Decisions of the shadow policy, by effect and agreement with the enforced one.
    pub const SHADOW_DECISIONS: &str = "portcullis_shadow_decisions_total";
    /// Reloads of the enforced policy, by result.
    pub const RELOADS: &str = "portcullis_policy_reloads_total";
    /// 1, labelled with the enforced policy's revision.
    pub const POLICY_INFO: &str = "portcullis_policy_info";
    /// Reloads of the shadow policy, by result.
    pub const SHADOW_RELOADS: &str = "portcullis_shadow_policy_reloads_total";
    /// 1, labelled with the shadow policy's revision.
    pub const SHADOW_POLICY_INFO: &str = "portcullis_shadow_policy_info";
    /// Time to answer a check, gRPC and HTTP alike: reading the request, deciding,
    /// building the answer.
    pub const CHECK_DURATION: &str = "portcullis_check_duration_seconds";
    /// Forward-auth requests answered without a decision: 403 for an untrusted peer,
    /// 400 for missing or unreadable forwarded headers.
    pub const FORWARD_AUTH_REFUSALS: &str = "portcullis_forward_auth_refusals_total";
    /// Decision-log lines that could not be written.
    pub const LOG_ERRORS: &str = "portcullis_decision_log_errors_total";
}

/// The upper bounds of the check-duration histogram, in seconds.
const BUCKETS: [f64; 14] = [
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
    0.01, 0.025, 0.1, 1.0,
];

/// Reload counts and the revision in use, read from the reloader when rendering.
#[derive(Clone, Debug, Default)]
pub(crate) struct PolicyStatus {
    pub(crate) successes: u64,
    pub(crate) failures: u64,
    pub(crate) revision: String,
}

/// The counters. Shared by every listener; updated with relaxed atomics.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// Indexed by [`decision_index`].
    decisions: [AtomicU64; 6],
    rules: LabelCounters,
    audits: LabelCounters,
    /// Indexed by `allowed as usize * 2 + agrees as usize`.
    shadow: [AtomicU64; 4],
    duration: Histogram,
    /// 400 and 403.
    refusals: [AtomicU64; 2],
    log_errors: AtomicU64,
}

fn decision_index(allowed: bool, reason: Reason) -> usize {
    let reason = match reason {
        Reason::Rule => 0,
        Reason::Default => 1,
        _ => 2,
    };
    usize::from(allowed) * 3 + reason
}

const REASONS: [Reason; 3] = [Reason::Rule, Reason::Default, Reason::InvalidRequest];

impl Metrics {
    /// Counts one decision (and the shadow's, when there is one) and its duration.
    pub(crate) fn record(
        &self,
        decision: &DecisionObject,
        shadow: Option<&DecisionObject>,
        elapsed: Duration,
    ) {
        add(
            &self.decisions,
            decision_index(decision.is_allowed(), decision.reason()),
        );
        if let Some(rule) = decision.rule() {
            self.rules.add(rule);
        }
        for audit in decision.audit() {
            self.audits.add(audit);
        }
        if let Some(shadow) = shadow {
            let agrees = shadow.is_allowed() == decision.is_allowed();
            add(
                &self.shadow,
                usize::from(shadow.is_allowed()) * 2 + usize::from(agrees),
            );
        }
        self.duration.observe(elapsed);
    }

    /// Counts a forward-auth request answered 400 or 403 without a decision.
    pub(crate) fn refused(&self, status: u16) {
        add(&self.refusals, usize::from(status == 403));
    }

    /// Counts a decision-log line that could not be written.
    pub(crate) fn log_error(&self) {
        self.log_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub(crate) fn render(&self, enforced: &PolicyStatus, shadow: Option<&PolicyStatus>) -> String {
        let mut out = String::with_capacity(4096);
        header(
            &mut out,
            names::DECISIONS,
            "counter",
            "Decisions of the enforced policy.",
        );
        for allowed in [true, false] {
            for reason in REASONS {
                let value = load(&self.decisions, decision_index(allowed, reason));
                let effect = if allowed { "allow" } else { "deny" };
                let _ = writeln!(
                    out,
                    "{}{{decision=\"{effect}\",reason=\"{}\"}} {value}",
                    names::DECISIONS,
                    reason.as_str()
                );
            }
        }
        header(
            &mut out,
            names::RULE_DECISIONS,
            "counter",
            "Decisions made by each rule.",
        );
        self.rules.render(&mut out, names::RULE_DECISIONS);
        header(
            &mut out,
            names::AUDIT_MATCHES,
            "counter",
            "Matches of each audit rule.",
        );
        self.audits.render(&mut out, names::AUDIT_MATCHES);
        header(
            &mut out,
            names::SHADOW_DECISIONS,
            "counter",
            "Decisions of the shadow policy, and whether they agree with the enforced one.",
        );
        if shadow.is_some() {
            for allowed in [true, false] {
                for agrees in [true, false] {
                    let value = load(&self.shadow, usize::from(allowed) * 2 + usize::from(agrees));
                    let effect = if allowed { "allow" } else { "deny" };
                    let _ = writeln!(
                        out,
                        "{}{{decision=\"{effect}\",agrees=\"{agrees}\"}} {value}",
                        names::SHADOW_DECISIONS
                    );
                }
            }
        }
        policy(
            &mut out,
            names::RELOADS,
            names::POLICY_INFO,
            "policy",
            enforced,
        );
        if let Some(shadow) = shadow {
            policy(
                &mut out,
                names::SHADOW_RELOADS,
                names::SHADOW_POLICY_INFO,
                "shadow policy",
                shadow,
            );
        }
        header(
            &mut out,
            names::CHECK_DURATION,
            "histogram",
            "Time to answer a check (gRPC and HTTP), in seconds.",
        );
        self.duration.render(&mut out, names::CHECK_DURATION);
        header(
            &mut out,
            names::FORWARD_AUTH_REFUSALS,
            "counter",
            "Forward-auth requests answered without a decision (403: untrusted peer; 400: missing or unreadable forwarded headers).",
        );
        for (index, status) in ["400", "403"].into_iter().enumerate() {
            let _ = writeln!(
                out,
                "{}{{status=\"{status}\"}} {}",
                names::FORWARD_AUTH_REFUSALS,
                load(&self.refusals, index)
            );
        }
        header(
            &mut out,
            names::LOG_ERRORS,
            "counter",
            "Decision-log lines that could not be written.",
        );
        let _ = writeln!(
            out,
            "{} {}",
            names::LOG_ERRORS,
            self.log_errors.load(Ordering::Relaxed)
        );
        out
    }
}

fn policy(out: &mut String, reloads: &str, info: &str, what: &str, status: &PolicyStatus) {
    header(
        out,
        reloads,
        "counter",
        &format!("Reloads of the {what}, by result."),
    );
    let _ = writeln!(out, "{reloads}{{result=\"success\"}} {}", status.successes);
    let _ = writeln!(out, "{reloads}{{result=\"failure\"}} {}", status.failures);
    header(
        out,
        info,
        "gauge",
        &format!("The {what} in use: the first 12 hex digits of the SHA-256 of its files."),
    );
    let _ = writeln!(out, "{info}{{revision=\"{}\"}} 1", escape(&status.revision));
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn add(counters: &[AtomicU64], index: usize) {
    if let Some(counter) = counters.get(index) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn load(counters: &[AtomicU64], index: usize) -> u64 {
    counters
        .get(index)
        .map_or(0, |counter| counter.load(Ordering::Relaxed))
}

/// A label value in the text format: `\`, `"` and line feeds escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Counters labelled by rule name. Names are kept across reloads (a counter never
/// goes back), so a rule that was renamed keeps its last count.
#[derive(Debug, Default)]
struct LabelCounters(RwLock<HashMap<Arc<str>, AtomicU64>>);

impl LabelCounters {
    fn add(&self, label: &str) {
        let known = self.0.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(counter) = known.get(label) {
            counter.fetch_add(1, Ordering::Relaxed);
            return;
        }
        drop(known);
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(Arc::from(label))
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str) {
        let counters = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let mut rows: Vec<(&Arc<str>, u64)> = counters
            .iter()
            .map(|(label, counter)| (label, counter.load(Ordering::Relaxed)))
            .collect();
        rows.sort_unstable();
        for (label, value) in rows {
            let _ = writeln!(out, "{name}{{rule=\"{}\"}} {value}", escape(label));
        }
    }
}

/// A histogram with the fixed [`BUCKETS`]; counts per bucket (not cumulative) and the
/// sum in nanoseconds.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let index = BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(BUCKETS.len());
        add(&self.buckets, index);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str) {
        let mut cumulative = 0;
        for (index, bound) in BUCKETS.iter().enumerate() {
            cumulative += load(&self.buckets, index);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += load(&self.buckets, BUCKETS.len());
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        #[expect(clippy::cast_precision_loss, reason = "a sum in seconds for display")]
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn object(source: &str) -> DecisionObject {
        let policy = portcullis::Policy::compile(source).unwrap();
        DecisionObject::from_decision(&policy.evaluate(&portcullis::Request::new("GET", "/")))
    }

    #[test]
    fn renders_every_family() {
        let metrics = Metrics::default();
        let allow = object("allow \"say \\\"yes\\\"\" {}\naudit \"seen\" {}");
        let deny = object("default deny");
        metrics.record(&allow, Some(&deny), Duration::from_micros(30));
        metrics.record(&allow, Some(&allow), Duration::from_millis(2));
        metrics.record(&DecisionObject::invalid("x"), None, Duration::from_secs(5));
        metrics.refused(403);
        let status = PolicyStatus {
            successes: 2,
            failures: 1,
            revision: "0123456789ab".to_string(),
        };
        let text = metrics.render(&status, Some(&status));
        for line in [
            "portcullis_decisions_total{decision=\"allow\",reason=\"rule\"} 2",
            "portcullis_decisions_total{decision=\"deny\",reason=\"invalid_request\"} 1",
            "portcullis_decisions_total{decision=\"deny\",reason=\"default\"} 0",
            "portcullis_rule_decisions_total{rule=\"say \\\"yes\\\"\"} 2",
            "portcullis_audit_matches_total{rule=\"seen\"} 2",
            "portcullis_shadow_decisions_total{decision=\"deny\",agrees=\"false\"} 1",
            "portcullis_shadow_decisions_total{decision=\"allow\",agrees=\"true\"} 1",
            "portcullis_policy_reloads_total{result=\"success\"} 2",
            "portcullis_policy_reloads_total{result=\"failure\"} 1",
            "portcullis_policy_info{revision=\"0123456789ab\"} 1",
            "portcullis_check_duration_seconds_bucket{le=\"0.00005\"} 1",
            "portcullis_check_duration_seconds_bucket{le=\"0.0025\"} 2",
            "portcullis_check_duration_seconds_bucket{le=\"1\"} 2",
            "portcullis_check_duration_seconds_bucket{le=\"+Inf\"} 3",
            "portcullis_check_duration_seconds_count 3",
            "portcullis_check_duration_seconds_sum 5.00203",
            "portcullis_forward_auth_refusals_total{status=\"403\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
    }
}
