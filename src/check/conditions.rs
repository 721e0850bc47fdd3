//! Checking one condition: splice names, type every value for its subject, validate.

use crate::bytes::is_tchar;
use crate::diagnostic::Code;
use crate::span::Span;
use crate::syntax::keyword::Keyword;
use crate::syntax::{Condition, InTarget, LetValue, Subject, Test, ValueKind};

use super::lets::{Lets, Spliced};
use super::memo::Memo;
use super::{Attribute, Cond, CondTest, Keyed, KeyedTest, Reporter, Source, regex, values};

/// Validates the scalar values of every `let` where they are written, so that an
/// invalid address or port is reported once, at its definition.
pub(crate) fn check_let_values(sources: &[Source<'_>], report: &mut Reporter<'_>) {
    for (i, source) in sources.iter().enumerate() {
        for binding in &source.file.lets {
            let values = match &binding.value {
                LetValue::Single(v) => std::slice::from_ref(v),
                LetValue::List(l) => l.values.as_slice(),
            };
            for value in values {
                let result = match &value.kind {
                    ValueKind::Address { address } => values::parse_net(address)
                        .map(drop)
                        .map_err(|e| (Code::InvalidAddress, e)),
                    ValueKind::Integer(n) => values::port(*n)
                        .map(drop)
                        .map_err(|e| (Code::InvalidPort, e)),
                    ValueKind::Range { range } => values::port_range(range.0, range.1)
                        .map(drop)
                        .map_err(|e| (Code::InvalidPort, e)),
                    ValueKind::Method { method } => {
                        values::method(method).map_err(|e| (Code::InvalidMethod, e))
                    }
                    ValueKind::String(_) | ValueKind::Name { .. } => Ok(()),
                };
                if let Err((code, message)) = result {
                    report.error(code, i, value.span, message);
                }
            }
        }
    }
}

/// What a subject takes, for messages.
fn takes(subject: &Subject) -> &'static str {
    match subject {
        Subject::Method => "methods",
        Subject::Port => "ports and port ranges",
        Subject::Source => "addresses",
        _ => "strings",
    }
}

fn subject_name(subject: &Subject) -> &'static str {
    Keyword::of_subject(subject).as_str()
}

/// The plural of [`kind_name`].
fn kind_plural(kind: &ValueKind) -> &'static str {
    match kind {
        ValueKind::String(_) => "strings",
        ValueKind::Integer(_) => "ports",
        ValueKind::Method { .. } => "methods",
        ValueKind::Address { .. } => "addresses",
        ValueKind::Range { .. } => "port ranges",
        ValueKind::Name { .. } => "names",
    }
}

fn kind_name(kind: &ValueKind) -> &'static str {
    match kind {
        ValueKind::String(_) => "string",
        ValueKind::Integer(_) => "port",
        ValueKind::Method { .. } => "method",
        ValueKind::Address { .. } => "address",
        ValueKind::Range { .. } => "port range",
        ValueKind::Name { .. } => "name",
    }
}

fn kind_text(kind: &ValueKind) -> String {
    match kind {
        ValueKind::String(s) => format!("\"{s}\""),
        ValueKind::Integer(n) => n.to_string(),
        ValueKind::Method { method } => method.clone(),
        ValueKind::Address { address } => address.clone(),
        ValueKind::Range { range } => format!("{}..{}", range.0, range.1),
        ValueKind::Name { name } => name.clone(),
    }
}

