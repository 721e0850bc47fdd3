//! A plain model of a policy, and a printer from the model to policy source text
//! (`docs/language.md`, *Grammar*).

use std::fmt::Write as _;

use ipnet::IpNet;

/// What a rule does when it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Allow,
    Deny,
    Audit,
}

/// The request attribute a condition looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Identity,
    Method,
    Path,
    Host,
    Port,
    Source,
    Header(String),
    Attr(String),
}

/// One value as written in a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    /// A string: identity glob, path pattern, host pattern, method, header/attr value.
    Str(String),
    /// A bare method token (`GET`).
    Method(String),
    /// A port.
    Port(u16),
    /// An inclusive port range.
    Range(u16, u16),
    /// An address or CIDR block; `bare` prints a full-length block without `/prefix`.
    Net { net: IpNet, bare: bool },
    /// A `let` name, spliced in place.
    Name(String),
}

/// How a condition tests its subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Test {
    /// `subject v1, v2` (not for header/attr).
    Values(Vec<Val>),
    /// `subject in [v1, v2]`.
    InList(Vec<Val>),
    /// `subject in NAME`.
    InName(String),
    /// `header/attr "k" == "v"`.
    Equals(String),
    /// `subject ~ "re"`.
    Regex(String),
    /// `subject present`.
    Present,
}

/// `[not] subject test`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cond {
    pub negated: bool,
    pub subject: Subject,
    pub test: Test,
}

/// `allow|deny|audit "name" { conditions }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub kind: Kind,
    pub name: String,
    pub conds: Vec<Cond>,
}

/// A whole policy: the `default` line, the `let` bindings, the rules in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `None`: no `default` line (the default is deny).
    pub default: Option<Kind>,
    pub lets: Vec<(String, Vec<Val>)>,
    pub rules: Vec<Rule>,
}

impl Policy {
    /// The values bound to `name` (empty if unbound: the generator never does that).
    pub fn lookup(&self, name: &str) -> &[Val] {
        self.lets
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, v)| v.as_slice())
    }

    /// The policy as one source text.
    pub fn print(&self) -> String {
        self.print_split(&[]).concat()
    }

    /// The policy as several source texts: the `default` line and the `let`s go to the
    /// first; the rules are cut into consecutive runs at the given rule indexes.
    pub fn print_split(&self, cuts: &[usize]) -> Vec<String> {
        let mut texts = vec![String::new()];
        if let Some(kind) = self.default {
            let effect = if kind == Kind::Allow { "allow" } else { "deny" };
            let _ = writeln!(texts[0], "default {effect}");
        }
        for (name, values) in &self.lets {
            let _ = writeln!(texts[0], "let {name} = {}", list(values));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if cuts.contains(&i) {
                texts.push(String::new());
            }
            let text = texts.last_mut().expect("at least one source");
            print_rule(text, rule);
        }
        texts
    }
}

fn print_rule(out: &mut String, rule: &Rule) {
    let kind = match rule.kind {
        Kind::Allow => "allow",
        Kind::Deny => "deny",
        Kind::Audit => "audit",
    };
    let _ = write!(out, "{kind} {} {{", string(&rule.name));
    if rule.conds.is_empty() {
        out.push_str("}\n");
        return;
    }
    out.push('\n');
    for cond in &rule.conds {
        out.push_str("  ");
        if cond.negated {
            out.push_str("not ");
        }
        match &cond.subject {
            Subject::Identity => out.push_str("identity"),
            Subject::Method => out.push_str("method"),
            Subject::Path => out.push_str("path"),
            Subject::Host => out.push_str("host"),
            Subject::Port => out.push_str("port"),
            Subject::Source => out.push_str("source"),
            Subject::Header(k) => {
                let _ = write!(out, "header {}", string(k));
            }
            Subject::Attr(k) => {
                let _ = write!(out, "attr {}", string(k));
            }
        }
        match &cond.test {
            Test::Values(values) => {
                let items: Vec<String> = values.iter().map(value).collect();
                let _ = write!(out, " {}", items.join(", "));
            }
            Test::InList(values) => {
                let _ = write!(out, " in {}", list(values));
            }
            Test::InName(name) => {
                let _ = write!(out, " in {name}");
            }
            Test::Equals(v) => {
                let _ = write!(out, " == {}", string(v));
            }
            Test::Regex(re) => {
                let _ = write!(out, " ~ {}", string(re));
            }
            Test::Present => out.push_str(" present"),
        }
        out.push('\n');
    }
    out.push_str("}\n");
}

fn list(values: &[Val]) -> String {
    let items: Vec<String> = values.iter().map(value).collect();
    format!("[{}]", items.join(", "))
}

fn value(v: &Val) -> String {
    match v {
        Val::Str(s) => string(s),
        Val::Method(m) | Val::Name(m) => m.clone(),
        Val::Port(p) => p.to_string(),
        Val::Range(a, b) => format!("{a}..{b}"),
        Val::Net { net, bare } => {
            if *bare && net.prefix_len() == net.max_prefix_len() {
                net.addr().to_string()
            } else {
                net.to_string()
            }
        }
    }
}

/// A string literal with the escapes of the lexical rules (`docs/language.md`).
pub fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:X}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A request as plain owned data, so that strategies can generate it and failures can
/// print it: the library's own owned request.
pub type Req = portcullis::OwnedRequest;
