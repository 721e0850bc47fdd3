//! One Istio rule → Portcullis conditions.
//!
//! Istio's rule (istio/istio `pilot/pkg/security/authz/model/model.go` `New`): each
//! `from` entry is an AND of its fields, merged with the `when` conditions about the
//! source; each `to` entry an AND of its fields, merged with the `when` conditions
//! about the destination; the rule matches when some `from` entry and some `to`
//! entry match (a missing `from` or `to` is one entry that matches everything). Each
//! field is "any value matches" (`values`) and "no value matches" (`notValues`),
//! which are one Portcullis condition each, the second with `not`. So every pair of a
//! `from` entry and a `to` entry is one Portcullis rule: its source's conditions, its
//! operation's, and every `when` condition.

use std::collections::HashSet;

use portcullis::Span;
use portcullis::syntax::{
    Comments, Condition, InTarget, List, StringLit, Subject, Test, Value, ValueKind,
};

use super::values::{self, Piece};
use crate::resource::{Condition as When, Operation, Rule, Source};

/// A field that cannot be translated: its path under the rule and why.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub(crate) field: String,
    pub(crate) message: String,
}

/// What the translation of one resource needs to know.
pub(crate) struct Context<'a> {
    /// The resource's namespace (service accounts without one are in it).
    pub(crate) namespace: &'a str,
    /// The mesh's trust domain, for principals.
    pub(crate) trust_domain: &'a str,
    pub(crate) errors: Vec<FieldError>,
    /// Remarks for stderr: a field path and the remark.
    pub(crate) notes: Vec<(String, String)>,
}

/// The conditions of a rule's `from` entries, `to` entries and `when` list.
#[derive(Debug, Default)]
pub(crate) struct Translated {
    /// One list per `from` entry (one empty list without `from`).
    pub(crate) from: Vec<Vec<Condition>>,
    /// One list per `to` entry (one empty list without `to`).
    pub(crate) to: Vec<Vec<Condition>>,
    /// Every `when` condition.
    pub(crate) when: Vec<Condition>,
}

