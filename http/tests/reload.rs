//! Reloading from real files: in-place writes, renames, the Kubernetes ConfigMap
//! symlink swap, broken and vanished files, options, revisions and events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TempDir, wait_for};
use portcullis::Request;
use portcullis::normalize::{Options, Semicolon};
use portcullis_http::{PolicyHandle, PolicySource, ReloadError, ReloadEvent, Reloader};

/// A policy whose only rule, named `name`, allows everything.
fn allow_all(name: &str) -> String {
    format!("default deny\nallow \"{name}\" {{}}\n")
}

/// The rule that decides `GET /` now.
fn deciding_rule(handle: &PolicyHandle) -> Option<String> {
    handle
        .load()
        .evaluate(&Request::new("GET", "/"))
        .rule()
        .map(str::to_string)
}

/// Long enough for any reload on a loaded 2-core machine; the 2 s bound of the
/// contract is asserted separately.
const LIMIT: Duration = Duration::from_secs(10);

fn wait_for_rule(handle: &PolicyHandle, rule: &str) -> Duration {
    match wait_for(LIMIT, || deciding_rule(handle).as_deref() == Some(rule)) {
        Some(took) => took,
        None => panic!(
            "the policy deciding by `{rule}` was not loaded; still {:?}",
            deciding_rule(handle)
        ),
    }
}

/// Writes in place (truncate and write, same inode), as `echo >` or an editor does.
fn write_in_place(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// Writes a sibling file and renames it over `path`, as most deploy tools do.
fn write_by_rename(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn an_in_place_write_is_seen_within_two_seconds() {
    let dir = TempDir::new("in-place");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, allow_all("one")).unwrap();
    let handle = PolicyHandle::watch([&file], Options::default()).unwrap();
    assert_eq!(deciding_rule(&handle).as_deref(), Some("one"));

    write_in_place(&file, &allow_all("two"));
    let took = wait_for_rule(&handle, "two");
    assert!(took < Duration::from_secs(2), "took {took:?}");

    // The same length, written again at once: the contents, not only the length and
    // timestamp, decide.
    write_in_place(&file, &allow_all("six"));
    wait_for_rule(&handle, "six");
}

#[test]
fn a_rename_over_the_file_is_seen_within_two_seconds() {
    let dir = TempDir::new("rename");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, allow_all("one")).unwrap();
    let handle = PolicyHandle::watch([&file], Options::default()).unwrap();

    write_by_rename(&file, &allow_all("two"));
    let took = wait_for_rule(&handle, "two");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    write_by_rename(&file, &allow_all("three"));
    wait_for_rule(&handle, "three");
}

#[cfg(unix)]
#[test]
fn the_kubernetes_configmap_symlink_swap_is_seen() {
    use std::os::unix::fs::symlink;
    // What the kubelet's atomic writer lays out: the file is a symlink through
    // `..data`, which points at a timestamped directory; an update writes a new
    // directory and renames a new `..data` symlink over the old one.
    let dir = TempDir::new("configmap");
    let first = dir.path("..2024_01_01_00_00_00.000000001");
    std::fs::create_dir(&first).unwrap();
    std::fs::write(first.join("policy.pcl"), allow_all("one")).unwrap();
    symlink("..2024_01_01_00_00_00.000000001", dir.path("..data")).unwrap();
    symlink("..data/policy.pcl", dir.path("policy.pcl")).unwrap();

    let handle = PolicyHandle::watch([dir.path("policy.pcl")], Options::default()).unwrap();
    assert_eq!(deciding_rule(&handle).as_deref(), Some("one"));

    let second = dir.path("..2024_01_01_00_01_00.000000002");
    std::fs::create_dir(&second).unwrap();
    std::fs::write(second.join("policy.pcl"), allow_all("two")).unwrap();
    symlink("..2024_01_01_00_01_00.000000002", dir.path("..data_tmp")).unwrap();
    std::fs::rename(dir.path("..data_tmp"), dir.path("..data")).unwrap();
    std::fs::remove_dir_all(&first).unwrap();

    let took = wait_for_rule(&handle, "two");
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn a_broken_policy_never_replaces_the_good_one() {
    let dir = TempDir::new("broken");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, allow_all("good")).unwrap();
    let reloader = Reloader::new(PolicySource::new([&file], Options::default())).unwrap();
    let events = record_events(&reloader);
    let handle = reloader.handle();
    let _watch = reloader.watch(Duration::from_millis(50)).unwrap();

    write_by_rename(&file, "default deny\nallow \"broken\" { port 70000 }\n");
    let failed = wait_for(LIMIT, || reloader.failures() == 1);
    assert!(failed.is_some(), "the broken policy was not reported");
    assert_eq!(deciding_rule(&handle).as_deref(), Some("good"));
    let logged = events.lock().unwrap().join("\n");
    assert!(logged.contains("failed"), "{logged}");
    assert!(logged.contains("policy.pcl:2:"), "{logged}");

    // Reported once per change, not at every check.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(reloader.failures(), 1);
    assert_eq!(deciding_rule(&handle).as_deref(), Some("good"));

    write_by_rename(&file, &allow_all("fixed"));
    wait_for_rule(&handle, "fixed");
    assert_eq!((reloader.successes(), reloader.failures()), (1, 1));
}

