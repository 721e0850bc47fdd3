//! `portcullis explain -p FILE... [REQUESTS]`: `eval`'s decision lines, each with
//! `rules`: for every rule in source order, whether it matched and, when not, the first
//! condition that did not (its text and `file:line:column`). Input handling and exit
//! statuses are `eval`'s.

use portcullis::syntax::RuleKind;
use serde::Serialize;

use super::eval::{for_each_line, requests_not_stdin_too};
use crate::args::Normalization;
use crate::decision_json::DecisionJson;
use crate::policy_files::{load_policy, stdin_at_most_once};

const AFTER_HELP: &str = "\
Reads requests as `portcullis eval` does and prints, for each, its decision line
with one more field, \"rules\": one entry per rule (allow, deny and audit) in
source order:
  {\"rule\":\"frontends read orders\",\"effect\":\"allow\",\"matched\":false,
   \"failed\":{\"condition\":\"method GET, HEAD\",\"at\":\"payments.pcl:12:3\"}}
`matched` is true when every condition matched (then `failed` is null), whether or
not the rule decided; otherwise `failed` is the first condition in source order
that did not match, with its source text (white space collapsed) and where it
starts (a condition of a `*.json` policy is named by its JSON pointer). An invalid
request matches no rule: its `rules` is empty.

Exit status: 0 every line explained; 1 the policy does not compile; 2 some line
was not a valid request, or a usage error (as for `portcullis eval`).";

/// `explain -p FILE... [REQUESTS]`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// A policy file (repeatable: the files form one policy; `-` is stdin, `*.json`
    /// the JSON form)
    #[arg(short = 'p', long = "policy", value_name = "FILE", required = true)]
    pub policies: Vec<String>,

    /// The requests, one JSON object per line; stdin when absent or `-`
    #[arg(value_name = "REQUESTS")]
    pub requests: Option<String>,

    /// How requests are read.
    #[command(flatten)]
    pub normalization: Normalization,
}

/// Usage errors the parser cannot see: stdin read twice.
pub fn check_usage(args: &Args) -> Result<(), String> {
    stdin_at_most_once(&args.policies)?;
    requests_not_stdin_too(&args.policies, "-p -", args.requests.as_deref())
}

/// One output line: the decision, `rules`, then the input's `id`.
#[derive(Serialize)]
struct ExplainJson<'a> {
    #[serde(flatten)]
    decision: DecisionJson<'a>,
    rules: Vec<RuleJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::value::RawValue>,
}

#[derive(Serialize)]
struct RuleJson<'a> {
    rule: &'a str,
    effect: RuleKind,
    matched: bool,
    failed: Option<FailedJson<'a>>,
}

#[derive(Serialize)]
struct FailedJson<'a> {
    condition: &'a str,
    at: String,
}

/// Runs `explain`.
pub fn run(args: &Args) -> u8 {
    let Some(loaded) = load_policy(&args.policies) else {
        return 1;
    };
    let policy = loaded
        .policy
        .clone()
        .with_options(args.normalization.options());
    for_each_line(args.requests.as_deref(), |out, request, id| {
        let explanation = policy.explain(request);
        let rules = explanation
            .rules()
            .iter()
            .map(|rule| RuleJson {
                rule: rule.name(),
                effect: rule.kind(),
                matched: rule.matched(),
                failed: rule.failed().map(|condition| FailedJson {
                    condition: condition.text(),
                    at: loaded.place(condition.file(), condition.span()),
                }),
            })
            .collect();
        let json = ExplainJson {
            decision: DecisionJson::new(explanation.decision()),
            rules,
            id,
        };
        serde_json::to_writer(out, &json)
    })
}
