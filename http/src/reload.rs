//! Reloading a policy from its files: one function that the file watcher, a server's
//! SIGHUP handler and anything else call, so that every reload reads, compiles, swaps
//! and reports the same way.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use portcullis::normalize::Options;
use portcullis::{CompileError, CompileLimits, Compiler, Policy};
use sha2::{Digest, Sha256};

use crate::handle::{PolicyHandle, Versioned};
use crate::json::{self, JsonError, JsonPolicy};
use crate::watch::WatchGuard;

/// The policy files and the normalization options every policy compiled from them
/// uses.
///
/// ```
/// use portcullis::normalize::Options;
/// let source = portcullis_http::PolicySource::new(["base.pcl", "team.pcl"], Options::default());
/// assert_eq!(source.files().len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct PolicySource {
    files: Vec<PathBuf>,
    options: Options,
    limits: CompileLimits,
}

/// A policy compiled from a [`PolicySource`], with the revision of the contents it was
/// compiled from.
#[derive(Clone, Debug)]
pub struct Compiled {
    policy: Policy,
    revision: Revision,
    fingerprint: Fingerprint,
}

impl Compiled {
    /// The policy, with the source's normalization options.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The revision of the contents it was compiled from.
    pub fn revision(&self) -> Revision {
        self.revision
    }

    /// The policy, without the revision.
    pub fn into_policy(self) -> Policy {
        self.policy
    }
}

impl PolicySource {
    /// The files, compiled as one policy in this order, and the options.
    pub fn new<I, P>(files: I, options: Options) -> PolicySource
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        PolicySource {
            files: files.into_iter().map(Into::into).collect(),
            options,
            limits: CompileLimits::default(),
        }
    }

    /// The same source, compiled within `limits` (the default limits otherwise), at
    /// the first compile and at every reload.
    ///
    /// ```
    /// use portcullis::CompileLimits;
    /// use portcullis::normalize::Options;
    /// let mut limits = CompileLimits::default();
    /// limits.max_rules = 100;
    /// let source = portcullis_http::PolicySource::new(["p.pcl"], Options::default()).with_limits(limits);
    /// assert_eq!(source.limits().max_rules, 100);
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: CompileLimits) -> PolicySource {
        self.limits = limits;
        self
    }

    /// The files, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The normalization options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The compile limits.
    pub fn limits(&self) -> &CompileLimits {
        &self.limits
    }

    /// Reads every file and compiles them as one policy, each named by its path in
    /// diagnostics. A file whose name ends in `.json` is read in the JSON form (the
    /// policy's syntax tree, as `portcullis check` reads it; see [`crate::json`]) and
    /// its diagnostics name their JSON location, `team.json:/rules/0/name: error:
    /// ...`. A leading UTF-8 byte order mark is dropped (it is still part of the
    /// revision, which hashes the bytes read).
    ///
    /// # Errors
    ///
    /// [`ReloadError::Read`] for the first file that cannot be read (or is not UTF-8):
    /// the others are then not compiled, since names they define elsewhere would
    /// give spurious errors; [`ReloadError::Json`] for the first `.json` file that is
    /// not a policy in the JSON form; [`ReloadError::Compile`] with every diagnostic
    /// otherwise.
    ///
    /// ```
    /// use portcullis::normalize::Options;
    /// let missing = std::env::temp_dir().join("portcullis-doc-no-such-policy.pcl");
    /// let source = portcullis_http::PolicySource::new([&missing], Options::default());
    /// let err = source.compile().unwrap_err();
    /// assert!(err.to_string().starts_with("cannot read `"));
    /// ```
    pub fn compile(&self) -> Result<Compiled, ReloadError> {
        self.compile_with_fingerprint().map_err(|(e, _)| e)
    }

    /// [`compile`](PolicySource::compile), with the fingerprint of what was read even
    /// when it failed (so the watcher does not retry an unchanged broken file).
    fn compile_with_fingerprint(&self) -> Result<Compiled, (ReloadError, Fingerprint)> {
        let mut hasher = Sha256::new();
        let mut texts = Vec::with_capacity(self.files.len());
        for (index, path) in self.files.iter().enumerate() {
            let read = std::fs::read(path).and_then(|bytes| {
                hasher.update(&bytes);
                String::from_utf8(bytes)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
            });
            match read {
                Ok(text) => texts.push(text),
                Err(error) => {
                    let error = ReloadError::Read {
                        path: path.clone(),
                        error,
                    };
                    return Err((error, Fingerprint::Unreadable(index)));
                }
            }
        }
        let digest: [u8; 32] = hasher.finalize().into();
        let fingerprint = Fingerprint::Contents(digest);
        let mut sources = Vec::with_capacity(texts.len());
        let mut json = Vec::new();
        for (path, text) in self.files.iter().zip(texts) {
            let name = path.display().to_string();
            // Editors do not show a byte order mark, so columns count from after it.
            let text = match text.strip_prefix('\u{feff}') {
                Some(rest) => rest.to_string(),
                None => text,
            };
            if json::is_json(&name) {
                match JsonPolicy::read(&name, text) {
                    Ok(policy) => {
                        sources.push((name, policy.text().to_string()));
                        json.push(policy);
                    }
                    Err(e) => return Err((ReloadError::Json(e), fingerprint)),
                }
            } else {
                sources.push((name, text));
            }
        }
        // The compiler carries the options and limits into the policy: a reload never
        // falls back to the defaults.
        let compiler = Compiler::new().options(self.options).limits(self.limits);
        match compiler.compile_sources(sources.iter().map(|(n, t)| (n, t))) {
            Ok(policy) => Ok(Compiled {
                policy,
                revision: Revision::from_digest(&digest),
                fingerprint,
            }),
            Err(error) => {
                let rendered = if json.is_empty() {
                    error.to_string()
                } else {
                    let texts: Vec<(&str, &str)> = sources
                        .iter()
                        .map(|(n, t)| (n.as_str(), t.as_str()))
                        .collect();
                    error
                        .diagnostics()
                        .iter()
                        .map(|d| json::render_diagnostic(d, &texts, &json))
                        .collect()
                };
                Err((ReloadError::Compile { error, rendered }, fingerprint))
            }
        }
    }

    /// What the files hold now, without compiling them: the SHA-256 of their
    /// contents, or the first that cannot be read.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        let mut hasher = Sha256::new();
        for (index, path) in self.files.iter().enumerate() {
            match std::fs::read(path) {
                Ok(bytes) => hasher.update(&bytes),
                Err(_) => return Fingerprint::Unreadable(index),
            }
        }
        Fingerprint::Contents(hasher.finalize().into())
    }
}

