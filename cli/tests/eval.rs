//! `portcullis eval` as documented (`docs/language.md`, *The command line's JSON*):
//! exit statuses, the request and decision JSON, input handling and the normalization
//! flags.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Dir, MESH, REQUESTS, assert_decision_shape, assert_diagnostic};

// ---------------------------------------------------------------------------
// Input handling (works with any policy that compiles)

const GET_ROOT: &str = r#"{"method":"GET","path":"/"}"#;
const DEFAULT_DENY: &str = r#"{"decision":"deny","reason":"default","rule":null,"audit":[]}"#;

#[test]
fn eval_all_valid_exits_0() {
    let dir = Dir::new("eval_all_valid");
    dir.write("p.pcl", "default deny\n");
    dir.write("r.jsonl", format!("{GET_ROOT}\n{GET_ROOT}"));
    let out = dir.run(&["eval", "-p", "p.pcl", "r.jsonl"]);
    out.assert(0);
    assert_eq!(out.lines(), [DEFAULT_DENY, DEFAULT_DENY]);
    assert!(out.stderr.is_empty());
}

#[test]
fn eval_reads_stdin_when_absent_or_dash() {
    let dir = Dir::new("eval_stdin");
    dir.write("p.pcl", "default deny\n");
    let input = format!("{GET_ROOT}\n{GET_ROOT}\n");
    for args in [
        &["eval", "-p", "p.pcl"][..],
        &["eval", "-p", "p.pcl", "-"],
        &["eval", "--policy=p.pcl", "--", "-"],
    ] {
        let out = dir.run_with_stdin(args, Some(input.as_bytes()));
        out.assert(0);
        assert_eq!(out.lines().len(), 2, "{args:?}");
        out.lines().iter().for_each(|l| assert_decision_shape(l));
    }
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl"], Some(b""));
    out.assert(0);
    assert!(out.stdout.is_empty());
}

#[test]
fn eval_invalid_lines_exit_2_and_the_rest_is_evaluated() {
    let dir = Dir::new("eval_invalid_lines");
    dir.write("p.pcl", "default deny\n");
    let input = [
        GET_ROOT,
        r#"{"path":"/"}"#,
        r#"{"method":"GET"}"#,
        "",
        r#"{"method":"GET","path":"/","colour":"blue"}"#,
        r#"{"method":"GET","path":"/","port":"80"}"#,
        r#"{"method":"GET","path":"/","port":65536}"#,
        r#"{"method":"GET","path":"/","source":"10.0.0.300"}"#,
        r#"{"method":"GET","path":"/","source":"10.0.0.0/8"}"#,
        r#"{"method":"GET","path":"/","headers":{"x":1}}"#,
        r#"{"method":"GET","path":"/","headers":["x"]}"#,
        r#"{"method":"GET","path":"/","attrs":{"t":[1]}}"#,
        r#"{"method":"GET","path":"/","identity":null}"#,
        r#"["GET","/"]"#,
        "not json",
        r#"{"method":"GET","path":"/"}{}"#,
        "   ",
        r#"{"method":"GET","path":"/","port":8443,"source":"::1","host":"h","identity":"i","headers":{},"attrs":{}}"#,
    ]
    .join("\n");
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl"], Some(input.as_bytes()));
    out.assert(2);
    let lines = out.lines();
    assert_eq!(lines.len(), 16, "one output per non-blank line: {lines:#?}");
    assert_decision_shape(lines[0]);
    assert_decision_shape(lines[15]);
    for line in &lines[1..15] {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let object = value.as_object().unwrap();
        assert_eq!(object.len(), 1, "only `error`: {line}");
        let error = object["error"].as_str().unwrap();
        assert!(!error.is_empty());
        assert!(!object.contains_key("decision"), "{line}");
    }
    // Messages say which line (blank lines count) and what is wrong.
    for (output, input, what) in [
        (1, "line 2", "missing field `method`"),
        (2, "line 3", "missing field `path`"),
        (3, "line 5", "unknown field `colour`"),
        (6, "line 8", "source"),
    ] {
        let line = lines[output];
        assert!(line.contains(input) && line.contains(what), "{line}");
    }
}

