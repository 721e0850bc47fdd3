//! Reading files: YAML with several documents (JSON is YAML too), each an
//! `AuthorizationPolicy` or a `List` of them as `kubectl get -o yaml` prints it.

use serde::Deserialize;
use serde_norway::Value;

use crate::error::Error;
use crate::resource::AuthorizationPolicy;

/// The API versions whose `AuthorizationPolicy` this crate reads; both have the same
/// schema (`v1` is `v1beta1` promoted).
pub const API_VERSIONS: [&str; 2] = ["security.istio.io/v1", "security.istio.io/v1beta1"];

/// A resource and where it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The file it came from, as named on the command line.
    pub file: String,
    /// Its YAML document in the file, from 1.
    pub document: usize,
    /// The resource.
    pub policy: AuthorizationPolicy,
}

/// Reads every resource of one file: YAML documents separated by `---`, or JSON.
/// Empty documents are skipped; every other document must be an `AuthorizationPolicy`
/// of [`API_VERSIONS`] or a `List` of them. Every error of the file is returned.
///
/// ```
/// let text = "\
/// apiVersion: security.istio.io/v1
/// kind: AuthorizationPolicy
/// metadata: {name: allow-nothing, namespace: foo}
/// ---
/// apiVersion: security.istio.io/v1beta1
/// kind: AuthorizationPolicy
/// metadata: {name: allow-all, namespace: foo}
/// spec: {rules: [{}]}
/// ";
/// let read = portcullis_istio::read::read("policies.yaml", text).unwrap();
/// assert_eq!(read.len(), 2);
/// assert_eq!(read[1].document, 2);
///
/// let bad = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n\
///            metadata: {name: p, namespace: foo}\nspec: {rules: [{from: [{source: {principal: [a]}}]}]}\n";
/// let errors = portcullis_istio::read::read("bad.yaml", bad).unwrap_err();
/// assert!(errors[0].to_string().starts_with(
///     "bad.yaml (document 1): foo/p: spec.rules[0].from[0].source.principal: unknown field `principal`"
/// ));
/// ```
pub fn read(file: &str, text: &str) -> Result<Vec<Located>, Vec<Error>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (index, document) in serde_norway::Deserializer::from_str(text).enumerate() {
        let number = index + 1;
        let value = match Value::deserialize(document) {
            Ok(value) => value,
            Err(e) => {
                errors.push(yaml_error(file, &e));
                // The parser cannot resume after a syntax error.
                break;
            }
        };
        match value {
            Value::Null => {}
            value if is_list(&value) => read_list(file, number, value, &mut found, &mut errors),
            value => match read_one(file, number, value, None) {
                Ok(policy) => found.push(policy),
                Err(e) => errors.push(e),
            },
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors)
    }
}

fn yaml_error(file: &str, e: &serde_norway::Error) -> Error {
    let message = e.to_string();
    // The location is given apart; the message repeats it at its end.
    let message = match message.find(" at line ") {
        Some(i) => message.get(..i).unwrap_or(&message).to_string(),
        None => message,
    };
    let error = Error::new(file, format!("invalid YAML: {message}"));
    match e.location() {
        Some(location) => error.at(location.line(), location.column()),
        None => error,
    }
}

/// `apiVersion: v1`, `kind: List`: what `kubectl get -o yaml` prints for several.
fn is_list(value: &Value) -> bool {
    value.get("kind").and_then(Value::as_str) == Some("List")
}

fn read_list(
    file: &str,
    number: usize,
    value: Value,
    found: &mut Vec<Located>,
    errors: &mut Vec<Error>,
) {
    let Value::Mapping(mut map) = value else {
        return;
    };
    for key in map.keys() {
        let known = matches!(
            key.as_str(),
            Some("apiVersion" | "kind" | "items" | "metadata")
        );
        if !known {
            let name = key.as_str().unwrap_or("?");
            errors.push(
                Error::new(file, format!("unknown field `{name}` in a `List`")).document(number),
            );
        }
    }
    if map.get("apiVersion").and_then(Value::as_str) != Some("v1") {
        errors.push(
            Error::new(file, "a `List` must have `apiVersion: v1`")
                .document(number)
                .field("apiVersion"),
        );
        return;
    }
    match map.remove("items") {
        Some(Value::Sequence(items)) => {
            for (i, item) in items.into_iter().enumerate() {
                match read_one(file, number, item, Some(i)) {
                    Ok(policy) => found.push(policy),
                    Err(e) => errors.push(e),
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => errors.push(
            Error::new(file, "`items` must be a list")
                .document(number)
                .field("items"),
        ),
    }
}

/// One resource; `item` is its index in a `List`.
fn read_one(
    file: &str,
    number: usize,
    value: Value,
    item: Option<usize>,
) -> Result<Located, Error> {
    let prefix = item.map(|i| format!("items[{i}]"));
    let at = |field: &str| match &prefix {
        Some(p) if field.is_empty() => p.clone(),
        Some(p) => format!("{p}.{field}"),
        None => field.to_string(),
    };
    let name = resource_name(&value);
    let error = |message: String, field: &str| {
        let mut e = Error::new(file, message).document(number);
        if let Some(name) = &name {
            e = e.resource(name.clone());
        }
        let field = at(field);
        if !field.is_empty() {
            e = e.field(field);
        }
        e
    };
    if !value.is_mapping() {
        return Err(error("a resource must be a mapping".into(), ""));
    }
    let kind = value.get("kind").and_then(Value::as_str);
    if kind != Some("AuthorizationPolicy") {
        let message = match kind {
            Some(kind) => format!(
                "`{kind}` is not an `AuthorizationPolicy`: only Istio authorization policies can be imported"
            ),
            None => "the resource has no `kind`".to_string(),
        };
        return Err(error(message, "kind"));
    }
    let version = value.get("apiVersion").and_then(Value::as_str);
    if !version.is_some_and(|v| API_VERSIONS.contains(&v)) {
        let message = format!(
            "`apiVersion` must be `{}` or `{}`, found {}",
            API_VERSIONS[0],
            API_VERSIONS[1],
            version.map_or_else(|| "none".to_string(), |v| format!("`{v}`"))
        );
        return Err(error(message, "apiVersion"));
    }
    match serde_path_to_error::deserialize::<_, AuthorizationPolicy>(value) {
        Ok(policy) => Ok(Located {
            file: file.to_string(),
            document: number,
            policy,
        }),
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            Err(error(e.into_inner().to_string(), &path))
        }
    }
}

/// `namespace/name` from the metadata, for messages about a resource that does not
/// fit the schema.
fn resource_name(value: &Value) -> Option<String> {
    let metadata = value.get("metadata")?;
    let name = metadata.get("name").and_then(Value::as_str)?;
    let namespace = metadata
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or("?");
    Some(format!("{namespace}/{name}"))
}
