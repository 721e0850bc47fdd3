//! `portcullis schema` (CLI.md, *Commands*): the JSON Schema of the policy's JSON
//! form on stdout, exit 0; `--crd`, the committed `PortcullisPolicy` CRD.

mod common;

use common::Dir;

#[test]
fn schema_prints_the_json_schema_of_the_json_form() {
    let dir = Dir::new("schema_json");
    let out = dir.run(&["schema"]);
    out.assert(0);
    assert!(out.stderr.is_empty(), "{out:#?}");
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(schema, portcullis_schema::json_schema());
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let rules = &schema["properties"]["rules"];
    assert_eq!(rules["type"], "array");
}

#[test]
fn schema_crd_prints_the_committed_crd() {
    let dir = Dir::new("schema_crd");
    let out = dir.run(&["schema", "--crd"]);
    out.assert(0);
    let committed = include_str!("../../deploy/kubernetes/portcullispolicy.yaml");
    assert_eq!(out.stdout, committed);
}

#[test]
fn schema_takes_no_files() {
    Dir::new("schema_usage")
        .run(&["schema", "policy.json"])
        .assert_usage_error();
}
