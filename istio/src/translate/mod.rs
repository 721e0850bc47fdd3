//! Resources → one Portcullis policy: which resources apply, how actions combine, and
//! the text that is printed.

mod rule;
pub(crate) mod values;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use portcullis::syntax::{
    Comments, Condition, File, Rule as PolicyRule, RuleKind, StringLit, print,
};
use portcullis::{Policy, Span};

use crate::error::Error;
use crate::read::Located;
use crate::resource::{Action, AuthorizationPolicy};
use rule::Context;

/// The trust domain Istio installs with, and the one `cluster.local/…` principals
/// stand for.
pub const DEFAULT_TRUST_DOMAIN: &str = "cluster.local";

/// Istio's default root namespace: its policies apply to every namespace.
pub const DEFAULT_ROOT_NAMESPACE: &str = "istio-system";

/// The annotation that makes a policy a dry run (Istio evaluates it, never enforces).
pub const DRY_RUN_ANNOTATION: &str = "istio.io/dry-run";

/// How to import.
///
/// ```
/// let options = portcullis_istio::Options::default();
/// assert_eq!(options.trust_domain, "cluster.local");
/// assert_eq!(options.root_namespace, "istio-system");
/// assert!(options.workload.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The mesh's trust domain: `cluster.local/ns/…` principals stand for it, as Istio
    /// rewrites them (`pilot/pkg/security/trustdomain`).
    pub trust_domain: String,
    /// The workload the policy is for; `None` takes every resource and ignores
    /// selectors.
    pub workload: Option<Workload>,
    /// The root namespace, whose policies apply in every namespace.
    pub root_namespace: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            trust_domain: DEFAULT_TRUST_DOMAIN.to_string(),
            workload: None,
            root_namespace: DEFAULT_ROOT_NAMESPACE.to_string(),
        }
    }
}

/// A workload: its namespace and its labels. A policy applies to it when the policy
/// is in its namespace or the root namespace and its `selector.matchLabels` are among
/// the labels (istio/istio `pilot/pkg/model/authorization.go`
/// `ListAuthorizationPolicies`, `policyattachment.go` `isSelected`).
///
/// ```
/// let w = portcullis_istio::Workload::new("foo").label("app", "httpbin");
/// assert_eq!(w.labels.get("app").map(String::as_str), Some("httpbin"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workload {
    /// Its namespace.
    pub namespace: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
}

impl Workload {
    /// A workload in `namespace`, without labels.
    pub fn new(namespace: &str) -> Workload {
        Workload {
            namespace: namespace.to_string(),
            labels: BTreeMap::new(),
        }
    }

    /// With one more label.
    #[must_use]
    pub fn label(mut self, key: &str, value: &str) -> Workload {
        self.labels.insert(key.to_string(), value.to_string());
        self
    }
}

/// The result of an import: the policy's text and remarks for the person running it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    text: String,
    notes: Vec<String>,
    taken: Vec<String>,
}

impl Import {
    /// The Portcullis policy, as text: comments, `default`, then the rules, each
    /// under a comment that names the resource and rule it comes from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Remarks that are not errors (which resources were left out and why, paths
    /// that need non-default normalization), one line each, for stderr.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The resources translated, `namespace/name`, in order.
    pub fn resources(&self) -> &[String] {
        &self.taken
    }
}

/// One output rule, with where it came from.
struct Out {
    rule: PolicyRule,
    comment: String,
    origin: Origin,
}

/// Where an output rule or an error comes from.
#[derive(Clone)]
struct Origin {
    file: String,
    document: usize,
    resource: String,
    field: String,
}

impl Origin {
    fn error(&self, field: &str, message: impl Into<String>) -> Error {
        let mut e = Error::new(&self.file, message)
            .document(self.document)
            .resource(self.resource.clone());
        if !field.is_empty() {
            e = e.field(field);
        }
        e
    }
}

