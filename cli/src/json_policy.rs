//! Policy files in the JSON form (`*.json`), with diagnostics that name the JSON
//! location: `policy.json:/rules/3/when/0: error: ...` (a JSON Pointer, RFC 6901),
//! then the JSON source line with a caret under the node.
//!
//! How, without changing the library: the JSON is read into the syntax tree
//! (`portcullis::syntax::File`), printed as policy text, and that text is compiled
//! with the other files under the JSON file's name. Reading the printed text back
//! (when a place is first asked for: a policy that compiles and passes its tests
//! never pays for it) gives every node a span in it, and walking that tree gives
//! each span its JSON Pointer; a diagnostic (or a failed test expectation) at a position of the printed
//! text is then shown at the pointer of the innermost node there.
//!
//! A tree the text form cannot say (a name or an address that would not read back
//! as one, an empty list of values, a test that does not fit its subject) prints to
//! text that does not parse. Diagnostics are then placed by line, at the item (and
//! the condition or expectation) the line belongs to.
//!
//! JSON that is not a policy is reported at its pointer too (serde's shape errors:
//! an unknown field, a missing one, a wrong type); JSON that is not JSON at all is
//! reported at `policy.json:LINE:COL` (serde_json's position), with the line.

use std::cell::OnceCell;

use portcullis::syntax::{self, By, Field, File, InTarget, LetValue, Subject, Test};
use portcullis::{Code, Diagnostic, Span, TestFailure};

use crate::json_map::JsonMap;

/// Whether a policy file is read in the JSON form.
pub fn is_json(name: &str) -> bool {
    name.ends_with(".json")
}

/// A JSON policy file, read and printed as text.
#[derive(Debug)]
pub struct JsonPolicy {
    name: String,
    json: String,
    map: JsonMap,
    /// The policy text that is compiled in the JSON file's place.
    printed: String,
    /// Where the nodes are in the printed text; built when first needed (only a
    /// diagnostic or a failed expectation needs it).
    places: OnceCell<Places>,
}

/// The nodes of the printed text and their pointers.
#[derive(Debug, Default)]
struct Places {
    /// Byte range and pointer of each node.
    spans: Vec<(usize, usize, String)>,
    /// When the printed text does not parse: items by line (first, last, pointer).
    lines: Vec<(usize, usize, String)>,
}

impl Places {
    fn new(json: &str, printed: &str) -> Places {
        let mut places = Places::default();
        match syntax::parse(printed) {
            Ok(reread) => walk(&reread, &mut places.spans),
            Err(_) => {
                // Read before, so read again without error.
                if let Ok(file) = serde_json::from_str::<File>(json) {
                    places.lines = line_table(&file, printed);
                }
            }
        }
        places
    }
}

impl JsonPolicy {
    /// Reads `json`, the file `name`; a rendered diagnostic when it is not a policy.
    pub fn read(name: &str, json: String) -> Result<JsonPolicy, String> {
        let map = JsonMap::new(&json);
        // A derived struct also reads an array (fields by position): a policy is an
        // object and nothing else.
        let first = json.find(|c: char| !matches!(c, ' ' | '\t' | '\r' | '\n'));
        if let Some(start) = first.filter(|&i| json.get(i..).is_some_and(|s| !s.starts_with('{'))) {
            let end = map.range("").map_or(start + 1, |(_, end)| end);
            let message = "a policy in the JSON form is a JSON object";
            return Err(Diagnostic::new(
                Code::Syntax,
                name,
                &json,
                Span::locate(&json, start, end),
                message,
            )
            .to_string());
        }
        let file: File = match serde_json::from_str(&json) {
            Ok(file) => file,
            Err(e) => return Err(serde_error(name, &json, &map, &e)),
        };
        let printed = syntax::print(&file);
        Ok(JsonPolicy {
            name: name.to_string(),
            json,
            map,
            printed,
            places: OnceCell::new(),
        })
    }

    /// The file's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy text compiled in its place.
    pub fn printed(&self) -> &str {
        &self.printed
    }

    /// The message of a diagnostic in this file (a name or an address the text
    /// form cannot hold is said to be one).
    pub fn message(&self, d: &Diagnostic) -> String {
        let offset = offset_of(&self.printed, d.line(), d.column());
        unprintable_message(&self.printed, offset).unwrap_or_else(|| d.message().to_string())
    }

    /// `name:POINTER: heading` for a place of the printed text, then its JSON line
    /// with a caret under the node.
    pub fn render_place(&self, line: u32, column: u32, heading: &str) -> String {
        let offset = offset_of(&self.printed, line, column);
        render(
            &self.name,
            &self.json,
            &self.map,
            self.pointer(offset, line),
            heading,
        )
    }

    /// The JSON pointer of the node at `line` and `column` of the printed text.
    pub fn pointer_at(&self, line: u32, column: u32) -> &str {
        let offset = offset_of(&self.printed, line, column);
        self.pointer(offset, line)
    }

    /// A failed expectation, at its JSON location.
    pub fn render_failure(&self, f: &TestFailure) -> String {
        let offset = offset_of(&self.printed, f.line(), f.column());
        format!(
            "{}:{}: test `{}`: {}",
            self.name,
            self.pointer(offset, f.line()),
            f.test(),
            f.message()
        )
    }

