//! Policy files in the JSON form (`*.json`), with diagnostics that name the JSON
//! location: `policy.json:/rules/3/when/0: error: ...` (a JSON Pointer, RFC 6901),
//! then the JSON source line with a caret under the node. `portcullis check` and
//! every other command, `portcullis serve` and [`Reloader`](crate::Reloader) (so
//! [`PolicyHandle::watch`](crate::PolicyHandle::watch) too) read them here.
//!
//! How: the JSON is read into the syntax tree (`portcullis::syntax::File`), which
//! [`print_with_spans`](portcullis::syntax::print_with_spans) prints as policy text
//! while giving every node its place in that text. The text is compiled with the
//! other files under the JSON file's name; a diagnostic (or a failed test
//! expectation) at a position of the text is then shown at the JSON Pointer of the
//! innermost node printed there.
//!
//! A tree the text form cannot say (a name or an address that would not read back
//! as one, a test that does not fit its subject) prints to text that does not parse:
//! the syntax error is then shown at the node it falls in. An empty `"values": []`
//! (the text form has no empty list of values; `{"in": {"list": []}}` is the test
//! that matches nothing) is reported before printing, at its own pointer.
//!
//! JSON that is not a policy is reported at its pointer too (serde's shape errors:
//! an unknown field, a missing one, a wrong type); JSON that is not JSON at all is
//! reported at `policy.json:LINE:COL` (serde_json's position), with the line.
//!
//! ```
//! use portcullis_http::json::{self, JsonPolicy};
//!
//! let text = r#"{"rules": [{"effect": "allow", "name": "ops", "when": [
//!     {"subject": "identity", "test": {"in": {"name": "ops"}}}]}]}"#;
//! let policy = JsonPolicy::read("team.json", text.to_string())?;
//! let error = portcullis::Policy::compile_sources([(policy.name(), policy.text())]).unwrap_err();
//! let rendered = json::render_diagnostic(&error.diagnostics()[0], &[], &[policy]);
//! assert!(rendered.starts_with("team.json:/rules/0/when/0/test/in/name: error: undefined name `ops`\n"));
//! # Ok::<(), portcullis_http::json::JsonError>(())
//! ```

use std::fmt;
use std::sync::OnceLock;

use portcullis::syntax::{self, By, Field, File, InTarget, LetValue, Subject, Test};
use portcullis::{Code, Diagnostic, Location, Severity, Span, TestFailure};

use crate::json_map::JsonMap;

/// Whether a policy file is read in the JSON form: its name ends in `.json`.
///
/// ```
/// assert!(portcullis_http::json::is_json("policy.json"));
/// assert!(!portcullis_http::json::is_json("policy.pcl"));
/// ```
pub fn is_json(name: &str) -> bool {
    name.ends_with(".json")
}

/// A file in the JSON form that is not a policy (not JSON, not an object, or not
/// shaped as the syntax tree). Displayed as the diagnostic for the operator: at its
/// JSON Pointer (or its line and column when the text is not JSON), with the line
/// and a caret, ending with a newline.
///
/// ```
/// use portcullis_http::json::JsonPolicy;
/// let error = JsonPolicy::read("p.json", r#"{"rules": [5]}"#.to_string()).unwrap_err();
/// assert!(error.to_string().starts_with("p.json:/rules/0: error: invalid type: integer `5`, expected an object\n"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    rendered: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rendered)
    }
}

impl std::error::Error for JsonError {}

/// A policy file in the JSON form, read and printed as policy text: compile
/// [`text`](JsonPolicy::text) under [`name`](JsonPolicy::name) (with any other
/// files), then show its diagnostics with [`render_diagnostic`].
///
/// ```
/// use portcullis_http::json::JsonPolicy;
/// let policy = JsonPolicy::read("p.json", r#"{"default": "allow"}"#.to_string())?;
/// assert_eq!(policy.text(), "default allow\n");
/// # Ok::<(), portcullis_http::json::JsonError>(())
/// ```
#[derive(Debug)]
pub struct JsonPolicy {
    name: String,
    json: String,
    map: JsonMap,
    /// The policy text that is compiled in the JSON file's place.
    printed: String,
    /// The tree, each node's span set to where it is printed.
    tree: File,
    /// Each node's byte range in the printed text and its pointer; built when first
    /// needed (only a diagnostic or a failed expectation needs it).
    places: OnceLock<Vec<(usize, usize, String)>>,
}

