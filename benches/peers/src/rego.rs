//! The workload in Rego, evaluated by regorus.
//!
//! `deny` and `allow_hit` have one body per rule (bodies of one rule are ORed), and
//! `allow := allow_hit and not deny`. Path templates become anchored regexes (`{id}` is
//! `[^/]+`, `/static/**` is `/static(/.*)?`), namespace globs become
//! `^<trust>/ns/<ns>/sa/[^/]*$`, CIDRs use `net.cidr_contains`. An unauthenticated
//! request has identity `""`, which no identity test matches and every `not identity`
//! test accepts, as in Portcullis.

use std::fmt::Write as _;

use regorus::{Engine as Regorus, Value};

use crate::{Engine, PeerRequest};
use portcullis_support::workload::{
    Effect, PathTemplate, Principal, Segment, TRUST_DOMAIN, Workload,
};

pub struct Rego {
    engine: Regorus,
    inputs: Vec<Value>,
}

impl Engine for Rego {
    fn name(&self) -> &'static str {
        "regorus"
    }
    fn decide(&mut self, i: usize) -> bool {
        let Some(input) = self.inputs.get(i) else {
            return false;
        };
        self.engine.set_input(input.clone());
        matches!(
            self.engine.eval_rule("data.portcullis.allow".to_string()),
            Ok(Value::Bool(true))
        )
    }
}

fn escape_regex(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn path_regex(t: &PathTemplate) -> String {
    let mut out = String::new();
    for s in &t.segments {
        match s {
            Segment::Literal(l) => {
                out.push('/');
                out.push_str(&escape_regex(l));
            }
            Segment::Param(_) => out.push_str("/[^/]+"),
            Segment::Rest => out.push_str("(/.*)?"),
        }
    }
    out
}

fn namespace_regex(ns: &str) -> String {
    format!(
        "^{}/ns/{}/sa/[^/]*$",
        escape_regex(TRUST_DOMAIN),
        escape_regex(ns)
    )
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The module text and how many rules it holds.
pub fn policy_text(w: &Workload) -> Result<(String, usize), String> {
    let mut out = String::from(
        "package portcullis\n\nimport rego.v1\n\ndefault allow := false\n\nallow if {\n\tallow_hit\n\tnot deny\n}\n\n",
    );
    let mut n = 0;
    for rule in &w.rules {
        let head = match rule.effect {
            Effect::Allow => "allow_hit",
            Effect::Deny => "deny",
            Effect::Audit => continue,
        };
        if rule.header.is_some() || rule.attr.is_some() || rule.path_regex.is_some() {
            return Err(format!(
                "rule {:?} has a header, attr or regex test",
                rule.name
            ));
        }
        let _ = writeln!(out, "# {}\n{head} if {{", rule.name);
        match &rule.principal {
            Principal::Any => {}
            Principal::Exact(id) => {
                let _ = writeln!(out, "\tinput.identity == {}", quote(id));
            }
            Principal::Namespace(ns) => {
                let _ = writeln!(
                    out,
                    "\tregex.match(`{}`, input.identity)",
                    namespace_regex(ns)
                );
            }
            Principal::NotNamespace(ns) => {
                let _ = writeln!(
                    out,
                    "\tnot regex.match(`{}`, input.identity)",
                    namespace_regex(ns)
                );
            }
        }
        if !rule.methods.is_empty() {
            let list: Vec<String> = rule.methods.iter().map(|m| quote(m)).collect();
            let _ = writeln!(out, "\tinput.method in {{{}}}", list.join(", "));
        }
        if !rule.paths.is_empty() {
            let alts: Vec<String> = rule.paths.iter().map(path_regex).collect();
            let _ = writeln!(out, "\tregex.match(`^(?:{})$`, input.path)", alts.join("|"));
        }
        if let Some(h) = &rule.host {
            let _ = writeln!(out, "\tinput.host == {}", quote(h));
        }
        if let Some(c) = rule.source {
            let _ = writeln!(
                out,
                "\tnet.cidr_contains({}, input.source)",
                quote(&c.text())
            );
        }
        out.push_str("}\n\n");
        n += 1;
    }
    Ok((out, n))
}

pub fn build(w: &Workload, requests: &[PeerRequest<'_>]) -> Result<(Rego, usize), String> {
    let (text, n) = policy_text(w)?;
    let mut engine = Regorus::new();
    engine
        .add_policy("portcullis.rego".to_string(), text)
        .map_err(|e| e.to_string())?;
    let mut inputs = Vec::new();
    for r in requests {
        let mut input = serde_json::json!({
            "method": r.req.sent.method(),
            "path": r.path,
            "identity": r.req.sent.identity_value().unwrap_or_default().to_string(),
            "host": r.host.unwrap_or_default(),
        });
        if let (Some(ip), Some(obj)) = (r.req.source_v4(), input.as_object_mut()) {
            obj.insert("source".into(), serde_json::Value::String(ip.to_string()));
        }
        inputs.push(Value::from_json_str(&input.to_string()).map_err(|e| e.to_string())?);
    }
    Ok((Rego { engine, inputs }, n))
}
