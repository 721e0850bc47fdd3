//! Reloading while serving: SIGHUP's entry point, the file watcher (in-place writes,
//! renames, the Kubernetes `..data` symlink swap, a vanished file), and a policy
//! swapped dozens of times, broken versions included, under load from several
//! clients: no error, and every decision one of the two good policies'.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{TempDir, envoy_check, metric, raw_http};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::google::protobuf::value::Kind;
use portcullis_server::{ServeConfig, Server};

const A: &str = r#"allow "a" { path "/a/**" }  audit "under a" {}"#;
const B: &str = r#"allow "b" { path "/b/**" }  audit "under b" {}"#;
const BROKEN: &str = r#"allow "a" { path "/a/**" "#;

fn config(dir: &TempDir, file: &std::path::Path) -> ServeConfig {
    let _ = dir;
    common::serve_config(file, &["grpc", "http", "admin"])
}

async fn forward(server: &Server, path: &str) -> (u16, Option<String>) {
    let request = format!(
        "GET /forward-auth HTTP/1.1\r\nHost: p\r\nX-Forwarded-Method: GET\r\nX-Forwarded-Uri: {path}\r\nConnection: close\r\n\r\n"
    );
    let response = raw_http(server.http_addr().unwrap(), request.as_bytes()).await;
    (
        response.status,
        response.header("x-portcullis-rule").map(str::to_string),
    )
}

