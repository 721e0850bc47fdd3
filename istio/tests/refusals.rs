//! What cannot be translated with Istio's meaning is refused: an error naming the
//! file, the resource and the field, and no policy. Cases that Istio itself refuses
//! cite `pkg/config/validation/validation.go` `ValidateAuthorizationPolicy` and
//! `pkg/config/security/security.go`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
fn custom_action() {
    assert_refused(
        &resource("  action: CUSTOM\n  provider: {name: opa}\n  rules:\n  - {}"),
        "spec.action",
        "`CUSTOM` is not supported",
    );
}

#[test]
fn the_error_names_file_resource_and_field() {
    let errors = errors(&resource(
        "  rules:\n  - from:\n    - source: {remoteIpBlocks: [10.0.0.0/8]}",
    ));
    assert_eq!(errors.len(), 1);
    let e = &errors[0];
    assert_eq!(e.file(), "p.yaml");
    assert_eq!(e.resource_name(), Some("foo/p"));
    assert_eq!(
        e.field_path(),
        Some("spec.rules[0].from[0].source.remoteIpBlocks")
    );
    assert!(e.to_string().starts_with(
        "p.yaml (document 1): foo/p: spec.rules[0].from[0].source.remoteIpBlocks: remote addresses"
    ));
}

#[test]
fn fields_without_a_portcullis_meaning() {
    let cases = [
        (
            "  rules:\n  - from:\n    - source: {notRemoteIpBlocks: [1.2.3.4]}",
            "spec.rules[0].from[0].source.notRemoteIpBlocks",
            "remote addresses",
        ),
        (
            "  rules:\n  - when:\n    - {key: remote.ip, values: [1.2.3.4]}",
            "spec.rules[0].when[0].key",
            "`remote.ip`",
        ),
        (
            "  rules:\n  - when:\n    - {key: destination.ip, values: [1.2.3.4]}",
            "spec.rules[0].when[0].key",
            "`destination.ip`",
        ),
        (
            "  rules:\n  - when:\n    - {key: connection.sni, values: [a.com]}",
            "spec.rules[0].when[0].key",
            "`connection.sni`",
        ),
        (
            "  rules:\n  - when:\n    - {key: \"experimental.envoy.filters.a.b[c]\", values: [x]}",
            "spec.rules[0].when[0].key",
            "experimental",
        ),
        (
            "  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}]\n  rules:\n  - {}",
            "spec.targetRefs",
            "cannot be translated",
        ),
        (
            "  targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: gw}\n  rules:\n  - {}",
            "spec.targetRef",
            "cannot be translated",
        ),
        (
            "  rules:\n  - to:\n    - operation: {hosts: [\"a.com:8080\"]}",
            "spec.rules[0].to[0].operation.hosts[0]",
            "port",
        ),
        (
            "  rules:\n  - to:\n    - operation: {notHosts: [\"a.com.\"]}",
            "spec.rules[0].to[0].operation.notHosts[0]",
            "ends with `.`",
        ),
        (
            "  rules:\n  - to:\n    - operation: {methods: [\"G*\"]}",
            "spec.rules[0].to[0].operation.methods[0]",
            "prefix or suffix",
        ),
        (
            "  rules:\n  - to:\n    - operation: {methods: [get]}",
            "spec.rules[0].to[0].operation.methods[0]",
            "not upper case",
        ),
        (
            "  rules:\n  - when:\n    - {key: \"request.headers[:path]\", values: [/a]}",
            "spec.rules[0].when[0].key",
            "pseudo-headers",
        ),
        (
            "  rules:\n  - when:\n    - {key: \"request.headers[host]\", values: [a]}",
            "spec.rules[0].when[0].key",
            "use `hosts`",
        ),
        (
            "  rules:\n  - from:\n    - source: {ipBlocks: [\"::ffff:10.0.0.0/104\"]}",
            "spec.rules[0].from[0].source.ipBlocks[0]",
            "IPv4-mapped",
        ),
    ];
    for (spec, field, says) in cases {
        assert_refused(&resource(spec), field, says);
    }
}

