//! `portcullis check FILE...`: 0 valid, 1 errors. Silent when the policy is valid.

use crate::policy_files::load_policy;

const AFTER_HELP: &str = "\
Exit status: 0 the policy is valid (nothing is printed); 1 it is not, or a file
cannot be read: each error is reported on stderr as `file:line:col: error: ...`
(`file.json:/json/pointer: error: ...` in a JSON file) with the source line and a
caret; 2 a usage error.

`check` reads no requests, so it takes no normalization options
(--escaped-slashes, --backslash, --semicolon, --no-merge-slashes, ...): give them
to `portcullis eval` and `portcullis test`.";

/// `check FILE...`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Policy files, compiled as one policy (`-` is stdin, `*.json` the JSON form)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
}

/// Runs `check`.
pub fn run(args: &Args) -> u8 {
    match load_policy(&args.files) {
        Some(_) => 0,
        None => 1,
    }
}