impl Context<'_> {
    fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// Translates `rule`, found at `at` (`spec.rules[0]`).
    pub(crate) fn rule(&mut self, rule: &Rule, at: &str) -> Translated {
        let mut out = Translated {
            from: self.entries(
                rule.from.as_deref(),
                (at, "from", "source"),
                |entry| entry.source.as_ref(),
                Context::source,
            ),
            to: self.entries(
                rule.to.as_deref(),
                (at, "to", "operation"),
                |entry| entry.operation.as_ref(),
                Context::operation,
            ),
            when: Vec::new(),
        };
        for (i, when) in rule.when.iter().flatten().enumerate() {
            let at = format!("{at}.when[{i}]");
            self.when(when, &at, &mut out.when);
        }
        out
    }

    /// The condition lists of a rule's `from` or `to` entries (`list`), each entry's
    /// `source` or `operation` (`inner`, read by `get`) translated by `translate`;
    /// `field` names them at `at`. No list is one entry that matches everything; an
    /// empty list, or an entry without its `inner` field, is an error (Istio refuses
    /// both).
    fn entries<E, T>(
        &mut self,
        list: Option<&[E]>,
        (at, field, inner): (&str, &str, &str),
        get: impl Fn(&E) -> Option<&T>,
        translate: impl Fn(&mut Self, &T, &str) -> Vec<Condition>,
    ) -> Vec<Vec<Condition>> {
        let Some(list) = list else {
            return vec![Vec::new()];
        };
        if list.is_empty() {
            self.error(
                &format!("{at}.{field}"),
                format!("`{field}` must not be empty (Istio refuses it)"),
            );
        }
        let mut out = Vec::with_capacity(list.len());
        for (i, entry) in list.iter().enumerate() {
            let at = format!("{at}.{field}[{i}].{inner}");
            match get(entry) {
                Some(value) => out.push(translate(self, value, &at)),
                None => self.error(&at, format!("`{inner}` must be given (Istio refuses it)")),
            }
        }
        out
    }

    fn source(&mut self, s: &Source, at: &str) -> Vec<Condition> {
        let given = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
        let fields = [
            &s.principals,
            &s.not_principals,
            &s.request_principals,
            &s.not_request_principals,
            &s.namespaces,
            &s.not_namespaces,
            &s.service_accounts,
            &s.not_service_accounts,
            &s.ip_blocks,
            &s.not_ip_blocks,
            &s.remote_ip_blocks,
            &s.not_remote_ip_blocks,
            &s.trust_domains,
            &s.not_trust_domains,
        ];
        if !fields.iter().any(|f| given(f)) {
            self.error(at, "`source` must not be empty (Istio refuses it)");
        }
        let accounts = given(&s.service_accounts) || given(&s.not_service_accounts);
        let others = given(&s.principals)
            || given(&s.not_principals)
            || given(&s.namespaces)
            || given(&s.not_namespaces);
        if accounts && others {
            self.error(
                at,
                "`serviceAccounts` cannot be set with `principals` or `namespaces` (Istio refuses it)",
            );
        }
        for (name, values) in [
            ("remoteIpBlocks", &s.remote_ip_blocks),
            ("notRemoteIpBlocks", &s.not_remote_ip_blocks),
        ] {
            if given(values) {
                self.error(
                    &format!("{at}.{name}"),
                    "remote addresses (from `X-Forwarded-For` or the PROXY protocol) cannot be translated: Portcullis matches the peer address of the connection (`ipBlocks`)",
                );
            }
        }
        let mut out = Vec::new();
        let ns = self.namespace.to_string();
        let td = self.trust_domain.to_string();
        self.strings(
            &mut out,
            at,
            "principals",
            &s.principals,
            false,
            Subject::Identity,
            |v| values::principal(&values::migrate_trust_domain(v, &td)),
        );
        self.strings(
            &mut out,
            at,
            "notPrincipals",
            &s.not_principals,
            true,
            Subject::Identity,
            |v| values::principal(&values::migrate_trust_domain(v, &td)),
        );
        let jwt = attr_subject("request.auth.principal");
        self.strings(
            &mut out,
            at,
            "requestPrincipals",
            &s.request_principals,
            false,
            jwt.clone(),
            values::request_principal,
        );
        self.strings(
            &mut out,
            at,
            "notRequestPrincipals",
            &s.not_request_principals,
            true,
            jwt,
            values::request_principal,
        );
        self.strings(
            &mut out,
            at,
            "namespaces",
            &s.namespaces,
            false,
            Subject::Identity,
            values::namespace,
        );
        self.strings(
            &mut out,
            at,
            "notNamespaces",
            &s.not_namespaces,
            true,
            Subject::Identity,
            values::namespace,
        );
        if s.service_accounts.as_ref().is_some_and(|v| v.len() > 16)
            || s.not_service_accounts
                .as_ref()
                .is_some_and(|v| v.len() > 16)
        {
            self.error(at, "at most 16 service accounts (Istio refuses more)");
        }
        self.strings(
            &mut out,
            at,
            "serviceAccounts",
            &s.service_accounts,
            false,
            Subject::Identity,
            |v| values::service_account(v, &ns),
        );
        self.strings(
            &mut out,
            at,
            "notServiceAccounts",
            &s.not_service_accounts,
            true,
            Subject::Identity,
            |v| values::service_account(v, &ns),
        );
        self.strings(
            &mut out,
            at,
            "trustDomains",
            &s.trust_domains,
            false,
            Subject::Identity,
            values::trust_domain,
        );
        self.strings(
            &mut out,
            at,
            "notTrustDomains",
            &s.not_trust_domains,
            true,
            Subject::Identity,
            values::trust_domain,
        );
        self.addresses(&mut out, at, "ipBlocks", &s.ip_blocks, false);
        self.addresses(&mut out, at, "notIpBlocks", &s.not_ip_blocks, true);
        out
    }

    fn operation(&mut self, o: &Operation, at: &str) -> Vec<Condition> {
        let given = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
        let fields = [
            &o.hosts,
            &o.not_hosts,
            &o.ports,
            &o.not_ports,
            &o.methods,
            &o.not_methods,
            &o.paths,
            &o.not_paths,
        ];
        if !fields.iter().any(|f| given(f)) {
            self.error(at, "`operation` must not be empty (Istio refuses it)");
        }
        let mut out = Vec::new();
        self.strings(
            &mut out,
            at,
            "hosts",
            &o.hosts,
            false,
            Subject::Host,
            values::host,
        );
        self.strings(
            &mut out,
            at,
            "notHosts",
            &o.not_hosts,
            true,
            Subject::Host,
            values::host,
        );
        self.ports(&mut out, at, "ports", &o.ports, false);
        self.ports(&mut out, at, "notPorts", &o.not_ports, true);
        self.methods(&mut out, at, "methods", &o.methods, false);
        self.methods(&mut out, at, "notMethods", &o.not_methods, true);
        self.paths(&mut out, at, "paths", &o.paths, false);
        self.paths(&mut out, at, "notPaths", &o.not_paths, true);
        out
    }

    fn when(&mut self, when: &When, at: &str, out: &mut Vec<Condition>) {
        let key = when.key.as_str();
        let given = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
        if key.is_empty() {
            self.error(
                &format!("{at}.key"),
                "`key` must not be empty (Istio refuses it)",
            );
            return;
        }
        if !given(&when.values) && !given(&when.not_values) {
            self.error(
                at,
                format!("at least one of `values` or `notValues` must be set for `{key}` (Istio refuses it)"),
            );
            return;
        }
        let (values, not_values) = (&when.values, &when.not_values);
        let ns = self.namespace.to_string();
        let td = self.trust_domain.to_string();
        match key {
            "source.ip" => {
                self.addresses(out, at, "values", values, false);
                self.addresses(out, at, "notValues", not_values, true);
            }
            "source.namespace" => {
                self.strings(out, at, "values", values, false, Subject::Identity, values::namespace);
                self.strings(out, at, "notValues", not_values, true, Subject::Identity, values::namespace);
            }
            "source.principal" => {
                let f = |v: &str| values::principal(&values::migrate_trust_domain(v, &td));
                self.strings(out, at, "values", values, false, Subject::Identity, f);
                self.strings(out, at, "notValues", not_values, true, Subject::Identity, f);
            }
            "source.serviceAccount" => {
                let f = |v: &str| values::service_account(v, &ns);
                self.strings(out, at, "values", values, false, Subject::Identity, f);
                self.strings(out, at, "notValues", not_values, true, Subject::Identity, f);
            }
            "source.trustDomain" => {
                self.strings(out, at, "values", values, false, Subject::Identity, values::trust_domain);
                self.strings(out, at, "notValues", not_values, true, Subject::Identity, values::trust_domain);
            }
            "destination.port" => {
                self.ports(out, at, "values", values, false);
                self.ports(out, at, "notValues", not_values, true);
            }
            "request.auth.principal" => {
                let subject = attr_subject(key);
                self.strings(out, at, "values", values, false, subject.clone(), values::request_principal);
                self.strings(out, at, "notValues", not_values, true, subject, values::request_principal);
            }
            "request.auth.audiences" | "request.auth.presenter" => {
                let subject = attr_subject(key);
                self.strings(out, at, "values", values, false, subject.clone(), values::claim);
                self.strings(out, at, "notValues", not_values, true, subject, values::claim);
            }
            "remote.ip" => self.error(
                &format!("{at}.key"),
                "`remote.ip` (the client address from `X-Forwarded-For` or the PROXY protocol) cannot be translated: Portcullis matches the peer address of the connection (`source.ip`)",
            ),
            "destination.ip" => self.error(
                &format!("{at}.key"),
                "`destination.ip` cannot be translated: a Portcullis request has no destination address",
            ),
            "connection.sni" => self.error(
                &format!("{at}.key"),
                "`connection.sni` cannot be translated: a Portcullis request has no TLS server name",
            ),
            "destination.namespace" | "destination.name" | "destination.user" => self.error(
                &format!("{at}.key"),
                format!("`{key}` is not supported by Istio's AuthorizationPolicy (Istio refuses it)"),
            ),
            _ if key.starts_with("experimental.") => self.error(
                &format!("{at}.key"),
                format!("`{key}`: experimental Envoy metadata cannot be translated"),
            ),
            _ if key.starts_with("destination.labels") => self.error(
                &format!("{at}.key"),
                format!("`{key}` is replaced by the workload selector (Istio refuses it)"),
            ),
            _ if key.starts_with("request.headers") => match header_name(key) {
                Ok(name) => {
                    if name.contains('_') {
                        self.notes.push((
                            format!("{at}.key"),
                            format!(
                                "header `{name}` has `_`: Portcullis refuses such requests as invalid unless `--underscores-in-headers` is given"
                            ),
                        ));
                    }
                    let subject = Subject::Header(lit(name));
                    self.strings(out, at, "values", values, false, subject.clone(), values::header);
                    self.strings(out, at, "notValues", not_values, true, subject, values::header);
                }
                Err(message) => self.error(&format!("{at}.key"), message),
            },
            _ if key.starts_with("request.auth.claims") => match claim_names(key) {
                Ok(()) => {
                    let subject = attr_subject(key);
                    self.strings(out, at, "values", values, false, subject.clone(), values::claim);
                    self.strings(out, at, "notValues", not_values, true, subject, values::claim);
                }
                Err(message) => self.error(&format!("{at}.key"), message),
            },
            _ => self.error(
                &format!("{at}.key"),
                format!("unknown attribute `{key}` (Istio refuses it)"),
            ),
        }
    }

    /// A field of string values, each translated by `piece`, into one condition on
    /// `subject` (with `not` for the `not…` fields).
    #[expect(
        clippy::too_many_arguments,
        reason = "one call per field reads best flat"
    )]
    fn strings<F>(
        &mut self,
        out: &mut Vec<Condition>,
        at: &str,
        name: &str,
        values: &Option<Vec<String>>,
        not: bool,
        subject: Subject,
        piece: F,
    ) where
        F: Fn(&str) -> Result<Piece, String>,
    {
        let Some(values) = values.as_ref().filter(|v| !v.is_empty()) else {
            return;
        };
        let mut pieces = Vec::new();
        for (i, value) in values.iter().enumerate() {
            match piece(value) {
                Ok(p) => pieces.push(p),
                Err(message) => self.error(&format!("{at}.{name}[{i}]"), message),
            }
        }
        if pieces.len() == values.len() {
            out.push(join(not, subject, pieces));
        }
    }

    fn paths(
        &mut self,
        out: &mut Vec<Condition>,
        at: &str,
        name: &str,
        values: &Option<Vec<String>>,
        not: bool,
    ) {
        let Some(values) = values.as_ref().filter(|v| !v.is_empty()) else {
            return;
        };
        let mut pieces = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let field = format!("{at}.{name}[{i}]");
            match values::path(value) {
                Ok(p) => {
                    if p.unnormalized {
                        self.notes.push((
                            field,
                            format!(
                                "path `{value}` is not in normalized form: it matches only requests normalized with other options than the defaults (see `docs/istio.md`, paths)"
                            ),
                        ));
                    }
                    pieces.push(p.piece);
                }
                Err(message) => self.error(&field, message),
            }
        }
        if pieces.len() == values.len() {
            // `*` matches every path: the others add nothing.
            let every = |p: &Piece| matches!(p, Piece::Plain(v, _) if v == values::EVERY_PATH);
            if let Some(i) = pieces.iter().position(every) {
                pieces = pieces.split_off(i);
                pieces.truncate(1);
            }
            out.push(join(not, Subject::Path, pieces));
        }
    }

    fn ports(
        &mut self,
        out: &mut Vec<Condition>,
        at: &str,
        name: &str,
        values: &Option<Vec<String>>,
        not: bool,
    ) {
        self.parsed_values(out, at, name, values, not, Subject::Port, |value| {
            values::port(value).map(|p| ValueKind::Integer(u64::from(p)))
        });
    }

    fn addresses(
        &mut self,
        out: &mut Vec<Condition>,
        at: &str,
        name: &str,
        values: &Option<Vec<String>>,
        not: bool,
    ) {
        self.parsed_values(out, at, name, values, not, Subject::Source, |value| {
            values::address(value).map(|address| ValueKind::Address { address })
        });
    }

    /// One condition on `subject` with every value parsed by `parse`; a value that
    /// does not parse is an error at its place, and then no condition is made (the
    /// translation as a whole fails, so nothing is dropped silently).
    #[allow(clippy::too_many_arguments)]
    fn parsed_values(
        &mut self,
        out: &mut Vec<Condition>,
        at: &str,
        name: &str,
        values: &Option<Vec<String>>,
        not: bool,
        subject: Subject,
        parse: impl Fn(&str) -> Result<ValueKind, String>,
    ) {
        let Some(values) = values.as_ref().filter(|v| !v.is_empty()) else {
            return;
        };
        let mut parsed = Vec::new();
        for (i, value) in values.iter().enumerate() {
            match parse(value) {
                Ok(kind) => parsed.push(value_of(kind)),
                Err(message) => self.error(&format!("{at}.{name}[{i}]"), message),
            }
        }
        if parsed.len() == values.len() {
            out.push(condition(not, subject, Test::Values(parsed)));
        }
    }

    /// Methods: `*` matches every request, so with it `methods` is no condition and
    /// `notMethods` one that nothing matches (`method in []`).
    fn methods(
        &mut self,
        out: &mut Vec<Condition>,
        at: &str,
        name: &str,
        values: &Option<Vec<String>>,
        not: bool,
    ) {
        let Some(values) = values.as_ref().filter(|v| !v.is_empty()) else {
            return;
        };
        let mut methods = Vec::new();
        let mut any = false;
        let mut ok = true;
        for (i, value) in values.iter().enumerate() {
            match values::method(value) {
                Ok(Some(m)) => push_unique(&mut methods, value_of(ValueKind::Method { method: m })),
                Ok(None) => any = true,
                Err(message) => {
                    ok = false;
                    self.error(&format!("{at}.{name}[{i}]"), message);
                }
            }
        }
        if !ok {
            return;
        }
        match (any, not) {
            (true, false) => {}
            (true, true) => out.push(condition(
                false,
                Subject::Method,
                Test::In(InTarget::List(List {
                    values: Vec::new(),
                    span: Span::default(),
                    end_comments: Vec::new(),
                })),
            )),
            (false, not) => out.push(condition(not, Subject::Method, Test::Values(methods))),
        }
    }
}

