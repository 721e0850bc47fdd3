//! Analyses of Portcullis policies for tools (the `portcullis lint` and `portcullis
//! diff` commands, an editor, a CI bot), on the core's public API.
//!
//! Both rest on an exact model of the request space:
//! each attribute's domain (methods, path patterns, identity globs, hosts, ports,
//! CIDR blocks, header and attribute values and presence) is cut into the classes
//! that every pattern of the policies treats alike, each with a valid, already
//! normal representative value; every rule is then a cube of classes, and regions of
//! the space are split until each policy decides a whole region one way (the
//! approach of header-space analysis and Batfish's `compareFilters`, without a
//! solver). Regular expressions (`~`) are opaque: each is a free yes/no dimension,
//! so statements about every request stay exact, and examples are checked by
//! evaluating them.
//!
//! - [`lint()`] reports what compiles but is almost certainly a mistake, as warnings
//!   with a stable code (`docs/tools.md`). Every finding is exact: it is reported
//!   only when it is certain, never as a guess.
//! - [`diff()`] finds the requests two policies decide differently, one example per
//!   region of difference.
//!
//! ```
//! let sources = [("p.pcl", "default allow\nlet office = [10.0.0.0/8]\nallow \"a\" {}")];
//! let findings = portcullis_analysis::lint(&sources)?;
//! let codes: Vec<&str> = findings.iter().map(|d| d.code().as_str()).collect();
//! assert_eq!(codes, ["default-allow-without-deny", "unused-let"]);
//! # Ok::<(), portcullis::CompileError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod diff;
mod domain;
mod explore;
mod lint;
mod space;

pub use diff::{DiffOptions, DiffReport, Difference, diff};
pub use lint::lint;
pub use space::TooComplex;