impl JsonPolicy {
    /// Reads `json`, the contents of the file `name`.
    ///
    /// # Errors
    ///
    /// [`JsonError`] when it is not a policy in the JSON form.
    pub fn read(name: &str, json: String) -> Result<JsonPolicy, JsonError> {
        let map = JsonMap::new(&json);
        // A derived struct also reads an array (fields by position): a policy is an
        // object and nothing else.
        let first = json.find(|c: char| !matches!(c, ' ' | '\t' | '\r' | '\n'));
        if let Some(start) = first.filter(|&i| json.get(i..).is_some_and(|s| !s.starts_with('{'))) {
            let end = map.range("").map_or(start + 1, |(_, end)| end);
            let message = "a policy in the JSON form is a JSON object";
            let rendered = Diagnostic::new(
                Code::Syntax,
                name,
                &json,
                Span::locate(&json, start, end),
                message,
            )
            .to_string();
            return Err(JsonError { rendered });
        }
        let mut tree: File = match serde_json::from_str(&json) {
            Ok(tree) => tree,
            Err(e) => {
                return Err(JsonError {
                    rendered: serde_error(name, &json, &map, &e),
                });
            }
        };
        if let Some(rendered) = empty_values(name, &json, &map, &tree) {
            return Err(JsonError { rendered });
        }
        let printed = syntax::print_with_spans(&mut tree);
        Ok(JsonPolicy {
            name: name.to_string(),
            json,
            map,
            printed,
            tree,
            places: OnceLock::new(),
        })
    }

    /// The file's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy text compiled in the file's place: its diagnostics point into this
    /// text, and [`render_diagnostic`] shows them at their JSON location.
    pub fn text(&self) -> &str {
        &self.printed
    }

    /// The JSON Pointer of the innermost node at 1-based `line` and `column` of
    /// [`text`](JsonPolicy::text); the root, `""`, when none is there.
    ///
    /// ```
    /// use portcullis_http::json::JsonPolicy;
    /// let json = r#"{"rules": [{"effect": "allow", "name": "r", "when": [
    ///     {"subject": "port", "test": {"values": [80]}}]}]}"#;
    /// let policy = JsonPolicy::read("p.json", json.to_string())?;
    /// assert_eq!(policy.text(), "allow \"r\" {\n  port 80\n}\n");
    /// assert_eq!(policy.pointer_at(2, 8), "/rules/0/when/0/test/values/0");
    /// assert_eq!(policy.pointer_at(1, 1), "/rules/0");
    /// # Ok::<(), portcullis_http::json::JsonError>(())
    /// ```
    pub fn pointer_at(&self, line: u32, column: u32) -> &str {
        self.pointer(offset_of(&self.printed, line, column))
    }

    /// A failed test expectation of this file: `name:POINTER: test `NAME`: message`.
    pub fn render_failure(&self, f: &TestFailure) -> String {
        format!(
            "{}:{}: test `{}`: {}",
            self.name,
            self.pointer_at(f.line(), f.column()),
            f.test(),
            f.message()
        )
    }

    /// The message of a diagnostic in this file (a name or an address the text
    /// form cannot hold is said to be one).
    fn message(&self, d: &Diagnostic) -> String {
        let offset = offset_of(&self.printed, d.line(), d.column());
        unprintable_message(&self.printed, offset).unwrap_or_else(|| d.message().to_string())
    }

    /// `name:POINTER: heading` for a place of the printed text, then its JSON line
    /// with a caret under the node.
    fn render_place(&self, line: u32, column: u32, heading: &str) -> String {
        render(
            &self.name,
            &self.json,
            &self.map,
            self.pointer_at(line, column),
            heading,
        )
    }

