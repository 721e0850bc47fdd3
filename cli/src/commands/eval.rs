//! `portcullis eval -p FILE... [REQUESTS]`: one decision per request line.
//!
//! Exit status: 0 every line evaluated; 1 the policy (or the shadow policy) does not compile (nothing is
//! read); 2 some line was not a valid request object (its output is
//! `{"error": "line N: ..."}`, the other lines are still evaluated), or the requests
//! could not be read, or the output could not be written.
//!
//! Blank lines (only JSON whitespace) are skipped silently, without output; line
//! numbers in error messages count every physical line, blank ones included.
//!
//! With `--shadow FILE...` (a candidate policy), each decision line also carries the
//! candidate's decision for the same request as `shadow`; the enforced policy alone
//! gives the line's own fields.
//!
//! Output is buffered, and flushed whenever the input has nothing more buffered, so
//! an interactive or streaming caller gets each answer before the next read blocks.
//! If the reader of stdout goes away (broken pipe), evaluation stops quietly and the
//! status is that of the lines evaluated so far.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

use portcullis::Request;
use serde_json::value::RawValue;

use super::{error, is_broken_pipe};
use crate::args::Normalization;
use crate::decision_json::{DecisionJson, InputError, line_id};
use crate::policy_files::{STDIN, load_policy, stdin_at_most_once};
use crate::request_json::{is_json_whitespace, parse_line};

