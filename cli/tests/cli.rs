//! End-to-end tests of the `portcullis` binary against `spec/CLI.md`: every command,
//! every exit status, the JSON formats and the diagnostics format.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MESH: &str = include_str!("../../examples/mesh.pcl");
const REQUESTS: &str = include_str!("../../examples/requests.jsonl");

/// A fresh directory per test; commands run inside it so file names stay short.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("cli-tests")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, name: &str, text: impl AsRef<[u8]>) -> &Dir {
        std::fs::write(self.0.join(name), text).unwrap();
        self
    }

    fn run(&self, args: &[&str]) -> Out {
        self.run_with_stdin(args, None)
    }

    fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Out {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(args)
            .current_dir(&self.0)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            let input = input.to_vec();
            // Write from another thread so a full stdout pipe cannot deadlock us.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let output = child.wait_with_output().unwrap();
        Out {
            status: output.status.code().expect("exited with a status"),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }
}

#[derive(Debug)]
struct Out {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    #[track_caller]
    fn assert(&self, status: i32) -> &Out {
        assert_eq!(self.status, status, "{self:#?}");
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        self
    }

    #[track_caller]
    fn assert_usage_error(&self) {
        self.assert(2);
        assert!(self.stdout.is_empty(), "{self:#?}");
        assert!(self.stderr.starts_with("portcullis: "), "{self:#?}");
        assert!(self.stderr.contains("Usage:"), "{self:#?}");
    }
}

/// The 1-based number of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// Checks one diagnostic block: `file:line:col: error: ...`, ` |`, `N | source`,
/// ` | ` then spaces and carets under column `col`.
#[track_caller]
fn assert_diagnostic(stderr: &str, file: &str, line: usize, column: usize, source: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    let head = format!("{file}:{line}:{column}: error: ");
    let at = lines
        .iter()
        .position(|l| l.starts_with(&head))
        .unwrap_or_else(|| panic!("no diagnostic starting {head:?} in:\n{stderr}"));
    assert!(lines[at].len() > head.len(), "empty message: {stderr}");
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    assert_eq!(lines[at + 1], format!("{gutter} |"), "{stderr}");
    assert_eq!(lines[at + 2], format!("{number} | {source}"), "{stderr}");
    let caret = lines[at + 3];
    let prefix = format!("{gutter} | {}", " ".repeat(column - 1));
    assert!(
        caret.starts_with(&prefix),
        "caret not under column {column}:\n{stderr}"
    );
    let marks = &caret[prefix.len()..];
    assert!(
        !marks.is_empty() && marks.chars().all(|c| c == '^'),
        "{stderr}"
    );
}

/// Checks that `line` is a decision object in the contract's shape, whatever the
/// decision: `decision`, `reason`, `rule`, `audit`, then `error` exactly when the
/// reason is `invalid_request`, in this order, and nothing else.
#[track_caller]
fn assert_decision_shape(line: &str) {
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    let object = value.as_object().unwrap();
    let decision = object["decision"].as_str().unwrap();
    assert!(decision == "allow" || decision == "deny", "{line}");
    let reason = object["reason"].as_str().unwrap();
    assert!(
        ["rule", "default", "invalid_request"].contains(&reason),
        "{line}"
    );
    assert_eq!(object["rule"].is_string(), reason == "rule", "{line}");
    assert!(
        object["rule"].is_string() || object["rule"].is_null(),
        "{line}"
    );
    assert!(
        object["audit"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a.is_string()),
        "{line}"
    );
    let keys: &[&str] = if reason == "invalid_request" {
        assert!(!object["error"].as_str().unwrap().is_empty(), "{line}");
        &["decision", "reason", "rule", "audit", "error"]
    } else {
        &["decision", "reason", "rule", "audit"]
    };
    assert_eq!(object.len(), keys.len(), "{line}");
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| line.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(line.starts_with("{\"decision\":"), "{line}");
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "key order: {line}"
    );
}

// ---------------------------------------------------------------------------
// Usage, help, version