    /// The pointer of the innermost node at `offset` of the printed text; the root,
    /// `""`, when none is known.
    fn pointer(&self, offset: usize) -> &str {
        self.places
            .get_or_init(|| {
                let mut places = Vec::new();
                walk(&self.tree, &mut places);
                places
            })
            .iter()
            .filter(|(start, end, _)| *start <= offset && (offset < *end || offset == *start))
            .min_by_key(|(start, end, _)| end - start)
            .map_or("", |(_, _, pointer)| pointer.as_str())
    }
}

/// A diagnostic as the library renders it, but with every place in a JSON file (the
/// diagnostic's own, and related ones such as "first defined here") shown at its
/// JSON location. `sources` are the other files' names and texts (for related
/// places in them); `json` the JSON files compiled with them.
pub fn render_diagnostic(d: &Diagnostic, sources: &[(&str, &str)], json: &[JsonPolicy]) -> String {
    let json_of = |file: &str| json.iter().find(|j| j.name() == file);
    let in_json = std::iter::once(d.location())
        .chain(d.related().iter().map(|r| r.location()))
        .any(|l| json_of(l.file()).is_some());
    if !in_json {
        return d.to_string();
    }
    let place = |location: &Location, heading: &str| match json_of(location.file()) {
        Some(json) => json.render_place(location.line(), location.column(), heading),
        None => {
            let text = sources
                .iter()
                .find(|(name, _)| *name == location.file())
                .map_or("", |(_, text)| *text);
            with_snippet(location.file(), text, location.span(), heading)
        }
    };
    let message = match json_of(d.file()) {
        Some(json) => json.message(d),
        None => d.message().to_string(),
    };
    let heading = match d.severity() {
        Severity::Error => format!("error: {message}"),
        severity => format!("{severity}[{}]: {message}", d.code()),
    };
    let mut out = place(d.location(), &heading);
    for related in d.related() {
        out.push_str(&place(
            related.location(),
            &format!("note: {}", related.label()),
        ));
    }
    out
}

/// `name:POINTER: heading`, then the JSON line with a caret under the node (when
/// the node is found in the text). The root, whose pointer is empty, is shown at its
/// line and column instead.
fn render(name: &str, json: &str, map: &JsonMap, pointer: &str, heading: &str) -> String {
    let range = map.range(pointer);
    if pointer.is_empty() {
        let (start, end) = range.unwrap_or((0, 0));
        return with_snippet(name, json, Span::locate(json, start, end), heading);
    }
    let head = format!("{name}:{pointer}: {heading}\n");
    match range {
        Some((start, end)) => {
            let snippet = with_snippet(name, json, Span::locate(json, start, end), "");
            match snippet.split_once('\n') {
                Some((_, rest)) => format!("{head}{rest}"),
                None => head,
            }
        }
        None => head,
    }
}

/// `name:LINE:COL: heading`, then the line of `text` with a caret under `span`, as
/// the library renders a diagnostic.
fn with_snippet(name: &str, text: &str, span: Span, heading: &str) -> String {
    let rendered = Diagnostic::new(Code::Syntax, name, text, span, "").to_string();
    let rest = rendered.split_once('\n').map_or("", |(_, rest)| rest);
    format!("{name}:{}:{}: {heading}\n{rest}", span.line, span.column)
}

/// serde_json's error, at the pointer of the node it stopped in when the JSON is well
/// formed but not a policy, else at its line and column.
fn serde_error(name: &str, json: &str, map: &JsonMap, e: &serde_json::Error) -> String {
    let text = e.to_string();
    let location = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&location).unwrap_or(&text);
    // serde_json counts columns in bytes, 1-based.
    let line_start = line_start(json, e.line());
    let offset = (line_start + e.column().saturating_sub(1)).min(json.len());
    let untagged = message.starts_with(UNTAGGED);
    let pointer = match e.classify() {
        // An untagged enum (a value, a `let` value) is read whole first, and the error
        // comes with the position after it; other errors at the node they stop in.
        serde_json::error::Category::Data if untagged => map.pointer_ending_at(offset),
        serde_json::error::Category::Data => map.pointer_at(offset),
        _ => None,
    };
    let message = plain_message(message);
    match pointer {
        Some(pointer) => render(name, json, map, pointer, &format!("error: {message}")),
        None => {
            let end = json
                .get(offset..)
                .and_then(|s| s.chars().next())
                .map_or(offset, |c| offset + c.len_utf8());
            let span = Span::locate(json, offset, end);
            with_snippet(name, json, span, &format!("error: {message}"))
        }
    }
}

