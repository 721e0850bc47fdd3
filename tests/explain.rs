//! `Policy::explain`: the decision is `evaluate`'s, and every rule is reported matched
//! exactly when the reference model says it matches, with the first failing condition
//! in source order (its text, white space collapsed, and its place).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use portcullis::{Policy, Reason, Request};
use proptest::prelude::*;

use portcullis_support::reference::compare::Compiled;
use portcullis_support::reference::eval::{Outcome, first_failing};
use portcullis_support::reference::generate;

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn explain_agrees_with_evaluate_and_the_reference(
        policy in generate::policy(0..31),
        options in generate::options(),
        requests in prop::collection::vec(generate::request(), 1..9),
    ) {
        let compiled = Compiled::new(&policy, &[], options).map_err(TestCaseError::fail)?;
        for req in &requests {
            let request = req.as_request();
            let explanation = compiled.policy.explain(&request);
            let evaluated = compiled.policy.evaluate(&request);
            prop_assert_eq!(Outcome::of(explanation.decision()), Outcome::of(&evaluated));
            prop_assert_eq!(explanation.decision().error(), evaluated.error());
            let expected = first_failing(&policy, req, &options);
            let Some(expected) = expected else {
                prop_assert_eq!(evaluated.reason(), Reason::InvalidRequest);
                prop_assert!(explanation.rules().is_empty());
                continue;
            };
            prop_assert_eq!(explanation.rules().len(), policy.rules.len());
            for ((rule, model), first) in explanation.rules().iter().zip(&policy.rules).zip(expected) {
                prop_assert_eq!(rule.name(), model.name.as_str());
                prop_assert_eq!(rule.matched(), first.is_none(), "rule {:?} request {:?}\n{}", model.name, req, compiled.sources());
                let at = rule.failed().map(|failed| {
                    rule.rule().conditions().position(|c| c.span() == failed.span()).unwrap()
                });
                prop_assert_eq!(at, first, "rule {:?} request {:?}", model.name, req);
            }
        }
    }
}

const PAYMENTS: &str = r#"default deny

let frontends = ["spiffe://prod.example.com/ns/web/sa/*"]

allow "frontends read orders" {
  identity in frontends
  method GET,
         HEAD   # reads only
  path "/api/v1/orders/{id}"
}

deny "no deletes" { method DELETE   not source in [10.0.0.0/8] }

audit "probes" { path "/healthz" }
"#;

#[test]
fn explain_names_the_first_failing_condition_by_text_and_place() {
    let policy = Policy::compile_sources([("payments.pcl", PAYMENTS)]).unwrap();
    let request = Request::new("POST", "/api/v1/orders/1")
        .identity("spiffe://prod.example.com/ns/web/sa/frontend");
    let explanation = policy.explain(&request);
    assert_eq!(explanation.decision().reason(), Reason::Default);
    let rules = explanation.rules();
    let summary: Vec<_> = rules
        .iter()
        .map(|r| {
            (
                r.name(),
                r.matched(),
                r.failed().map(|c| {
                    (
                        c.text().to_string(),
                        format!("{}:{}:{}", c.file(), c.span().line, c.span().column),
                    )
                }),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "frontends read orders",
                false,
                Some((
                    "method GET, HEAD".to_string(),
                    "payments.pcl:7:3".to_string()
                ))
            ),
            (
                "no deletes",
                false,
                Some((
                    "method DELETE".to_string(),
                    "payments.pcl:12:21".to_string()
                ))
            ),
            (
                "probes",
                false,
                Some((
                    "path \"/healthz\"".to_string(),
                    "payments.pcl:14:18".to_string()
                ))
            ),
        ]
    );

    // `not` is part of the condition, and where it starts.
    let request = Request::new("DELETE", "/healthz").source("10.1.2.3".parse().unwrap());
    let explanation = policy.explain(&request);
    let rules = explanation.rules();
    let failed = rules[1].failed().unwrap();
    assert_eq!(failed.text(), "not source in [10.0.0.0/8]");
    assert_eq!((failed.span().line, failed.span().column), (12, 37));
    // A rule that matched but did not decide is still reported matched.
    assert!(rules[2].matched());
    assert_eq!(
        explanation.decision().audit().collect::<Vec<_>>(),
        ["probes"]
    );
}

#[test]
fn explain_of_an_invalid_request_has_no_rules() {
    let policy = Policy::compile(PAYMENTS).unwrap();
    let explanation = policy.explain(&Request::new("GET", "/a%2F..%2Fhealthz"));
    assert_eq!(explanation.decision().reason(), Reason::InvalidRequest);
    assert!(explanation.rules().is_empty());
}