#[test]
fn eval_line_that_is_not_utf8_is_invalid_input() {
    let dir = Dir::new("eval_not_utf8");
    dir.write("p.pcl", "default deny\n");
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"method\":\"GET\",\"path\":\"/\xff\"}\n");
    input.extend_from_slice(GET_ROOT.as_bytes());
    input.extend_from_slice(b"\r\n");
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl"], Some(&input));
    out.assert(2);
    let lines = out.lines();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with(r#"{"error":"line 1"#), "{}", lines[0]);
    assert_decision_shape(lines[1]);
}

#[test]
fn eval_survives_a_closed_stdout() {
    let dir = Dir::new("eval_broken_pipe");
    dir.write("p.pcl", "default deny\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["eval", "-p", "p.pcl"])
        .current_dir(&dir.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    let line = format!("{GET_ROOT}\n");
    for _ in 0..20_000 {
        if stdin.write_all(line.as_bytes()).is_err() {
            break;
        }
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}

// ---------------------------------------------------------------------------
// Decisions (need the whole library)

#[test]
fn eval_policy_that_does_not_compile_exits_1() {
    let dir = Dir::new("eval_compile_error");
    dir.write("bad.pcl", "allow \"r\" { port 70000 }\n");
    let out = dir.run_with_stdin(&["eval", "-p", "bad.pcl"], Some(GET_ROOT.as_bytes()));
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert_diagnostic(&out.stderr, "bad.pcl", 1, 18, "allow \"r\" { port 70000 }");
}

#[test]
fn eval_decision_shapes() {
    let dir = Dir::new("eval_decision_shapes");
    dir.write(
        "p.pcl",
        "allow \"read\" { method GET }\ndeny \"no admin\" { path \"/admin/**\" }\naudit \"seen\" { header \"x-debug\" present }\naudit \"all\" {}\n",
    );
    let input = [
        r#"{"method":"GET","path":"/orders","headers":{"X-Debug":""}}"#,
        r#"{"method":"GET","path":"/admin/x"}"#,
        r#"{"method":"POST","path":"/orders"}"#,
        r#"{"method":"GET","path":"/a%2fb","headers":{"x-debug":"1"}}"#,
        r#"{"method":"get","path":"/orders"}"#,
    ]
    .join("\n");
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl"], Some(input.as_bytes()));
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"allow","reason":"rule","rule":"read","audit":["seen","all"]}"#,
            r#"{"decision":"deny","reason":"rule","rule":"no admin","audit":["all"]}"#,
            r#"{"decision":"deny","reason":"default","rule":null,"audit":["all"]}"#,
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"encoded slash in path"}"#,
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"invalid method"}"#,
        ]
    );
}

