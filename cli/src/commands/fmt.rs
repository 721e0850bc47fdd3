//! `portcullis fmt [--check] FILE...`: rewrites policy files in the canonical layout
//! (`portcullis::syntax::format`). 0 done, or with `--check` nothing to change; 1
//! with `--check`, some file would change (its name is printed on stdout); 2 a file
//! cannot be read or written, does not parse, or is a JSON file.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::commands::{error, is_broken_pipe};
use crate::policy_files::STDIN;

const AFTER_HELP: &str = "\
Each file is rewritten in the canonical layout: one item after another in source
order, a blank line between items, two spaces of indentation, one condition per
line, bracketed lists that do not fit in 88 columns one value per line with a
trailing comma. Every comment is kept beside what it stands by. The result parses
to the same policy, and `fmt` of it changes nothing. Only the syntax is read: a
file that parses is formatted even if it does not compile.

A file is written only when it changes, through a temporary file in its directory
renamed over it (a symbolic link is followed and stays a link). `-` reads stdin and
writes the result to stdout. JSON policy files (`*.json`) are refused: `fmt` is
about the text form.

With --check nothing is written: the names of the files that would change are
printed on stdout, one per line (`<stdin>` for `-`).

Exit status: 0 done (with --check: nothing would change); 1 with --check, some
file would change; 2 a file cannot be read or written, does not parse (each error
is reported on stderr as `file:line:col: error: ...` with the source line and a
caret), or is a JSON file, or a usage error.";

/// `fmt [--check] FILE...`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Write nothing; print the names of the files that would change and exit 1 if any
    #[arg(long)]
    pub check: bool,
    /// Policy files to format, each on its own (`-` is stdin, written to stdout)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
}

/// How stdin is named in diagnostics and in `--check`'s list.
const STDIN_NAME: &str = "<stdin>";

/// What became of one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Already in the canonical layout (or `-` written to stdout).
    Unchanged,
    /// Rewritten, or with `--check`, would be.
    Changed,
    /// Could not be read, parsed or written (reported on stderr).
    Failed,
}

/// Runs `fmt`.
pub fn run(args: &Args) -> u8 {
    let mut worst = Outcome::Unchanged;
    for file in &args.files {
        worst = worst.max(one(file, args.check));
    }
    match worst {
        Outcome::Failed => 2,
        Outcome::Changed if args.check => 1,
        Outcome::Changed | Outcome::Unchanged => 0,
    }
}

/// Formats one file (or stdin) and writes, prints or reports the result.
fn one(file: &str, check: bool) -> Outcome {
    let name = if file == STDIN { STDIN_NAME } else { file };
    // The rule every command reads JSON policies by: the name ends in `.json`.
    if file.ends_with(".json") {
        error(format_args!(
            "`{name}` is a JSON policy: `fmt` formats only the text form of a policy"
        ));
        return Outcome::Failed;
    }
    let read = if file == STDIN {
        io::read_to_string(io::stdin().lock())
    } else {
        fs::read_to_string(file)
    };
    let original = match read {
        Ok(text) => text,
        Err(e) => {
            error(format_args!("cannot read `{name}`: {e}"));
            return Outcome::Failed;
        }
    };
    // A byte order mark is not part of the policy (as for every command); the
    // canonical layout has none.
    let text = original.strip_prefix('\u{feff}').unwrap_or(&original);
    let formatted = match portcullis::syntax::format_source(name, text) {
        Ok(formatted) => formatted,
        Err(e) => {
            let _ = io::stderr().lock().write_all(e.to_string().as_bytes());
            return Outcome::Failed;
        }
    };
    let changed = formatted != original;
    if check {
        if changed {
            print_line(name);
            return Outcome::Changed;
        }
        return Outcome::Unchanged;
    }
    if file == STDIN {
        let mut out = io::stdout().lock();
        return match out
            .write_all(formatted.as_bytes())
            .and_then(|()| out.flush())
        {
            Ok(()) => Outcome::Unchanged,
            Err(e) if is_broken_pipe(&e) => Outcome::Unchanged,
            Err(e) => {
                error(format_args!("cannot write to stdout: {e}"));
                Outcome::Failed
            }
        };
    }
    if !changed {
        return Outcome::Unchanged;
    }
    match replace(Path::new(file), &formatted) {
        Ok(()) => Outcome::Changed,
        Err(e) => {
            error(format_args!("cannot write `{name}`: {e}"));
            Outcome::Failed
        }
    }
}

/// Prints `line` on stdout, ignoring a reader that went away.
fn print_line(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Replaces the contents of the file at `path` with `text` atomically: written to a
/// new file in the same directory (with the old file's permissions), flushed to
/// disk, then renamed over it, so that a reader sees the old or the new text, never
/// a part. A symbolic link is followed: the file it points to is replaced.
fn replace(path: &Path, text: &str) -> io::Result<()> {
    let target = fs::canonicalize(path)?;
    let permissions = fs::metadata(&target)?.permissions();
    let (temp, mut file) = temp_beside(&target)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::set_permissions(&temp, permissions));
    drop(file);
    let renamed = written.and_then(|()| fs::rename(&temp, &target));
    if renamed.is_err() {
        let _ = fs::remove_file(&temp);
    }
    renamed
}

/// A new, empty file in the directory of `target`, named after it.
fn temp_beside(target: &Path) -> io::Result<(PathBuf, fs::File)> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let base = target.file_name().unwrap_or_default();
    let mut attempt = 0u32;
    loop {
        let mut name = OsString::from(".");
        name.push(base);
        name.push(format!(".fmt-{}-{attempt}.tmp", std::process::id()));
        let temp = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
