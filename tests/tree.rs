//! The compiled decision tree: its dump for a few tree shapes, compared with the
//! files in `tests/snapshots/`, and its invariants (`Policy::validate_tree`) on every
//! policy of the repository's examples and test data.
//!
//! After a change to how trees are built or dumped, look at the difference, then
//! write the new dumps with:
//!
//! ```text
//! UPDATE_SNAPSHOTS=1 cargo test --test tree
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use portcullis::Policy;
use portcullis_support::workload::{Config, Workload};

/// Compares `actual` with `tests/snapshots/<name>.txt`, or writes it there when
/// `UPDATE_SNAPSHOTS` is set.
fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\n(write it with UPDATE_SNAPSHOTS=1)\n--- actual ---\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "the dump differs from {} from line {} on (UPDATE_SNAPSHOTS=1 writes it)\n\
             --- expected ---\n{expected}--- actual ---\n{actual}",
            path.display(),
            line + 1
        );
    }
}

/// Compiles `source`, checks its tree, and compares its dump with the snapshot.
fn tree_shape(name: &str, source: &str) {
    let policy = Policy::compile(source).unwrap_or_else(|e| panic!("{e}"));
    policy.validate_tree().unwrap();
    assert_snapshot(name, &policy.dump_tree());
}

#[test]
fn a_few_rules_make_one_leaf() {
    tree_shape(
        "leaf",
        r#"
        allow "probes" { path "/healthz" }
        deny "no deletes" { method DELETE  not identity "spiffe://p/ns/ops/sa/*" }
        audit "debug" { header "x-debug" present }
        allow "all" {}
        "#,
    );
}

#[test]
fn methods_split_with_a_rest() {
    tree_shape(
        "method",
        r#"
        allow "read a" { method GET  path "/a/**" }
        allow "read b" { method GET, HEAD  path "/b/**" }
        allow "write a" { method POST  path "/a/**" }
        allow "write b" { method PUT, PATCH  path "/b/**" }
        deny "no deletes" { method DELETE }
        allow "probes" { path "/healthz" }
        "#,
    );
}

#[test]
fn identities_then_hosts() {
    tree_shape(
        "identity_host",
        r#"
        allow "frontend to payments" {
          identity "spiffe://p/ns/web/sa/frontend"
          host "payments.svc", "payments.internal"
        }
        allow "frontend to shop" {
          identity "spiffe://p/ns/web/sa/frontend"
          host "*.shop.svc"
        }
        allow "frontend anywhere with a host" {
          identity "spiffe://p/ns/web/sa/frontend"
          host "*"
          method GET
        }
        allow "frontend to ledger" {
          identity "spiffe://p/ns/web/sa/frontend"
          host "ledger.svc"
        }
        allow "frontend to search" {
          identity "spiffe://p/ns/web/sa/frontend"
          host "search.svc"
        }
        allow "ops" { identity "spiffe://p/ns/ops/sa/*" }
        allow "ops tree" { identity "spiffe://p/ns/ops/**" method GET }
        allow "canaries" { identity "spiffe://p/ns/*/sa/canary" }
        deny "staging" { identity "spiffe://staging/**" }
        allow "anyone to docs" { host "docs.svc" }
        "#,
    );
}

#[test]
fn paths_make_a_trie() {
    tree_shape(
        "path",
        r#"
        allow "root" { path "/" }
        allow "orders" { path "/api/v1/orders" }
        allow "an order" { path "/api/v1/orders/{id}" method GET }
        allow "any order" { path "/api/v1/orders/*" method HEAD }
        allow "order items" { path "/api/v1/orders/{id}/items/**" }
        allow "images" { path "/static/*.png", "/static/*.jpg" }
        allow "static" { path "/static/**" method GET }
        deny "internal" { path "/internal/**" }
        allow "reports" { path ~ "/reports/[0-9]+" }
        "#,
    );
}

#[test]
fn ports_then_sources() {
    tree_shape(
        "port_source",
        r#"
        allow "probes" { port 9090, 15020..15021 }
        allow "metrics" { port 9100 }
        allow "admin" { port 8443  source 10.0.0.0/8 }
        allow "web" { port 443 }
        allow "web alt" { port 8443 }
        allow "grpc" { port 50051 }
        allow "cluster" { source 10.0.0.0/8 }
        allow "pods" { source 10.1.0.0/16 }
        allow "office" { source 192.168.10.0/24, 2001:db8:10::/48 }
        allow "vpn" { source 172.16.0.0/12 }
        deny "a bad host" { source 10.1.2.3/32 }
        "#,
    );
}

#[test]
fn headers_then_attributes() {
    tree_shape(
        "header_attr",
        r#"
        allow "acme" { header "x-tenant" == "acme" }
        allow "globex" { header "x-tenant" in ["globex", "initech"] }
        allow "umbrella" { header "x-tenant" == "umbrella"  path "/u/**" }
        allow "hooli" { header "x-tenant" == "hooli" }
        allow "tenant acme" { attr "tenant" == "acme" }
        allow "tenant globex" { attr "tenant" == "globex"  method GET }
        allow "tenant hooli" { attr "tenant" == "hooli" }
        allow "tenant initech" { attr "tenant" == "initech" }
        audit "debug" { header "x-debug" present }
        deny "odd tenants" { header "x-tenant" ~ "[0-9].*" }
        "#,
    );
}

/// Every policy file of the repository that compiles: the examples, the test data
/// and the fuzz seeds.
#[test]
fn the_repository_policies_keep_their_invariants() {
    let mut checked = 0;
    for dir in ["examples", "tests/data", "fuzz/corpus/compile"] {
        for entry in std::fs::read_dir(repo(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "pcl") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            if let Ok(policy) = Policy::compile(&source) {
                if let Err(e) = policy.validate_tree() {
                    panic!("{}: {e}", path.display());
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "only {checked} policies compiled");
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn workload_trees_keep_their_invariants() {
    for rules in [10, 100, 1_000] {
        let workload = Workload::generate(Config::full(rules));
        let policy = Policy::compile(&workload.policy_text()).unwrap();
        if let Err(e) = policy.validate_tree() {
            panic!("{rules} rules: {e}");
        }
    }
}

/// A rule with a condition without values can never match: a split on that
/// condition's attribute drops it, under some keys of a split above and not others.
#[test]
fn rules_that_never_match_may_be_left_out() {
    let mut source = String::from("let no_hosts = []\n");
    for i in 0..8 {
        source.push_str(&format!(
            "allow \"a{i}\" {{ path \"/a\"  host \"h{i}.svc\" }}\n"
        ));
    }
    for i in 0..8 {
        source.push_str(&format!("allow \"c{i}\" {{ path \"/c{i}\" }}\n"));
    }
    source.push_str("deny \"nothing\" { path \"/a\", \"/b\"  host in no_hosts }\n");
    let policy = Policy::compile(&source).unwrap();
    policy.validate_tree().unwrap();
    let dump = policy.dump_tree();
    assert!(dump.contains("split on host"), "{dump}");
    assert_eq!(dump.matches("deny \"nothing\"").count(), 1, "{dump}");
}