#[test]
fn help_and_version() {
    let dir = Dir::new("help_and_version");
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["eval", "--help"],
        &["test", "-h"],
        &["check", "--help"],
    ] {
        let out = dir.run(args);
        out.assert(0);
        assert!(out.stdout.starts_with("Usage:"), "{out:#?}");
        for word in [
            "check",
            "eval",
            "test",
            "--escaped-slashes",
            "--no-merge-slashes",
        ] {
            assert!(out.stdout.contains(word), "{word} missing from help");
        }
        assert!(out.stderr.is_empty());
    }
    for args in [&["--version"][..], &["-V"]] {
        let out = dir.run(args);
        out.assert(0);
        assert_eq!(
            out.stdout,
            format!("portcullis {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = Dir::new("usage_errors_exit_2");
    dir.write("p.pcl", "default deny\n");
    for args in [
        &[][..],
        &["frobnicate"],
        &["--frobnicate"],
        &["check"],
        &["check", "--semicolon", "keep", "p.pcl"],
        &["check", "--bogus", "p.pcl"],
        &["eval"],
        &["eval", "requests.jsonl"],
        &["eval", "-p"],
        &["eval", "--policy"],
        &["eval", "-p", "p.pcl", "a.jsonl", "b.jsonl"],
        &["eval", "-p", "p.pcl", "--bogus"],
        &["eval", "-p", "p.pcl", "--escaped-slashes"],
        &["eval", "-p", "p.pcl", "--escaped-slashes", "strip"],
        &["eval", "-p", "p.pcl", "--escaped-slashes=slash"],
        &["eval", "-p", "p.pcl", "--backslash", "keep"],
        &["eval", "-p", "p.pcl", "--semicolon=decode"],
        &["eval", "-p", "p.pcl", "--semicolon", "Keep"],
        &["eval", "-p", "p.pcl", "--no-merge-slashes=true"],
        &["eval", "-p", "p.pcl", "--underscores-in-headers=yes"],
        &["eval", "-p", "p.pcl", "--strict-escapes=true"],
        &[
            "eval",
            "-p",
            "p.pcl",
            "--semicolon=keep",
            "--semicolon",
            "strip",
        ],
        &[
            "eval",
            "-p",
            "p.pcl",
            "--no-merge-slashes",
            "--no-merge-slashes",
        ],
        &["test"],
        &["test", "--semicolon", "maybe", "p.pcl"],
        &["test", "-p", "p.pcl"],
    ] {
        let out = dir.run_with_stdin(args, Some(b"{\"method\":\"GET\",\"path\":\"/\"}\n"));
        out.assert_usage_error();
    }
}

#[test]
fn unreadable_files() {
    let dir = Dir::new("unreadable_files");
    dir.write("p.pcl", "default deny\n");
    for args in [
        &["check", "missing.pcl"][..],
        &["check", "p.pcl", "missing.pcl"],
        &["test", "missing.pcl"],
        &["eval", "-p", "missing.pcl", "-"],
    ] {
        let out = dir.run_with_stdin(args, Some(b""));
        out.assert(1);
        assert!(out.stderr.contains("missing.pcl"), "{out:#?}");
        assert!(out.stdout.is_empty(), "{out:#?}");
    }
    let out = dir.run(&["eval", "-p", "p.pcl", "missing.jsonl"]);
    out.assert(2);
    assert!(out.stderr.contains("missing.jsonl"), "{out:#?}");
    assert!(out.stdout.is_empty());
    // A policy file that is not UTF-8 is an error, not a panic.
    dir.write("latin1.pcl", b"# caf\xe9\ndefault deny\n");
    let out = dir.run(&["check", "latin1.pcl"]);
    out.assert(1);
    assert!(out.stderr.contains("latin1.pcl"), "{out:#?}");
}

// ---------------------------------------------------------------------------
// check

#[test]
fn check_valid_policy() {
    let dir = Dir::new("check_valid_policy");
    dir.write("p.pcl", "default deny\n");
    let out = dir.run(&["check", "p.pcl"]);
    out.assert(0);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn check_ignores_a_byte_order_mark() {
    let dir = Dir::new("check_ignores_a_byte_order_mark");
    dir.write("p.pcl", "\u{feff}default deny\n");
    dir.run(&["check", "p.pcl"]).assert(0);
    // Columns count from after the mark, as an editor shows the line.
    dir.write("q.pcl", "\u{feff}allow \"r\" { port 70000 }\n");
    let out = dir.run(&["check", "q.pcl"]);
    out.assert(1);
    assert!(out.stderr.starts_with("q.pcl:1:18: error:"), "{out:#?}");
}

#[test]
fn check_the_mesh_example() {
    let dir = Dir::new("check_the_mesh_example");
    dir.write("mesh.pcl", MESH);
    let out = dir.run(&["check", "mesh.pcl"]);
    out.assert(0);
    assert!(out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn check_reports_every_error_with_location_and_caret() {
    let dir = Dir::new("check_reports_every_error");
    let text = "default deny\nallow \"r\" { port 70000 }\ndefault allow\n";
    dir.write("bad.pcl", text);
    let out = dir.run(&["check", "bad.pcl"]);
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert_diagnostic(&out.stderr, "bad.pcl", 2, 18, "allow \"r\" { port 70000 }");
    assert_diagnostic(&out.stderr, "bad.pcl", 3, 1, "default allow");
    // One `file:line:col: error:` line per error, in source order.
    let heads: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains(": error: "))
        .collect();
    assert_eq!(heads.len(), 2, "{}", out.stderr);
    assert!(heads[0].starts_with("bad.pcl:2:18: error: "));
    assert!(heads[1].starts_with("bad.pcl:3:1: error: "));
}

#[test]
fn check_undefined_name_is_reported_where_used() {
    let dir = Dir::new("check_undefined_name");
    let text = "let frontends = [\"spiffe://p/ns/web/sa/*\"]\n\nallow \"r\" {\n  identity in frontend\n}\n";
    dir.write("payments.pcl", text);
    let out = dir.run(&["check", "payments.pcl"]);
    out.assert(1);
    assert_diagnostic(&out.stderr, "payments.pcl", 4, 15, "  identity in frontend");
    assert!(out.stderr.contains("`frontend`"), "{}", out.stderr);
    let caret = out.stderr.lines().nth(3).unwrap();
    assert_eq!(caret, format!("  | {}^^^^^^^^", " ".repeat(14)));
}

#[test]
fn check_compiles_several_files_as_one_policy() {
    let dir = Dir::new("check_several_files");
    dir.write(
        "base.pcl",
        "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]\n",
    );
    dir.write("rules.pcl", "allow \"ops\" { identity in ops }\n");
    dir.write("dup.pcl", "\nallow \"ops\" { method GET }\n");
    dir.write("second_default.pcl", "default allow\n");
    dir.run(&["check", "base.pcl", "rules.pcl"]).assert(0);
    // Alone, `rules.pcl` uses an undefined name.
    let out = dir.run(&["check", "rules.pcl"]);
    out.assert(1);
    assert_diagnostic(
        &out.stderr,
        "rules.pcl",
        1,
        27,
        "allow \"ops\" { identity in ops }",
    );
    // A duplicate across files is reported at its second occurrence; errors in file
    // order.
    let out = dir.run(&[
        "check",
        "base.pcl",
        "rules.pcl",
        "dup.pcl",
        "second_default.pcl",
    ]);
    out.assert(1);
    assert_diagnostic(&out.stderr, "dup.pcl", 2, 7, "allow \"ops\" { method GET }");
    assert_diagnostic(&out.stderr, "second_default.pcl", 1, 1, "default allow");
    let dup = out.stderr.find("dup.pcl:2:7:").unwrap();
    let second = out.stderr.find("second_default.pcl:1:1:").unwrap();
    assert!(dup < second, "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// eval: input handling (works with any policy that compiles)

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
        r#"{"method":"GET","path":"/","attrs":{"t":["a"]}}"#,
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
    assert!(
        lines[1].contains("line 2") && lines[1].contains("missing field `method`"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("line 3") && lines[2].contains("missing field `path`"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains("line 5") && lines[3].contains("unknown field `colour`"),
        "{}",
        lines[3]
    );
    assert!(
        lines[6].contains("line 8") && lines[6].contains("source"),
        "{}",
        lines[6]
    );
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

#[test]
fn help_survives_a_closed_stdout() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("--help")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

// ---------------------------------------------------------------------------
// eval: decisions (need the whole library)

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
    // The example of CLI.md, on one line.
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
fn eval_repeated_attribute_is_an_invalid_request() {
    let dir = Dir::new("eval_repeated_attribute");
    dir.write("p.pcl", "default allow\n");
    let input = r#"{"method":"GET","path":"/","attrs":{"tenant":"acme","tenant":"globex"}}"#;
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl"], Some(input.as_bytes()));
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"duplicate or too many attributes"}"#
        ]
    );
}

#[test]
fn eval_several_policy_files_are_one_policy() {
    let dir = Dir::new("eval_several_files");
    dir.write(
        "base.pcl",
        "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]\n",
    );
    dir.write("rules.pcl", "allow \"ops\" { identity in ops }\n");
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

// ---------------------------------------------------------------------------
// test

#[test]
fn test_without_tests_passes() {
    let dir = Dir::new("test_without_tests");
    dir.write("p.pcl", "default deny\n");
    let out = dir.run(&["test", "p.pcl"]);
    out.assert(0);
    assert_eq!(out.stdout, "0 passed, 0 failed\n");
}

#[test]
fn test_the_mesh_example() {
    let dir = Dir::new("test_the_mesh_example");
    dir.write("mesh.pcl", MESH);
    let out = dir.run(&["test", "mesh.pcl"]);
    out.assert(0);
    assert_eq!(out.stdout, "35 passed, 0 failed\n");
    // Merging slashes or not changes none of its expectations.
    let out = dir.run(&["test", "--no-merge-slashes", "mesh.pcl"]);
    out.assert(0);
    assert_eq!(out.stdout, "35 passed, 0 failed\n");
}

#[test]
fn test_options_change_the_outcome() {
    let dir = Dir::new("test_options");
    dir.write("mesh.pcl", MESH);
    let block = "test `deny rules and malformed requests`";
    for (flags, needle) in [
        (&["--semicolon", "keep"][..], r#""/static/a;b.css""#),
        (&["--semicolon=strip"], r#""/static/a;b.css""#),
        (&["--backslash", "slash"], r#""/static\\site.css""#),
        (
            &["--escaped-slashes=keep"],
            r#""/api/v1/orders/..%2fadmin""#,
        ),
    ] {
        let mut args = vec!["test"];
        args.extend_from_slice(flags);
        args.push("mesh.pcl");
        let out = dir.run(&args);
        out.assert(1);
        let line = line_of(MESH, needle);
        let lines = out.lines();
        assert_eq!(lines.len(), 2, "{flags:?}: {out:#?}");
        assert!(
            lines[0].starts_with(&format!(
                "mesh.pcl:{line}:3: {block}: expected deny, got allow"
            )),
            "{flags:?}: {}",
            lines[0]
        );
        assert_eq!(lines[1], "34 passed, 1 failed");
    }
}

#[test]
fn test_failures_are_listed_then_the_summary() {
    let dir = Dir::new("test_failures");
    dir.write("rules.pcl", "allow \"probes\" { path \"/healthz\" }\n");
    dir.write(
        "t.pcl",
        "test \"t\" {\n  allow GET \"/\"\n  allow GET \"/healthz\" by \"probes\"\n  deny GET \"/healthz\"\n}\n",
    );
    let out = dir.run(&["test", "rules.pcl", "t.pcl"]);
    out.assert(1);
    let lines = out.lines();
    assert_eq!(lines.len(), 3, "{out:#?}");
    assert_eq!(
        lines[0],
        "t.pcl:2:3: test `t`: expected allow, got deny (default)"
    );
    assert!(
        lines[1].starts_with("t.pcl:4:3: test `t`: expected deny, got allow"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "1 passed, 2 failed");
}

#[test]
fn test_compile_error_exits_1() {
    let dir = Dir::new("test_compile_error");
    dir.write(
        "bad.pcl",
        "default allow\ndefault deny\ntest \"t\" { deny GET \"/\" }\n",
    );
    let out = dir.run(&["test", "bad.pcl"]);
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert_diagnostic(&out.stderr, "bad.pcl", 2, 1, "default deny");
}