/// Joins the pieces of one field: presence if any piece is presence (every other
/// piece implies it), the plain values if all are plain, else one regular expression
/// that is the alternation of each piece's.
fn join(not: bool, subject: Subject, pieces: Vec<Piece>) -> Condition {
    let keyed = matches!(subject, Subject::Header(_) | Subject::Attr(_));
    if pieces.contains(&Piece::Present) {
        return condition(not, subject, Test::Present);
    }
    if pieces.iter().all(|p| matches!(p, Piece::Plain(..))) {
        let mut seen = HashSet::new();
        let mut plain = Vec::new();
        for p in pieces {
            if let Piece::Plain(v, _) = p {
                if seen.insert(v.clone()) {
                    plain.push(value_of(ValueKind::String(v)));
                }
            }
        }
        let test = match (keyed, plain.as_slice()) {
            (true, [only]) => match &only.kind {
                ValueKind::String(s) => Test::Equals(lit(s.clone())),
                _ => Test::Values(plain),
            },
            (true, _) => Test::In(InTarget::List(List {
                values: plain,
                span: Span::default(),
                end_comments: Vec::new(),
            })),
            (false, _) => Test::Values(plain),
        };
        return condition(not, subject, test);
    }
    let mut seen = HashSet::new();
    let mut regexes: Vec<String> = Vec::new();
    for p in pieces {
        let r = match p {
            Piece::Plain(_, r) | Piece::Regex(r) => r,
            Piece::Present => continue,
        };
        if seen.insert(r.clone()) {
            regexes.push(r);
        }
    }
    let regex = if let [only] = regexes.as_slice() {
        only.clone()
    } else {
        regexes
            .iter()
            .map(|r| format!("(?:{r})"))
            .collect::<Vec<_>>()
            .join("|")
    };
    condition(not, subject, Test::Regex(lit(regex)))
}