/// Checks one condition of a rule written in `source`. `None` when it has errors
/// (they are reported). `spliced` and `strings` are scratch space, reused from one
/// condition to the
/// next.
pub(crate) fn check_condition<'a>(
    source: usize,
    condition: &'a Condition,
    lets: &Lets<'a>,
    memo: &mut Memo<'a>,
    spliced: &mut Vec<Spliced<'a>>,
    strings: &mut Vec<Pending<'a>>,
    report: &mut Reporter<'_>,
) -> Option<Cond> {
    let subject = &condition.subject;
    let at = condition.span;
    let name = subject_name(subject);
    let keyed = matches!(subject, Subject::Header(_) | Subject::Attr(_));
    let test = match (&condition.test, subject) {
        (Test::Present, Subject::Method | Subject::Path) => {
            report.error(
                Code::InvalidTest,
                source,
                at,
                format!("`present` is not allowed for `{name}`: every request has one"),
            );
            return None;
        }
        (Test::Present, Subject::Identity) => CondTest::Present(Attribute::Identity),
        (Test::Present, Subject::Host) => CondTest::Present(Attribute::Host),
        (Test::Present, Subject::Port) => CondTest::Present(Attribute::Port),
        (Test::Present, Subject::Source) => CondTest::Present(Attribute::Source),
        (Test::Present, Subject::Header(key)) => CondTest::Header(Box::new(KeyedTest {
            name: header_name(source, &key.value, key.span, report)?,
            test: Keyed::Present,
        })),
        (Test::Present, Subject::Attr(key)) => CondTest::Attr(Box::new(KeyedTest {
            name: key.value.as_str().into(),
            test: Keyed::Present,
        })),
        (
            Test::Regex(re),
            Subject::Identity
            | Subject::Path
            | Subject::Host
            | Subject::Header(_)
            | Subject::Attr(_),
        ) => {
            let compiled = match regex::anchored(&re.value, report.limits.max_regex_bytes) {
                Ok(r) => r,
                Err(message) => {
                    report.error(Code::InvalidRegex, source, re.span, message);
                    return None;
                }
            };
            match subject {
                Subject::Identity => CondTest::IdentityRegex(Box::new(compiled)),
                Subject::Path => CondTest::PathRegex(Box::new(compiled)),
                Subject::Host => CondTest::HostRegex(Box::new(compiled)),
                Subject::Header(key) => CondTest::Header(Box::new(KeyedTest {
                    name: header_name(source, &key.value, key.span, report)?,
                    test: Keyed::Regex(compiled),
                })),
                Subject::Attr(key) => CondTest::Attr(Box::new(KeyedTest {
                    name: key.value.as_str().into(),
                    test: Keyed::Regex(compiled),
                })),
                _ => return None,
            }
        }
        (Test::Regex(re), _) => {
            report.error(
                Code::InvalidTest,
                source,
                re.span,
                format!("`~` is not allowed for `{name}`"),
            );
            return None;
        }
        (Test::Equals(value), Subject::Header(key)) => CondTest::Header(Box::new(KeyedTest {
            name: header_name(source, &key.value, key.span, report)?,
            test: Keyed::Values(Box::new([value.value.as_bytes().into()])),
        })),
        (Test::Equals(value), Subject::Attr(key)) => CondTest::Attr(Box::new(KeyedTest {
            name: key.value.as_str().into(),
            test: Keyed::Values(Box::new([value.value.as_bytes().into()])),
        })),
        (Test::Equals(value), _) => {
            report.error(
                Code::InvalidTest,
                source,
                value.span,
                format!("`==` is only for `header` and `attr`; write `{name} \"...\"`"),
            );
            return None;
        }
        (Test::Values(values), _) if values.is_empty() && !keyed => {
            // The text form cannot say this (the JSON form can): a condition with
            // no value would never match, so it is refused rather than kept.
            report.error(
                Code::InvalidTest,
                source,
                at,
                format!("`{name}` needs at least one value"),
            );
            return None;
        }
        (Test::Values(_) | Test::In(_), _) => {
            spliced.clear();
            let ok = match &condition.test {
                Test::Values(values) => lets.splice(source, values, spliced, report),
                Test::In(InTarget::List(list)) => {
                    lets.splice(source, &list.values, spliced, report)
                }
                Test::In(InTarget::Name(ident)) => {
                    lets.splice_name(source, &ident.name, ident.span, spliced, report)
                }
                _ => false,
            };
            if let (Test::Values(_), Subject::Header(_) | Subject::Attr(_)) =
                (&condition.test, subject)
            {
                report.error(
                    Code::InvalidTest,
                    source,
                    at,
                    format!("`{name}` needs `==`, `in`, `~` or `present`"),
                );
                return None;
            }
            let typed = typed_values(source, subject, spliced, strings, memo, report)?;
            if !ok {
                return None;
            }
            typed
        }
    };
    Some(Cond {
        negated: condition.not,
        test,
    })
}

fn header_name(
    source: usize,
    name: &str,
    span: Span,
    report: &mut Reporter<'_>,
) -> Option<Box<str>> {
    if name.is_empty() || !name.bytes().all(is_tchar) {
        report.error(
            Code::InvalidHeaderName,
            source,
            span,
            format!("invalid header name `{name}`"),
        );
        return None;
    }
    Some(name.to_ascii_lowercase().into())
}

/// A string value waiting to be checked as a pattern: its text, and where it is
/// written (source index and span), for errors.
pub(crate) type Pending<'a> = (&'a str, usize, Span);

