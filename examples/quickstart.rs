//! Compile the example mesh policy, decide on a few requests, print the decisions.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::error::Error;
use std::net::{IpAddr, Ipv4Addr};

use portcullis::normalize::{Options, Semicolon};
use portcullis::{Decision, Policy, Request};

fn show(label: &str, decision: &Decision<'_>) {
    let effect = if decision.is_allowed() {
        "allow"
    } else {
        "deny"
    };
    print!("{label:<40} {effect:<5} ({})", decision.reason());
    if let Some(rule) = decision.rule() {
        print!(" by {rule:?}");
    }
    if let Some(error) = decision.error() {
        print!(": {error}");
    }
    let audit: Vec<&str> = decision.audit().collect();
    if !audit.is_empty() {
        print!(", audit {audit:?}");
    }
    println!();
}

fn main() -> Result<(), Box<dyn Error>> {
    // Diagnostics name the source; a `CompileError` prints every one of them.
    let policy = Policy::compile_sources([("mesh.pcl", include_str!("mesh.pcl"))])?;
    println!("compiled {} rules", policy.rule_count());

    let frontend = "spiffe://prod.example.com/ns/web/sa/frontend";

    let read = Request::new("GET", "/api/v1/orders/42?verbose=1")
        .identity(frontend)
        .host("orders.prod.svc:8443")
        .port(8443)
        .source(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)));
    show("frontend reads an order", &policy.evaluate(&read));

    let delete = Request::new("DELETE", "/api/v1/orders/42")
        .identity(frontend)
        .host("orders.prod.svc")
        .source(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
    show("delete from outside", &policy.evaluate(&delete));

    let admin = Request::new("GET", "/admin/users")
        .identity("spiffe://prod.example.com/ns/ops/sa/bob")
        .host("admin.prod.svc:9443")
        .port(9443)
        .source("10.2.3.4".parse()?)
        .header("x-env", b"canary")
        .header("user-agent", b"curl/8.5.0");
    show("ops opens the admin console", &policy.evaluate(&admin));

    let probe = Request::new("GET", "/healthz").port(15020);
    show("kubelet probe", &policy.evaluate(&probe));

    let sneaky = Request::new("GET", "/api/v1/orders/..%2fadmin")
        .identity(frontend)
        .host("orders.prod.svc");
    show("encoded slash", &policy.evaluate(&sneaky));

    // Options are set in code, never in the policy: here, drop `;` parameters
    // (`/static/app.js;v=3` is `/static/app.js`).
    let mut options = Options::default();
    options.semicolon = Semicolon::Strip;
    let lenient = policy.clone().with_options(options);
    let versioned = Request::new("GET", "/static/app.js;v=3");
    show("`;` rejected (default)", &policy.evaluate(&versioned));
    show("`;` stripped", &lenient.evaluate(&versioned));

    // The policy's own `test` blocks.
    let report = policy.run_tests();
    for failure in report.failures() {
        println!("{failure}");
    }
    println!("tests: {report}");
    Ok(())
}
