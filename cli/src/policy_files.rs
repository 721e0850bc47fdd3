//! Reading policy files and compiling them as one policy: text files, JSON files
//! (`*.json`, read by `portcullis_http::json`, as `serve` reads them) and stdin
//! (`-`), in any mix.

use std::io::{self, Write};

use portcullis::{Diagnostic, Policy, Span, TestFailure};
use portcullis_http::json::{self, JsonPolicy, is_json};

use crate::commands::error;

/// The file name that stands for stdin.
pub const STDIN: &str = "-";

/// How stdin is named in diagnostics.
const STDIN_NAME: &str = "<stdin>";

/// Stdin can be read once: `-` may stand for one file only.
pub fn stdin_at_most_once<'a>(files: impl IntoIterator<Item = &'a String>) -> Result<(), String> {
    if files.into_iter().filter(|f| *f == STDIN).count() > 1 {
        return Err("`-` (stdin) is given more than once: it can be read only once".into());
    }
    Ok(())
}

/// A compiled policy, and what is needed to name places in its JSON files.
#[derive(Debug)]
pub struct Loaded {
    /// The policy.
    pub policy: Policy,
    json: Vec<JsonPolicy>,
    /// Each file's name and the text compiled for it (a JSON file's printed form).
    sources: Vec<(String, String)>,
}

impl Loaded {
    /// Each file's name and the text compiled for it (for a JSON file, its printed
    /// form: [`Loaded::render`] maps places in it back to the JSON).
    pub fn sources(&self) -> impl Iterator<Item = (&str, &str)> {
        self.sources.iter().map(|(n, t)| (n.as_str(), t.as_str()))
    }

    /// A diagnostic about the compiled texts, rendered with its source line and
    /// caret (at its JSON location in a JSON file).
    pub fn render(&self, d: &Diagnostic) -> String {
        let sources: Vec<(&str, String)> = self
            .sources
            .iter()
            .map(|(n, t)| (n.as_str(), t.clone()))
            .collect();
        render(d, &sources, &self.json)
    }

    /// Where a place of the policy is, as `file:line:col`, or `file.json:/pointer` in
    /// a JSON file.
    pub fn place(&self, file: &str, span: Span) -> String {
        match self.json.iter().find(|j| j.name() == file) {
            Some(json) => format!("{file}:{}", json.pointer_at(span.line, span.column)),
            None => format!("{file}:{}:{}", span.line, span.column),
        }
    }

    /// A failed test expectation: `file:line:col: test `name`: message`, or
    /// `file.json:/tests/0/expectations/1: test `name`: message`.
    pub fn failure(&self, failure: &TestFailure) -> String {
        match self.json.iter().find(|j| j.name() == failure.file()) {
            Some(json) => json.render_failure(failure),
            None => failure.to_string(),
        }
    }
}

/// Reads the files and compiles them as one policy, each named as given on the
/// command line (`-` is stdin, named `<stdin>`; a leading UTF-8 byte order mark is
/// dropped; a name ending in `.json` is read in the JSON form). Unreadable files and
/// compile errors are reported on stderr; `None` then (exit status 1 for every
/// command).
pub fn load_policy(files: &[String]) -> Option<Loaded> {
    let mut sources: Vec<(&str, String)> = Vec::with_capacity(files.len());
    let mut json = Vec::new();
    let mut failed = false;
    for file in files {
        let (name, read) = if file == STDIN {
            (STDIN_NAME, io::read_to_string(io::stdin().lock()))
        } else {
            (file.as_str(), std::fs::read_to_string(file))
        };
        let text = match read {
            // A byte order mark (some Windows editors write one) is not part of the
            // policy: editors do not show it, so columns count from after it.
            Ok(text) => match text.strip_prefix('\u{feff}') {
                Some(rest) => rest.to_string(),
                None => text,
            },
            Err(e) => {
                error(format_args!("cannot read `{name}`: {e}"));
                failed = true;
                continue;
            }
        };
        if !is_json(name) {
            sources.push((name, text));
            continue;
        }
        match JsonPolicy::read(name, text) {
            Ok(policy) => {
                sources.push((name, policy.text().to_string()));
                json.push(policy);
            }
            Err(diagnostic) => {
                let _ = io::stderr()
                    .lock()
                    .write_all(diagnostic.to_string().as_bytes());
                failed = true;
            }
        }
    }
    if failed {
        // Compiling the rest would report spurious errors (names defined in the
        // missing file), so stop at the read errors.
        return None;
    }
    let compiled = Policy::compile_sources(sources.iter().map(|(n, t)| (*n, t.as_str())));
    match compiled {
        Ok(policy) => Some(Loaded {
            policy,
            json,
            sources: sources
                .into_iter()
                .map(|(n, t)| (n.to_string(), t))
                .collect(),
        }),
        Err(e) => {
            // Every diagnostic, each `file:line:col: error: message` (or
            // `file.json:/pointer: error: message`), the source line and a caret.
            let mut err = io::stderr().lock();
            for d in e.diagnostics() {
                let _ = err.write_all(render(d, &sources, &json).as_bytes());
            }
            None
        }
    }
}

/// A diagnostic as the library renders it, but with every place in a JSON file
/// shown at its JSON location.
fn render(d: &Diagnostic, sources: &[(&str, String)], json: &[JsonPolicy]) -> String {
    let texts: Vec<(&str, &str)> = sources.iter().map(|(n, t)| (*n, t.as_str())).collect();
    json::render_diagnostic(d, &texts, json)
}