/// Types spliced values for `subject`, reporting wrong kinds and invalid values.
/// `strings` is scratch space.
fn typed_values<'a>(
    source: usize,
    subject: &Subject,
    spliced: &[Spliced<'a>],
    strings: &mut Vec<Pending<'a>>,
    memo: &mut Memo<'a>,
    report: &mut Reporter<'_>,
) -> Option<CondTest> {
    let mut ok = true;
    let mut blamed: Vec<Span> = Vec::new();
    strings.clear();
    let mut methods: Vec<Box<str>> = Vec::new();
    let mut ports = Vec::new();
    let mut nets = Vec::new();
    for item in spliced {
        let kind = &item.value.kind;
        let fits = matches!(
            (subject, kind),
            (
                Subject::Identity
                    | Subject::Path
                    | Subject::Host
                    | Subject::Header(_)
                    | Subject::Attr(_),
                ValueKind::String(_)
            ) | (
                Subject::Method,
                ValueKind::String(_) | ValueKind::Method { .. }
            ) | (
                Subject::Port,
                ValueKind::Integer(_) | ValueKind::Range { .. }
            ) | (Subject::Source, ValueKind::Address { .. })
        );
        if !fits {
            ok = false;
            match item.via {
                Some((use_source, span, name)) => {
                    if !blamed.contains(&span) {
                        blamed.push(span);
                        report.error(
                            Code::TypeMismatch,
                            use_source,
                            span,
                            format!(
                                "`{name}` holds {}, but `{}` takes {}",
                                kind_plural(kind),
                                subject_name(subject),
                                takes(subject)
                            ),
                        );
                    }
                }
                None => report.error(
                    Code::TypeMismatch,
                    source,
                    item.value.span,
                    format!(
                        "`{}` takes {}, found {} `{}`",
                        subject_name(subject),
                        takes(subject),
                        kind_name(kind),
                        kind_text(kind)
                    ),
                ),
            }
            continue;
        }
        // Addresses, ports, ranges and bare methods from a `let` were validated where
        // they are written (`check_let_values`); a string's meaning depends on where
        // it is used, so a string from a `let` is validated here, for this subject.
        let from_let = item.via.is_some() && !matches!(kind, ValueKind::String(_));
        let result: Result<(), String> = match kind {
            ValueKind::String(s) if *subject == Subject::Method => {
                values::method(s).map(|()| methods.push(s.as_str().into()))
            }
            ValueKind::String(s) => {
                strings.push((s.as_str(), item.source, item.value.span));
                Ok(())
            }
            ValueKind::Method { method } => {
                values::method(method).map(|()| methods.push(method.as_str().into()))
            }
            ValueKind::Integer(n) => values::port(*n).map(|p| ports.push((p, p))),
            ValueKind::Range { range } => {
                values::port_range(range.0, range.1).map(|r| ports.push(r))
            }
            ValueKind::Address { address } => values::parse_net(address).map(|n| nets.push(n)),
            ValueKind::Name { .. } => Ok(()),
        };
        if let Err(message) = result {
            ok = false;
            if !from_let {
                let code = match kind {
                    ValueKind::String(_) | ValueKind::Method { .. } => Code::InvalidMethod,
                    ValueKind::Integer(_) | ValueKind::Range { .. } => Code::InvalidPort,
                    _ => Code::InvalidAddress,
                };
                report.error(code, item.source, item.value.span, message);
            }
        }
    }
    let test = match subject {
        Subject::Identity => {
            let mut globs = Vec::with_capacity(strings.len());
            for &(s, at, span) in strings.iter() {
                match memo.identity(s) {
                    Ok(g) => globs.push(g),
                    Err(message) => {
                        ok = false;
                        report.error(Code::InvalidIdentityPattern, at, span, message);
                    }
                }
            }
            CondTest::Identity(globs.into())
        }
        Subject::Path => {
            let mut patterns = Vec::with_capacity(strings.len());
            for &(s, at, span) in strings.iter() {
                match memo.path(s) {
                    Ok(p) => patterns.push(p),
                    Err(message) => {
                        ok = false;
                        report.error(Code::InvalidPathPattern, at, span, message);
                    }
                }
            }
            CondTest::Path(patterns.into())
        }
        Subject::Host => {
            let mut patterns = Vec::with_capacity(strings.len());
            for &(s, at, span) in strings.iter() {
                match memo.host(s) {
                    Ok(p) => patterns.push(p),
                    Err(message) => {
                        ok = false;
                        report.error(Code::InvalidHostPattern, at, span, message);
                    }
                }
            }
            CondTest::Host(patterns.into())
        }
        Subject::Method => CondTest::Method(methods.into()),
        Subject::Port => CondTest::Port(ports.into()),
        Subject::Source => CondTest::Source(nets.into()),
        Subject::Header(key) => CondTest::Header(Box::new(KeyedTest {
            name: header_name(source, &key.value, key.span, report)?,
            test: Keyed::Values(strings.iter().map(|(s, ..)| s.as_bytes().into()).collect()),
        })),
        Subject::Attr(key) => CondTest::Attr(Box::new(KeyedTest {
            name: key.value.as_str().into(),
            test: Keyed::Values(strings.iter().map(|(s, ..)| s.as_bytes().into()).collect()),
        })),
    };
    ok.then_some(test)
}