#[test]
fn a_vanished_file_keeps_the_last_good_policy() {
    let dir = TempDir::new("vanished");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, allow_all("good")).unwrap();
    let reloader = Reloader::new(PolicySource::new([&file], Options::default())).unwrap();
    let events = record_events(&reloader);
    let handle = reloader.handle();
    let _watch = reloader.watch(Duration::from_millis(50)).unwrap();

    std::fs::remove_file(&file).unwrap();
    assert!(wait_for(LIMIT, || reloader.failures() == 1).is_some());
    assert_eq!(deciding_rule(&handle).as_deref(), Some("good"));
    let logged = events.lock().unwrap().join("\n");
    assert!(logged.contains("cannot read `"), "{logged}");

    std::fs::write(&file, allow_all("back")).unwrap();
    wait_for_rule(&handle, "back");
}

#[test]
fn the_options_are_kept_across_reloads() {
    let dir = TempDir::new("options");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, "allow \"ab\" { path \"/a/b\" }").unwrap();
    let mut options = Options::default();
    options.semicolon = Semicolon::Strip;
    options.merge_slashes = false;
    let handle = PolicyHandle::watch([&file], options).unwrap();
    let allowed = |path: &str| {
        handle
            .load()
            .evaluate(&Request::new("GET", path))
            .is_allowed()
    };
    assert!(allowed("/a;v=1/b"));

    write_by_rename(&file, "allow \"cd\" { path \"/c/d\" }");
    assert!(wait_for(LIMIT, || allowed("/c/d")).is_some());
    assert!(allowed("/c;v=1/d"), "semicolons are stripped again");
    assert!(!allowed("/c//d"), "slashes are still not merged");
    assert_eq!(handle.load().options(), &options);
}

#[test]
fn several_files_are_one_policy_and_the_revision_hashes_them_in_order() {
    let dir = TempDir::new("several");
    let base = dir.path("base.pcl");
    let team = dir.path("team.pcl");
    std::fs::write(
        &base,
        "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]\n",
    )
    .unwrap();
    std::fs::write(&team, "allow \"ops\" { identity in ops }\n").unwrap();
    let reloader = Reloader::new(PolicySource::new([&base, &team], Options::default())).unwrap();
    // sha256 of the two files' bytes, concatenated in order.
    let expected = sha256_prefix(&[std::fs::read(&base).unwrap(), std::fs::read(&team).unwrap()]);
    assert_eq!(reloader.revision().to_string(), expected);
    assert_eq!(
        reloader.handle().load().revision(),
        Some(reloader.revision())
    );
    let ops = Request::new("GET", "/").identity("spiffe://p/ns/ops/sa/a");
    assert_eq!(reloader.handle().load().evaluate(&ops).rule(), Some("ops"));

    // The other order is another revision.
    let swapped = Reloader::new(PolicySource::new([&team, &base], Options::default())).unwrap();
    assert_ne!(swapped.revision(), reloader.revision());
}

