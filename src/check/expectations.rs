//! `test` blocks: expectations checked for well-formed fields. Their method and path
//! are deliberately not checked: they are evaluated as requests (`docs/language.md`,
//! *Tests*).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use crate::diagnostic::Code;
use crate::eval::decision::Effect;
use crate::owned_request::OwnedRequest;
use crate::syntax::keyword::Keyword;
use crate::syntax::{By, Field};

use super::{Reporter, Source, values};

/// A checked `test` block.
#[derive(Debug)]
pub(crate) struct CheckedTest {
    pub(crate) name: Box<str>,
    pub(crate) cases: Vec<Expected>,
}

/// One expectation, ready to be built into a request.
#[derive(Debug)]
pub(crate) struct Expected {
    pub(crate) file: Box<str>,
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) effect: Effect,
    pub(crate) request: OwnedRequest,
    pub(crate) by: Option<ExpectedBy>,
}

/// What `by` expects.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ExpectedBy {
    Rule(Box<str>),
    Default,
}

pub(crate) fn check_tests(sources: &[Source<'_>], report: &mut Reporter<'_>) -> Vec<CheckedTest> {
    let mut names = HashMap::new();
    let mut tests = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        for block in &source.file.tests {
            match names.entry(block.name.value.as_str()) {
                Entry::Occupied(first) => {
                    let &(first_source, first) = first.get();
                    report.error_with(
                        Code::DuplicateTest,
                        i,
                        block.name.span,
                        format!("duplicate test name `{}`", block.name.value),
                        (first_source, first, "first defined here"),
                    );
                }
                Entry::Vacant(slot) => {
                    slot.insert((i, block.name.span));
                }
            }
            let mut cases = Vec::new();
            for e in &block.expectations {
                let mut case = Expected {
                    file: source.name.into(),
                    line: e.span.line,
                    column: e.span.column,
                    effect: e.effect.into(),
                    request: OwnedRequest::new(e.method.value.as_str(), e.path.value.as_str()),
                    by: match &e.by {
                        None => None,
                        Some(By::Default) => Some(ExpectedBy::Default),
                        Some(By::Rule(name)) => Some(ExpectedBy::Rule(name.value.as_str().into())),
                    },
                };
                let mut seen = HashSet::new();
                for field in &e.fields {
                    // Headers and attributes may repeat (several values); the
                    // others are given at most once.
                    let (once, span) = match field {
                        Field::Identity(s) => (Some(Keyword::Identity), s.span),
                        Field::Host(s) => (Some(Keyword::Host), s.span),
                        Field::Port(p) => (Some(Keyword::Port), p.span),
                        Field::Source(a) => (Some(Keyword::Source), a.span),
                        Field::Header(n, _) | Field::Attr(n, _) => (None, n.span),
                    };
                    if let Some(key) = once.filter(|&key| !seen.insert(key.as_str())) {
                        report.error(
                            Code::InvalidExpectation,
                            i,
                            span,
                            format!("`{}` is given twice in one expectation", key.as_str()),
                        );
                        continue;
                    }
                    match field {
                        Field::Identity(s) => {
                            case.request.set_identity(s.value.as_str());
                        }
                        Field::Host(s) => {
                            case.request.set_host(s.value.as_str());
                        }
                        Field::Port(p) => match values::port(p.value) {
                            Ok(port) => {
                                case.request.set_port(port);
                            }
                            Err(message) => report.error(Code::InvalidPort, i, p.span, message),
                        },
                        Field::Source(a) => {
                            if a.text.contains('/') {
                                report.error(
                                    Code::InvalidExpectation,
                                    i,
                                    a.span,
                                    format!(
                                        "a test's `source` is one address, not a block: `{}`",
                                        a.text
                                    ),
                                );
                                continue;
                            }
                            match values::parse_addr(&a.text) {
                                Ok(addr) => {
                                    case.request.set_source(addr);
                                }
                                Err(message) => {
                                    report.error(Code::InvalidAddress, i, a.span, message);
                                }
                            }
                        }
                        Field::Header(n, v) => {
                            case.request.push_header(n.value.as_str(), v.value.as_str());
                        }
                        Field::Attr(n, v) => {
                            case.request.push_attr(n.value.as_str(), v.value.as_str());
                        }
                    }
                }
                cases.push(case);
            }
            tests.push(CheckedTest {
                name: block.name.value.as_str().into(),
                cases,
            });
        }
    }
    tests
}