const UNTAGGED: &str = "data did not match any variant of untagged enum ";

/// serde's message in the project's words: no Rust type names, JSON's names for
/// JSON's types.
fn plain_message(message: &str) -> String {
    if let Some(kind) = message.strip_prefix(UNTAGGED) {
        return match kind {
            "LetValue" => "not a `let` value: a value or a list of values".to_string(),
            "ValueKind" => "not a value: a string, a port number, or an object \
                            `{\"method\": ...}`, `{\"address\": ...}`, `{\"range\": [from, to]}` \
                            or `{\"name\": ...}`"
                .to_string(),
            _ => "not a valid value here".to_string(),
        };
    }
    let mut out = message
        .replace("invalid type: map,", "invalid type: object,")
        .replace("invalid type: sequence,", "invalid type: array,")
        .replace("invalid type: unit value,", "invalid type: null,")
        .replace(
            "expected a tuple of size 2",
            "expected an array of 2 values",
        )
        .replace("expected u64", "expected a non-negative integer")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected an object");
    if let Some(head) = out.strip_suffix("expected unit") {
        out = format!("{head}expected null");
    }
    for (rust, json) in [
        ("expected struct ", "expected an object"),
        (
            "expected enum ",
            "expected a string or an object with one key",
        ),
        ("expected unit variant ", "expected a string"),
        (
            "expected newtype variant ",
            "expected an object with one key",
        ),
        ("expected tuple variant ", "expected an array of"),
    ] {
        if let Some(at) = out.find(rust) {
            // The type name runs to the end of the word.
            let rest = out.get(at + rust.len()..).unwrap_or("");
            let name_len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == ':' || c == '_'))
                .unwrap_or(rest.len());
            let mut tail = rest.get(name_len..).unwrap_or("").to_string();
            if let Some(count) = tail.strip_prefix(" with ") {
                // `Field::Header with 2 elements`.
                tail = format!(" {}", count.replace(" elements", " values"));
            }
            out.truncate(at);
            out.push_str(json);
            out.push_str(&tail);
        }
    }
    out
}

/// The byte offset where 1-based `line` starts (the end of the text past its last).
fn line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// The byte offset of 1-based `line` and character `column` of `text`.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let start = line_start(text, usize::try_from(line).unwrap_or(usize::MAX));
    let column = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
    let rest = text.get(start..).unwrap_or("");
    start
        + rest
            .char_indices()
            .nth(column)
            .map_or(rest.len(), |(i, _)| i)
}

/// The printer writes a name or an address that would not read back as one as `!`
/// and a string, which does not parse; at such a marker, say what it is.
fn unprintable_message(printed: &str, offset: usize) -> Option<String> {
    let marker = printed.get(offset..)?.strip_prefix('!')?;
    if !marker.starts_with('"') {
        return None;
    }
    let mut escaped = false;
    let end = marker.char_indices().skip(1).find_map(|(i, c)| match c {
        _ if escaped => {
            escaped = false;
            None
        }
        '\\' => {
            escaped = true;
            None
        }
        '"' => Some(i + 1),
        _ => None,
    })?;
    let value = marker.get(..end)?;
    Some(format!(
        "{value} is neither a valid name nor a valid address"
    ))
}

