//! `portcullis schema [--crd]`: the JSON Schema of the policy's JSON form, or the
//! `PortcullisPolicy` CRD generated from it, on stdout. Always 0.

use std::io::{self, Write};

use super::{error, is_broken_pipe};

const AFTER_HELP: &str = "\
Prints the JSON Schema (draft 2020-12) of a policy in its JSON form: what a
`*.json` policy file, and the `spec` of a `PortcullisPolicy` resource, hold. Editors
and CI can check policy files with it; `portcullis check` still checks what a schema
cannot (names, addresses, patterns, regular expressions, tests).

With --crd, prints the `PortcullisPolicy` CustomResourceDefinition (YAML), whose
`spec` schema is this schema in the structural form Kubernetes requires; it is the
file deploy/kubernetes/portcullispolicy.yaml.

Exit status: 0.";

/// `schema [--crd]`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Print the `PortcullisPolicy` Kubernetes CRD (YAML) instead of the JSON Schema
    #[arg(long)]
    pub crd: bool,
}

/// Runs `schema`.
pub fn run(args: &Args) -> u8 {
    let text = if args.crd {
        portcullis_schema::crd_yaml()
    } else {
        let schema = portcullis_schema::json_schema();
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    };
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if !is_broken_pipe(&e) {
            error(format_args!("cannot write the schema: {e}"));
        }
    }
    0
}
