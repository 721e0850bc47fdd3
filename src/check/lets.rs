//! `let` bindings: one scope across all sources, order-free, cycles rejected.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::diagnostic::Code;
use crate::span::Span;
use crate::suggest::did_you_mean;
use crate::syntax::keyword::not_a_name;
use crate::syntax::{Let, LetValue, Value, ValueKind};

use super::Reporter;

/// Methods common enough that a lower-case one is surely a misspelling.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// A value after splicing names, with where it came from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spliced<'a> {
    pub(crate) value: &'a Value,
    /// The source index of the value's text.
    pub(crate) source: usize,
    /// The name use that brought it in, if any: (source index, span, name).
    pub(crate) via: Option<(usize, Span, &'a str)>,
}

/// All bindings of a policy.
#[derive(Debug, Default)]
pub(crate) struct Lets<'a> {
    by_name: HashMap<&'a str, (usize, &'a Let)>,
    /// The names a splice has gone through so far (see [`Lets::check_unreached`]).
    reached: RefCell<HashSet<&'a str>>,
}

impl<'a> Lets<'a> {
    /// Collects the bindings of every source, reporting duplicates at the second one.
    pub(crate) fn collect(
        sources: impl Iterator<Item = (usize, &'a [Let])>,
        report: &mut Reporter<'_>,
    ) -> Lets<'a> {
        let mut by_name = HashMap::new();
        for (source, lets) in sources {
            for binding in lets {
                let name = binding.name.name.as_str();
                if let Some(message) = not_a_name(name) {
                    report.error(Code::InvalidName, source, binding.name.span, message);
                }
                if let Some(&(first_source, first)) = by_name.get(name) {
                    let first: &Let = first;
                    report.error_with(
                        Code::DuplicateLet,
                        source,
                        binding.name.span,
                        format!("duplicate `let` name `{name}`"),
                        (first_source, first.name.span, "first defined here"),
                    );
                } else {
                    by_name.insert(name, (source, binding));
                }
            }
        }
        Lets {
            by_name,
            reached: RefCell::default(),
        }
    }

    /// Splices every binding that no rule reached, so that an undefined name or a
    /// cycle is an error even in a `let` nothing uses (errors inside a binding that
    /// was reached have already been reported). In source order, for stable output.
    pub(crate) fn check_unreached(&self, report: &mut Reporter<'_>) {
        let mut bindings: Vec<(usize, &'a Let)> = self.by_name.values().copied().collect();
        bindings.sort_by_key(|(source, binding)| (*source, binding.name.span.start));
        let mut out = Vec::new();
        for (source, binding) in bindings {
            let name = binding.name.name.as_str();
            if self.reached.borrow().contains(name) {
                continue;
            }
            out.clear();
            self.splice_name(source, name, binding.name.span, &mut out, report);
        }
    }

    /// The names bound, for hints.
    fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.by_name.keys().copied()
    }

    /// Splices `values` (written in `source`), expanding names recursively. Undefined
    /// names and cycles are reported; `Ok(false)` is returned if any was.
    pub(crate) fn splice(
        &self,
        source: usize,
        values: &'a [Value],
        out: &mut Vec<Spliced<'a>>,
        report: &mut Reporter<'_>,
    ) -> bool {
        let mut stack = Vec::new();
        self.splice_inner(source, values, None, &mut stack, out, report)
    }

    /// Splices the binding `name`, used at `span` of `source`.
    pub(crate) fn splice_name(
        &self,
        source: usize,
        name: &'a str,
        span: Span,
        out: &mut Vec<Spliced<'a>>,
        report: &mut Reporter<'_>,
    ) -> bool {
        let mut stack = Vec::new();
        self.splice_one_name(source, name, span, None, &mut stack, out, report)
    }

    fn splice_inner(
        &self,
        source: usize,
        values: &'a [Value],
        via: Option<(usize, Span, &'a str)>,
        stack: &mut Vec<&'a str>,
        out: &mut Vec<Spliced<'a>>,
        report: &mut Reporter<'_>,
    ) -> bool {
        let mut ok = true;
        for value in values {
            if out.len() >= report.limits.max_values {
                let (at_source, span) = via.map_or((source, value.span), |(s, sp, _)| (s, sp));
                report.error(
                    Code::CompileLimit,
                    at_source,
                    span,
                    format!(
                        "more than {} values in one condition (the compile limit)",
                        report.limits.max_values
                    ),
                );
                return false;
            }
            if let ValueKind::Name { name } = &value.kind {
                ok &= self.splice_one_name(source, name, value.span, via, stack, out, report);
            } else {
                out.push(Spliced { value, source, via });
            }
        }
        ok
    }

    #[expect(clippy::too_many_arguments, reason = "recursion state")]
    fn splice_one_name(
        &self,
        source: usize,
        name: &'a str,
        span: Span,
        via: Option<(usize, Span, &'a str)>,
        stack: &mut Vec<&'a str>,
        out: &mut Vec<Spliced<'a>>,
        report: &mut Reporter<'_>,
    ) -> bool {
        if let Some(message) = not_a_name(name) {
            report.error(Code::InvalidName, source, span, message);
            return false;
        }
        let Some(&(def_source, binding)) = self.by_name.get(name) else {
            let upper = name.to_ascii_uppercase();
            let hint = match did_you_mean(name, self.names()) {
                Some(n) => format!("; did you mean `{n}`?"),
                None if METHODS.contains(&upper.as_str()) => {
                    format!("; methods are upper case: did you mean `{upper}`?")
                }
                None => String::new(),
            };
            report.error(
                Code::UndefinedName,
                source,
                span,
                format!("undefined name `{name}`{hint}"),
            );
            return false;
        };
        self.reached.borrow_mut().insert(name);
        if stack.contains(&name) {
            report.error(
                Code::NameCycle,
                source,
                span,
                format!("`{name}` is defined in terms of itself"),
            );
            return false;
        }
        if stack.len() >= report.limits.max_name_depth {
            // Blame the use in the rule, where the chain starts.
            let (source, span) = via.map_or((source, span), |(s, sp, _)| (s, sp));
            report.error(
                Code::CompileLimit,
                source,
                span,
                format!(
                    "names refer to names more than {} deep (the compile limit)",
                    report.limits.max_name_depth
                ),
            );
            return false;
        }
        // The outermost use is the one to blame for a wrong type.
        let via = via.or(Some((source, span, name)));
        stack.push(name);
        let ok = match &binding.value {
            LetValue::Single(value) => self.splice_inner(
                def_source,
                std::slice::from_ref(value),
                via,
                stack,
                out,
                report,
            ),
            LetValue::List(list) => {
                self.splice_inner(def_source, &list.values, via, stack, out, report)
            }
        };
        stack.pop();
        ok
    }
}
