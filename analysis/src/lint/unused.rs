//! `unused-let`: a `let` whose name no condition and no other `let` uses.

use std::collections::HashSet;

use portcullis::syntax::{File, InTarget, LetValue, Test, Value, ValueKind};
use portcullis::{Code, Diagnostic};

/// The `unused-let` findings of one file (`name`, `text`, parsed as `file`), given
/// every file of the policy.
pub(crate) fn unused_lets(files: &[File], name: &str, text: &str, file: &File) -> Vec<Diagnostic> {
    // `None`: a construct this version does not know could use a name, so no `let`
    // is reported unused (silent where unsure).
    let Some(used) = used_names(files) else {
        return Vec::new();
    };
    file.lets
        .iter()
        .filter(|binding| !used.contains(binding.name.name.as_str()))
        .map(|binding| {
            Diagnostic::new(
                Code::UnusedLet,
                name,
                text,
                binding.name.span,
                format!("`{}` is never used", binding.name.name),
            )
        })
        .collect()
}

/// Every name some condition or some `let` (other than the name's own) uses; `None`
/// when some test is of a kind this crate does not know.
fn used_names(files: &[File]) -> Option<HashSet<&str>> {
    let mut used = HashSet::new();
    for file in files {
        for condition in file.rules.iter().flat_map(|r| &r.conditions) {
            match &condition.test {
                Test::Values(values) => names_in(values, None, &mut used),
                Test::In(InTarget::Name(name)) => {
                    used.insert(name.name.as_str());
                }
                Test::In(InTarget::List(list)) => names_in(&list.values, None, &mut used),
                Test::Regex(_) | Test::Present | Test::Equals(_) => {}
                _ => return None,
            }
        }
        for binding in &file.lets {
            let own = Some(binding.name.name.as_str());
            match &binding.value {
                LetValue::List(list) => names_in(&list.values, own, &mut used),
                LetValue::Single(value) => names_in(std::slice::from_ref(value), own, &mut used),
            }
        }
    }
    Some(used)
}

fn names_in<'a>(values: &'a [Value], own: Option<&str>, used: &mut HashSet<&'a str>) {
    for value in values {
        if let ValueKind::Name { name } = &value.kind {
            if Some(name.as_str()) != own {
                used.insert(name.as_str());
            }
        }
    }
}