/// What a set of policy files held when read: the digest of their contents
/// concatenated, or the index of the first that could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fingerprint {
    Contents([u8; 32]),
    Unreadable(usize),
}

/// Which contents a policy was compiled from: the first 12 hex digits of the SHA-256
/// of the policy files' contents, concatenated in the order given. Displayed as those
/// 12 digits.
///
/// ```
/// use portcullis::normalize::Options;
/// let dir = std::env::temp_dir().join(format!("portcullis-doc-rev-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("a.pcl"), "default deny\n")?;
/// std::fs::write(dir.join("b.pcl"), "allow \"a\" {}\n")?;
/// let source = portcullis_http::PolicySource::new([dir.join("a.pcl"), dir.join("b.pcl")], Options::default());
/// // sha256("default deny\nallow \"a\" {}\n") = 17115ca5fb41…
/// assert_eq!(source.compile()?.revision().to_string(), "17115ca5fb41");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Revision([u8; 6]);

impl Revision {
    fn from_digest(digest: &[u8; 32]) -> Revision {
        let mut prefix = [0; 6];
        for (to, from) in prefix.iter_mut().zip(digest) {
            *to = *from;
        }
        Revision(prefix)
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Revision({self})")
    }
}

/// Why a policy could not be (re)loaded. Displayed as what to tell the operator: the
/// file that could not be read, or every diagnostic with its source line.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReloadError {
    /// A policy file could not be read, or is not UTF-8 text.
    Read {
        /// The file, as given.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The files were read and do not compile.
    Compile {
        /// The diagnostics, placed in the texts compiled (a `.json` file's is the
        /// text it prints to).
        error: CompileError,
        /// Every diagnostic for the operator, with its source line and a caret; in a
        /// `.json` file at its JSON Pointer (`team.json:/rules/0/name: error: ...`),
        /// as `portcullis check` shows it.
        rendered: String,
    },
    /// A `.json` policy file is not a policy in the JSON form.
    Json(JsonError),
    /// The thread that watches the files could not be started.
    Watch(io::Error),
}

impl fmt::Display for ReloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReloadError::Read { path, error } => {
                write!(f, "cannot read `{}`: {error}", path.display())
            }
            ReloadError::Compile { rendered, .. } => f.write_str(rendered),
            ReloadError::Json(e) => write!(f, "{e}"),
            ReloadError::Watch(e) => write!(f, "cannot start watching the policy files: {e}"),
        }
    }
}

impl std::error::Error for ReloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReloadError::Read { error, .. } | ReloadError::Watch(error) => Some(error),
            ReloadError::Compile { error, .. } => Some(error),
            ReloadError::Json(e) => Some(e),
        }
    }
}