fn push_unique(values: &mut Vec<Value>, value: Value) {
    if !values.contains(&value) {
        values.push(value);
    }
}

/// `request.headers[<name>]`: the name must be an HTTP token (Istio's
/// `validateMapKey` wants `a[b]`; Envoy matches header names without case). `host` is
/// refused: Envoy keeps the authority as `:authority`, so Istio's condition on it never
/// matches, while a Portcullis request may carry a `host` header.
fn header_name(key: &str) -> Result<&str, String> {
    let name = key
        .strip_prefix("request.headers[")
        .and_then(|k| k.strip_suffix(']'))
        .ok_or_else(|| format!("`{key}`: expected `request.headers[<name>]` (Istio refuses it)"))?;
    if name.is_empty() {
        return Err(format!(
            "`{key}`: the header name is empty (Istio refuses it)"
        ));
    }
    let token = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        return Err(format!(
            "`{key}`: `{name}` is not a header name Portcullis can match (pseudo-headers such as `:path` cannot be translated; use `paths`, `methods`, `hosts`)"
        ));
    }
    if name.eq_ignore_ascii_case("host") {
        return Err(format!(
            "`{key}`: Envoy keeps the host as `:authority`, so Istio never matches this header; use `hosts`"
        ));
    }
    Ok(name)
}

