//! `portcullis fmt` (CLI.md, *`fmt`*): files rewritten in place in the canonical
//! layout, `-` from stdin to stdout, `--check`, comments kept; 0 done, 1 with
//! `--check` some file would change, 2 a file does not parse.

mod common;

use common::{Dir, MESH, assert_diagnostic};

/// A policy written untidily, with a comment in each place one can stand.
const UNTIDY: &str = "# payments
default   deny # closed
let ops=[\"spiffe://p/ns/ops/sa/a\",\"spiffe://p/ns/ops/sa/b\",\"spiffe://p/ns/ops/sa/c\",\"spiffe://p/ns/ops/sa/d\"]
let office = [ # the office
  10.0.0.0/8 # main
  # more later
]
# reads
allow \"reads\" { method GET , HEAD # safe
  # only ops
  identity in ops
  # more later
}
test \"t\" { allow GET \"/\" identity \"spiffe://p/ns/ops/sa/a\" # by reads
  # more later
}
# the end";

/// [`UNTIDY`] in the canonical layout.
const TIDY: &str = "# payments
default deny # closed

let ops = [
  \"spiffe://p/ns/ops/sa/a\",
  \"spiffe://p/ns/ops/sa/b\",
  \"spiffe://p/ns/ops/sa/c\",
  \"spiffe://p/ns/ops/sa/d\",
]

let office = [
  # the office
  10.0.0.0/8, # main
  # more later
]

# reads
allow \"reads\" {
  method GET, HEAD # safe
  # only ops
  identity in ops
  # more later
}

test \"t\" {
  allow GET \"/\" identity \"spiffe://p/ns/ops/sa/a\" # by reads
  # more later
}

# the end
";

