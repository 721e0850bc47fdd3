//! What every CLI test needs: a scratch directory per test, running the binary in
//! it, and checks of the output formats (diagnostics, decision lines).
// Each test file uses some of these helpers, not all.
#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const MESH: &str = include_str!("../../../examples/mesh.pcl");
pub const REQUESTS: &str = include_str!("../../../examples/requests.jsonl");

/// A fresh directory per test; commands run inside it so file names stay short.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new(name: &str) -> Dir {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("cli-tests")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) -> &Dir {
        std::fs::write(self.0.join(name), text).unwrap();
        self
    }

    /// One policy in two files: `base.pcl` (`default deny` and `let ops`, the ops
    /// namespace) and `rules.pcl` (rule `ops`, which uses `ops`).
    pub fn write_base_and_rules(&self) -> &Dir {
        self.write(
            "base.pcl",
            "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]\n",
        )
        .write("rules.pcl", "allow \"ops\" { identity in ops }\n")
    }

    /// The text of the file `name` in the directory.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join(name)).unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Out {
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
pub struct Out {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    #[track_caller]
    pub fn assert(&self, status: i32) -> &Out {
        assert_eq!(self.status, status, "{self:#?}");
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        self
    }

    #[track_caller]
    pub fn assert_usage_error(&self) {
        self.assert(2);
        assert!(self.stdout.is_empty(), "{self:#?}");
        assert!(self.stderr.starts_with("portcullis: "), "{self:#?}");
        assert!(self.stderr.contains("Usage:"), "{self:#?}");
    }
}

/// The 1-based number of the first line of `text` containing `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// Checks one diagnostic block: `file:line:col: error: ...`, ` |`, `N | source`,
/// ` | ` then spaces and carets under column `col`.
#[track_caller]
pub fn assert_diagnostic(stderr: &str, file: &str, line: usize, column: usize, source: &str) {
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
pub fn assert_decision_shape(line: &str) {
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
