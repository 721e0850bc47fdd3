//! `portcullis`: check, test and evaluate Portcullis policies from the command line.
//!
//! The contract (commands, exit statuses, JSON formats) is `spec/CLI.md`. Exit status
//! 2 is also used for usage errors, which the contract leaves open.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod decision_json;
mod request_json;

use std::io::{self, Write};
use std::process::ExitCode;

use args::{Command, USAGE};

fn main() -> ExitCode {
    let status = match args::parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            print_stdout(USAGE);
            0
        }
        Ok(Command::Version) => {
            print_stdout(&format!("portcullis {}\n", env!("CARGO_PKG_VERSION")));
            0
        }
        Ok(Command::Check { files }) => commands::check::run(&files),
        Ok(Command::Eval {
            policies,
            requests,
            options,
        }) => commands::eval::run(&policies, requests.as_deref(), options),
        Ok(Command::Test { files, options }) => commands::test::run(&files, options),
        Err(e) => {
            let _ = write!(io::stderr().lock(), "portcullis: {e}\n\n{USAGE}");
            2
        }
    };
    ExitCode::from(status)
}

/// Prints without panicking when stdout is closed (`portcullis --help | head -1`).
fn print_stdout(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}