/// What a reload did, as handed to the hooks of [`Reloader::on_reload`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ReloadEvent<'a> {
    /// The files compiled: every later request is decided by the new policy.
    Loaded {
        /// The revision now in use.
        revision: Revision,
        /// The revision in use before (equal when nothing changed, as on a SIGHUP
        /// with untouched files).
        previous: Revision,
    },
    /// The files could not be read or did not compile: the policy in use stays.
    Failed {
        /// Why; its `Display` is the message for the operator.
        error: &'a ReloadError,
        /// The revision still in use.
        kept: Revision,
    },
}

type Hook = Arc<dyn Fn(&ReloadEvent<'_>) + Send + Sync>;

/// Reloads a [`PolicyHandle`] from a [`PolicySource`]: reads every file, compiles
/// them, and replaces the handle's policy only if that succeeded. Each reload is
/// counted and reported to the hooks. Reloads are serialized, so an older set of
/// files never replaces a newer one. Cloning is cheap and clones share everything.
///
/// This is the reload that [`PolicyHandle::watch`] runs when a file changes; a server
/// calls [`reload_now`](Reloader::reload_now) on SIGHUP and starts the same watcher
/// with [`watch`](Reloader::watch).
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use portcullis::normalize::Options;
/// use portcullis_http::{PolicySource, ReloadEvent, Reloader};
///
/// let dir = std::env::temp_dir().join(format!("portcullis-doc-reloader-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let file = dir.join("policy.pcl");
/// std::fs::write(&file, "default deny")?;
///
/// let reloader = Reloader::new(PolicySource::new([&file], Options::default()))?;
/// let failures = Arc::new(AtomicU64::new(0));
/// let counted = Arc::clone(&failures);
/// reloader.on_reload(move |event| {
///     if let ReloadEvent::Failed { error, kept, .. } = event {
///         eprintln!("policy reload failed, keeping {kept}:\n{error}");
///         counted.fetch_add(1, Ordering::Relaxed);
///     }
/// });
/// let handle = reloader.handle();
///
/// std::fs::write(&file, "default maybe")?;
/// assert!(reloader.reload_now().is_err());
/// assert_eq!(failures.load(Ordering::Relaxed), 1);
/// assert!(!handle.load().evaluate(&portcullis::Request::new("GET", "/")).is_allowed());
///
/// std::fs::write(&file, "default allow")?;
/// reloader.reload_now()?;
/// assert!(handle.load().evaluate(&portcullis::Request::new("GET", "/")).is_allowed());
/// assert_eq!((reloader.successes(), reloader.failures()), (1, 1));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Reloader {
    inner: Arc<Inner>,
}

struct Inner {
    source: PolicySource,
    handle: PolicyHandle,
    /// Held for the whole of a reload, hooks included: reloads never interleave and
    /// events arrive in order.
    reloading: Mutex<()>,
    /// Held only to read or write it, so that hooks can read it too.
    state: Mutex<State>,
    hooks: RwLock<Vec<Hook>>,
    successes: AtomicU64,
    failures: AtomicU64,
}

struct State {
    /// The revision in use.
    revision: Revision,
    /// What the files held at the last attempt, good or bad.
    attempted: Fingerprint,
}

impl Reloader {
    /// Compiles the source for the first time (this is not counted as a reload).
    ///
    /// # Errors
    ///
    /// When a file cannot be read or the policy does not compile: there is no
    /// good policy to start from.
    pub fn new(source: PolicySource) -> Result<Reloader, ReloadError> {
        let compiled = source.compile()?;
        let handle = PolicyHandle::from_versioned(Versioned {
            policy: compiled.policy,
            revision: Some(compiled.revision),
        });
        Ok(Reloader {
            inner: Arc::new(Inner {
                source,
                handle,
                reloading: Mutex::new(()),
                state: Mutex::new(State {
                    revision: compiled.revision,
                    attempted: compiled.fingerprint,
                }),
                hooks: RwLock::new(Vec::new()),
                successes: AtomicU64::new(0),
                failures: AtomicU64::new(0),
            }),
        })
    }

    /// A handle on the policy this reloader keeps up to date. It does not keep a
    /// watcher started by [`watch`](Reloader::watch) running: the guard does.
    pub fn handle(&self) -> PolicyHandle {
        self.inner.handle.without_watch()
    }

    /// The files and options.
    pub fn source(&self) -> &PolicySource {
        &self.inner.source
    }

    /// The revision in use.
    pub fn revision(&self) -> Revision {
        self.lock_state().revision
    }