/// Waits (up to 5 s) until `/a/x` is decided by `rule`.
async fn until_rule(server: &Server, rule: Option<&str>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, seen) = forward(server, "/a/x").await;
        if seen.as_deref() == rule {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the policy did not change: still {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reload_counts_even_unchanged_and_never_takes_a_bad_policy() {
    let dir = TempDir::new("hup");
    let file = dir.write("policy.pcl", A);
    let server = Server::start(config(&dir, &file)).await.unwrap();
    let before = server.revision();
    let reload = server.reload_handle();
    tokio::task::spawn_blocking(reload).await.unwrap().unwrap();
    assert_eq!(server.revision(), before, "unchanged");
    let text = server.metrics();
    assert_eq!(
        metric(
            &text,
            r#"portcullis_policy_reloads_total{result="success"}"#
        ),
        Some(1.0)
    );

    // A broken policy is written (and the watcher may see it too): the old one stays.
    std::fs::write(&file, BROKEN).unwrap();
    let reload = server.reload_handle();
    assert!(tokio::task::spawn_blocking(reload).await.unwrap().is_err());
    assert_eq!(forward(&server, "/a/x").await, (200, Some("a".to_string())));
    assert_eq!(server.revision(), before);
    let failures = metric(
        &server.metrics(),
        r#"portcullis_policy_reloads_total{result="failure"}"#,
    );
    assert!(failures >= Some(1.0), "{failures:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_follows_writes_renames_and_configmap_swaps() {
    let dir = TempDir::new("watch");
    // A mounted ConfigMap: policy.pcl -> ..data/policy.pcl, ..data -> ..v1.
    std::fs::create_dir(dir.path().join("..v1")).unwrap();
    std::fs::write(dir.path().join("..v1/policy.pcl"), A).unwrap();
    std::os::unix::fs::symlink("..v1", dir.path().join("..data")).unwrap();
    std::os::unix::fs::symlink("..data/policy.pcl", dir.path().join("policy.pcl")).unwrap();
    let file = dir.path().join("policy.pcl");
    let server = Server::start(config(&dir, &file)).await.unwrap();
    assert_eq!(forward(&server, "/a/x").await.1.as_deref(), Some("a"));

    // Kubernetes writes a new directory and swaps `..data` by renaming a symlink.
    std::fs::create_dir(dir.path().join("..v2")).unwrap();
    std::fs::write(dir.path().join("..v2/policy.pcl"), B).unwrap();
    std::os::unix::fs::symlink("..v2", dir.path().join("..data_tmp")).unwrap();
    std::fs::rename(dir.path().join("..data_tmp"), dir.path().join("..data")).unwrap();
    std::fs::remove_dir_all(dir.path().join("..v1")).unwrap();
    until_rule(&server, None).await;
    assert_eq!(forward(&server, "/b/x").await.1.as_deref(), Some("b"));

    // A plain file, written in place, then replaced by a rename.
    let plain = dir.write("plain.pcl", A);
    server.shutdown().await;
    let server = Server::start(config(&dir, &plain)).await.unwrap();
    std::fs::write(&plain, B).unwrap();
    until_rule(&server, None).await;
    let staged = dir.write("staged.pcl", A);
    std::fs::rename(&staged, &plain).unwrap();
    until_rule(&server, Some("a")).await;

    // The file vanishes: the last good policy stays.
    std::fs::remove_file(&plain).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let failed = r#"portcullis_policy_reloads_total{result="failure"} 1"#;
    while !server.metrics().contains(failed) {
        assert!(
            Instant::now() < deadline,
            "the vanished file was not noticed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(forward(&server, "/a/x").await, (200, Some("a".to_string())));
    server.shutdown().await;
}

/// What `/a/x` and `/b/x` may get: A's or B's decision, whole (rule and audit).
fn expected(path: &str) -> [(bool, Option<&'static str>, &'static str); 2] {
    if path == "/a/x" {
        [(true, Some("a"), "under a"), (false, None, "under b")]
    } else {
        [(false, None, "under a"), (true, Some("b"), "under b")]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_under_load() {
    const RUN: Duration = Duration::from_secs(4);
    const SWAPS: usize = 48;
    const MAX_REQUESTS_PER_CLIENT: u64 = 200_000;
    let dir = TempDir::new("load");
    let file = dir.write("policy.pcl", A);
    let server = Arc::new(Server::start(config(&dir, &file)).await.unwrap());
    let started = Instant::now();
    let decided = Arc::new(AtomicU64::new(0));
    let seen_b = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    // Four gRPC clients, each on its own connection.
    for client in 0..4 {
        let url = format!("http://{}", server.grpc_addr().unwrap());
        let (decided, seen_b) = (Arc::clone(&decided), Arc::clone(&seen_b));
        clients.push(tokio::spawn(async move {
            let mut grpc = AuthorizationClient::connect(url).await.unwrap();
            let mut count = 0;
            while started.elapsed() < RUN && count < MAX_REQUESTS_PER_CLIENT {
                let path = if (count + client) % 2 == 0 {
                    "/a/x"
                } else {
                    "/b/x"
                };
                let response = grpc
                    .check(envoy_check("GET", path, &[]))
                    .await
                    .expect("no request fails during a reload")
                    .into_inner();
                let fields = &response.dynamic_metadata.as_ref().unwrap().fields;
                let allowed = response.status.unwrap().code == 0;
                let rule = match &fields["rule"].kind {
                    Some(Kind::StringValue(rule)) => Some(rule.clone()),
                    _ => None,
                };
                let Some(Kind::ListValue(audit)) = &fields["audit"].kind else {
                    panic!("no audit list");
                };
                let Some(Kind::StringValue(audit)) = &audit.values[0].kind else {
                    panic!("no audit rule");
                };
                let got = (allowed, rule.as_deref(), audit.as_str());
                assert!(
                    expected(path).iter().any(|e| (e.0, e.1, e.2) == got),
                    "{path}: {got:?} is neither policy's decision"
                );
                if audit == "under b" {
                    seen_b.fetch_add(1, Ordering::Relaxed);
                }
                count += 1;
                decided.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Two forward-auth clients, a connection per request as nginx's default.
    for client in 0..2 {
        let (server, decided) = (Arc::clone(&server), Arc::clone(&decided));
        clients.push(tokio::spawn(async move {
            let mut count = 0;
            while started.elapsed() < RUN && count < MAX_REQUESTS_PER_CLIENT {
                let path = if (count + client) % 2 == 0 {
                    "/a/x"
                } else {
                    "/b/x"
                };
                let (status, rule) = forward(&server, path).await;
                let got = (status == 200, rule.as_deref());
                assert!(
                    expected(path).iter().any(|e| (e.0, e.1) == got),
                    "{path}: {got:?} is neither policy's decision"
                );
                count += 1;
                decided.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // The swaps: renames and in-place writes, every third one broken, each followed
    // by a reload as SIGHUP asks for one (the watcher, which waits for a file to stay
    // the same for two checks, reloads some of them too).
    let writer = {
        let file = file.clone();
        let dir = dir.path().to_path_buf();
        let reload = server.reload_handle();
        tokio::task::spawn_blocking(move || {
            for swap in 0..SWAPS {
                let text = match swap % 3 {
                    0 => B,
                    1 => BROKEN,
                    _ => A,
                };
                if swap % 2 == 0 {
                    let staged = dir.join(format!("staged-{swap}.pcl"));
                    std::fs::write(&staged, text).unwrap();
                    std::fs::rename(&staged, &file).unwrap();
                } else {
                    std::fs::write(&file, text).unwrap();
                }
                let _ = reload();
                std::thread::sleep(RUN / u32::try_from(SWAPS + 2).unwrap());
            }
        })
    };
    writer.await.unwrap();
    for client in clients {
        client.await.unwrap();
    }
    let total = decided.load(Ordering::Relaxed);
    let text = server.metrics();
    let successes = metric(
        &text,
        r#"portcullis_policy_reloads_total{result="success"}"#,
    )
    .unwrap();
    let failures = metric(
        &text,
        r#"portcullis_policy_reloads_total{result="failure"}"#,
    )
    .unwrap();
    eprintln!("{total} decisions, {successes} reloads, {failures} failed reloads");
    assert!(total > 500, "the clients ran: {total}");
    assert!(
        successes >= 32.0 && failures >= 16.0,
        "{successes} {failures}"
    );
    assert!(
        seen_b.load(Ordering::Relaxed) > 0,
        "the swaps reached the clients"
    );
    Arc::try_unwrap(server).unwrap().shutdown().await;
}
