//! The workload in Cedar: one `permit` or `forbid` per rule.
//!
//! Principals are `Service::"<spiffe id>"` entities whose parent is
//! `Namespace::"<ns>"`; an unauthenticated caller is `Anonymous::"anonymous"`, which is
//! in no namespace. The method is the action (`Action::"GET"`), the resource is one
//! `Mesh::"mesh"` entity, and path, host and source travel in the context. Path
//! templates become `like` patterns; since `*` in `like` also matches `/`, a `{id}`
//! segment adds `!(... like "<prefix>/*/*...")` so that it stays one segment, and a
//! trailing `{id}` excludes the empty segment (runs of `/` are merged by normalization,
//! so an empty segment can only be the last).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};

use crate::{Engine, PeerRequest};
use portcullis_support::workload::{
    Effect, PathTemplate, Principal, Segment, Workload, namespace_of,
};

pub struct Cedar {
    authorizer: Authorizer,
    policies: PolicySet,
    entities: Entities,
    requests: Vec<Request>,
}

impl Engine for Cedar {
    fn name(&self) -> &'static str {
        "cedar"
    }
    fn decide(&mut self, i: usize) -> bool {
        self.requests.get(i).is_some_and(|r| {
            self.authorizer
                .is_authorized(r, &self.policies, &self.entities)
                .decision()
                == Decision::Allow
        })
    }
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, String> {
    let kind = EntityTypeName::from_str(kind).map_err(|e| e.to_string())?;
    Ok(EntityUid::from_type_name_and_id(kind, EntityId::new(id)))
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The condition that `context.path` matches a template.
fn path_condition(t: &PathTemplate) -> Result<String, String> {
    let params = t
        .segments
        .iter()
        .filter(|s| matches!(s, Segment::Param(_)))
        .count();
    let rest = matches!(t.segments.last(), Some(Segment::Rest));
    let prefix = t.literal_prefix();
    if params == 0 && !rest {
        return Ok(format!("context.path == {}", quote(&t.text())));
    }
    if rest {
        if params > 0 || t.segments.iter().filter(|s| **s == Segment::Rest).count() > 1 {
            return Err(format!("cannot translate {}", t.text()));
        }
        return Ok(format!(
            "(context.path == {} || context.path like {})",
            quote(&prefix),
            quote(&format!("{prefix}/*"))
        ));
    }
    if params > 1 {
        return Err(format!("cannot translate {}", t.text()));
    }
    // One `{param}`: prefix / * / suffix literals.
    let mut after = String::new();
    let mut seen = false;
    for s in &t.segments {
        match s {
            Segment::Param(_) => seen = true,
            Segment::Literal(l) if seen => {
                after.push('/');
                after.push_str(l);
            }
            _ => {}
        }
    }
    let pattern = format!("{}/*{}", prefix, after);
    let two = format!("{}/*/*{}", prefix, after);
    let mut cond = format!(
        "(context.path like {} && !(context.path like {})",
        quote(&pattern),
        quote(&two)
    );
    if after.is_empty() {
        let _ = write!(cond, " && context.path != {}", quote(&format!("{prefix}/")));
    }
    cond.push(')');
    Ok(cond)
}

/// The policy text of the workload, and how many rules it holds.
pub fn policy_text(w: &Workload) -> Result<(String, usize), String> {
    let mut out = String::new();
    let mut n = 0;
    for rule in &w.rules {
        let head = match rule.effect {
            Effect::Allow => "permit",
            Effect::Deny => "forbid",
            Effect::Audit => continue,
        };
        if rule.header.is_some() || rule.attr.is_some() || rule.path_regex.is_some() {
            return Err(format!(
                "rule {:?} has a header, attr or regex test",
                rule.name
            ));
        }
        let principal = match &rule.principal {
            Principal::Exact(id) => format!("principal == Service::{}", quote(id)),
            Principal::Namespace(ns) => format!("principal in Namespace::{}", quote(ns)),
            Principal::Any | Principal::NotNamespace(_) => "principal".to_string(),
        };
        let action = if rule.methods.is_empty() {
            "action".to_string()
        } else {
            let list: Vec<String> = rule
                .methods
                .iter()
                .map(|m| format!("Action::{}", quote(m)))
                .collect();
            format!("action in [{}]", list.join(", "))
        };
        let mut when = Vec::new();
        if !rule.paths.is_empty() {
            let alts: Result<Vec<String>, String> = rule.paths.iter().map(path_condition).collect();
            when.push(format!("({})", alts?.join(" || ")));
        }
        if let Some(h) = &rule.host {
            when.push(format!(
                "(context has host && context.host == {})",
                quote(h)
            ));
        }
        if let Some(c) = rule.source {
            when.push(format!(
                "(context has source && context.source.isInRange(ip({})))",
                quote(&c.text())
            ));
        }
        let _ = write!(
            out,
            "@id({})\n{head} ({principal}, {action}, resource)",
            quote(&rule.name)
        );
        if !when.is_empty() {
            let _ = write!(out, "\nwhen {{ {} }}", when.join(" && "));
        }
        if let Principal::NotNamespace(ns) = &rule.principal {
            let _ = write!(out, "\nunless {{ principal in Namespace::{} }}", quote(ns));
        }
        out.push_str(";\n\n");
        n += 1;
    }
    Ok((out, n))
}

pub fn build(w: &Workload, requests: &[PeerRequest<'_>]) -> Result<(Cedar, usize), String> {
    let (text, n) = policy_text(w)?;
    let policies = PolicySet::from_str(&text).map_err(|e| format!("{e:?}"))?;
    let mut entities = Vec::new();
    let mut namespaces = HashSet::new();
    for id in w.identities() {
        let mut parents = HashSet::new();
        if let Some(ns) = namespace_of(&id) {
            parents.insert(uid("Namespace", ns)?);
            namespaces.insert(ns.to_string());
        }
        entities.push(Entity::new_no_attrs(uid("Service", &id)?, parents));
    }
    for ns in namespaces {
        entities.push(Entity::new_no_attrs(uid("Namespace", &ns)?, HashSet::new()));
    }
    let entities = Entities::from_entities(entities, None).map_err(|e| e.to_string())?;
    let resource = uid("Mesh", "mesh")?;
    let anonymous = uid("Anonymous", "anonymous")?;
    let mut built = Vec::new();
    for r in requests {
        let principal = match r.req.sent.identity_value() {
            Some(id) => uid("Service", id)?,
            None => anonymous.clone(),
        };
        let action = uid("Action", r.req.sent.method())?;
        let mut context: HashMap<String, RestrictedExpression> = HashMap::new();
        context.insert(
            "path".into(),
            RestrictedExpression::new_string(r.path.to_string()),
        );
        if let Some(h) = r.host {
            context.insert(
                "host".into(),
                RestrictedExpression::new_string(h.to_string()),
            );
        }
        if let Some(ip) = r.req.source_v4() {
            context.insert(
                "source".into(),
                RestrictedExpression::new_ip(ip.to_string()),
            );
        }
        let context = Context::from_pairs(context).map_err(|e| e.to_string())?;
        let request = Request::new(principal, action, resource.clone(), context, None)
            .map_err(|e| e.to_string())?;
        built.push(request);
    }
    Ok((
        Cedar {
            authorizer: Authorizer::new(),
            policies,
            entities,
            requests: built,
        },
        n,
    ))
}
