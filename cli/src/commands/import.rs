//! `portcullis import istio [OPTIONS] FILE...`: Istio `AuthorizationPolicy` resources →
//! one Portcullis policy on stdout. 0 translated; 1 some resource cannot be translated
//! faithfully (nothing is printed on stdout).

use std::collections::BTreeMap;
use std::io::{self, Write};

use portcullis_istio::{
    DEFAULT_ROOT_NAMESPACE, DEFAULT_TRUST_DOMAIN, Input, Options, Workload, import,
};

use super::{error, is_broken_pipe};
use crate::policy_files::stdin_at_most_once;

const AFTER_HELP: &str = "\
Reads `AuthorizationPolicy` resources (security.istio.io/v1 or v1beta1; YAML with
several documents per file, a `kind: List` as `kubectl get -o yaml` prints it, or
JSON; `-` is stdin) and prints one Portcullis policy whose decisions are Istio's:
DENY rules become `deny` rules, ALLOW `allow`, AUDIT `audit`; the default is
`deny` when an ALLOW policy applies, else `allow`. Each rule is named
`<namespace>/<name>[<rule>]`, with `.from[i]` and `.to[j]` when one Istio rule
becomes several, under a comment that names its resource.

With --namespace (and --label), only the policies that apply to that workload are
taken: those of its namespace and of the root namespace whose `selector.matchLabels`
it has. Without --namespace every policy given is taken and selectors are ignored.

What cannot be translated with Istio's meaning is an error naming the file, the
resource and the field, and nothing is printed: CUSTOM, remoteIpBlocks, remote.ip,
destination.ip, connection.sni, experimental.*, targetRef(s), unknown fields and
keys, values Istio refuses. One difference is by design: Istio compares hosts with
the authority's port, Portcullis without it. docs/istio.md has the whole mapping.

Exit status: 0 translated (the policy on stdout, remarks on stderr); 1 some resource
cannot be translated, or a file cannot be read (nothing on stdout); 2 a usage error.";

/// `import ...`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to import.
    #[command(subcommand)]
    pub from: From,
}

/// The formats `import` reads.
#[derive(Debug, clap::Subcommand)]
pub enum From {
    /// Translate Istio AuthorizationPolicy resources into one Portcullis policy
    Istio(IstioArgs),
}

/// `import istio [OPTIONS] FILE...`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct IstioArgs {
    /// The mesh's trust domain, which `cluster.local/...` principals stand for
    #[arg(long, value_name = "TD", default_value = DEFAULT_TRUST_DOMAIN)]
    pub trust_domain: String,
    /// The workload's namespace: take only the policies that apply to it
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// A label of the workload, for `selector.matchLabels` (repeatable; needs --namespace)
    #[arg(long = "label", value_name = "K=V", value_parser = parse_label, requires = "namespace")]
    pub labels: Vec<(String, String)>,
    /// The mesh's root namespace, whose policies apply in every namespace
    #[arg(long, value_name = "NS", default_value = DEFAULT_ROOT_NAMESPACE)]
    pub root_namespace: String,
    /// Files of resources (`-` is stdin)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected `KEY=VALUE`, found `{text}`")),
    }
}

/// What the parser cannot see.
pub fn check_usage(args: &Args) -> Result<(), String> {
    let From::Istio(args) = &args.from;
    stdin_at_most_once(&args.files)?;
    let mut seen = BTreeMap::new();
    for (k, v) in &args.labels {
        if let Some(old) = seen.insert(k, v) {
            if old != v {
                return Err(format!("label `{k}` is given twice, as `{old}` and `{v}`"));
            }
        }
    }
    Ok(())
}

/// Runs `import`.
pub fn run(args: &Args) -> u8 {
    let From::Istio(args) = &args.from;
    let mut texts = Vec::new();
    for file in &args.files {
        let (name, read) = if file == "-" {
            ("<stdin>", io::read_to_string(io::stdin().lock()))
        } else {
            (file.as_str(), std::fs::read_to_string(file))
        };
        match read {
            Ok(text) => texts.push((name, text)),
            Err(e) => {
                error(format_args!("cannot read `{name}`: {e}"));
                return 1;
            }
        }
    }
    let inputs: Vec<Input<'_>> = texts
        .iter()
        .map(|(name, text)| Input { name, text })
        .collect();
    let options = Options {
        trust_domain: args.trust_domain.clone(),
        workload: args.namespace.as_ref().map(|ns| Workload {
            namespace: ns.clone(),
            labels: args.labels.iter().cloned().collect(),
        }),
        root_namespace: args.root_namespace.clone(),
    };
    match import(&inputs, &options) {
        Ok(imported) => {
            for note in imported.notes() {
                error(format_args!("note: {note}"));
            }
            let mut out = io::stdout().lock();
            match out
                .write_all(imported.text().as_bytes())
                .and_then(|()| out.flush())
            {
                Ok(()) => 0,
                Err(e) if is_broken_pipe(&e) => 0,
                Err(e) => {
                    error(format_args!("cannot write the policy: {e}"));
                    1
                }
            }
        }
        Err(errors) => {
            let mut err = io::stderr().lock();
            for e in &errors {
                let _ = writeln!(err, "{}: error: {}", e.location(), e.detail());
            }
            let _ = writeln!(
                err,
                "portcullis: nothing imported: {} error{}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            1
        }
    }
}