/// Values Istio's validation refuses (`ValidateAuthorizationPolicy`).
#[test]
fn values_istio_refuses() {
    let cases = [
        ("  action: DENY", "spec.rules", "DENY policy without rules"),
        (
            "  action: DENY\n  rules: []",
            "spec.rules",
            "DENY policy without rules",
        ),
        (
            "  rules:\n  - from: []",
            "spec.rules[0].from",
            "must not be empty",
        ),
        (
            "  rules:\n  - to: []",
            "spec.rules[0].to",
            "must not be empty",
        ),
        (
            "  rules:\n  - from:\n    - {}",
            "spec.rules[0].from[0].source",
            "must be given",
        ),
        (
            "  rules:\n  - from:\n    - source: {}",
            "spec.rules[0].from[0].source",
            "must not be empty",
        ),
        (
            "  rules:\n  - to:\n    - operation: {}",
            "spec.rules[0].to[0].operation",
            "must not be empty",
        ),
        (
            "  rules:\n  - from:\n    - source: {principals: [\"\"]}",
            "spec.rules[0].from[0].source.principals[0]",
            "empty value",
        ),
        (
            "  rules:\n  - from:\n    - source: {serviceAccounts: [a], principals: [b]}",
            "spec.rules[0].from[0].source",
            "cannot be set with",
        ),
        (
            "  rules:\n  - from:\n    - source: {serviceAccounts: [\"a/b/c\"]}",
            "spec.rules[0].from[0].source.serviceAccounts[0]",
            "expected",
        ),
        (
            "  rules:\n  - from:\n    - source: {serviceAccounts: [\"a*\"]}",
            "spec.rules[0].from[0].source.serviceAccounts[0]",
            "no wildcard",
        ),
        (
            "  rules:\n  - from:\n    - source: {trustDomains: [\"a/b\"]}",
            "spec.rules[0].from[0].source.trustDomains[0]",
            "no `/`",
        ),
        (
            "  rules:\n  - from:\n    - source: {trustDomains: [\"a*b\"]}",
            "spec.rules[0].from[0].source.trustDomains[0]",
            "may only begin or end",
        ),
        (
            "  rules:\n  - from:\n    - source: {ipBlocks: [\"10.0.0.256\"]}",
            "spec.rules[0].from[0].source.ipBlocks[0]",
            "not an IP address",
        ),
        (
            "  rules:\n  - from:\n    - source: {ipBlocks: [\"10.0.0.0/33\"]}",
            "spec.rules[0].from[0].source.ipBlocks[0]",
            "not an IP address",
        ),
        (
            "  rules:\n  - to:\n    - operation: {ports: [\"70000\"]}",
            "spec.rules[0].to[0].operation.ports[0]",
            "above 65535",
        ),
        (
            "  rules:\n  - to:\n    - operation: {ports: [\"http\"]}",
            "spec.rules[0].to[0].operation.ports[0]",
            "not a port",
        ),
        (
            "  rules:\n  - to:\n    - operation: {paths: [\"/a/{x}\"]}",
            "spec.rules[0].to[0].operation.paths[0]",
            "outside a",
        ),
        (
            "  rules:\n  - to:\n    - operation: {paths: [\"/{**}/{*}\"]}",
            "spec.rules[0].to[0].operation.paths[0]",
            "last operator",
        ),
        (
            "  rules:\n  - to:\n    - operation: {paths: [\"/a/{*}.txt\"]}",
            "spec.rules[0].to[0].operation.paths[0]",
            "outside a",
        ),
        (
            "  rules:\n  - to:\n    - operation: {paths: [\"/a=b/{*}\"]}",
            "spec.rules[0].to[0].operation.paths[0]",
            "template literal",
        ),
        (
            "  rules:\n  - when:\n    - {key: source.ip}",
            "spec.rules[0].when[0]",
            "at least one of",
        ),
        (
            "  rules:\n  - when:\n    - {key: \"\", values: [a]}",
            "spec.rules[0].when[0].key",
            "must not be empty",
        ),
        (
            "  rules:\n  - when:\n    - {key: \"destination.labels[app]\", values: [a]}",
            "spec.rules[0].when[0].key",
            "workload selector",
        ),
        (
            "  rules:\n  - when:\n    - {key: source.user, values: [a]}",
            "spec.rules[0].when[0].key",
            "unknown attribute",
        ),
        (
            "  rules:\n  - when:\n    - {key: \"request.headers[]\", values: [a]}",
            "spec.rules[0].when[0].key",
            "empty",
        ),
        (
            "  rules:\n  - when:\n    - {key: \"request.auth.claims\", values: [a]}",
            "spec.rules[0].when[0].key",
            "expected",
        ),
        (
            "  rules:\n  - when:\n    - {key: destination.port, values: [\"x\"]}",
            "spec.rules[0].when[0].values[0]",
            "not a port",
        ),
        (
            "  selector: {matchLabels: {app: \"*\"}}\n  rules:\n  - {}",
            "spec.selector.matchLabels.app",
            "no wildcard",
        ),
        (
            "  action: ALLOW\n  provider: {name: x}\n  rules:\n  - {}",
            "spec.provider",
            "only for the `CUSTOM`",
        ),
        ("  rules:\n  - null", "spec.rules[0]", "must not be null"),
    ];
    for (spec, field, says) in cases {
        assert_refused(&resource(spec), field, says);
    }
}

