//! The workload in casbin: a RESTful model with roles.
//!
//! Each rule becomes one `p` line per path pattern: `keyMatch2` paths (`{id}` becomes
//! `:id`; `/static/**` becomes the two lines `/static` and `/static/*`), a `regexMatch`
//! method alternation, an exact host or `*`, a CIDR for `ipMatch` or `*`, and `allow` or
//! `deny` (deny overrides). Namespace globs are roles: a `g` line puts every identity
//! of the workload in `ns:<namespace>`; an exact identity is matched by `g`'s equality.
//! `not identity <ns glob>` is the `nsub` column: `!g(r.sub, p.nsub)`.

use casbin::prelude::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};

use crate::{Engine, PeerRequest};
use portcullis_support::workload::{
    Effect, PathTemplate, Principal, Segment, Workload, namespace_of,
};

const MODEL: &str = r#"
[request_definition]
r = sub, obj, act, host, src

[policy_definition]
p = sub, nsub, obj, act, host, src, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = (p.sub == "*" || g(r.sub, p.sub)) && (p.nsub == "-" || !g(r.sub, p.nsub)) && keyMatch2(r.obj, p.obj) && regexMatch(r.act, p.act) && (p.host == "*" || r.host == p.host) && (p.src == "*" || (r.src != "" && ipMatch(r.src, p.src)))
"#;

pub struct Casbin {
    enforcer: Enforcer,
    requests: Vec<(String, String, String, String, String)>,
}

impl Engine for Casbin {
    fn name(&self) -> &'static str {
        "casbin"
    }
    fn decide(&mut self, i: usize) -> bool {
        self.requests
            .get(i)
            .is_some_and(|(sub, obj, act, host, src)| {
                self.enforcer
                    .enforce((
                        sub.as_str(),
                        obj.as_str(),
                        act.as_str(),
                        host.as_str(),
                        src.as_str(),
                    ))
                    .unwrap_or(false)
            })
    }
}

/// keyMatch2 patterns for a template.
fn key_patterns(t: &PathTemplate) -> Vec<String> {
    let mut out = String::new();
    for s in &t.segments {
        match s {
            Segment::Literal(l) => {
                out.push('/');
                out.push_str(l);
            }
            Segment::Param(name) => {
                out.push_str("/:");
                out.push_str(name);
            }
            Segment::Rest => return vec![out.clone(), format!("{out}/*")],
        }
    }
    vec![out]
}

/// The `p` lines of the workload.
pub fn policy_lines(w: &Workload) -> Result<Vec<Vec<String>>, String> {
    let mut lines = Vec::new();
    for rule in &w.rules {
        let eft = match rule.effect {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
            Effect::Audit => continue,
        };
        if rule.header.is_some() || rule.attr.is_some() || rule.path_regex.is_some() {
            return Err(format!(
                "rule {:?} has a header, attr or regex test",
                rule.name
            ));
        }
        let (sub, nsub) = match &rule.principal {
            Principal::Any => ("*".to_string(), "-".to_string()),
            Principal::Exact(id) => (id.clone(), "-".to_string()),
            Principal::Namespace(ns) => (format!("ns:{ns}"), "-".to_string()),
            Principal::NotNamespace(ns) => ("*".to_string(), format!("ns:{ns}")),
        };
        let act = if rule.methods.is_empty() {
            ".*".to_string()
        } else {
            format!("^({})$", rule.methods.join("|"))
        };
        let host = rule.host.clone().unwrap_or_else(|| "*".to_string());
        let src = rule.source.map_or_else(|| "*".to_string(), |c| c.text());
        let objs: Vec<String> = if rule.paths.is_empty() {
            vec!["/*".to_string()]
        } else {
            rule.paths.iter().flat_map(key_patterns).collect()
        };
        for obj in objs {
            lines.push(vec![
                sub.clone(),
                nsub.clone(),
                obj,
                act.clone(),
                host.clone(),
                src.clone(),
                eft.to_string(),
            ]);
        }
    }
    Ok(lines)
}

pub fn build(w: &Workload, requests: &[PeerRequest<'_>]) -> Result<(Casbin, usize), String> {
    let lines = policy_lines(w)?;
    let n = lines.len();
    let groups: Vec<Vec<String>> = w
        .identities()
        .into_iter()
        .filter_map(|id| namespace_of(&id).map(|ns| vec![id.clone(), format!("ns:{ns}")]))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let enforcer = runtime.block_on(async {
        let model = DefaultModel::from_str(MODEL).await?;
        let mut e = Enforcer::new(model, MemoryAdapter::default()).await?;
        e.add_policies(lines).await?;
        e.add_grouping_policies(groups).await?;
        Ok::<Enforcer, casbin::Error>(e)
    });
    let enforcer = enforcer.map_err(|e| e.to_string())?;
    let requests = requests
        .iter()
        .map(|r| {
            (
                r.req.sent.identity_value().unwrap_or_default().to_string(),
                r.path.to_string(),
                r.req.sent.method().to_string(),
                r.host.unwrap_or_default().to_string(),
                r.req
                    .source_v4()
                    .map(|ip| ip.to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    Ok((Casbin { enforcer, requests }, n))
}
