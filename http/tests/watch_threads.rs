//! The watcher of `PolicyHandle::watch` stops with the last clone of the handle. Its
//! own test binary, so that no other test's watcher is running meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(target_os = "linux")]

mod common;

use common::TempDir;
use portcullis::normalize::Options;
use portcullis_http::PolicyHandle;

/// How many threads of this process are named `portcullis-watc` (the kernel keeps
/// 15 bytes of a thread's name).
fn watcher_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "portcullis-watc")
        .count()
}

#[test]
fn the_watcher_thread_ends_with_the_last_handle() {
    let dir = TempDir::new("threads");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, "default allow").unwrap();

    let handle = PolicyHandle::watch([&file], Options::default()).unwrap();
    let clone = handle.clone();
    // A thread names itself once it runs: wait for that, a bounded while.
    let start = std::time::Instant::now();
    while watcher_threads() == 0 && start.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(watcher_threads(), 1);
    drop(handle);
    assert_eq!(watcher_threads(), 1, "a clone still holds the watcher");
    drop(clone);
    // Dropping the last clone joined the thread (`reload.rs` checks that the join is
    // immediate); the kernel may list an exited thread for a moment longer.
    let start = std::time::Instant::now();
    while watcher_threads() != 0 && start.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(watcher_threads(), 0);
}