#[test]
fn eval_request_fields_reach_the_policy() {
    let dir = Dir::new("eval_request_fields");
    dir.write(
        "p.pcl",
        r#"default deny
allow "all fields" {
  method GET
  path "/api/v1/orders/{id}"
  identity "spiffe://prod.example.com/ns/web/sa/*"
  host "payments.prod.svc"
  port 8443
  source 10.0.0.0/8
  header "x-env" == "prod"
  header "x-forwarded-for" == "10.0.0.2"
  attr "tenant" == "acme"
}
"#,
    );
    // The request example of docs/language.md (without its `id`), on one line.
    let full = r#"{"method": "GET", "path": "/api/v1/orders/42?verbose=1", "identity": "spiffe://prod.example.com/ns/web/sa/frontend", "host": "payments.prod.svc:8443", "port": 8443, "source": "10.1.2.3", "headers": {"x-env": "prod", "x-forwarded-for": ["10.0.0.1", "10.0.0.2"]}, "attrs": {"tenant": "acme"}}"#;
    let allowed = r#"{"decision":"allow","reason":"rule","rule":"all fields","audit":[]}"#;
    let mut lines = vec![full.to_string()];
    // Take away (or change) one field at a time: default deny.
    for (from, to) in [
        (
            r#""identity": "spiffe://prod.example.com/ns/web/sa/frontend", "#,
            "",
        ),
        (r#""host": "payments.prod.svc:8443", "#, ""),
        (r#""port": 8443, "#, r#""port": 8080, "#),
        (r#""source": "10.1.2.3", "#, r#""source": "192.0.2.1", "#),
        (r#""x-env": "prod", "#, r#""x-env": [], "#),
        (r#"["10.0.0.1", "10.0.0.2"]"#, r#""10.0.0.1""#),
        (
            r#""attrs": {"tenant": "acme"}"#,
            r#""attrs": {"tenant": "Acme"}"#,
        ),
    ] {
        assert!(full.contains(from));
        lines.push(full.replacen(from, to, 1));
    }
    // Header names that differ only in case are one header.
    lines.push(full.replacen(
        r#""x-forwarded-for": ["10.0.0.1", "10.0.0.2"]"#,
        r#""X-Forwarded-For": "10.0.0.1", "x-forwarded-for": ["10.0.0.2"]"#,
        1,
    ));
    // IPv4-mapped IPv6 sources are their IPv4 address.
    lines.push(full.replacen(r#""10.1.2.3""#, r#""::ffff:10.1.2.3""#, 1));
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl"], Some(lines.join("\n").as_bytes()));
    out.assert(0);
    let mut expected = vec![allowed];
    expected.extend([DEFAULT_DENY; 7]);
    expected.extend([allowed, allowed]);
    assert_eq!(out.lines(), expected);
}

#[test]
fn eval_attributes_have_several_values() {
    let dir = Dir::new("eval_attribute_values");
    dir.write(
        "p.pcl",
        "default deny\nallow \"eng\" { attr \"groups\" == \"eng\" }\n",
    );
    let input = [
        r#"{"method":"GET","path":"/","attrs":{"groups":["ops","eng"]}}"#,
        r#"{"method":"GET","path":"/","attrs":{"groups":["ops"]}}"#,
        r#"{"method":"GET","path":"/","attrs":{"groups":[]}}"#,
        r#"{"method":"GET","path":"/","attrs":{"groups":"eng"}}"#,
    ]
    .join("\n");
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl"], Some(input.as_bytes()));
    out.assert(0);
    let allowed = r#"{"decision":"allow","reason":"rule","rule":"eng","audit":[]}"#;
    let denied = r#"{"decision":"deny","reason":"default","rule":null,"audit":[]}"#;
    assert_eq!(out.lines(), [allowed, denied, denied, allowed]);
}

/// JSON parsers disagree on a repeated key: a repeated attribute is refused as input
/// instead of being read one way.
#[test]
fn eval_repeated_attribute_key_is_invalid_input() {
    let dir = Dir::new("eval_repeated_attribute");
    dir.write("p.pcl", "default allow\n");
    let input = r#"{"method":"GET","path":"/","attrs":{"tenant":"acme","tenant":"globex"}}"#;
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl"], Some(input.as_bytes()));
    out.assert(2);
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "{out:#?}");
    assert!(
        lines[0].starts_with(r#"{"error":"line 1, column "#),
        "{out:#?}"
    );
    assert!(
        lines[0].contains("attribute `tenant` is given twice: give its values as one array"),
        "{out:#?}"
    );
    assert!(!lines[0].contains("decision"), "{out:#?}");
}

#[test]
fn eval_several_policy_files_are_one_policy() {
    let dir = Dir::new("eval_several_files");
    dir.write_base_and_rules();
    dir.write("deny.pcl", "deny \"no delete\" { method DELETE }\n");
    dir.write(
        "r.jsonl",
        r#"{"method":"GET","path":"/","identity":"spiffe://p/ns/ops/sa/a"}
{"method":"DELETE","path":"/","identity":"spiffe://p/ns/ops/sa/a"}
{"method":"GET","path":"/","identity":"spiffe://p/ns/web/sa/a"}
"#,
    );
    let out = dir.run(&[
        "eval",
        "-p",
        "base.pcl",
        "--policy",
        "rules.pcl",
        "-p=deny.pcl",
        "r.jsonl",
    ]);
    // `-p=FILE` is not a form we accept: only `--policy=FILE`.
    out.assert_usage_error();
    let out = dir.run(&[
        "eval",
        "-p",
        "base.pcl",
        "--policy",
        "rules.pcl",
        "--policy=deny.pcl",
        "r.jsonl",
    ]);
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"allow","reason":"rule","rule":"ops","audit":[]}"#,
            r#"{"decision":"deny","reason":"rule","rule":"no delete","audit":[]}"#,
            DEFAULT_DENY,
        ]
    );
    // Diagnostics name the files as given on the command line.
    let out = dir.run(&["eval", "-p", "rules.pcl", "-p", "base.pcl", "r.jsonl"]);
    out.assert(0);
    let out = dir.run(&["eval", "-p", "rules.pcl", "r.jsonl"]);
    out.assert(1);
    assert_diagnostic(
        &out.stderr,
        "rules.pcl",
        1,
        27,
        "allow \"ops\" { identity in ops }",
    );
}

#[test]
fn eval_normalization_flags() {
    let dir = Dir::new("eval_normalization_flags");
    dir.write("p.pcl", "allow \"ab\" { path \"/a/b\" }\n");
    let request = |path: &str| {
        format!(
            r#"{{"method":"GET","path":{}}}"#,
            serde_json::to_string(path).unwrap()
        )
    };
    let allow = r#"{"decision":"allow","reason":"rule","rule":"ab","audit":[]}"#;
    let invalid = |error: &str| {
        format!(
            r#"{{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"{error}"}}"#
        )
    };
    let eval = |flags: &[&str], path: &str| -> String {
        let mut args = vec!["eval", "-p", "p.pcl"];
        args.extend_from_slice(flags);
        let out = dir.run_with_stdin(&args, Some(request(path).as_bytes()));
        out.assert(0);
        assert_eq!(out.lines().len(), 1, "{out:#?}");
        out.lines()[0].to_string()
    };
    // Encoded slashes.
    assert_eq!(eval(&[], "/a%2Fb"), invalid("encoded slash in path"));
    assert_eq!(
        eval(&["--escaped-slashes", "reject"], "/a%2fb"),
        invalid("encoded slash in path")
    );
    assert_eq!(eval(&["--escaped-slashes", "decode"], "/a%2Fb"), allow);
    assert_eq!(eval(&["--escaped-slashes=decode"], "/a%2fb"), allow);
    assert_eq!(eval(&["--escaped-slashes", "keep"], "/a%2Fb"), DEFAULT_DENY);
    // Backslashes.
    assert_eq!(eval(&[], "/a\\b"), invalid("backslash in path"));
    assert_eq!(eval(&["--backslash", "slash"], "/a\\b"), allow);
    assert_eq!(
        eval(&["--backslash=reject"], "/a\\b"),
        invalid("backslash in path")
    );
    // Semicolons.
    assert_eq!(eval(&[], "/a;x=1/b"), invalid("semicolon in path"));
    assert_eq!(eval(&["--semicolon", "strip"], "/a;x=1/b"), allow);
    assert_eq!(eval(&["--semicolon=keep"], "/a;x=1/b"), DEFAULT_DENY);
    assert_eq!(eval(&["--semicolon=keep"], "/a/b"), allow);
    // Merging slashes.
    assert_eq!(eval(&[], "//a///b"), allow);
    assert_eq!(eval(&["--no-merge-slashes"], "//a///b"), DEFAULT_DENY);
    // Strict escapes.
    assert_eq!(eval(&[], "/a%3Fb"), DEFAULT_DENY);
    assert_eq!(
        eval(&["--strict-escapes"], "/a%3Fb"),
        invalid("escape in path that a second decoding could change (strict escapes)")
    );
    // Header names with `_`.
    dir.write("h.pcl", "allow \"env\" { header \"x_env\" == \"prod\" }\n");
    let with_header = |flags: &[&str]| -> String {
        let mut args = vec!["eval", "-p", "h.pcl"];
        args.extend_from_slice(flags);
        let request = r#"{"method":"GET","path":"/","headers":{"x_env":"prod"}}"#;
        let out = dir.run_with_stdin(&args, Some(request.as_bytes()));
        out.assert(0);
        out.lines()[0].to_string()
    };
    assert_eq!(with_header(&[]), invalid("invalid header name"));
    assert_eq!(
        with_header(&["--underscores-in-headers"]),
        r#"{"decision":"allow","reason":"rule","rule":"env","audit":[]}"#
    );
    // Flags after the requests operand, and all together.
    assert_eq!(
        eval(
            &[
                "-",
                "--escaped-slashes",
                "decode",
                "--backslash",
                "slash",
                "--semicolon",
                "strip",
                "--no-merge-slashes"
            ],
            "/a;v=2%2Fb"
        ),
        allow
    );
}

#[test]
fn eval_the_mesh_example() {
    let dir = Dir::new("eval_the_mesh_example");
    dir.write("mesh.pcl", MESH)
        .write("requests.jsonl", REQUESTS);
    let out = dir.run(&["eval", "-p", "mesh.pcl", "requests.jsonl"]);
    out.assert(0);
    assert!(out.stderr.is_empty(), "{out:#?}");
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"allow","reason":"rule","rule":"frontends read orders","audit":[]}"#,
            r#"{"decision":"allow","reason":"rule","rule":"frontends read orders","audit":[]}"#,
            r#"{"decision":"allow","reason":"rule","rule":"checkout places orders","audit":[]}"#,
            r#"{"decision":"deny","reason":"rule","rule":"writes only from the cluster or the office","audit":[]}"#,
            r#"{"decision":"deny","reason":"rule","rule":"staging never reaches prod","audit":[]}"#,
            r#"{"decision":"deny","reason":"rule","rule":"internal endpoints are for the platform team","audit":[]}"#,
            r#"{"decision":"allow","reason":"rule","rule":"platform team from the office","audit":["debug header seen"]}"#,
            r#"{"decision":"allow","reason":"rule","rule":"admin console","audit":["admin area touched","curl in prod"]}"#,
            r#"{"decision":"allow","reason":"rule","rule":"probes","audit":["unauthenticated caller"]}"#,
            r#"{"decision":"deny","reason":"default","rule":null,"audit":[]}"#,
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"encoded slash in path"}"#,
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"invalid method"}"#,
            r#"{"decision":"allow","reason":"rule","rule":"billing manages invoices","audit":[]}"#,
            r#"{"decision":"allow","reason":"rule","rule":"reports for analytics","audit":[]}"#,
            r#"{"decision":"allow","reason":"rule","rule":"static assets","audit":["unauthenticated caller"]}"#,
        ]
    );
}

