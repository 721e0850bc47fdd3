//! A JSON value written as block-style YAML, for the CRD: keys in sorted order (so
//! the output does not depend on how a map keeps its keys), strings plain where YAML
//! reads them back as the same string and in JSON's double quotes otherwise (a JSON
//! string is a valid YAML double-quoted scalar).

use std::fmt::Write as _;

use serde_json::Value;

/// `value` as YAML. Every scalar reads back as the JSON value it was.
///
/// ```
/// use serde_json::json;
/// let yaml = portcullis_schema::to_yaml(&json!({"b": [1, "yes"], "a": {"c": "x: y"}, "d": []}));
/// assert_eq!(yaml, "a:\n  c: \"x: y\"\nb:\n- 1\n- \"yes\"\nd: []\n");
/// ```
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(&mut out, value, 0),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, value, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn mapping(out: &mut String, value: &Value, level: usize) {
    let Some(map) = value.as_object() else {
        return;
    };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        let Some(item) = map.get(key) else { continue };
        indent(out, level);
        out.push_str(&string(key));
        out.push(':');
        nested(out, item, level);
    }
}

fn sequence(out: &mut String, value: &Value, level: usize) {
    let Some(items) = value.as_array() else {
        return;
    };
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            // `- key: value` with the mapping's other keys under the first.
            Value::Object(map) if !map.is_empty() => {
                let mut text = String::new();
                mapping(&mut text, item, level + 1);
                let first = text.trim_start();
                out.push(' ');
                out.push_str(first);
            }
            _ => nested(out, item, level),
        }
    }
}

/// After `key:` or `-`: a scalar on the same line, a collection on the next lines
/// (a sequence in a mapping at the same indentation, as Kubernetes writes it).
fn nested(out: &mut String, item: &Value, level: usize) {
    match item {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, item, level + 1);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, item, level);
        }
        other => {
            let _ = writeln!(out, " {}", scalar(other));
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => string(s),
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
        // null, booleans and numbers are written as JSON writes them, which YAML
        // reads the same.
        other => other.to_string(),
    }
}

/// A string plain when YAML reads it back as that string, else double-quoted.
fn string(s: &str) -> String {
    if is_plain(s) {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

fn is_plain(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && !s.contains(": ")
        && !s.contains(" #")
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._/-(),`'$:".contains(c))
}
