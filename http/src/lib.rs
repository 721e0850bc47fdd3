//! Portcullis for Rust HTTP services and proxies.
//!
//! - [`PolicyHandle`]: a policy that can be replaced while requests are being decided,
//!   with lock-free reads from every thread; [`PolicyHandle::watch`] keeps it in step
//!   with its files.
//! - [`Reloader`]: the reload itself (read every file, compile, swap only on success,
//!   count, report), for servers that reload on a signal as well as on a change.
//!
//! # Reloading
//!
//! ```
//! use portcullis::normalize::{Options, Semicolon};
//! use portcullis_http::PolicyHandle;
//!
//! let dir = std::env::temp_dir().join(format!("portcullis-doc-lib-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let file = dir.join("policy.pcl");
//! std::fs::write(&file, r#"allow "reads" { method GET  path "/api/**" }"#)?;
//!
//! let mut options = Options::default();
//! options.semicolon = Semicolon::Strip;
//! let handle = PolicyHandle::watch([&file], options)?;
//!
//! let policy = handle.load();
//! assert!(policy.evaluate(&portcullis::Request::new("GET", "/api/a;v=1")).is_allowed());
//! assert_eq!(policy.options().semicolon, Semicolon::Strip);
//! # drop(policy);
//! # drop(handle);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The rules of reloading, for the watcher and for [`Reloader::reload_now`] alike:
//!
//! - All files are read and compiled again as one policy, in the order given, with
//!   the options given at the start: a reload never resets them.
//! - A policy that does not compile, or a file that cannot be read (deleted, being
//!   replaced), never replaces the policy in use. The diagnostics are reported and the
//!   failure counted; the last good policy goes on deciding.
//! - A request being decided finishes on the policy it began with; every request
//!   after a successful reload sees the new one. No request waits for a reload.
//! - Each policy carries its revision: the first 12 hex digits of the SHA-256 of the
//!   files' contents, concatenated in order.
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    rustdoc::broken_intra_doc_links
)]

mod handle;
mod reload;
mod watch;

pub use handle::{PolicyGuard, PolicyHandle};
pub use reload::{Compiled, PolicySource, ReloadError, ReloadEvent, Reloader, Revision};
pub use watch::WatchGuard;