#[test]
fn eval_echoes_the_id_of_each_line() {
    let dir = Dir::new("eval_echoes_id");
    dir.write("p.pcl", "allow \"read\" { method GET }\n");
    let input = [
        r#"{"id": "a-1", "method": "GET", "path": "/"}"#,
        r#"{"method": "POST", "path": "/", "id": 42}"#,
        r#"{"id": {"trace": [1, "x"]}, "method": "GET", "path": "/a%2Fb"}"#,
        r#"{"id": null, "method": "GET", "path": "/"}"#,
        r#"{"id": 7, "path": "/"}"#,
        r#"{"id": "b", "method": "GET", "path": "/", "port": "80"}"#,
        r#"{"method": "GET", "path": "/"}"#,
        r#"{"id": 1, "id": 2, "method": "GET", "path": "/"}"#,
    ]
    .join("\n");
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl"], Some(input.as_bytes()));
    out.assert(2);
    let lines = out.lines();
    assert_eq!(
        lines[..4],
        [
            r#"{"decision":"allow","reason":"rule","rule":"read","audit":[],"id":"a-1"}"#,
            r#"{"decision":"deny","reason":"default","rule":null,"audit":[],"id":42}"#,
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"encoded slash in path","id":{"trace": [1, "x"]}}"#,
            r#"{"decision":"allow","reason":"rule","rule":"read","audit":[],"id":null}"#,
        ]
    );
    // Lines that are not valid requests echo their `id` too.
    assert_eq!(
        lines[4],
        r#"{"error":"line 5, column 22: missing field `method`","id":7}"#
    );
    let error: serde_json::Value = serde_json::from_str(lines[5]).unwrap();
    assert_eq!(error["id"], "b", "{}", lines[5]);
    assert!(error["error"].as_str().unwrap().starts_with("line 6"));
    // No `id`, no `id` in the output; an `id` given twice is invalid input, without
    // an `id` to echo.
    assert_eq!(
        lines[6],
        r#"{"decision":"allow","reason":"rule","rule":"read","audit":[]}"#
    );
    let error: serde_json::Value = serde_json::from_str(lines[7]).unwrap();
    assert_eq!(error.as_object().unwrap().len(), 1, "{}", lines[7]);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("duplicate field `id`")
    );
}