/// Translates resources already read into one policy; see [`crate::import`].
///
/// # Errors
///
/// Every resource or option that cannot be translated with Istio's meaning, each
/// naming the file, the resource and the field.
pub fn translate(resources: &[Located], options: &Options) -> Result<Import, Vec<Error>> {
    let mut errors = check_options(options);
    let mut notes = Vec::new();
    let mut taken: Vec<(&Located, String, String)> = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    let mut ignored_selectors = Vec::new();
    for located in resources {
        let policy = &located.policy;
        let file = located.file.as_str();
        let Some(name) = policy.metadata.name.as_deref().filter(|n| !n.is_empty()) else {
            errors.push(
                Error::new(file, "the resource has no `metadata.name`")
                    .document(located.document)
                    .field("metadata.name"),
            );
            continue;
        };
        // As `kubectl apply` does: a resource without a namespace goes to the one
        // given (here, the workload's), else to `default`.
        let namespace = match policy
            .metadata
            .namespace
            .as_deref()
            .filter(|n| !n.is_empty())
        {
            Some(namespace) => namespace,
            None => {
                let namespace = options
                    .workload
                    .as_ref()
                    .map_or("default", |w| w.namespace.as_str());
                notes.push(format!(
                    "{file}: {name} has no `metadata.namespace`: taken to be in `{namespace}`, as `kubectl apply` would"
                ));
                namespace
            }
        };
        let id = format!("{namespace}/{name}");
        let selector = policy
            .spec
            .selector
            .as_ref()
            .and_then(|s| s.match_labels.as_ref())
            .filter(|labels| !labels.is_empty());
        match &options.workload {
            None => {
                if selector.is_some() {
                    ignored_selectors.push(id.clone());
                }
            }
            Some(workload) => {
                let in_scope =
                    namespace == workload.namespace || namespace == options.root_namespace;
                let selected = selector.is_none_or(|labels| {
                    labels
                        .iter()
                        .all(|(k, v)| workload.labels.get(k).is_some_and(|w| w == v))
                });
                if !in_scope {
                    skipped.push(format!("{id} (namespace)"));
                    continue;
                }
                if !selected {
                    skipped.push(format!("{id} (selector)"));
                    continue;
                }
            }
        }
        if !seen.insert(id.clone()) {
            errors.push(
                Error::new(file, format!("a second resource named `{id}`"))
                    .document(located.document)
                    .resource(id.clone())
                    .field("metadata.name"),
            );
            continue;
        }
        taken.push((located, id, namespace.to_string()));
    }
    if options.workload.is_none() {
        let mut note = "no `--namespace`: every policy given is taken".to_string();
        if !ignored_selectors.is_empty() {
            let _ = write!(
                note,
                ", and the `selector`s of {} are ignored",
                ignored_selectors.join(", ")
            );
        }
        notes.push(note);
    } else if !skipped.is_empty() {
        notes.push(format!(
            "left out, as they do not apply to the workload: {}",
            skipped.join(", ")
        ));
    }

    let mut out: Vec<Out> = Vec::new();
    let mut allow_policies = Vec::new();
    let mut header = Vec::new();
    for (located, id, namespace) in &taken {
        let origin = Origin {
            file: located.file.clone(),
            document: located.document,
            resource: id.clone(),
            field: String::new(),
        };
        let before = errors.len();
        check_spec(&located.policy, &origin, &mut errors);
        if errors.len() > before {
            continue;
        }
        let policy = &located.policy;
        let action = policy.spec.action.unwrap_or(Action::Allow);
        match dry_run(policy) {
            DryRun::Yes => {
                header.push(format!(
                    "{id} ({}) is a dry run (`{DRY_RUN_ANNOTATION}`): Istio does not enforce it, and it is left out",
                    located.file
                ));
                notes.push(format!(
                    "{id}: a dry run (`{DRY_RUN_ANNOTATION}`), left out as Istio does not enforce it"
                ));
                continue;
            }
            DryRun::Invalid(value) => notes.push(format!(
                "{id}: `{DRY_RUN_ANNOTATION}: {value}` is not a boolean; Istio enforces the policy, and so does the import"
            )),
            DryRun::No => {}
        }
        if action == Action::Allow {
            allow_policies.push(id.clone());
        }
        let rules = policy.spec.rules.as_deref().unwrap_or_default();
        if rules.is_empty() {
            // Istio's builder: a policy without rules is one that never matches.
            let what = match action {
                Action::Allow => "an ALLOW policy without rules: it allows nothing",
                _ => "an AUDIT policy without rules: it audits nothing",
            };
            header.push(format!("{id} ({}) is {what}", located.file));
            continue;
        }
        let mut context = Context {
            namespace,
            trust_domain: &options.trust_domain,
            errors: Vec::new(),
            notes: Vec::new(),
        };
        let kind = match action {
            Action::Deny => RuleKind::Deny,
            Action::Audit => RuleKind::Audit,
            _ => RuleKind::Allow,
        };
        let mut produced = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let at = format!("spec.rules[{i}]");
            let Some(rule) = rule else {
                context.errors.push(rule::FieldError {
                    field: at,
                    message: "a rule must not be null (Istio refuses it)".into(),
                });
                continue;
            };
            let translated = context.rule(rule, &at);
            let many_from = translated.from.len() > 1;
            let many_to = translated.to.len() > 1;
            for (f, from) in translated.from.iter().enumerate() {
                for (t, to) in translated.to.iter().enumerate() {
                    let mut name = format!("{id}[{i}]");
                    let mut place = format!("rules[{i}]");
                    if many_from {
                        let _ = write!(name, ".from[{f}]");
                        let _ = write!(place, ", from[{f}]");
                    }
                    if many_to {
                        let _ = write!(name, ".to[{t}]");
                        let _ = write!(place, ", to[{t}]");
                    }
                    let conditions: Vec<Condition> = from
                        .iter()
                        .chain(to)
                        .chain(&translated.when)
                        .cloned()
                        .collect();
                    produced.push(Out {
                        rule: PolicyRule {
                            kind,
                            name: StringLit {
                                value: name,
                                span: Span::default(),
                            },
                            conditions,
                            span: Span::default(),
                            comments: Comments::default(),
                            end_comments: Vec::new(),
                        },
                        comment: format!(
                            "{id} ({}): {} {place}",
                            located.file,
                            action_name(action)
                        ),
                        origin: Origin {
                            field: at.clone(),
                            ..origin.clone()
                        },
                    });
                }
            }
        }
        for (field, note) in context.notes {
            notes.push(format!("{}: {id}: {field}: {note}", located.file));
        }
        if context.errors.is_empty() {
            out.extend(produced);
        } else {
            errors.extend(
                context
                    .errors
                    .into_iter()
                    .map(|e| origin.error(&e.field, e.message)),
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Istio evaluates DENY, then ALLOW; AUDIT never decides. The order only chooses
    // which rule a decision names.
    let rank = |kind: RuleKind| match kind {
        RuleKind::Deny => 0,
        RuleKind::Allow => 1,
        RuleKind::Audit => 2,
    };
    out.sort_by_key(|o| rank(o.rule.kind));
    let jwt = out.iter().any(|o| {
        o.rule
            .conditions
            .iter()
            .any(|c| matches!(c.subject, portcullis::syntax::Subject::Attr(_)))
    });
    if jwt {
        notes.push(
            "the policy tests JWT attributes (`request.auth.*`): whatever calls Portcullis must set them from the validated token, or tests on them are false (and `not` ones true); see docs/istio.md".to_string(),
        );
    }
    let text = render(options, &taken, &header, &allow_policies, &out);
    compiles(&text, &out)?;
    Ok(Import {
        text,
        notes,
        taken: taken.into_iter().map(|(_, id, _)| id).collect(),
    })
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Allow => "ALLOW",
        Action::Deny => "DENY",
        Action::Audit => "AUDIT",
        Action::Custom => "CUSTOM",
    }
}

fn check_options(options: &Options) -> Vec<Error> {
    let mut errors = Vec::new();
    let td = &options.trust_domain;
    let valid_td = !td.is_empty()
        && td.len() <= 255
        && td
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !valid_td {
        errors.push(Error::new(
            "--trust-domain",
            format!("`{td}` is not a trust domain (lower-case letters, digits, `.`, `-` and `_`)"),
        ));
    }
    if options.root_namespace.is_empty() {
        errors.push(Error::new(
            "--root-namespace",
            "the root namespace is empty",
        ));
    }
    if let Some(workload) = &options.workload {
        if workload.namespace.is_empty() {
            errors.push(Error::new("--namespace", "the namespace is empty"));
        }
        if workload.labels.keys().any(String::is_empty) {
            errors.push(Error::new("--label", "a label name is empty"));
        }
    }
    errors
}

/// What Istio's validation (`pkg/config/validation` `ValidateAuthorizationPolicy`)
/// refuses at the level of the whole policy, and what cannot be translated.
fn check_spec(policy: &AuthorizationPolicy, origin: &Origin, errors: &mut Vec<Error>) {
    let spec = &policy.spec;
    let action = spec.action.unwrap_or(Action::Allow);
    if action == Action::Custom {
        errors.push(origin.error(
            "spec.action",
            "`CUSTOM` is not supported: the decision belongs to an external authorizer (Portcullis can be that authorizer: see `docs/istio.md`)",
        ));
        return;
    }
    if spec.provider.is_some() {
        errors.push(origin.error(
            "spec.provider",
            "`provider` is only for the `CUSTOM` action (Istio refuses it)",
        ));
    }
    for (name, value) in [
        ("targetRef", &spec.target_ref),
        ("targetRefs", &spec.target_refs),
    ] {
        let given = match value {
            None | Some(serde_norway::Value::Null) => false,
            Some(serde_norway::Value::Sequence(list)) => !list.is_empty(),
            Some(_) => true,
        };
        if given {
            errors.push(origin.error(
                &format!("spec.{name}"),
                "`targetRef` and `targetRefs` (gateway and waypoint attachment) cannot be translated: give the workload with `--namespace` and `--label` and use `selector`",
            ));
        }
    }
    if let Some(labels) = spec.selector.as_ref().and_then(|s| s.match_labels.as_ref()) {
        for (k, v) in labels {
            if k.is_empty() {
                errors.push(origin.error(
                    "spec.selector.matchLabels",
                    "an empty label name (Istio refuses it)",
                ));
            }
            if k.contains('*') || v.contains('*') {
                errors.push(origin.error(
                    &format!("spec.selector.matchLabels.{k}"),
                    "a selector takes no wildcard (Istio refuses it)",
                ));
            }
        }
    }
    let no_rules = spec.rules.as_ref().is_none_or(Vec::is_empty);
    if action == Action::Deny && no_rules {
        errors.push(origin.error(
            "spec.rules",
            "a DENY policy without rules never matches (Istio refuses it); add a rule `{}` to deny every request",
        ));
    }
}

enum DryRun {
    Yes,
    No,
    Invalid(String),
}

/// Istio's `isDryRun`: the annotation parsed with Go's `strconv.ParseBool`; a value
/// that does not parse is logged, and the policy enforced.
fn dry_run(policy: &AuthorizationPolicy) -> DryRun {
    let value = policy
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(DRY_RUN_ANNOTATION));
    match value.map(String::as_str) {
        None => DryRun::No,
        Some("1" | "t" | "T" | "TRUE" | "true" | "True") => DryRun::Yes,
        Some("0" | "f" | "F" | "FALSE" | "false" | "False") => DryRun::No,
        Some(other) => DryRun::Invalid(other.to_string()),
    }
}

