//! [`PolicyHandle`]: a policy that can be replaced while requests are being decided.

use std::fmt;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use portcullis::Policy;
use portcullis::normalize::Options;

use crate::reload::{PolicySource, ReloadError, Reloader, Revision};
use crate::watch::WatchGuard;

/// A policy with the revision of the files it was compiled from, if any.
#[derive(Debug)]
pub(crate) struct Versioned {
    pub(crate) policy: Policy,
    pub(crate) revision: Option<Revision>,
}

/// A policy that can be replaced while requests are being decided.
///
/// Every clone shares one slot: [`store`](PolicyHandle::store) on any clone is seen by
/// every later [`load`](PolicyHandle::load) on all of them, and a request already being
/// decided finishes on the policy it loaded. Reads take no lock (the slot is an
/// [`arc_swap::ArcSwap`]): many threads can load at once without contending on a
/// mutex or on one reference count.
///
/// ```
/// use portcullis::{Policy, Request};
/// use portcullis_http::PolicyHandle;
///
/// let handle = PolicyHandle::new(Policy::compile("default deny")?);
/// let request = Request::new("GET", "/");
/// assert!(!handle.load().evaluate(&request).is_allowed());
///
/// let reader = handle.clone();
/// handle.store(Policy::compile("default allow")?);
/// assert!(reader.load().evaluate(&request).is_allowed());
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone)]
pub struct PolicyHandle {
    slot: Arc<ArcSwap<Versioned>>,
    /// Keeps the file watcher of [`PolicyHandle::watch`] running while any clone lives;
    /// the last clone dropped stops it.
    watch: Option<Arc<WatchGuard>>,
}

impl PolicyHandle {
    /// A handle holding `policy`.
    ///
    /// ```
    /// let handle = portcullis_http::PolicyHandle::new(portcullis::Policy::compile("default allow")?);
    /// assert_eq!(handle.load().rule_count(), 0);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn new(policy: Policy) -> PolicyHandle {
        PolicyHandle::from_versioned(Versioned {
            policy,
            revision: None,
        })
    }

    pub(crate) fn from_versioned(versioned: Versioned) -> PolicyHandle {
        PolicyHandle {
            slot: Arc::new(ArcSwap::from_pointee(versioned)),
            watch: None,
        }
    }

    /// Compiles `files` as one policy (in the order given, each named by its path in
    /// diagnostics; a `.json` file in the JSON form, as
    /// [`PolicySource::compile`] says) with the normalization `options`, and keeps
    /// the handle in step
    /// with them: the files are checked a few times a second, and when one changes
    /// (written in place, replaced by a rename, or swapped the way Kubernetes updates
    /// a mounted ConfigMap) they are all read and compiled again. A policy that does
    /// not compile, or a file that cannot be read, never replaces the one in use: the
    /// diagnostics go to stderr and the last good policy stays. Every policy this
    /// handle holds uses `options`.
    ///
    /// The watcher is a thread that stops when the last clone of the handle is
    /// dropped. For events (to count reloads, to log them elsewhere) or to reload on
    /// demand, use a [`Reloader`] instead.
    ///
    /// # Errors
    ///
    /// When a file cannot be read or the policy does not compile.
    ///
    /// ```
    /// use portcullis::normalize::Options;
    /// use portcullis_http::PolicyHandle;
    ///
    /// let dir = std::env::temp_dir().join(format!("portcullis-doc-watch-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let file = dir.join("policy.pcl");
    /// std::fs::write(&file, "default allow")?;
    ///
    /// let handle = PolicyHandle::watch([&file], Options::default())?;
    /// assert!(handle.load().evaluate(&portcullis::Request::new("GET", "/")).is_allowed());
    /// # drop(handle);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch<I, P>(files: I, options: Options) -> Result<PolicyHandle, ReloadError>
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        let reloader = Reloader::new(PolicySource::new(files, options))?;
        reloader.on_reload(crate::reload::log_failures_to_stderr);
        let guard = reloader.watch(crate::watch::DEFAULT_INTERVAL)?;
        let mut handle = reloader.handle();
        handle.watch = Some(Arc::new(guard));
        Ok(handle)
    }

    /// The policy in use now. Decide with it and drop it: a reload does not wait for
    /// it, and it keeps the policy it loaded alive only while it is held.
    ///
    /// ```
    /// let handle = portcullis_http::PolicyHandle::new(portcullis::Policy::compile("default deny")?);
    /// let policy = handle.load();
    /// assert!(!policy.evaluate(&portcullis::Request::new("GET", "/")).is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn load(&self) -> PolicyGuard {
        PolicyGuard(self.slot.load())
    }

    /// Replaces the policy for every later [`load`](PolicyHandle::load) on every clone.
    /// The policy is used with its own normalization options, as given.
    ///
    /// ```
    /// use portcullis::Policy;
    /// let handle = portcullis_http::PolicyHandle::new(Policy::compile("default deny")?);
    /// handle.store(Policy::compile("allow \"all\" {}")?);
    /// assert_eq!(handle.load().rule_count(), 1);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn store(&self, policy: Policy) {
        self.store_versioned(Versioned {
            policy,
            revision: None,
        });
    }

    pub(crate) fn store_versioned(&self, versioned: Versioned) {
        self.slot.store(Arc::new(versioned));
    }

    /// A clone that shares the slot but does not keep a watcher alive (what a
    /// [`Reloader`] holds, so that it never keeps its own watcher running).
    pub(crate) fn without_watch(&self) -> PolicyHandle {
        PolicyHandle {
            slot: Arc::clone(&self.slot),
            watch: None,
        }
    }
}

impl fmt::Debug for PolicyHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.slot.load();
        f.debug_struct("PolicyHandle")
            .field("rules", &current.policy.rule_count())
            .field("revision", &current.revision)
            .field("watched", &self.watch.is_some())
            .finish()
    }
}

/// The policy a [`PolicyHandle`] held when it was loaded; dereferences to
/// [`Policy`]. Hold it for one decision (or one request), not for long: it pins that
/// policy in memory, and a thread holding many guards at once makes later loads on
/// it slower.
pub struct PolicyGuard(arc_swap::Guard<Arc<Versioned>>);

impl PolicyGuard {
    /// The revision of the files this policy was compiled from (the first 12 hex
    /// digits of the SHA-256 of their contents, concatenated in order), or `None` for
    /// a policy given to [`PolicyHandle::new`] or [`PolicyHandle::store`].
    ///
    /// ```
    /// let handle = portcullis_http::PolicyHandle::new(portcullis::Policy::compile("default deny")?);
    /// assert_eq!(handle.load().revision(), None);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn revision(&self) -> Option<Revision> {
        self.0.revision
    }
}

impl Deref for PolicyGuard {
    type Target = Policy;

    fn deref(&self) -> &Policy {
        &self.0.policy
    }
}

impl fmt::Debug for PolicyGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyGuard")
            .field("rules", &self.0.policy.rule_count())
            .field("revision", &self.0.revision)
            .finish()
    }
}