    fn places(&self) -> &Places {
        self.places
            .get_or_init(|| Places::new(&self.json, &self.printed))
    }

    /// The pointer of the innermost node at `offset` (on `line`) of the printed text;
    /// the root, `""`, when none is known.
    fn pointer(&self, offset: usize, line: u32) -> &str {
        let places = self.places();
        let by_span = places
            .spans
            .iter()
            .filter(|(start, end, _)| *start <= offset && (offset < *end || offset == *start))
            .min_by_key(|(start, end, _)| end - start);
        let line = usize::try_from(line).unwrap_or(usize::MAX);
        let by_line = || {
            places
                .lines
                .iter()
                .filter(|(first, last, _)| *first <= line && line <= *last)
                .min_by_key(|(first, last, _)| last - first)
        };
        by_span
            .or_else(by_line)
            .map_or("", |(_, _, pointer)| pointer.as_str())
    }
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
pub fn with_snippet(name: &str, text: &str, span: Span, heading: &str) -> String {
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

/// Lines of the printed text by item, rule condition and test expectation, for a
/// tree whose printed text does not parse: each piece is printed alone and found in
/// the whole text, in order. Empty when a piece is not found where expected.
fn line_table(file: &File, printed: &str) -> Vec<(usize, usize, String)> {
    let mut table = Vec::new();
    let mut cursor = 0;
    let mut place = |text: &str, pointer: String, cursor: &mut usize| -> Option<(usize, usize)> {
        let text = text.trim_end_matches('\n');
        let at = *cursor + printed.get(*cursor..)?.find(text)?;
        *cursor = at + text.len();
        let first = line_start_number(printed, at);
        let last = first + text.matches('\n').count();
        table.push((first, last, pointer));
        Some((at, *cursor))
    };
    let alone = |f: &dyn Fn(&mut File)| {
        let mut one = File::default();
        f(&mut one);
        syntax::print(&one)
    };
    let placed = (|| {
        if let Some(default) = &file.default {
            place(
                &alone(&|f| f.default = Some(default.clone())),
                "/default".into(),
                &mut cursor,
            )?;
        }
        for (i, binding) in file.lets.iter().enumerate() {
            let text = alone(&|f| f.lets = vec![binding.clone()]);
            place(&text, format!("/let/{i}"), &mut cursor)?;
        }
        for (i, rule) in file.rules.iter().enumerate() {
            let text = alone(&|f| f.rules = vec![rule.clone()]);
            let (start, end) = place(&text, format!("/rules/{i}"), &mut cursor)?;
            let mut inner = start;
            for (k, condition) in rule.conditions.iter().enumerate() {
                let mut one = rule.clone();
                one.conditions = vec![condition.clone()];
                let text = alone(&|f| f.rules = vec![one.clone()]);
                // The condition's lines, between the rule's first and last.
                let lines: Vec<&str> = text.lines().collect();
                let body = lines.get(1..lines.len().saturating_sub(1))?.join("\n");
                place(&body, format!("/rules/{i}/when/{k}"), &mut inner)?;
            }
            cursor = end;
        }
        for (i, block) in file.tests.iter().enumerate() {
            let text = alone(&|f| f.tests = vec![block.clone()]);
            let (start, end) = place(&text, format!("/tests/{i}"), &mut cursor)?;
            let mut inner = start;
            for (e, expectation) in block.expectations.iter().enumerate() {
                let mut one = block.clone();
                one.expectations = vec![expectation.clone()];
                let text = alone(&|f| f.tests = vec![one.clone()]);
                let lines: Vec<&str> = text.lines().collect();
                let body = lines.get(1..lines.len().saturating_sub(1))?.join("\n");
                place(&body, format!("/tests/{i}/expectations/{e}"), &mut inner)?;
            }
            cursor = end;
        }
        Some(())
    })();
    match placed {
        Some(()) => table,
        None => Vec::new(),
    }
}

/// The 1-based line number of byte `offset` of `text`.
fn line_start_number(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |s| s.matches('\n').count()) + 1
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
    fn a_tree_whose_text_does_not_parse_is_placed_by_line() {
        let json = r#"{"rules": [
            {"effect": "allow", "name": "a", "when": [
                {"subject": "method", "test": {"values": [{"method": "GET"}]}}]},
            {"effect": "allow", "name": "b", "when": [
                {"subject": "path", "test": {"values": ["/x"]}},
                {"subject": "identity", "test": {"in": {"name": "not a name"}}},
                {"subject": "method", "test": {"values": []}}]}]}"#;
        let policy = JsonPolicy::read("p.json", json.to_string()).unwrap();
        assert!(policy.places().spans.is_empty());
        let line = |needle: &str| {
            let at = policy.printed.find(needle).unwrap();
            u32::try_from(policy.printed[..at].matches('\n').count() + 1).unwrap()
        };
        assert_eq!(policy.pointer(0, line("allow \"a\"")), "/rules/0");
        assert_eq!(policy.pointer(0, line("method GET")), "/rules/0/when/0");
        assert_eq!(policy.pointer(0, line("path")), "/rules/1/when/0");
        assert_eq!(policy.pointer(0, line("identity")), "/rules/1/when/1");
        assert_eq!(policy.pointer(0, line("  method\n")), "/rules/1/when/2");
    }
}