#[test]
fn eval_reads_the_policy_from_stdin() {
    let dir = Dir::new("eval_policy_stdin");
    dir.write("r.jsonl", format!("{GET_ROOT}\n"));
    dir.write("base.pcl", "default allow\n");
    let out = dir.run_with_stdin(&["eval", "-p", "-", "r.jsonl"], Some(b"default deny\n"));
    out.assert(0);
    assert_eq!(out.lines(), [DEFAULT_DENY]);
    let out = dir.run_with_stdin(
        &["eval", "-p", "base.pcl", "-p", "-", "r.jsonl"],
        Some(b"deny \"all\" {}\n"),
    );
    out.assert(0);
    assert_eq!(
        out.lines(),
        [r#"{"decision":"deny","reason":"rule","rule":"all","audit":[]}"#]
    );
    let out = dir.run_with_stdin(&["eval", "-p", "-", "r.jsonl"], Some(b"default dney\n"));
    out.assert(1);
    assert!(out.stderr.starts_with("<stdin>:1:9: error: "), "{out:#?}");
}

#[test]
fn eval_json_policy_decides_as_its_text() {
    let dir = Dir::new("eval_json_policy");
    let file = portcullis::syntax::parse(MESH).unwrap();
    dir.write("mesh.pcl", MESH)
        .write("mesh.json", serde_json::to_string_pretty(&file).unwrap())
        .write("requests.jsonl", REQUESTS);
    let text = dir.run(&["eval", "-p", "mesh.pcl", "requests.jsonl"]);
    text.assert(0);
    let json = dir.run(&["eval", "-p", "mesh.json", "requests.jsonl"]);
    json.assert(0);
    assert_eq!(json.stdout, text.stdout);
    dir.write("bad.json", r#"{"rules": [{"effect": "allow", "name": "r", "when": [{"subject": "port", "test": {"values": [70000]}}]}]}"#);
    let out = dir.run(&["eval", "-p", "bad.json", "requests.jsonl"]);
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert!(
        out.stderr.starts_with(
            "bad.json:/rules/0/when/0/test/values/0: error: port `70000` is above 65535\n"
        ),
        "{out:#?}"
    );
}
