//! The commands: one file each, holding its arguments (`Args`) and its `run`, which
//! returns the exit status. [`Command`] lists them; adding a command is a file here,
//! a variant and a match arm.

pub mod check;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod import;
pub mod lint;
pub mod schema;
pub mod serve;
pub mod test;

use std::io::{self, Write};

use clap::Subcommand;

use crate::policy_files::stdin_at_most_once;

/// The commands. The doc comment of each variant is its one-line description in
/// `portcullis --help`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, check and compile policy files as one policy
    Check(check::Args),
    /// Evaluate JSON requests, one per line, and print one JSON decision per line
    Eval(eval::Args),
    /// Evaluate JSON requests and say, for every rule, whether it matched and which
    /// condition failed first
    Explain(explain::Args),
    /// Find the requests two policies decide differently, one example per region
    Diff(diff::Args),
    /// Rewrite policy files in the canonical layout, comments kept
    Fmt(fmt::Args),
    /// Report rules and values that cannot have the effect their author meant
    Lint(lint::Args),
    /// Run the policy's `test` blocks and print the failures and a summary
    Test(test::Args),
    /// Translate policies of another system (Istio) into one Portcullis policy
    Import(import::Args),
    /// Print the JSON Schema of the policy's JSON form (or, with --crd, the Kubernetes CRD)
    Schema(schema::Args),
    /// Answer Envoy, nginx, Traefik and Caddy: allow or deny each request they ask about
    Serve(serve::Args),
}

impl Command {
    /// What the parser cannot see: a usage error between arguments (a message).
    pub fn check_usage(&self) -> Result<(), String> {
        match self {
            Command::Check(args) => stdin_at_most_once(&args.files),
            Command::Eval(args) => eval::check_usage(args),
            Command::Explain(args) => explain::check_usage(args),
            Command::Diff(args) => diff::check_usage(args),
            Command::Fmt(args) => stdin_at_most_once(&args.files),
            Command::Lint(args) => stdin_at_most_once(&args.files),
            Command::Test(args) => stdin_at_most_once(&args.files),
            Command::Import(args) => import::check_usage(args),
            Command::Schema(_) => Ok(()),
            Command::Serve(args) => serve::check_usage(args),
        }
    }

    /// Runs the command; its exit status.
    pub fn run(self) -> u8 {
        match self {
            Command::Check(args) => check::run(&args),
            Command::Eval(args) => eval::run(&args),
            Command::Explain(args) => explain::run(&args),
            Command::Diff(args) => diff::run(&args),
            Command::Fmt(args) => fmt::run(&args),
            Command::Lint(args) => lint::run(&args),
            Command::Test(args) => test::run(&args),
            Command::Import(args) => import::run(&args),
            Command::Schema(args) => schema::run(&args),
            Command::Serve(args) => serve::run(&args),
        }
    }
}

/// Writes to stderr, ignoring failure: there is nowhere left to report it.
pub fn error(message: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "portcullis: {message}");
}

/// Whether an output error is the reader going away (`portcullis eval | head`).
pub fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}