/// The diagnostics for every `"values": []` of a rule's condition, at its pointer:
/// the text form has no way to write an empty list of values (a test that never
/// matches is `in []`), so its printed text would not parse and the error would land
/// on the rule's closing brace instead of on the list.
fn empty_values(name: &str, json: &str, map: &JsonMap, tree: &File) -> Option<String> {
    let mut rendered = String::new();
    for (i, rule) in tree.rules.iter().enumerate() {
        for (k, condition) in rule.conditions.iter().enumerate() {
            if !matches!(&condition.test, Test::Values(values) if values.is_empty()) {
                continue;
            }
            let pointer = format!("/rules/{i}/when/{k}/test/values");
            let subject = match &condition.subject {
                Subject::Identity => "identity",
                Subject::Method => "method",
                Subject::Path => "path",
                Subject::Host => "host",
                Subject::Port => "port",
                Subject::Source => "source",
                Subject::Header(_) => "header",
                Subject::Attr(_) => "attr",
                _ => "the subject",
            };
            // The checker's words for the same tree (`Policy::from_syntax`).
            let message = format!(
                "error: `{subject}` needs at least one value \
                 (`{{\"in\": {{\"list\": []}}}}` is the test that matches nothing)"
            );
            rendered.push_str(&render(name, json, map, &pointer, &message));
        }
    }
    (!rendered.is_empty()).then_some(rendered)
}

