//! `docs/istio.md` shows an import: its input and its output must be what the importer
//! reads and prints.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use portcullis_istio::{Input, Options, Workload, import};

const GUIDE: &str = include_str!("../../docs/istio.md");

/// The fenced blocks of `lang` in the section that starts with `heading`.
fn blocks<'a>(heading: &str, lang: &str) -> Vec<&'a str> {
    let start = GUIDE.find(heading).unwrap();
    let section = &GUIDE[start..];
    let end = section[heading.len()..]
        .find("\n## ")
        .map_or(section.len(), |i| i + heading.len());
    let section = &GUIDE[start..start + end];
    let fence = format!("```{lang}\n");
    section
        .match_indices(&fence)
        .map(|(i, _)| {
            let body = &section[i + fence.len()..];
            &body[..body.find("```").unwrap()]
        })
        .collect()
}

#[test]
fn the_guides_example_is_what_the_importer_prints() {
    let yaml = blocks("## What the output looks like", "yaml")[0];
    let shown = blocks("## What the output looks like", "pcl")[0];
    let options = Options {
        trust_domain: "prod.example.com".into(),
        workload: Some(Workload::new("foo").label("app", "httpbin")),
        ..Options::default()
    };
    let imported = import(
        &[Input {
            name: "policies.yaml",
            text: yaml,
        }],
        &options,
    )
    .unwrap();
    let text = imported.text();
    // The guide shortens the header comments; from the `default` on, it is exact.
    let from_default = |t: &str| {
        let at = t.find("default ").unwrap();
        let line_start = t[..at].rfind("\n#").map_or(at, |i| i + 1);
        t[line_start..].to_string()
    };
    assert_eq!(from_default(shown), from_default(text));
    portcullis::Policy::compile(shown).unwrap();
}

#[test]
fn the_guides_custom_policy_is_a_valid_custom_policy() {
    let yaml = blocks("## Portcullis as Istio's CUSTOM provider", "yaml")[0];
    let policy = yaml.split("---\n").nth(1).unwrap();
    let read = portcullis_istio::read::read("custom.yaml", policy).unwrap();
    assert_eq!(
        read[0].policy.spec.action,
        Some(portcullis_istio::resource::Action::Custom)
    );
    // Which the importer refuses: the decision is the provider's.
    let errors = import(
        &[Input {
            name: "custom.yaml",
            text: policy,
        }],
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(errors[0].field_path(), Some("spec.action"));
}
