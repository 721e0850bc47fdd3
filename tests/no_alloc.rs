//! Evaluating a valid request allocates nothing: a counting global allocator proves it.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A global allocator can only be written with `unsafe`; the library itself forbids it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::IpAddr;

use portcullis::{Policy, Request};

/// Counts allocations made by the current thread (other test threads do not disturb it).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

const POLICY: &str = r#"
default deny
let frontends = ["spiffe://prod.example.com/ns/web/sa/frontend", "spiffe://prod.example.com/ns/web/sa/checkout"]
let office = [10.0.0.0/8, 2001:db8::/32]
allow "frontends read orders" {
  identity in frontends
  method GET, HEAD
  path "/api/v1/orders", "/api/v1/orders/{id}"
}
allow "ops" { identity "spiffe://prod.example.com/ns/ops/sa/*" source in office }
deny "no writes from outside" { method POST, PUT, PATCH, DELETE not source in office }
audit "debug" { header "x-debug" present }
audit "regex" { path ~ "/api/v[0-9]+/.*" }
allow "probes" { path "/healthz", "/readyz" port 9090 }
allow "static" { host "*.example.com" path "/static/**" }
allow "tenant" { attr "tenant" in ["acme", "globex"] header "x-env" == "prod" }
"#;

#[test]
fn evaluating_valid_requests_allocates_nothing() {
    let policy = Policy::compile(POLICY).unwrap();
    let office: IpAddr = "10.1.2.3".parse().unwrap();
    let outside: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
    let requests = [
        Request::new("GET", "/api/v1/orders/42?verbose=1")
            .identity("spiffe://prod.example.com/ns/web/sa/frontend")
            .host("payments.svc:8443")
            .port(8443)
            .source(office)
            .header("x-debug", b"1"),
        Request::new("DELETE", "/api/v1/orders/42").source(outside),
        Request::new("GET", "/a/./b/../static/%41//x.css").host("CDN.Example.COM."),
        Request::new("GET", "/healthz").port(9090),
        Request::new("POST", "/x")
            .attr("tenant", "acme")
            .header("X-Env", b"dev")
            .header("x-env", b"prod"),
        Request::new("GET", "/api/v1/orders/..%2fadmin"),
        Request::new("get", "/"),
    ];
    // Warm up: regex caches are created on first use.
    let expected: Vec<(bool, Option<String>)> = requests
        .iter()
        .map(|r| {
            let d = policy.evaluate(r);
            (d.is_allowed(), d.rule().map(str::to_string))
        })
        .collect();
    let before = allocations();
    for _ in 0..100 {
        for (request, (allowed, rule)) in requests.iter().zip(&expected) {
            let d = policy.evaluate(request);
            assert_eq!(d.is_allowed(), *allowed);
            assert_eq!(d.rule(), rule.as_deref());
            assert!(d.audit().count() <= 2);
        }
    }
    assert_eq!(allocations() - before, 0, "evaluate allocated");
}

/// A policy with 300 `audit` rules, rule `a<i>` on header `x-a<i>`, and one allow.
fn many_audits() -> Policy {
    let mut text = String::from("default deny\nallow \"all\" { method GET }\n");
    for i in 0..300 {
        text.push_str(&format!("audit \"a{i}\" {{ header \"x-a{i}\" present }}\n"));
    }
    Policy::compile(&text).unwrap()
}

#[test]
fn many_audit_rules_allocate_nothing_for_a_request_matching_a_few() {
    let policy = many_audits();
    // Up to 8 matching audit rules are recorded inline, whatever their positions.
    let picks = [299, 3, 150, 64, 0, 255, 256, 201];
    let names: Vec<String> = picks.iter().map(|i| format!("x-a{i}")).collect();
    let mut request = Request::new("GET", "/");
    for name in &names {
        request = request.header(name, b"1");
    }
    let mut expected: Vec<String> = picks.iter().map(|i| format!("a{i}")).collect();
    expected.sort_by_key(|n| n[1..].parse::<u32>().unwrap());
    // Warm up, then count.
    assert_eq!(
        policy.evaluate(&request).audit().collect::<Vec<_>>(),
        expected
    );
    let before = allocations();
    for _ in 0..100 {
        let d = policy.evaluate(&request);
        assert!(d.is_allowed());
        assert_eq!(d.audit().count(), 8);
    }
    assert_eq!(allocations() - before, 0, "evaluate allocated");
}

#[test]
fn many_audit_rules_matched_by_one_request_are_all_reported_in_order() {
    let policy = many_audits();
    // More than 8 matches spill to the heap; every one is still reported, in source
    // order, once.
    for count in [9, 20, 50] {
        let picks: Vec<usize> = (0..300).rev().step_by(300 / count).take(count).collect();
        let names: Vec<String> = picks.iter().map(|i| format!("x-a{i}")).collect();
        let mut request = Request::new("GET", "/");
        for name in &names {
            // A second line of the same header matches the same rule again.
            request = request.header(name, b"1").header(name, b"2");
        }
        let mut sorted = picks.clone();
        sorted.sort_unstable();
        let expected: Vec<String> = sorted.iter().map(|i| format!("a{i}")).collect();
        let d = policy.evaluate(&request);
        assert!(d.is_allowed(), "{count}");
        assert_eq!(d.audit().collect::<Vec<_>>(), expected, "{count}");
        let owned = d.to_owned();
        assert_eq!(owned.audit().collect::<Vec<_>>(), expected, "{count}");
    }
}

#[test]
fn the_counter_counts() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 16]);
    drop(v);
    assert!(allocations() > before);
}
