//! The dependency rule of `docs/architecture.md`, checked on the workspace's manifests
//! (`cargo metadata --no-deps`, which reads them without resolving or downloading):
//!
//! - the core, `portcullis`, depends on serde, nom, ipnet, regex and thiserror only;
//! - every dependency between the workspace's crates points toward the core, as the
//!   table below allows, and a new crate is not accepted until it is added there (and
//!   to the architecture document);
//! - the test support is never published and only ever a dev-dependency of a
//!   published crate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The only crates the core may depend on (normal and build dependencies, optional
/// ones included).
const CORE_DEPENDENCIES: [&str; 5] = ["serde", "nom", "ipnet", "regex", "thiserror"];

/// The workspace crates each workspace crate may depend on (normal and build
/// dependencies). Every arrow points toward the core.
const ALLOWED: &[(&str, &[&str])] = &[
    ("portcullis", &[]),
    ("portcullis-http", &["portcullis"]),
    ("portcullis-istio", &["portcullis"]),
    ("portcullis-analysis", &["portcullis"]),
    // The schema mirrors the core's JSON form; the core is only its dev-dependency.
    ("portcullis-schema", &[]),
    ("portcullis-server", &["portcullis", "portcullis-http"]),
    (
        "portcullis-cli",
        &[
            "portcullis",
            "portcullis-http",
            "portcullis-server",
            "portcullis-istio",
            "portcullis-analysis",
            "portcullis-schema",
        ],
    ),
    ("portcullis-support", &["portcullis"]),
];

/// The test support crate: unpublished, a dev-dependency only.
const SUPPORT: &str = "portcullis-support";

struct Dependency {
    name: String,
    /// `None` for normal dependencies, else `"dev"` or `"build"`.
    kind: Option<String>,
}

struct Package {
    name: String,
    published: bool,
    dependencies: Vec<Dependency>,
}

/// The workspace's packages and their declared dependencies.
fn workspace() -> Vec<Package> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Package {
            name: p["name"].as_str().unwrap().to_owned(),
            // `publish` is null (anywhere) or the list of registries it may go to.
            published: p["publish"]
                .as_array()
                .is_none_or(|registries| !registries.is_empty()),
            dependencies: p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| Dependency {
                    name: d["name"].as_str().unwrap().to_owned(),
                    kind: d["kind"].as_str().map(str::to_owned),
                })
                .collect(),
        })
        .collect()
}

/// Normal and build dependencies: what a user of the crate pulls in.
fn shipped(package: &Package) -> impl Iterator<Item = &str> {
    package
        .dependencies
        .iter()
        .filter(|d| d.kind.as_deref() != Some("dev"))
        .map(|d| d.name.as_str())
}

#[test]
fn the_core_depends_on_five_crates_only() {
    let packages = workspace();
    let core = packages
        .iter()
        .find(|p| p.name == "portcullis")
        .expect("the core is in the workspace");
    let extra: BTreeSet<&str> = shipped(core)
        .filter(|name| !CORE_DEPENDENCIES.contains(name))
        .collect();
    assert!(
        extra.is_empty(),
        "the core may depend on {CORE_DEPENDENCIES:?} only, and depends on {extra:?} too: \
         put the new code in a crate of its own (docs/architecture.md)"
    );
}

#[test]
fn workspace_dependencies_point_toward_the_core() {
    let packages = workspace();
    let members: BTreeSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    for package in &packages {
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == package.name) else {
            panic!(
                "`{}` is not in the dependency table: add it to this test and to \
                 docs/architecture.md, with the crates it may depend on",
                package.name
            );
        };
        for dependency in shipped(package).filter(|d| members.contains(d)) {
            assert!(
                allowed.contains(&dependency),
                "`{}` depends on `{dependency}`, which docs/architecture.md does not allow \
                 (it may depend on {allowed:?})",
                package.name
            );
        }
    }
}

#[test]
fn the_test_support_is_unpublished_and_a_dev_dependency_only() {
    let packages = workspace();
    let support = packages
        .iter()
        .find(|p| p.name == SUPPORT)
        .expect("the test support is in the workspace");
    assert!(
        !support.published,
        "`{SUPPORT}` must have `publish = false`"
    );
    for package in packages.iter().filter(|p| p.published) {
        assert!(
            !shipped(package).any(|d| d == SUPPORT),
            "`{}` is published and depends on `{SUPPORT}` outside its dev-dependencies",
            package.name
        );
    }
}
