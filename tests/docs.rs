//! The examples of `docs/language.md` are true: every policy example compiles and its
//! `test` blocks pass, and every one-line error example is the error the library
//! reports for that line, character for character.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use portcullis::Policy;

fn language_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md");
    std::fs::read_to_string(path).expect("docs/language.md is readable")
}

/// The fenced blocks of `markdown` with the info string `lang`, with the line each
/// starts on.
fn blocks(markdown: &str, lang: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match &mut current {
            None if line.strip_prefix("```") == Some(lang) => {
                current = Some((i + 1, String::new()))
            }
            None => {}
            Some(_) if line == "```" => found.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    found
}

#[test]
fn every_policy_example_compiles_and_its_tests_pass() {
    let doc = language_md();
    let examples = blocks(&doc, "pcl");
    assert!(
        examples.len() >= 15,
        "found only {} examples",
        examples.len()
    );
    let mut previous: Option<&(usize, String)> = None;
    for example in &examples {
        let (line, text) = example;
        // An example may continue the one before it as a second source (the guide
        // says so where it does): then the two must compile together.
        let policy = Policy::compile(text).or_else(|alone| match previous {
            Some((before_line, before)) => Policy::compile_sources([
                (format!("example at line {before_line}"), before.as_str()),
                (format!("example at line {line}"), text.as_str()),
            ])
            .map_err(|_| alone),
            None => Err(alone),
        });
        let policy = policy.unwrap_or_else(|err| {
            panic!("the example at docs/language.md:{line} does not compile:\n{err}")
        });
        let report = policy.run_tests();
        assert!(
            report.failures().is_empty(),
            "the tests of the example at docs/language.md:{line} fail: {:?}",
            report
                .failures()
                .iter()
                .map(|f| f.message())
                .collect::<Vec<_>>()
        );
        previous = Some(example);
    }
}

/// An error example of one source line: diagnostics at line 1 only, each followed by
/// its `1 | …` line and its caret line.
fn one_line_source(example: &str) -> Option<String> {
    let mut source = None;
    for line in example.lines() {
        if line.starts_with("policy.pcl:") && !line.starts_with("policy.pcl:1:") {
            return None;
        }
        if let Some(text) = line.strip_prefix("1 | ") {
            match &source {
                None => source = Some(text.to_owned()),
                Some(seen) if seen == text => {}
                Some(_) => return None,
            }
        }
    }
    source
}

#[test]
fn every_one_line_error_example_is_what_the_library_reports() {
    let doc = language_md();
    let mut checked = 0;
    for (line, example) in blocks(&doc, "text") {
        if !example.starts_with("policy.pcl:1:") {
            continue;
        }
        let Some(source) = one_line_source(&example) else {
            continue;
        };
        let err = Policy::compile_sources([("policy.pcl", source.as_str())])
            .err()
            .unwrap_or_else(|| {
                panic!("the error example at docs/language.md:{line} compiles: `{source}`")
            });
        assert_eq!(
            err.to_string().trim_end(),
            example.trim_end(),
            "the error example at docs/language.md:{line} is not what the library reports \
             (update the example)"
        );
        checked += 1;
    }
    assert!(checked >= 20, "checked only {checked} error examples");
}

/// The backticked items of a table cell.
fn code_items(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

#[test]
fn the_normalization_table_is_what_the_library_does() {
    use portcullis::normalize::{Options, normalize_path};
    let doc = language_md();
    let table = doc
        .split("| request path | normalized (default options) |")
        .nth(1)
        .expect("the normalization table");
    let mut checked = 0;
    for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let (requests, expected) = (cells[0], cells[1]);
        for request in code_items(requests) {
            let got = normalize_path(request, &Options::default());
            if expected.contains("invalid") {
                assert!(
                    got.is_err(),
                    "`{request}` is documented as invalid, got {got:?}"
                );
            } else {
                let expected = code_items(expected)[0];
                assert_eq!(got.as_deref(), Ok(expected), "`{request}`");
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "checked only {checked} rows");
}
