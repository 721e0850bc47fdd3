//! Syntax tree → source text.
//!
//! The output is canonical: `default`, then the `let` bindings, then the rules, then the
//! test blocks, with two-space indentation and one condition or expectation per line.
//! Every tree the parser produces prints to text that parses back to the same tree
//! (spans aside). Trees from elsewhere (JSON) may hold what no source can say; those
//! parts are printed so that reading the text back fails with an error, never so that
//! it silently means something else:
//!
//! - a method that is not a bare method token is printed as a string;
//! - a name or an address that would not read back as itself (a keyword, `GET`, `10`,
//!   text with spaces…) is printed as `!` followed by a string, which is a syntax error;
//! - an empty list of values, or a test that does not fit its subject, is printed as
//!   it is and rejected by the parser.

use crate::syntax::ast::{
    By, Condition, Effect, Expectation, Field, File, InTarget, LetValue, List, Rule, Subject, Test,
    TestBlock, Value, ValueKind,
};
use crate::syntax::keyword::{Keyword, is_method, is_name};
use crate::syntax::lex::is_address;
use crate::syntax::string::quote;

/// Lists longer than this when written on one line are written one value per line.
const MAX_INLINE_LIST: usize = 72;

/// Prints a syntax tree as policy source text that parses back to the same tree
/// (spans aside).
///
/// ```
/// let file = portcullis::syntax::parse("default deny\nallow \"r\" { method GET }")?;
/// let text = portcullis::syntax::print(&file);
/// assert_eq!(text, "default deny\n\nallow \"r\" {\n  method GET\n}\n");
/// let again = portcullis::syntax::parse(&text)?;
/// assert_eq!(portcullis::syntax::print(&again), text);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
pub fn print(file: &File) -> String {
    let mut out = String::new();
    for default in file.default.iter().chain(&file.extra_defaults) {
        out.push_str(Keyword::Default.as_str());
        out.push(' ');
        out.push_str(effect(default.effect));
        out.push('\n');
    }
    if !file.lets.is_empty() {
        separate(&mut out);
        for binding in &file.lets {
            out.push_str(Keyword::Let.as_str());
            out.push(' ');
            out.push_str(&name(&binding.name.name));
            out.push_str(" = ");
            match &binding.value {
                LetValue::List(list) => out.push_str(&print_list(list, "")),
                LetValue::Single(value) => out.push_str(&print_value(value)),
            }
            out.push('\n');
        }
    }
    for rule in &file.rules {
        separate(&mut out);
        print_rule(&mut out, rule);
    }
    for block in &file.tests {
        separate(&mut out);
        print_test_block(&mut out, block);
    }
    out
}

/// A blank line between sections.
fn separate(out: &mut String) {
    if !out.is_empty() {
        out.push('\n');
    }
}

fn effect(effect: Effect) -> &'static str {
    Keyword::of_effect(effect).as_str()
}

/// A name as written bare, or `!"…"` (an error) when it would not read back as itself.
fn name(text: &str) -> String {
    if is_name(text) {
        text.to_string()
    } else {
        format!("!{}", quote(text))
    }
}

fn print_rule(out: &mut String, rule: &Rule) {
    out.push_str(Keyword::of_rule(rule.kind).as_str());
    out.push(' ');
    out.push_str(&quote(&rule.name.value));
    if rule.conditions.is_empty() {
        out.push_str(" {}\n");
        return;
    }
    out.push_str(" {\n");
    for condition in &rule.conditions {
        out.push_str("  ");
        out.push_str(&print_condition(condition));
        out.push('\n');
    }
    out.push_str("}\n");
}

/// A condition's text, as printed (on one line unless it holds a long list).
pub(crate) fn condition_text(condition: &Condition) -> String {
    print_condition(condition)
}

fn print_condition(condition: &Condition) -> String {
    let mut out = String::new();
    if condition.not {
        out.push_str(Keyword::Not.as_str());
        out.push(' ');
    }
    out.push_str(Keyword::of_subject(&condition.subject).as_str());
    if let Subject::Header(name) | Subject::Attr(name) = &condition.subject {
        out.push(' ');
        out.push_str(&quote(&name.value));
    }
    match &condition.test {
        Test::Values(values) => {
            let values: Vec<String> = values.iter().map(print_value).collect();
            if !values.is_empty() {
                out.push(' ');
                out.push_str(&values.join(", "));
            }
        }
        Test::In(InTarget::Name(ident)) => {
            out.push(' ');
            out.push_str(Keyword::In.as_str());
            out.push(' ');
            out.push_str(&name(&ident.name));
        }
        Test::In(InTarget::List(list)) => {
            out.push(' ');
            out.push_str(Keyword::In.as_str());
            out.push(' ');
            out.push_str(&print_list(list, "  "));
        }
        Test::Regex(regex) => {
            out.push_str(" ~ ");
            out.push_str(&quote(&regex.value));
        }
        Test::Present => {
            out.push(' ');
            out.push_str(Keyword::Present.as_str());
        }
        Test::Equals(value) => {
            out.push_str(" == ");
            out.push_str(&quote(&value.value));
        }
    }
    out
}

