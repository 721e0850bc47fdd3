//! Errors: what could not be read or translated, and where.

use std::fmt;

/// Something that could not be read, or could not be translated with Istio's meaning.
///
/// It names the file, the place in it (a line and column for YAML that does not parse,
/// the document's number for a resource that does not fit the schema), the resource (`namespace/name`) and the field
/// (`spec.rules[0].from[1].source.remoteIpBlocks`), each when known.
///
/// ```
/// let error = portcullis_istio::Error::new("policies.yaml", "`CUSTOM` is not supported")
///     .resource("foo/ext-authz")
///     .field("spec.action");
/// assert_eq!(
///     error.to_string(),
///     "policies.yaml: foo/ext-authz: spec.action: `CUSTOM` is not supported"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Inner>);

/// The parts of an [`Error`], boxed so that a `Result` stays small.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    file: String,
    line_column: Option<(usize, usize)>,
    document: Option<usize>,
    resource: Option<String>,
    field: Option<String>,
    message: String,
}

impl Error {
    /// An error about `file`.
    pub fn new(file: &str, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            file: file.to_string(),
            line_column: None,
            document: None,
            resource: None,
            field: None,
            message: message.into(),
        }))
    }

    /// Where in the file: a line and a column, both from 1.
    #[must_use]
    pub fn at(mut self, line: usize, column: usize) -> Error {
        self.0.line_column = Some((line, column));
        self
    }

    /// Which YAML document of the file, from 1.
    #[must_use]
    pub fn document(mut self, document: usize) -> Error {
        self.0.document = Some(document);
        self
    }

    /// The resource, `namespace/name`.
    #[must_use]
    pub fn resource(mut self, resource: impl Into<String>) -> Error {
        self.0.resource = Some(resource.into());
        self
    }

    /// The field, as a path from the resource's root.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Error {
        self.0.field = Some(field.into());
        self
    }

    /// The file the error is about.
    ///
    /// ```
    /// assert_eq!(portcullis_istio::Error::new("a.yaml", "x").file(), "a.yaml");
    /// ```
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// The resource, `namespace/name`, when known.
    ///
    /// ```
    /// assert_eq!(portcullis_istio::Error::new("a.yaml", "x").resource_name(), None);
    /// ```
    pub fn resource_name(&self) -> Option<&str> {
        self.0.resource.as_deref()
    }

    /// The field path, when known.
    ///
    /// ```
    /// let e = portcullis_istio::Error::new("a.yaml", "x").field("spec.action");
    /// assert_eq!(e.field_path(), Some("spec.action"));
    /// ```
    pub fn field_path(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// What is wrong.
    ///
    /// ```
    /// assert_eq!(portcullis_istio::Error::new("a.yaml", "x").message(), "x");
    /// ```
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl Error {
    /// Where: the file, then `:line:column` or ` (document N)` when known.
    ///
    /// ```
    /// let e = portcullis_istio::Error::new("a.yaml", "x").document(2).resource("foo/p");
    /// assert_eq!(e.location(), "a.yaml (document 2)");
    /// assert_eq!(e.detail(), "foo/p: x");
    /// ```
    pub fn location(&self) -> String {
        let mut out = self.0.file.clone();
        if let Some((line, column)) = self.0.line_column {
            out.push_str(&format!(":{line}:{column}"));
        }
        if let Some(document) = self.0.document {
            out.push_str(&format!(" (document {document})"));
        }
        out
    }

    /// What: the resource, the field and the message, each when known.
    pub fn detail(&self) -> String {
        let mut out = String::new();
        if let Some(resource) = &self.0.resource {
            out.push_str(resource);
            out.push_str(": ");
        }
        if let Some(field) = &self.0.field {
            out.push_str(field);
            out.push_str(": ");
        }
        out.push_str(&self.0.message);
        out
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.detail())
    }
}

impl std::error::Error for Error {}