fn render(
    options: &Options,
    taken: &[(&Located, String, String)],
    header: &[String],
    allow_policies: &[String],
    out: &[Out],
) -> String {
    let mut text = String::new();
    text.push_str(
        "# Imported from Istio AuthorizationPolicy resources by `portcullis import istio`.\n",
    );
    match &options.workload {
        Some(w) => {
            let labels: Vec<String> = w.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(
                text,
                "# Workload: namespace `{}`{}; root namespace `{}`.",
                w.namespace,
                if labels.is_empty() {
                    String::new()
                } else {
                    format!(", labels {}", labels.join(", "))
                },
                options.root_namespace
            );
        }
        None => text.push_str("# Every resource given is taken; selectors are ignored.\n"),
    }
    let _ = writeln!(
        text,
        "# Trust domain `{}`: principals `cluster.local/...` stand for it.",
        options.trust_domain
    );
    if taken.is_empty() {
        text.push_str("# No resource applies.\n");
    }
    for (located, id, _) in taken {
        let _ = writeln!(text, "#   {id} ({})", located.file);
    }
    for line in header {
        let _ = writeln!(text, "# {line}");
    }
    text.push_str("# Hosts are compared without their port, unlike Istio (see docs/istio.md).\n\n");
    if allow_policies.is_empty() {
        text.push_str("# No ALLOW policy applies: what no DENY rule matches is allowed.\n");
        text.push_str("default allow\n");
    } else {
        let _ = writeln!(
            text,
            "# ALLOW policies apply ({}): what no ALLOW rule matches is denied.",
            allow_policies.join(", ")
        );
        text.push_str("default deny\n");
    }
    for o in out {
        text.push('\n');
        let _ = writeln!(text, "# {}", o.comment);
        let file = File {
            rules: vec![o.rule.clone()],
            ..File::default()
        };
        text.push_str(&print(&file));
    }
    text
}