#[test]
fn a_reload_with_nothing_changed_still_counts_and_reports() {
    let dir = TempDir::new("sighup");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, allow_all("same")).unwrap();
    let reloader = Reloader::new(PolicySource::new([&file], Options::default())).unwrap();
    let events = record_events(&reloader);
    // A hook may read the reloader (what a server's metrics hook does).
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (me, sink) = (reloader.clone(), Arc::clone(&seen));
    reloader.on_reload(move |_| {
        sink.lock()
            .unwrap()
            .push((me.revision(), me.successes(), me.failures()));
    });
    let before = reloader.revision();
    assert_eq!(reloader.reload_now().unwrap(), before);
    assert_eq!(reloader.successes(), 1);
    assert_eq!(seen.lock().unwrap().as_slice(), [(before, 1, 0)]);
    assert_eq!(
        events.lock().unwrap().as_slice(),
        [format!("loaded {before} after {before}")]
    );
}

#[test]
fn the_first_compile_reports_what_is_wrong() {
    let dir = TempDir::new("first");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, "default maybe").unwrap();
    match PolicyHandle::watch([&file], Options::default()) {
        Err(ReloadError::Compile { error: e, .. }) => {
            assert!(e.to_string().contains("policy.pcl:1:9: error:"), "{e}");
        }
        other => panic!("expected a compile error, got {other:?}"),
    }
    let missing = dir.path("missing.pcl");
    let err = PolicyHandle::watch([&missing], Options::default()).unwrap_err();
    assert!(matches!(err, ReloadError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.pcl`: "), "{err}");
}

#[test]
fn not_utf8_is_a_read_error_and_a_byte_order_mark_is_dropped() {
    let dir = TempDir::new("bytes");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, b"default deny\n\xff").unwrap();
    let err = PolicySource::new([&file], Options::default())
        .compile()
        .unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");

    std::fs::write(&file, "\u{feff}default maybe").unwrap();
    let err = PolicySource::new([&file], Options::default())
        .compile()
        .unwrap_err();
    assert!(err.to_string().contains("policy.pcl:1:9: error:"), "{err}");
}

#[test]
fn the_watcher_stops_when_its_guard_is_dropped() {
    let dir = TempDir::new("stop");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, allow_all("one")).unwrap();
    let reloader = Reloader::new(PolicySource::new([&file], Options::default())).unwrap();
    // The hook lives as long as the last clone of the reloader, the watcher's
    // included: once the watcher's thread has ended, only ours is left.
    let alive = Arc::new(());
    let in_hook = Arc::clone(&alive);
    reloader.on_reload(move |_| {
        let _ = &in_hook;
    });
    let guard = reloader.watch(Duration::from_millis(20)).unwrap();
    assert_eq!(Arc::strong_count(&alive), 2);
    drop(guard);
    // Dropping the guard waited for the thread; our reloader still holds the hook.
    drop(reloader);
    assert_eq!(
        Arc::strong_count(&alive),
        1,
        "the watcher thread still runs"
    );
}

fn record_events(reloader: &Reloader) -> Arc<Mutex<Vec<String>>> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    reloader.on_reload(move |event| {
        let line = match event {
            ReloadEvent::Loaded {
                revision, previous, ..
            } => format!("loaded {revision} after {previous}"),
            ReloadEvent::Failed { error, kept, .. } => format!("failed, kept {kept}: {error}"),
            _ => "other".to_string(),
        };
        sink.lock().unwrap().push(line);
    });
    events
}

fn sha256_prefix(parts: &[Vec<u8>]) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

#[test]
fn json_files_are_read_in_the_json_form_beside_text_files() {
    let dir = TempDir::new("json");
    let base = dir.path("base.pcl");
    let team = dir.path("team.json");
    std::fs::write(
        &base,
        "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]\n",
    )
    .unwrap();
    // The JSON form of a policy is its syntax tree.
    let tree = portcullis::syntax::parse("allow \"ops\" { identity in ops }").unwrap();
    std::fs::write(&team, serde_json::to_string_pretty(&tree).unwrap()).unwrap();
    let reloader = Reloader::new(PolicySource::new([&base, &team], Options::default())).unwrap();
    let ops = Request::new("GET", "/").identity("spiffe://p/ns/ops/sa/a");
    assert_eq!(reloader.handle().load().evaluate(&ops).rule(), Some("ops"));

    // JSON that is not a policy: reported at its place, the last good policy kept.
    std::fs::write(&team, "{\n  \"rules\": 7\n}\n").unwrap();
    let err = reloader.reload_now().unwrap_err();
    assert!(matches!(err, ReloadError::Json(_)), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "{}:/rules: error: invalid type: integer `7`, expected an array\n",
            team.display()
        )),
        "{err}"
    );
    std::fs::write(&team, "[\"deny\", []]").unwrap();
    let err = reloader.reload_now().unwrap_err();
    assert!(
        err.to_string()
            .contains("team.json:1:1: error: a policy in the JSON form is a JSON object"),
        "{err}"
    );
    std::fs::write(&team, "{\"rules\": [").unwrap();
    assert!(matches!(reloader.reload_now(), Err(ReloadError::Json(_))));
    assert_eq!(reloader.handle().load().evaluate(&ops).rule(), Some("ops"));

    // A tree that does not compile: the diagnostic at its JSON Pointer, with the
    // JSON line, as `portcullis check` shows it.
    let bad = portcullis::syntax::parse("allow \"ops\" { identity in opz }").unwrap();
    std::fs::write(&team, serde_json::to_string_pretty(&bad).unwrap()).unwrap();
    match reloader.reload_now() {
        Err(e @ ReloadError::Compile { .. }) => {
            let text = e.to_string();
            let head = format!(
                "{}:/rules/0/when/0/test/in/name: error: undefined name `opz`; did you mean `ops`?\n",
                team.display()
            );
            assert!(text.starts_with(&head), "{text}");
            assert!(text.contains("\"opz\""), "the JSON line is shown: {text}");
        }
        other => panic!("expected a compile error, got {other:?}"),
    }
    assert_eq!((reloader.successes(), reloader.failures()), (0, 4));
}

#[test]
fn the_compile_limits_are_kept_across_reloads() {
    let dir = TempDir::new("limits");
    let file = dir.path("policy.pcl");
    std::fs::write(&file, allow_all("one")).unwrap();
    let mut limits = portcullis::CompileLimits::default();
    limits.max_rules = 1;
    let source = PolicySource::new([&file], Options::default()).with_limits(limits);
    let reloader = Reloader::new(source).unwrap();
    std::fs::write(&file, "allow \"a\" {}\nallow \"b\" {}\n").unwrap();
    let err = reloader.reload_now().unwrap_err();
    assert!(matches!(err, ReloadError::Compile { .. }), "{err}");
    assert_eq!(deciding_rule(&reloader.handle()).as_deref(), Some("one"));
}

#[test]
fn a_watched_json_policy_is_reloaded_and_a_broken_one_kept_out() {
    let dir = TempDir::new("json-watch");
    let file = dir.path("policy.json");
    let json = |name: &str| {
        let tree = portcullis::syntax::parse(&allow_all(name)).unwrap();
        serde_json::to_string_pretty(&tree).unwrap()
    };
    std::fs::write(&file, json("first")).unwrap();
    let handle = PolicyHandle::watch([&file], Options::default()).unwrap();
    assert_eq!(deciding_rule(&handle).as_deref(), Some("first"));

    write_in_place(&file, &json("second"));
    wait_for_rule(&handle, "second");
    write_by_rename(&file, &json("third"));
    wait_for_rule(&handle, "third");

    // Not a policy, then a policy that does not compile: each failure is counted and
    // the last good policy stays.
    let reloader = Reloader::new(PolicySource::new([&file], Options::default())).unwrap();
    let _guard = reloader.watch(Duration::from_millis(50)).unwrap();
    write_in_place(&file, "{\"rules\": [{\"effect\": \"allow\"}]}");
    assert!(wait_for(LIMIT, || reloader.failures() == 1).is_some());
    let broken = portcullis::syntax::parse("allow \"a\" { identity in nowhere }").unwrap();
    write_in_place(&file, &serde_json::to_string_pretty(&broken).unwrap());
    assert!(wait_for(LIMIT, || reloader.failures() == 2).is_some());
    assert_eq!(deciding_rule(&reloader.handle()).as_deref(), Some("third"));
    write_in_place(&file, &json("fourth"));
    wait_for_rule(&handle, "fourth");
    wait_for_rule(&reloader.handle(), "fourth");
}