const AFTER_HELP: &str = "\
Each input line is one JSON request; `method` and `path` are required:
  {\"method\":\"GET\",\"path\":\"/api/v1/orders/42\",\"identity\":\"spiffe://...\",
   \"host\":\"orders.svc:8443\",\"port\":8443,\"source\":\"10.1.2.3\",
   \"headers\":{\"x-env\":\"prod\"},\"attrs\":{\"tenant\":\"acme\"}}
An `id` (any JSON value) is not part of the request: it is echoed as `id` in
that line's output. Blank lines are skipped. Each request line gives one decision
line, in order:
  {\"decision\":\"allow\",\"reason\":\"rule\",\"rule\":\"name\",\"audit\":[]}
(plus \"error\" when the reason is invalid_request); with --shadow, the line
also has \"shadow\": the candidate policy's decision object for the same
request (the enforced policy alone decides the other fields); a line that is not a valid
request gives {\"error\":\"...\"} and the other lines are still evaluated.

Exit status: 0 every line evaluated; 1 the policy (or the shadow policy) does not compile (reported as
`portcullis check` does) or cannot be read; 2 some line was not a valid request,
the requests cannot be read, or a usage error (`-p -` with the requests on stdin
too is one).

The normalization options are the same for `portcullis test`.";

/// `eval -p FILE... [REQUESTS]`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// A policy file (repeatable: the files form one policy; `-` is stdin, `*.json`
    /// the JSON form)
    #[arg(short = 'p', long = "policy", value_name = "FILE", required = true)]
    pub policies: Vec<String>,

    /// A file of a candidate policy evaluated beside the enforced one (repeatable:
    /// the files form one policy): its decision is added to each line as `shadow`
    #[arg(long = "shadow", value_name = "FILE")]
    pub shadow: Vec<String>,

    /// The requests, one JSON object per line; stdin when absent or `-`
    #[arg(value_name = "REQUESTS")]
    pub requests: Option<String>,

    /// How requests are read.
    #[command(flatten)]
    pub normalization: Normalization,
}

/// Usage errors the parser cannot see: stdin read twice.
pub fn check_usage(args: &Args) -> Result<(), String> {
    stdin_at_most_once(args.policies.iter().chain(&args.shadow))?;
    requests_not_stdin_too(&args.policies, "-p -", args.requests.as_deref())?;
    requests_not_stdin_too(&args.shadow, "--shadow -", args.requests.as_deref())
}

/// The requests and a policy file (given as `flag`) cannot both be stdin.
pub fn requests_not_stdin_too(
    policies: &[String],
    flag: &str,
    requests: Option<&str>,
) -> Result<(), String> {
    let requests_from_stdin = requests.is_none_or(|r| r == STDIN);
    if requests_from_stdin && policies.iter().any(|p| p == STDIN) {
        return Err(format!(
            "the policy (`{flag}`) and the requests cannot both be read from stdin: \
             give the requests as a file"
        ));
    }
    Ok(())
}

/// Runs `eval`.
pub fn run(args: &Args) -> u8 {
    let Some(loaded) = load_policy(&args.policies) else {
        return 1;
    };
    let options = args.normalization.options();
    let policy = loaded.policy.with_options(options);
    let shadow = if args.shadow.is_empty() {
        None
    } else {
        let Some(loaded) = load_policy(&args.shadow) else {
            return 1;
        };
        Some(loaded.policy.with_options(options))
    };
    let requests = args.requests.as_deref();
    for_each_line(requests, |out, request, id| {
        let decision = policy.evaluate(request);
        let mut json = DecisionJson::new(&decision).with_id(id);
        match &shadow {
            Some(shadow) => {
                let candidate = shadow.evaluate(request);
                json = json.with_shadow(DecisionJson::new(&candidate));
                serde_json::to_writer(out, &json)
            }
            None => serde_json::to_writer(out, &json),
        }
    })
}

/// Writes one JSON line for each request line of `requests` (stdin when `None` or
/// `-`) with `write` (given the request and the line's `id`), and `{"error": ...}`
/// for a line that is not a request; the exit status of `eval`.
pub fn for_each_line<F>(requests: Option<&str>, write: F) -> u8
where
    F: Fn(&mut dyn Write, &Request<'_>, Option<&RawValue>) -> serde_json::Result<()>,
{
    let input: Box<dyn Read> = match requests {
        None | Some(STDIN) => Box::new(io::stdin()),
        Some(path) => match File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                error(format_args!("cannot read `{path}`: {e}"));
                return 2;
            }
        },
    };
    let mut input = BufReader::new(input);
    let mut out = BufWriter::new(io::stdout().lock());
    let mut status = 0;
    match evaluate_lines(&write, &mut input, &mut out, &mut status) {
        Ok(()) => {}
        Err(Failure::Output(e)) if is_broken_pipe(&e) => return status,
        Err(Failure::Output(e)) => {
            error(format_args!("cannot write decisions: {e}"));
            return 2;
        }
        Err(Failure::Input(e)) => {
            // Flush what was decided before the read failed.
            let _ = out.flush();
            match requests {
                Some(path) if path != STDIN => error(format_args!("cannot read `{path}`: {e}")),
                _ => error(format_args!("cannot read requests: {e}")),
            }
            return 2;
        }
    }
    match out.flush() {
        Ok(()) => status,
        Err(e) if is_broken_pipe(&e) => status,
        Err(e) => {
            error(format_args!("cannot write decisions: {e}"));
            2
        }
    }
}

enum Failure {
    Input(io::Error),
    Output(io::Error),
}

fn evaluate_lines<R: Read, W: Write, F>(
    write: &F,
    input: &mut BufReader<R>,
    out: &mut W,
    status: &mut u8,
) -> Result<(), Failure>
where
    F: Fn(&mut dyn Write, &Request<'_>, Option<&RawValue>) -> serde_json::Result<()>,
{
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        if input.buffer().is_empty() {
            out.flush().map_err(Failure::Output)?;
        }
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(Failure::Input)? == 0 {
            return Ok(());
        }
        number += 1;
        if line.iter().all(|b| is_json_whitespace(*b)) {
            continue;
        }
        let written = match parse_line(&line) {
            Ok(parsed) => {
                let request = parsed.request();
                write(&mut *out, &request, parsed.id())
            }
            Err(e) => {
                *status = 2;
                let id = line_id(&line);
                let json = InputError::new(number, &e).with_id(id.as_deref());
                serde_json::to_writer(&mut *out, &json)
            }
        };
        written
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(Failure::Output)?;
    }
}