/// `request.auth.claims[a]`, `request.auth.claims[a][b]`: one or more bracketed,
/// non-empty names (Istio's `extractNameInNestedBrackets`; other shapes it reads in
/// ways no author means are refused).
fn claim_names(key: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "`{key}`: expected `request.auth.claims[<name>]` or nested `request.auth.claims[<a>][<b>]`"
        )
    };
    let mut rest = key.strip_prefix("request.auth.claims").ok_or_else(bad)?;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(bad)?;
        let end = inner.find(']').ok_or_else(bad)?;
        let name = inner.get(..end).unwrap_or("");
        if name.is_empty() || name.contains('[') {
            return Err(bad());
        }
        rest = inner.get(end + 1..).unwrap_or("");
    }
    Ok(())
}

fn attr_subject(key: &str) -> Subject {
    Subject::Attr(lit(key.to_string()))
}

fn lit(value: impl Into<String>) -> StringLit {
    StringLit {
        value: value.into(),
        span: Span::default(),
    }
}

fn value_of(kind: ValueKind) -> Value {
    Value {
        kind,
        span: Span::default(),
        comments: Comments::default(),
    }
}

fn condition(not: bool, subject: Subject, test: Test) -> Condition {
    Condition {
        not,
        subject,
        test,
        span: Span::default(),
        comments: Comments::default(),
    }
}
