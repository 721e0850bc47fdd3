//! `portcullis lint FILE...`: findings as `file:line:col: warning[CODE]: ...` with the
//! source line and a caret, on stderr. 0 nothing found; 1 findings or a compile error.

use std::io::{self, Write};

use crate::policy_files::load_policy;

const AFTER_HELP: &str = "\
Reports what compiles but is almost certainly a mistake, each as
  file:line:col: warning[CODE]: message
with the source line and a caret, on stderr. Each finding is exact, never a
guess; where a regular expression (`~`) makes a question undecidable, nothing is
reported. The codes reported:
  unused-let                   a `let` that nothing uses (at its name)
  unsatisfiable-rule           a rule that no valid request can match (at its
                               keyword)
  shadowed-rule                an `allow` or `deny` rule that never decides: every
                               request it matches is decided by the rules named
                               (at its keyword)
  redundant-value              a value that another value of the same condition
                               already covers (at the value)
  default-allow-without-deny   `default allow` in a policy with no `deny` rule (at
                               `default`): every request is allowed

Exit status: 0 nothing found; 1 findings, or the policy does not compile (its
errors are reported as `portcullis check` does), or a file cannot be read;
2 a usage error.";

/// `lint FILE...`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Policy files, linted as one policy (`-` is stdin, `*.json` the JSON form)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
}

/// Runs `lint`.
pub fn run(args: &Args) -> u8 {
    let Some(loaded) = load_policy(&args.files) else {
        return 1;
    };
    let sources: Vec<(&str, &str)> = loaded.sources().collect();
    let findings = match portcullis_analysis::lint(&sources) {
        Ok(findings) => findings,
        Err(e) => {
            // Compiled once already: not expected, but never silent.
            let mut err = io::stderr().lock();
            for d in e.diagnostics() {
                let _ = err.write_all(loaded.render(d).as_bytes());
            }
            return 1;
        }
    };
    let mut err = io::stderr().lock();
    for finding in &findings {
        let _ = err.write_all(loaded.render(finding).as_bytes());
    }
    if findings.is_empty() { 0 } else { 1 }
}