/// Every node of a tree read from printed text: its span and its JSON pointer.
fn walk(file: &File, out: &mut Vec<(usize, usize, String)>) {
    let mut add = |span: Span, pointer: String| out.push((span.start, span.end, pointer));
    if let Some(default) = &file.default {
        add(default.span, "/default".to_string());
    }
    for (i, binding) in file.lets.iter().enumerate() {
        let base = format!("/let/{i}");
        add(binding.name.span, format!("{base}/name"));
        match &binding.value {
            LetValue::List(list) => {
                for (j, value) in list.values.iter().enumerate() {
                    add(value.span, format!("{base}/value/{j}"));
                }
                add(list.span, format!("{base}/value"));
            }
            LetValue::Single(value) => add(value.span, format!("{base}/value")),
        }
        add(binding.span, base);
    }
    for (i, rule) in file.rules.iter().enumerate() {
        let base = format!("/rules/{i}");
        add(rule.name.span, format!("{base}/name"));
        for (k, condition) in rule.conditions.iter().enumerate() {
            let base = format!("{base}/when/{k}");
            match &condition.subject {
                Subject::Header(name) => add(name.span, format!("{base}/subject/header")),
                Subject::Attr(name) => add(name.span, format!("{base}/subject/attr")),
                _ => {}
            }
            let test = format!("{base}/test");
            match &condition.test {
                Test::Values(values) => {
                    for (j, value) in values.iter().enumerate() {
                        add(value.span, format!("{test}/values/{j}"));
                    }
                }
                Test::In(InTarget::Name(name)) => add(name.span, format!("{test}/in/name")),
                Test::In(InTarget::List(list)) => {
                    for (j, value) in list.values.iter().enumerate() {
                        add(value.span, format!("{test}/in/list/{j}"));
                    }
                    add(list.span, format!("{test}/in/list"));
                }
                Test::Regex(regex) => add(regex.span, format!("{test}/regex")),
                Test::Equals(value) => add(value.span, format!("{test}/equals")),
                _ => {}
            }
            add(condition.span, base);
        }
        add(rule.span, base);
    }
    for (i, block) in file.tests.iter().enumerate() {
        let base = format!("/tests/{i}");
        add(block.name.span, format!("{base}/name"));
        for (e, expectation) in block.expectations.iter().enumerate() {
            let base = format!("{base}/expectations/{e}");
            add(expectation.method.span, format!("{base}/method"));
            add(expectation.path.span, format!("{base}/path"));
            for (f, field) in expectation.fields.iter().enumerate() {
                let base = format!("{base}/fields/{f}");
                match field {
                    Field::Identity(value) => add(value.span, format!("{base}/identity")),
                    Field::Host(value) => add(value.span, format!("{base}/host")),
                    Field::Port(port) => add(port.span, format!("{base}/port")),
                    Field::Source(address) => add(address.span, format!("{base}/source")),
                    Field::Header(name, value) => {
                        add(name.span, format!("{base}/header/0"));
                        add(value.span, format!("{base}/header/1"));
                    }
                    Field::Attr(name, value) => {
                        add(name.span, format!("{base}/attr/0"));
                        add(value.span, format!("{base}/attr/1"));
                    }
                    // A field a later language version adds: the expectation's own
                    // location stands for it.
                    _ => {}
                }
            }
            if let Some(By::Rule(rule)) = &expectation.by {
                add(rule.span, format!("{base}/by/rule"));
            }
            add(expectation.span, base);
        }
        add(block.span, base);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn offsets_count_characters_on_their_line() {
        let text = "ab\néx\n\nz";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 2, 2), 5);
        assert_eq!(offset_of(text, 3, 1), 7);
        assert_eq!(offset_of(text, 4, 1), 8);
        assert_eq!(offset_of(text, 9, 9), text.len());
    }

    #[test]
    fn serde_messages_in_json_words() {
        for (serde, plain) in [
            (
                "invalid type: integer `5`, expected struct Rule",
                "invalid type: integer `5`, expected an object",
            ),
            (
                "invalid type: map, expected enum Subject",
                "invalid type: object, expected a string or an object with one key",
            ),
            (
                "invalid length 1, expected tuple variant Field::Header with 2 elements",
                "invalid length 1, expected an array of 2 values",
            ),
            (
                "invalid type: string \"x\", expected u64",
                "invalid type: string \"x\", expected a non-negative integer",
            ),
            ("missing field `name`", "missing field `name`"),
        ] {
            assert_eq!(plain_message(serde), plain);
        }
    }

    #[test]
    fn a_tree_whose_text_does_not_parse_is_placed_at_its_nodes() {
        let json = r#"{"rules": [
            {"effect": "allow", "name": "a", "when": [
                {"subject": "method", "test": {"values": [{"method": "GET"}]}}]},
            {"effect": "allow", "name": "b", "when": [
                {"subject": "path", "test": {"values": ["/x"]}},
                {"subject": "identity", "test": {"in": {"name": "not a name"}}}]}]}"#;
        let policy = JsonPolicy::read("p.json", json.to_string()).unwrap();
        let error =
            portcullis::Policy::compile_sources([(policy.name(), policy.text())]).unwrap_err();
        let rendered = render_diagnostic(&error.diagnostics()[0], &[], &[policy]);
        assert!(
            rendered.starts_with(
                "p.json:/rules/1/when/1/test/in/name: error: \"not a name\" is neither a valid name nor a valid address\n"
            ),
            "{rendered}"
        );
        let json = r#"{"rules": [{"effect": "allow", "name": "a", "when": [
            {"subject": "path", "test": {"values": ["/x"]}},
            {"subject": "method", "test": {"values": []}}]},
          {"effect": "deny", "name": "b", "when": [
            {"subject": "port", "test": {"values": []}}]}]}"#;
        // Every empty list, each at its own pointer, with its line and a caret.
        let rendered = JsonPolicy::read("p.json", json.to_string())
            .unwrap_err()
            .to_string();
        let heads: Vec<&str> = rendered
            .lines()
            .filter(|l| l.starts_with("p.json:"))
            .collect();
        assert_eq!(heads.len(), 2, "{rendered}");
        assert!(
            heads[0].starts_with(
                "p.json:/rules/0/when/1/test/values: error: `method` needs at least one value"
            ),
            "{rendered}"
        );
        assert!(
            heads[1].starts_with(
                "p.json:/rules/1/when/0/test/values: error: `port` needs at least one value"
            ),
            "{rendered}"
        );
        assert!(rendered.contains("\"values\": []"), "{rendered}");
        assert!(rendered.contains('^'), "{rendered}");
        // The list that matches nothing reads and compiles.
        let json = r#"{"rules": [{"effect": "allow", "name": "a", "when": [
            {"subject": "method", "test": {"in": {"list": []}}}]}]}"#;
        let policy = JsonPolicy::read("p.json", json.to_string()).unwrap();
        portcullis::Policy::compile_sources([(policy.name(), policy.text())]).unwrap();
    }
}
