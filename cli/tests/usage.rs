//! The command line as a whole (`docs/language.md`, *The command line's JSON*): help,
//! version, usage errors (exit status 2), unreadable files.

mod common;

use std::process::{Command, Stdio};

use common::Dir;

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

#[test]
fn each_command_has_its_own_help() {
    let dir = Dir::new("each_command_has_its_own_help");
    for command in ["check", "eval", "test", "explain", "lint"] {
        for flag in ["--help", "-h"] {
            let out = dir.run(&[command, flag]);
            out.assert(0);
            let usage = format!("Usage: portcullis {command} ");
            assert!(out.stdout.starts_with(&usage), "{out:#?}");
            assert!(out.stdout.contains("Exit status: 0 "), "{out:#?}");
            assert!(out.stdout.contains("a usage error"), "{out:#?}");
        }
        // `help COMMAND` is `COMMAND --help`.
        let out = dir.run(&["help", command]);
        out.assert(0);
        assert_eq!(out.stdout, dir.run(&[command, "--help"]).stdout);
    }
    // The commands that read requests document every normalization flag, its values
    // and the attack it trades off.
    for command in ["eval", "test", "explain"] {
        let out = dir.run(&[command, "--help"]);
        for needle in [
            "--escaped-slashes <MODE>",
            "--backslash <MODE>",
            "--semicolon <MODE>",
            "--no-merge-slashes",
            "--strict-escapes",
            "--underscores-in-headers",
            "- decode:",
            "- strip:",
            "[default: reject]",
            "/public%2F..%2Fadmin",
            "/public/..;/admin",
            "//admin",
            "x_env",
        ] {
            assert!(out.stdout.contains(needle), "{needle} missing: {out:#?}");
        }
        let out = dir.run(&[command, "-h"]);
        let values = "[possible values: reject, decode, keep]";
        assert!(out.stdout.contains(values), "{out:#?}");
    }
    let out = dir.run(&["check", "--help"]);
    assert!(!out.stdout.contains("<MODE>"), "{out:#?}");
}

#[test]
fn misspellings_get_a_suggestion_and_exit_2() {
    let dir = Dir::new("misspellings_get_a_suggestion");
    dir.write("p.pcl", "default deny\n");
    for (args, message) in [
        (
            &["evl", "-p", "p.pcl"][..],
            "unknown command `evl`; did you mean `eval`?",
        ),
        (
            &["chek", "p.pcl"],
            "unknown command `chek`; did you mean `check`?",
        ),
        (
            &["eval", "-p", "p.pcl", "--no-merge-slash"],
            "unknown option `--no-merge-slash`; did you mean `--no-merge-slashes`?",
        ),
        (
            &["test", "--semicolons", "strip", "p.pcl"],
            "unknown option `--semicolons`; did you mean `--semicolon`?",
        ),
        (
            &["eval", "-p", "p.pcl", "--semicolon", "strp"],
            "`--semicolon <MODE>` must be one of reject, keep, strip, not `strp`; did you mean `strip`?",
        ),
    ] {
        let out = dir.run_with_stdin(args, Some(b""));
        out.assert_usage_error();
        let first = out.stderr.lines().next().unwrap();
        assert_eq!(first, format!("portcullis: {message}"), "{args:?}");
    }
}

#[test]
fn stdin_is_read_once() {
    let dir = Dir::new("stdin_is_read_once");
    dir.write("p.pcl", "default deny\n");
    dir.write("r.jsonl", "{\"method\":\"GET\",\"path\":\"/\"}\n");
    for args in [
        &["check", "-", "-"][..],
        &["test", "-", "p.pcl", "-"],
        &["eval", "-p", "-", "-p", "-", "r.jsonl"],
        // The policy and the requests cannot both come from stdin: a clear error,
        // not a wait for input that cannot be split.
        &["eval", "-p", "-"],
        &["eval", "-p", "-", "-"],
        &["eval", "-p", "p.pcl", "--policy=-", "--", "-"],
    ] {
        let out = dir.run_with_stdin(args, Some(b"default deny\n"));
        out.assert_usage_error();
        assert!(out.stderr.contains("stdin"), "{out:#?}");
    }
}
