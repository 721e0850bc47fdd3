//! `portcullis import istio` as CLI.md says: the policy on stdout and exit 0, or
//! errors naming file, resource and field, nothing on stdout and exit 1.

mod common;

use common::Dir;

const POLICIES: &str = r#"apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-dev
  namespace: foo
spec:
  action: DENY
  rules:
  - from:
    - source: {namespaces: [dev]}
    to:
    - operation: {methods: [POST]}
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
  name: httpbin
  namespace: foo
spec:
  selector:
    matchLabels: {app: httpbin}
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/default/sa/sleep"]}
    to:
    - operation: {methods: [GET, POST], paths: ["/api/*"]}
"#;

const REQUESTS: &str = r#"{"method": "GET", "path": "/api/x", "identity": "spiffe://prod.example/ns/default/sa/sleep", "source": "10.0.0.1", "port": 8080}
{"method": "GET", "path": "/api/x", "identity": "spiffe://cluster.local/ns/default/sa/sleep", "source": "10.0.0.1", "port": 8080}
{"method": "POST", "path": "/api/x", "identity": "spiffe://prod.example/ns/dev/sa/sleep", "source": "10.0.0.1", "port": 8080}
"#;

#[test]
fn import_prints_a_policy_that_evaluates_as_istio() {
    let dir = Dir::new("import_prints_a_policy");
    dir.write("policies.yaml", POLICIES);
    let out = dir.run(&[
        "import",
        "istio",
        "--trust-domain",
        "prod.example",
        "--namespace",
        "foo",
        "--label",
        "app=httpbin",
        "policies.yaml",
    ]);
    out.assert(0);
    assert!(out.stdout.contains("default deny\n"), "{out:#?}");
    assert!(
        out.stdout.contains("deny \"foo/deny-dev[0]\" {"),
        "{out:#?}"
    );
    assert!(
        out.stdout
            .contains("# foo/httpbin (policies.yaml): ALLOW rules[0]\nallow \"foo/httpbin[0]\" {"),
        "{out:#?}"
    );
    dir.write("imported.pcl", &out.stdout);
    dir.run(&["check", "imported.pcl"]).assert(0);
    dir.write("requests.jsonl", REQUESTS);
    let eval = dir.run(&["eval", "-p", "imported.pcl", "requests.jsonl"]);
    eval.assert(0);
    let lines = eval.lines();
    assert!(
        lines[0].starts_with(r#"{"decision":"allow","reason":"rule","rule":"foo/httpbin[0]""#),
        "{eval:#?}"
    );
    assert!(
        lines[1].starts_with(r#"{"decision":"deny","reason":"default""#),
        "{eval:#?}"
    );
    assert!(
        lines[2].starts_with(r#"{"decision":"deny","reason":"rule","rule":"foo/deny-dev[0]""#),
        "{eval:#?}"
    );
}

#[test]
fn import_leaves_out_what_does_not_apply_and_says_so() {
    let dir = Dir::new("import_leaves_out");
    dir.write("policies.yaml", POLICIES);
    let out = dir.run(&["import", "istio", "--namespace", "foo", "policies.yaml"]);
    out.assert(0);
    assert!(!out.stdout.contains("foo/httpbin[0]"), "{out:#?}");
    assert!(out.stdout.contains("default allow\n"), "{out:#?}");
    assert!(
        out.stderr.contains(
            "note: left out, as they do not apply to the workload: foo/httpbin (selector)"
        ),
        "{out:#?}"
    );
    let all = dir.run(&["import", "istio", "policies.yaml"]);
    all.assert(0);
    assert!(all.stderr.contains("no `--namespace`: every policy given is taken, and the `selector`s of foo/httpbin are ignored"), "{all:#?}");
}

#[test]
fn import_refuses_with_nothing_on_stdout() {
    let dir = Dir::new("import_refuses");
    dir.write("policies.yaml", POLICIES);
    dir.write(
        "custom.yaml",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ext, namespace: foo}\nspec:\n  action: CUSTOM\n  provider: {name: opa}\n  rules: [{to: [{operation: {paths: [/admin/*]}}]}]\n",
    );
    let out = dir.run(&["import", "istio", "policies.yaml", "custom.yaml"]);
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert!(
        out.stderr.starts_with(
            "custom.yaml (document 1): error: foo/ext: spec.action: `CUSTOM` is not supported"
        ),
        "{out:#?}"
    );
    assert!(
        out.stderr
            .ends_with("portcullis: nothing imported: 1 error\n"),
        "{out:#?}"
    );
}

#[test]
fn import_reads_stdin_and_reports_unreadable_files() {
    let dir = Dir::new("import_reads_stdin");
    let out = dir.run_with_stdin(&["import", "istio", "-"], Some(POLICIES.as_bytes()));
    out.assert(0);
    assert!(out.stdout.contains("(<stdin>)"), "{out:#?}");
    let missing = dir.run(&["import", "istio", "missing.yaml"]);
    missing.assert(1);
    assert!(missing.stdout.is_empty());
    assert!(
        missing.stderr.contains("cannot read `missing.yaml`"),
        "{missing:#?}"
    );
}

#[test]
fn import_usage_errors() {
    let dir = Dir::new("import_usage_errors");
    dir.run(&["import", "istio"]).assert(2);
    dir.run(&["import", "istio", "--label", "app=x", "p.yaml"])
        .assert(2);
    dir.run(&[
        "import",
        "istio",
        "--namespace",
        "a",
        "--label",
        "app",
        "p.yaml",
    ])
    .assert(2);
    dir.run(&["import", "istio", "-", "-"]).assert(2);
    dir.run(&["import", "nope", "p.yaml"]).assert(2);
    let help = dir.run(&["import", "istio", "--help"]);
    help.assert(0);
    assert!(help.stdout.contains("--trust-domain <TD>"), "{help:#?}");
}
