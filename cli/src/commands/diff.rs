//! `portcullis diff --old FILE... --new FILE... [--by-rule] [--limit N]`: the
//! requests two policies decide differently, one JSON line per region of difference.

use std::collections::BTreeMap;
use std::io::{self, Write};

use portcullis::{OwnedRequest, Policy};
use portcullis_analysis::{DiffOptions, diff};
use serde::Serialize;

use super::{error, is_broken_pipe};
use crate::args::Normalization;
use crate::decision_json::DecisionJson;
use crate::policy_files::{load_policy, stdin_at_most_once};

const AFTER_HELP: &str = "\
Compares the two policies over every request, not a sample, and prints one line
per region of requests that they decide differently:
  {\"request\":{\"method\":\"DELETE\",\"path\":\"/api/v1/orders/x\",...},
   \"old\":{\"decision\":\"allow\",\"reason\":\"rule\",\"rule\":\"writes\",\"audit\":[]},
   \"new\":{\"decision\":\"deny\",\"reason\":\"default\",\"rule\":null,\"audit\":[]}}
Each request is a valid request as `portcullis eval` reads it, and `eval` gives
exactly `old` and `new` for it (with the same normalization options). Every
region where the effects differ gets an example; with --by-rule, so does every
region where the deciding rule or reason differs. A regular expression (`~`) can
hide a difference: when one might and no example was found, a note says so on
stderr.

Exit status: 0 the policies decide every request alike (proved); 1 differences
were printed, or a regular expression left the question open (see the note);
2 a policy does not compile, cannot be read or is too complex to compare
exactly, or a usage error.";

/// `diff --old FILE... --new FILE...`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The old policy's files (they form one policy; `-` is stdin, `*.json` the JSON
    /// form)
    #[arg(long = "old", value_name = "FILE", required = true, num_args = 1..)]
    pub old: Vec<String>,

    /// The new policy's files
    #[arg(long = "new", value_name = "FILE", required = true, num_args = 1..)]
    pub new: Vec<String>,

    /// Also report requests decided with the same effect by another rule or reason
    #[arg(long)]
    pub by_rule: bool,

    /// Print at most this many differences
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,

    /// How requests are read.
    #[command(flatten)]
    pub normalization: Normalization,
}

/// Usage errors the parser cannot see: stdin read twice.
pub fn check_usage(args: &Args) -> Result<(), String> {
    stdin_at_most_once(args.old.iter().chain(&args.new))
}

/// One output line.
#[derive(Serialize)]
struct DiffLine<'a> {
    request: RequestJson<'a>,
    old: DecisionJson<'a>,
    new: DecisionJson<'a>,
}

/// A request as `eval` reads it.
#[derive(Serialize)]
struct RequestJson<'a> {
    method: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<&'a str, OneOrMany>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attrs: BTreeMap<&'a str, OneOrMany>,
}

/// One value, or several.
#[derive(Serialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn push(entry: &mut Option<OneOrMany>, value: String) {
        *entry = Some(match entry.take() {
            None => OneOrMany::One(value),
            Some(OneOrMany::One(first)) => OneOrMany::Many(vec![first, value]),
            Some(OneOrMany::Many(mut all)) => {
                all.push(value);
                OneOrMany::Many(all)
            }
        });
    }
}

fn flatten(m: BTreeMap<&str, Option<OneOrMany>>) -> BTreeMap<&str, OneOrMany> {
    m.into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
}

fn request_json(request: &OwnedRequest) -> RequestJson<'_> {
    let mut headers: BTreeMap<&str, Option<OneOrMany>> = BTreeMap::new();
    for (name, value) in request.headers() {
        let text = String::from_utf8_lossy(value).into_owned();
        OneOrMany::push(headers.entry(name).or_default(), text);
    }
    let mut attrs: BTreeMap<&str, Option<OneOrMany>> = BTreeMap::new();
    for (key, value) in request.attrs() {
        OneOrMany::push(attrs.entry(key).or_default(), value.to_string());
    }
    RequestJson {
        method: request.method(),
        path: request.path(),
        identity: request.identity_value(),
        host: request.host_value(),
        port: request.port_value(),
        source: request.source_value().map(|s| s.to_string()),
        headers: flatten(headers),
        attrs: flatten(attrs),
    }
}

/// Runs `diff`.
pub fn run(args: &Args) -> u8 {
    let options = args.normalization.options();
    let Some(old) = load_policy(&args.old) else {
        return 2;
    };
    let Some(new) = load_policy(&args.new) else {
        return 2;
    };
    let old: Policy = old.policy.with_options(options);
    let new: Policy = new.policy.with_options(options);
    let mut diff_options = DiffOptions::default();
    diff_options.by_rule = args.by_rule;
    diff_options.limit = args.limit;
    let report = match diff(&old, &new, &diff_options) {
        Ok(report) => report,
        Err(e) => {
            error(format!("cannot compare the policies: {e}"));
            return 2;
        }
    };
    let mut out = io::stdout().lock();
    for difference in &report.differences {
        let request = difference.request.as_request();
        let line = DiffLine {
            request: request_json(&difference.request),
            old: DecisionJson::new(&old.evaluate(&request)),
            new: DecisionJson::new(&new.evaluate(&request)),
        };
        let written = serde_json::to_string(&line)
            .map_err(io::Error::other)
            .and_then(|json| writeln!(out, "{json}"));
        if let Err(e) = written {
            if is_broken_pipe(&e) {
                return 1;
            }
            error(format!("cannot write the output: {e}"));
            return 2;
        }
    }
    let _ = out.flush();
    if report.truncated {
        error(format!(
            "note: stopped after {} differences (`--limit`); there may be more",
            args.limit
        ));
    }
    if report.undecided {
        error(
            "note: a regular expression (`~`) may hide a difference for which no example \
             was found: the policies are not proved equivalent",
        );
    }
    u8::from(!report.equivalent())
}