/// A list on one line if it is short, else one value per line indented under
/// `indent`, with a trailing comma.
fn print_list(list: &List, indent: &str) -> String {
    let values: Vec<String> = list.values.iter().map(print_value).collect();
    let inline = format!("[{}]", values.join(", "));
    if inline.len() <= MAX_INLINE_LIST {
        return inline;
    }
    let mut out = String::from("[\n");
    for value in values {
        out.push_str(indent);
        out.push_str("  ");
        out.push_str(&value);
        out.push_str(",\n");
    }
    out.push_str(indent);
    out.push(']');
    out
}

fn print_value(value: &Value) -> String {
    match &value.kind {
        ValueKind::String(text) => quote(text),
        ValueKind::Integer(n) => n.to_string(),
        ValueKind::Method { method } => method_text(method),
        ValueKind::Address { address } => address_text(address),
        ValueKind::Range { range: (a, b) } => format!("{a}..{b}"),
        ValueKind::Name { name: text } => name(text),
    }
}

/// A method bare when it is a bare method token, else as a string.
fn method_text(method: &str) -> String {
    if is_method(method) {
        method.to_string()
    } else {
        quote(method)
    }
}

/// An address bare, or `!"…"` (an error) when it would not read back as itself.
fn address_text(address: &str) -> String {
    if is_address(address) {
        address.to_string()
    } else {
        format!("!{}", quote(address))
    }
}

fn print_test_block(out: &mut String, block: &TestBlock) {
    out.push_str(Keyword::Test.as_str());
    out.push(' ');
    out.push_str(&quote(&block.name.value));
    if block.expectations.is_empty() {
        out.push_str(" {}\n");
        return;
    }
    out.push_str(" {\n");
    for expectation in &block.expectations {
        out.push_str("  ");
        out.push_str(&print_expectation(expectation));
        out.push('\n');
    }
    out.push_str("}\n");
}

fn print_expectation(expectation: &Expectation) -> String {
    let mut out = String::from(effect(expectation.effect));
    out.push(' ');
    out.push_str(&method_text(&expectation.method.value));
    out.push(' ');
    out.push_str(&quote(&expectation.path.value));
    for field in &expectation.fields {
        out.push(' ');
        let (keyword, value) = match field {
            Field::Identity(value) => (Keyword::Identity, quote(&value.value)),
            Field::Host(value) => (Keyword::Host, quote(&value.value)),
            Field::Port(port) => (Keyword::Port, port.value.to_string()),
            Field::Source(address) => (Keyword::Source, address_text(&address.text)),
            Field::Header(name, value) => (
                Keyword::Header,
                format!("{} = {}", quote(&name.value), quote(&value.value)),
            ),
            Field::Attr(name, value) => (
                Keyword::Attr,
                format!("{} = {}", quote(&name.value), quote(&value.value)),
            ),
        };
        out.push_str(keyword.as_str());
        out.push(' ');
        out.push_str(&value);
    }
    if let Some(by) = &expectation.by {
        out.push(' ');
        out.push_str(Keyword::By.as_str());
        out.push(' ');
        match by {
            By::Rule(rule) => out.push_str(&quote(&rule.value)),
            By::Default => out.push_str(Keyword::Default.as_str()),
        }
    }
    out
}

/// The byte ranges of the `!"…"` markers in printed `text`: values of a syntax tree
/// (from the JSON form) that are a name or an address in the tree but would not read
/// back as one (`"10.0.0.0/8, 0.0.0.0/0"`, `"in"`). Scans outside string literals
/// only, as a `!` inside a literal is text.
pub(crate) fn unprintable(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let marker = c == '!' && chars.peek().is_some_and(|&(_, next)| next == '"');
        if c != '"' && !marker {
            continue;
        }
        if marker {
            chars.next();
        }
        // Skip the literal, to just past its closing quote.
        let mut end = text.len();
        let mut escaped = false;
        for (j, c) in chars.by_ref() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = j + 1;
                    break;
                }
                _ => {}
            }
        }
        if marker {
            out.push((i, end));
        }
    }
    out
}

#[cfg(test)]
mod unprintable_tests {
    use super::unprintable;

    #[test]
    fn finds_markers_outside_literals_only() {
        let text = "a \"wow!\" !\"x, y\" \"q\\\"!\" !\"in\"";
        let found: Vec<&str> = unprintable(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(found, ["!\"x, y\"", "!\"in\""]);
    }
}
