//! The file watcher: a thread that polls the policy files and reloads when what they
//! hold changed.
//!
//! Polling, not inotify: a Kubernetes ConfigMap update replaces the `..data` symlink
//! of the mounted directory, so the file named in the configuration (itself a symlink
//! through `..data`) is never written, renamed or deleted, and an inotify watch on it
//! or on its resolved target sees nothing. Polling the resolved target's device,
//! inode, modification time and length catches that swap, renames and in-place writes
//! alike, with no platform code and no dependency, for a few `stat` calls a second.
//! The contents are hashed as well, every second and whenever those moved, so that a
//! write that keeps the length within one timestamp tick is not missed, and so that
//! touching a file does not reload it.

use std::fmt;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::reload::{Fingerprint, Reloader};

/// How often [`PolicyHandle::watch`](crate::PolicyHandle::watch) checks its files.
pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_millis(250);

/// The contents are hashed at least this often, even when no file's metadata moved.
const FULL_CHECK: Duration = Duration::from_secs(1);

/// Keeps a watcher started by [`Reloader::watch`] running; dropping it stops the
/// thread and waits for it to finish (at most the reload it may be in).
#[must_use = "the watcher stops when the guard is dropped"]
pub struct WatchGuard {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl WatchGuard {
    pub(crate) fn spawn(reloader: Reloader, interval: Duration) -> std::io::Result<WatchGuard> {
        let (stop, stopped) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("portcullis-watch".into())
            .spawn(move || run(&reloader, interval, &stopped))?;
        Ok(WatchGuard {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        // Closing the channel wakes the thread at once.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // A hook on the watcher's own thread that drops the last guard must not
            // wait for itself; the thread ends on its next check then.
            if thread.thread().id() != thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl fmt::Debug for WatchGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchGuard")
            .field("running", &self.thread.is_some())
            .finish()
    }
}

/// What `stat` says about one file, following symlinks; `None` when it fails.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stat(Option<(u64, u64, Option<std::time::SystemTime>, u64)>);

impl Stat {
    fn of(path: &std::path::Path) -> Stat {
        Stat(std::fs::metadata(path).ok().map(|m| {
            let (dev, ino) = dev_ino(&m);
            (dev, ino, m.modified().ok(), m.len())
        }))
    }
}

#[cfg(unix)]
fn dev_ino(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn dev_ino(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

fn run(reloader: &Reloader, interval: Duration, stopped: &mpsc::Receiver<()>) {
    let files = reloader.source().files();
    let stat_all = || files.iter().map(|f| Stat::of(f)).collect::<Vec<_>>();
    let mut last_stat = stat_all();
    let mut last_full = Instant::now();
    // Contents seen once and not yet reloaded: reloaded when seen again unchanged.
    let mut pending: Option<Fingerprint> = None;
    loop {
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let stat = stat_all();
        if stat == last_stat && pending.is_none() && last_full.elapsed() < FULL_CHECK {
            continue;
        }
        last_stat = stat;
        last_full = Instant::now();
        let now = reloader.source().fingerprint();
        if now == reloader.attempted() {
            pending = None;
        } else if pending != Some(now) {
            pending = Some(now);
        } else {
            pending = None;
            // The outcome goes to the hooks; a failure leaves the policy in place.
            let _ = reloader.reload_now();
        }
    }
}