/// A `*` in the middle of a value: Istio matches it as the character `*`
/// (`StringMatcherWithPrefix` only looks at the ends), which no author means.
#[test]
fn stars_in_the_middle() {
    assert_refused(
        &resource("  rules:\n  - to:\n    - operation: {paths: [\"/a/*/b\"]}"),
        "spec.rules[0].to[0].operation.paths[0]",
        "use `{*}` for one segment",
    );
    assert_refused(
        &resource("  rules:\n  - from:\n    - source: {principals: [\"cluster.local/ns/*/sa/a\"]}"),
        "spec.rules[0].from[0].source.principals[0]",
        "may only begin or end",
    );
    assert_refused(
        &resource("  rules:\n  - when:\n    - {key: \"request.headers[x]\", values: [\"*a*\"]}"),
        "spec.rules[0].when[0].values[0]",
        "may only begin or end",
    );
}

#[test]
fn schema_errors() {
    let errors = errors(&resource(
        "  rules:\n  - from:\n    - source: {notPrincipal: [a]}",
    ));
    assert_eq!(
        errors[0].field_path(),
        Some("spec.rules[0].from[0].source.notPrincipal")
    );
    assert!(
        errors[0]
            .message()
            .starts_with("unknown field `notPrincipal`")
    );
    let errors = errors_of("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    assert!(errors[0].message().contains("not an `AuthorizationPolicy`"));
    let errors = errors_of(
        "apiVersion: security.istio.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: x}\n",
    );
    assert_eq!(errors[0].field_path(), Some("apiVersion"));
    let errors = errors_of(&resource(
        "  rules:\n  - to:\n    - operation: {ports: [80]}",
    ));
    assert!(
        errors[0].message().contains("expected a string"),
        "{}",
        errors[0]
    );
    let errors = errors_of(&resource("  action: allow"));
    assert!(
        errors[0].message().contains("unknown variant"),
        "{}",
        errors[0]
    );
    let errors = errors_of("a: [\n");
    assert!(
        errors[0]
            .to_string()
            .starts_with("p.yaml:2:1: invalid YAML"),
        "{}",
        errors[0]
    );
    let errors = errors_of(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: a, namespace: b}\n",
    );
    assert!(errors[0].message().contains("duplicate"), "{}", errors[0]);
}

fn errors_of(yaml: &str) -> Vec<portcullis_istio::Error> {
    common::errors(yaml)
}

#[test]
fn every_error_is_reported() {
    let errors = errors(&resource(
        "  rules:\n  - from:\n    - source: {remoteIpBlocks: [a]}\n    to:\n    - operation: {methods: [get], ports: [\"x\"]}",
    ));
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn duplicate_resources() {
    let yaml = format!(
        "{}---\n{}",
        resource("  rules: [{}]"),
        resource("  rules: [{}]")
    );
    let errors = errors(&yaml);
    assert!(
        errors[0]
            .message()
            .contains("a second resource named `foo/p`")
    );
}

/// Whatever Portcullis itself refuses in the translation (here: more values in one
/// condition than the compile limit) is an error about the rule it came from.
#[test]
fn a_translation_that_does_not_compile_names_its_rule() {
    let many: Vec<String> = (0..10_001)
        .map(|i| format!("\"cluster.local/ns/a/sa/s{i}\""))
        .collect();
    let yaml = resource(&format!(
        "  rules:\n  - {{}}\n  - from:\n    - source: {{principals: [{}]}}",
        many.join(", ")
    ));
    let errors = errors(&yaml);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field_path(), Some("spec.rules[1]"));
    assert!(
        errors[0].message().contains("more than 10000 values"),
        "{}",
        errors[0]
    );
}

#[test]
fn options_are_checked() {
    let options = portcullis_istio::Options {
        trust_domain: "Bad/TD".into(),
        ..portcullis_istio::Options::default()
    };
    let errors = errors_with(&resource("  rules: [{}]"), &options);
    assert!(errors[0].to_string().contains("is not a trust domain"));
}