#[test]
fn fmt_rewrites_files_in_place_keeping_every_comment() {
    let dir = Dir::new("fmt_in_place");
    dir.write("a.pcl", UNTIDY).write("b.pcl", TIDY);
    let before = std::fs::metadata(dir.0.join("b.pcl"))
        .unwrap()
        .modified()
        .unwrap();
    let out = dir.run(&["fmt", "a.pcl", "b.pcl"]);
    out.assert(0);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");
    assert_eq!(dir.read("a.pcl"), TIDY);
    assert_eq!(dir.read("b.pcl"), TIDY);
    // A file already tidy is not written; no temporary file is left behind.
    let after = std::fs::metadata(dir.0.join("b.pcl"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
    let mut names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["a.pcl", "b.pcl"]);
    // Every comment of the source is in the result.
    for line in UNTIDY.lines() {
        if let Some((_, comment)) = line.split_once('#') {
            assert!(TIDY.contains(&format!("# {}", comment.trim())), "{comment}");
        }
    }
    // The result means the same: `check` and `test` still pass.
    dir.run(&["check", "a.pcl"]).assert(0);
    dir.run(&["fmt", "--check", "a.pcl"]).assert(0);
}

#[test]
fn fmt_keeps_the_decisions_of_the_example_policy() {
    let dir = Dir::new("fmt_mesh");
    dir.write("mesh.pcl", MESH)
        .write("requests.jsonl", common::REQUESTS);
    let before = dir.run(&["eval", "-p", "mesh.pcl", "requests.jsonl"]);
    before.assert(0);
    dir.run(&["fmt", "mesh.pcl"]).assert(0);
    let formatted = dir.read("mesh.pcl");
    assert_ne!(formatted, MESH, "the example groups its `let`s");
    assert_eq!(
        formatted.matches('#').count(),
        MESH.matches('#').count(),
        "{formatted}"
    );
    let after = dir.run(&["eval", "-p", "mesh.pcl", "requests.jsonl"]);
    after.assert(0);
    assert_eq!(before.stdout, after.stdout);
    dir.run(&["test", "mesh.pcl"]).assert(0);
    dir.run(&["fmt", "--check", "mesh.pcl"]).assert(0);
}

#[test]
fn fmt_of_stdin_writes_stdout() {
    let dir = Dir::new("fmt_stdin");
    let out = dir.run_with_stdin(&["fmt", "-"], Some(UNTIDY.as_bytes()));
    out.assert(0);
    assert_eq!(out.stdout, TIDY);
    // Already tidy: printed all the same.
    let out = dir.run_with_stdin(&["fmt", "-"], Some(TIDY.as_bytes()));
    out.assert(0);
    assert_eq!(out.stdout, TIDY);
    // A byte order mark is dropped.
    let out = dir.run_with_stdin(&["fmt", "-"], Some(format!("\u{feff}{TIDY}").as_bytes()));
    out.assert(0);
    assert_eq!(out.stdout, TIDY);
}

#[test]
fn fmt_check_names_the_files_that_would_change_and_writes_nothing() {
    let dir = Dir::new("fmt_check");
    dir.write("untidy.pcl", UNTIDY).write("tidy.pcl", TIDY);
    let out = dir.run(&["fmt", "--check", "tidy.pcl", "untidy.pcl"]);
    out.assert(1);
    assert_eq!(out.stdout, "untidy.pcl\n");
    assert_eq!(dir.read("untidy.pcl"), UNTIDY);
    dir.run(&["fmt", "--check", "tidy.pcl"]).assert(0);
    assert!(dir.run(&["fmt", "--check", "tidy.pcl"]).stdout.is_empty());
    let out = dir.run_with_stdin(&["fmt", "--check", "-"], Some(UNTIDY.as_bytes()));
    out.assert(1);
    assert_eq!(out.stdout, "<stdin>\n");
    let out = dir.run_with_stdin(&["fmt", "--check", "-"], Some(TIDY.as_bytes()));
    out.assert(0);
    assert!(out.stdout.is_empty());
}

#[test]
fn fmt_exits_2_when_a_file_does_not_parse_and_formats_the_others() {
    let dir = Dir::new("fmt_parse_error");
    let broken = "default deny\nallow \"r\" {\n  method\n}\n";
    dir.write("broken.pcl", broken).write("untidy.pcl", UNTIDY);
    let out = dir.run(&["fmt", "broken.pcl", "untidy.pcl"]);
    out.assert(2);
    assert_diagnostic(&out.stderr, "broken.pcl", 4, 1, "}");
    assert_eq!(dir.read("broken.pcl"), broken);
    assert_eq!(dir.read("untidy.pcl"), TIDY);
    // With --check too: 2 wins over 1.
    dir.write("untidy.pcl", UNTIDY);
    let out = dir.run(&["fmt", "--check", "untidy.pcl", "broken.pcl"]);
    out.assert(2);
    assert_eq!(out.stdout, "untidy.pcl\n");
    // From stdin, named `<stdin>`, nothing on stdout.
    let out = dir.run_with_stdin(&["fmt", "-"], Some(broken.as_bytes()));
    out.assert(2);
    assert!(out.stdout.is_empty());
    assert_diagnostic(&out.stderr, "<stdin>", 4, 1, "}");
    // A file that parses but does not compile is formatted all the same.
    dir.write("undefined.pcl", "allow \"r\" {identity in nobody}");
    dir.run(&["fmt", "undefined.pcl"]).assert(0);
    assert_eq!(
        dir.read("undefined.pcl"),
        "allow \"r\" {\n  identity in nobody\n}\n"
    );
}

#[test]
fn fmt_refuses_json_and_missing_files() {
    let dir = Dir::new("fmt_json");
    let json = r#"{"rules": [{"effect": "allow", "name": "r", "when": []}]}"#;
    dir.write("p.json", json);
    let out = dir.run(&["fmt", "p.json"]);
    out.assert(2);
    assert!(out.stderr.contains("`p.json`"), "{out:#?}");
    assert!(out.stderr.contains("JSON"), "{out:#?}");
    assert_eq!(dir.read("p.json"), json);
    let out = dir.run(&["fmt", "missing.pcl"]);
    out.assert(2);
    assert!(out.stderr.contains("cannot read `missing.pcl`"), "{out:#?}");
}

#[test]
fn fmt_usage_errors() {
    let dir = Dir::new("fmt_usage");
    dir.run(&["fmt"]).assert_usage_error();
    dir.run(&["fmt", "-", "-"]).assert(2);
    dir.run(&["fmt", "--bogus", "a.pcl"]).assert_usage_error();
}

#[cfg(unix)]
#[test]
fn fmt_keeps_permissions_and_symbolic_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new("fmt_links");
    dir.write("real.pcl", UNTIDY);
    let real = dir.0.join("real.pcl");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real.pcl", dir.0.join("link.pcl")).unwrap();
    dir.run(&["fmt", "link.pcl"]).assert(0);
    assert!(
        std::fs::symlink_metadata(dir.0.join("link.pcl"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(dir.read("real.pcl"), TIDY);
    let mode = std::fs::metadata(&real).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

/// The before/after example of `docs/tools.md` is what `fmt` does.
#[test]
fn the_example_in_the_docs_is_what_fmt_prints() {
    let doc = include_str!("../../docs/tools.md");
    let section = &doc[doc.find("## `fmt`").unwrap()..];
    let blocks: Vec<&str> = section.split("```\n").skip(1).step_by(2).collect();
    let before = blocks[0];
    let session = blocks[1];
    let after = &session[session.find("$ cat payments.pcl\n").unwrap() + 19..];
    let after = &after[..after.find("$ ").unwrap()];
    let dir = Dir::new("fmt_docs");
    dir.write("payments.pcl", before);
    let out = dir.run(&["fmt", "--check", "payments.pcl"]);
    out.assert(1);
    assert_eq!(out.stdout, "payments.pcl\n");
    dir.run(&["fmt", "payments.pcl"]).assert(0);
    assert_eq!(dir.read("payments.pcl"), after);
    dir.run(&["test", "payments.pcl"]).assert(0);
}
