//! `redundant-value`: a value of a condition that another value of the same
//! condition already covers (every request the one matches, the other matches).
//! Proved on the classes of the request space, at the value as written (in its
//! `let` when it comes from one).

use std::collections::{HashMap, HashSet};

use portcullis::syntax::{File, InTarget, LetValue, Test, Value, ValueKind};
use portcullis::{Code, Diagnostic, Span};

use crate::space::PolicyModel;

/// A value as written: the file it is in and its span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Written {
    file: usize,
    span: Span,
}

/// The findings, in the order of the rules and values.
pub(crate) fn redundant_values(
    files: &[File],
    sources: &[(&str, &str)],
    model: &PolicyModel,
) -> Vec<Diagnostic> {
    let mut lets: HashMap<&str, (usize, &LetValue)> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        for binding in &file.lets {
            lets.insert(binding.name.name.as_str(), (i, &binding.value));
        }
    }
    let rules = files
        .iter()
        .enumerate()
        .flat_map(|(i, f)| f.rules.iter().map(move |r| (i, r)));
    let mut reported: HashSet<Written> = HashSet::new();
    let mut findings = Vec::new();
    for ((file, rule), modelled) in rules.zip(&model.rules) {
        if rule.conditions.len() != modelled.conditions.len() {
            continue;
        }
        for (condition, cond) in rule.conditions.iter().zip(&modelled.conditions) {
            if cond.values.len() < 2 {
                continue;
            }
            let mut written = Vec::new();
            match &condition.test {
                Test::Values(values) => splice(values, file, &lets, &mut written, 0),
                Test::In(InTarget::List(list)) => {
                    splice(&list.values, file, &lets, &mut written, 0)
                }
                Test::In(InTarget::Name(name)) => {
                    splice_name(&name.name, &lets, &mut written, 0);
                }
                _ => continue,
            }
            if written.len() != cond.values.len() {
                continue;
            }
            for (j, value) in cond.values.iter().enumerate() {
                let cover = cond.values.iter().enumerate().position(|(i, other)| {
                    i != j && value.is_subset(other) && (value != other || i < j)
                });
                let (Some(i), Some(&here)) = (cover, written.get(j)) else {
                    continue;
                };
                if !reported.insert(here) {
                    continue;
                }
                let Some(&(name, text)) = sources.get(here.file) else {
                    continue;
                };
                let shown = |w: Option<&Written>| {
                    w.and_then(|w| sources.get(w.file).map(|s| (s.1, w.span)))
                        .and_then(|(t, s)| t.get(s.start..s.end))
                        .unwrap_or("")
                        .to_string()
                };
                let message = format!(
                    "`{}` is already covered by `{}` in this condition of `{}`",
                    shown(Some(&here)),
                    shown(written.get(i)),
                    rule.name.value
                );
                findings.push(Diagnostic::new(
                    Code::RedundantValue,
                    name,
                    text,
                    here.span,
                    message,
                ));
            }
        }
    }
    findings
}

/// Appends the values as the checker splices them: a name stands for its `let`'s
/// values.
fn splice(
    values: &[Value],
    file: usize,
    lets: &HashMap<&str, (usize, &LetValue)>,
    out: &mut Vec<Written>,
    depth: usize,
) {
    for value in values {
        match &value.kind {
            ValueKind::Name { name } => splice_name(name, lets, out, depth),
            _ => out.push(Written {
                file,
                span: value.span,
            }),
        }
    }
}

fn splice_name(
    name: &str,
    lets: &HashMap<&str, (usize, &LetValue)>,
    out: &mut Vec<Written>,
    depth: usize,
) {
    // Names are checked to be acyclic; the depth only bounds a surprise.
    if depth > 64 {
        return;
    }
    match lets.get(name) {
        Some((file, LetValue::List(list))) => splice(&list.values, *file, lets, out, depth + 1),
        Some((file, LetValue::Single(value))) => {
            splice(std::slice::from_ref(value), *file, lets, out, depth + 1);
        }
        None => {}
    }
}
