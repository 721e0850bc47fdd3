//! The public API named in the design issue, used exactly as written there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::sync::Arc;

use portcullis::{Policy, Reason, Request};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn policy_is_send_sync_and_cheap_to_share() {
    assert_send_sync::<Policy>();
    let policy = Policy::compile("allow \"all\" {}").unwrap();
    let shared = Arc::new(policy.clone());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let p = Arc::clone(&shared);
            std::thread::spawn(move || p.evaluate(&Request::new("GET", "/")).is_allowed())
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap());
    }
    assert!(policy.evaluate(&Request::new("GET", "/")).is_allowed());
}

#[test]
fn the_issue_example_compiles_and_decides() {
    let source = r#"
        default deny
        allow "frontends read orders" {
          identity "spiffe://prod.example.com/ns/web/sa/frontend"
          method GET
          path "/api/v1/orders/{id}"
          host "payments.svc"
          port 8443
          source 10.0.0.0/8
          header "x-env" == "prod"
          attr "tenant" in ["acme"]
        }
        audit "all reads" { method GET }
    "#;
    let policy = portcullis::Policy::compile(source).unwrap();
    let ip: IpAddr = "10.1.2.3".parse().unwrap();
    let request = portcullis::Request::new("GET", "/api/v1/orders/42")
        .identity("spiffe://prod.example.com/ns/web/sa/frontend")
        .source(ip)
        .host("payments.svc:8443")
        .port(8443)
        .header("x-env", b"prod")
        .attr("tenant", "acme");
    let decision = policy.evaluate(&request);
    assert!(decision.is_allowed());
    assert_eq!(decision.rule(), Some("frontends read orders"));
    assert_eq!(decision.reason(), Reason::Rule);
    assert_eq!(decision.audit().collect::<Vec<_>>(), ["all reads"]);
}

#[test]
fn several_named_sources_form_one_policy() {
    let policy = Policy::compile_sources([
        (
            "a.pcl",
            "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]\naudit \"first\" {}",
        ),
        (
            "b.pcl",
            "allow \"ops\" { identity in ops }\naudit \"second\" {}",
        ),
    ])
    .unwrap();
    let d = policy.evaluate(&Request::new("GET", "/").identity("spiffe://p/ns/ops/sa/a"));
    assert_eq!(d.rule(), Some("ops"));
    assert_eq!(d.audit().collect::<Vec<_>>(), ["first", "second"]);
    assert_eq!(policy.rule_count(), 3);
}

#[test]
fn test_failure_messages_explain_a_by_that_cannot_hold() {
    let policy = Policy::compile(
        "allow \"a\" { path \"/\" }\naudit \"au\" { path \"/\" }\n\
         test \"t\" {\n  allow GET \"/\" by \"au\"\n  allow GET \"/\" by \"b\"\n}\n",
    )
    .unwrap();
    let report = policy.run_tests();
    let messages: Vec<&str> = report.failures().iter().map(|f| f.message()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("`au` is an audit rule"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains("the policy has no rule named `b`"),
        "{}",
        messages[1]
    );
}

/// A `test` block's `attr` repeated with one key gives the key several values, as
/// `header` does.
#[test]
fn test_expectations_give_an_attribute_several_values() {
    let policy = Policy::compile(
        r#"
        default deny
        allow "eng" { attr "groups" == "eng" }
        deny "contractors" { attr "groups" == "contractors" }
        test "groups" {
          allow GET "/" attr "groups" = "ops" attr "groups" = "eng" by "eng"
          deny GET "/" attr "groups" = "eng" attr "groups" = "contractors" by "contractors"
          deny GET "/" attr "groups" = "ops" by default
          allow GET "/" attr "groups" = "ops"
        }
        "#,
    )
    .unwrap();
    let report = policy.run_tests();
    assert_eq!(report.passed(), 3, "{:?}", report.failures());
    let messages: Vec<&str> = report.failures().iter().map(|f| f.message()).collect();
    assert_eq!(messages, ["expected allow, got deny (default)"]);
}