/// The text must compile: a value Portcullis refuses (an identity pattern no valid
/// identity can match, a regular expression too large) is an error about the rule it
/// came from, never a policy that fails later.
fn compiles(text: &str, out: &[Out]) -> Result<(), Vec<Error>> {
    let Err(error) = Policy::compile(text) else {
        return Ok(());
    };
    // Which rule is each diagnostic in? Rules are printed in order; find each one's
    // first line.
    let mut starts = Vec::new();
    for (line_number, line) in text.lines().enumerate() {
        if line.starts_with("allow \"")
            || line.starts_with("deny \"")
            || line.starts_with("audit \"")
        {
            starts.push(line_number + 1);
        }
    }
    let errors = error
        .diagnostics()
        .iter()
        .map(|d| {
            let line = usize::try_from(d.line()).unwrap_or(usize::MAX);
            let index = starts.iter().rposition(|&s| s <= line);
            match index.and_then(|i| out.get(i)) {
                Some(o) => o.origin.error(
                    &o.origin.field,
                    format!(
                        "cannot be translated: Portcullis refuses it: {}",
                        d.message()
                    ),
                ),
                None => Error::new(
                    "(import)",
                    format!("the translation does not compile: {}", d.message()),
                ),
            }
        })
        .collect();
    Err(errors)
}