    /// How many reloads succeeded (the first compile in [`new`](Reloader::new) is not
    /// counted).
    pub fn successes(&self) -> u64 {
        self.inner.successes.load(Ordering::Relaxed)
    }

    /// How many reloads failed, leaving the policy in use in place.
    pub fn failures(&self) -> u64 {
        self.inner.failures.load(Ordering::Relaxed)
    }

    /// Calls `hook` after every later reload, on the thread that reloaded, while
    /// other reloads wait: events arrive in order. A hook may read the reloader
    /// ([`revision`](Reloader::revision), the counts) but must not call
    /// [`reload_now`](Reloader::reload_now), which would wait for itself; and it must
    /// not hold a [`PolicyHandle`] of the watcher that calls it, which would then
    /// never stop.
    pub fn on_reload<F>(&self, hook: F)
    where
        F: Fn(&ReloadEvent<'_>) + Send + Sync + 'static,
    {
        self.inner
            .hooks
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(hook));
    }

    /// Reads and compiles every file now, and replaces the policy if that succeeded;
    /// otherwise the policy in use stays. Counted and reported to the hooks either
    /// way, also when nothing changed (as a SIGHUP is).
    ///
    /// # Errors
    ///
    /// What [`PolicySource::compile`] returns; the policy in use is then unchanged.
    pub fn reload_now(&self) -> Result<Revision, ReloadError> {
        // A hook that panicked poisons the lock; there is nothing behind it to repair.
        let _serial = self
            .inner
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let previous = self.revision();
        match self.inner.source.compile_with_fingerprint() {
            Ok(compiled) => {
                self.inner.handle.store_versioned(Versioned {
                    policy: compiled.policy,
                    revision: Some(compiled.revision),
                });
                *self.lock_state() = State {
                    revision: compiled.revision,
                    attempted: compiled.fingerprint,
                };
                self.inner.successes.fetch_add(1, Ordering::Relaxed);
                self.emit(&ReloadEvent::Loaded {
                    revision: compiled.revision,
                    previous,
                });
                Ok(compiled.revision)
            }
            Err((error, fingerprint)) => {
                self.lock_state().attempted = fingerprint;
                self.inner.failures.fetch_add(1, Ordering::Relaxed);
                self.emit(&ReloadEvent::Failed {
                    error: &error,
                    kept: previous,
                });
                Err(error)
            }
        }
    }

    /// Starts a thread that checks the files every `interval` and calls
    /// [`reload_now`](Reloader::reload_now) when what they hold changed and has
    /// stayed the same for one more interval (so that a file caught half-written is
    /// not compiled). It sees in-place writes, renames over a file, and the
    /// Kubernetes ConfigMap swap (the `..data` symlink replaced to point at a new
    /// directory): every check follows the symlinks and compares the file's device,
    /// inode, modification time and length, and every second, or when those moved,
    /// the SHA-256 of the contents. A broken or vanished file is reported once per
    /// change, not at every check. The thread stops when the guard is dropped.
    ///
    /// # Errors
    ///
    /// [`ReloadError::Watch`] when the thread cannot be started.
    pub fn watch(&self, interval: Duration) -> Result<WatchGuard, ReloadError> {
        WatchGuard::spawn(self.clone(), interval).map_err(ReloadError::Watch)
    }

    /// The fingerprint of the last attempt, good or bad.
    pub(crate) fn attempted(&self) -> Fingerprint {
        self.lock_state().attempted
    }

    fn emit(&self, event: &ReloadEvent<'_>) {
        // Cloned out, so that a hook may add another hook without deadlocking.
        let hooks: Vec<Hook> = self
            .inner
            .hooks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for hook in hooks {
            hook(event);
        }
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        // Never held across a call that can panic: a poisoned lock is still whole.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Reloader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reloader")
            .field("files", &self.inner.source.files)
            .field("revision", &self.revision())
            .field("successes", &self.successes())
            .field("failures", &self.failures())
            .finish()
    }
}

/// The hook of [`PolicyHandle::watch`]: a failed reload is written to stderr.
pub(crate) fn log_failures_to_stderr(event: &ReloadEvent<'_>) {
    use std::io::Write;
    if let ReloadEvent::Failed { error, kept } = event {
        let _ = write!(
            io::stderr().lock(),
            "portcullis: policy reload failed, keeping revision {kept}:\n{}",
            WithNewline(error)
        );
    }
}

/// Displays a value followed by a newline unless it already ends with one.
struct WithNewline<'a, T>(&'a T);

impl<T: fmt::Display> fmt::Display for WithNewline<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        if text.ends_with('\n') {
            f.write_str(&text)
        } else {
            writeln!(f, "{text}")
        }
    }
}
