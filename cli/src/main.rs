//! `portcullis`: check, test and evaluate Portcullis policies from the command line.
//!
//! The commands, exit statuses and JSON formats are described in `docs/language.md`
//! (*The command line's JSON*) and by `portcullis COMMAND --help`; scripts rely on
//! them. Exit status 2 is also used for usage errors.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod decision_json;
mod policy_files;
mod request_json;

use std::io::{self, Write};
use std::process::ExitCode;

use args::Parsed;

fn main() -> ExitCode {
    let status = match args::parse(std::env::args_os()) {
        Parsed::Run(command) => command.run(),
        Parsed::Print(text) => {
            print_stdout(&text);
            0
        }
        Parsed::Usage(text) => {
            let _ = io::stderr().lock().write_all(text.as_bytes());
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
