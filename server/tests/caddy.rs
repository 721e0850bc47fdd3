//! A real Caddy (Debian's package) in front of a small backend, asking a running
//! `serve` about every request through `forward_auth`, with the configuration that
//! docs/deploy.md gives (`Caddyfile.template`, placeholders filled in). Requests go
//! to Caddy as raw bytes, so that no client normalizes their paths.
//!
//! Without Caddy the test is skipped with a note, unless `PORTCULLIS_REQUIRE_CADDY=1`
//! (CI sets it): then it fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TempDir;
use common::proxy::{POLICY, free_port, start_backend};
use portcullis_server::Server;

const TEMPLATE: &str = include_str!("Caddyfile.template");

fn caddy_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("caddy"))
        .find(|p| p.is_file())
}

/// Kills Caddy when the test ends, however it ends.
struct Caddy(Child);

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_caddy(
    binary: &Path,
    dir: &Path,
    port: u16,
    portcullis: SocketAddr,
    backend: SocketAddr,
) -> Caddy {
    let config = TEMPLATE
        .replace("@TMP@", &dir.join("storage").display().to_string())
        .replace("@PORT@", &port.to_string())
        .replace("@PORTCULLIS@", &portcullis.to_string())
        .replace("@BACKEND@", &backend.to_string());
    for placeholder in ["@TMP@", "@PORT@", "@PORTCULLIS@", "@BACKEND@"] {
        assert!(TEMPLATE.contains(placeholder), "{placeholder}");
    }
    let file = dir.join("Caddyfile");
    std::fs::write(&file, config).unwrap();
    let log = std::fs::File::create(dir.join("caddy.log")).unwrap();
    // Caddy keeps its state under HOME and the XDG directories: the test's own.
    let child = Command::new(binary)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&file)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("caddy starts");
    let mut caddy = Caddy(child);
    let listen = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(listen).is_err() {
        let exited = caddy.0.try_wait().unwrap();
        if exited.is_some() || Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("caddy.log")).unwrap_or_default();
            panic!("caddy did not start ({exited:?}):\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    caddy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_forward_auth_end_to_end() {
    let Some(binary) = caddy_binary() else {
        let required = std::env::var("PORTCULLIS_REQUIRE_CADDY").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "caddy is not installed and PORTCULLIS_REQUIRE_CADDY=1: install Debian's \
             package (`apt-get install -y caddy`)"
        );
        eprintln!("note: caddy is not installed; skipping the caddy end-to-end test");
        return;
    };
    let dir = TempDir::new("caddy");
    let policy = dir.write("policy.pcl", POLICY);
    let mut config = common::serve_config(policy, &["http"]);
    let log = dir.path().join("decisions.log");
    config.decision_log = Some(portcullis_server::LogTarget::File(log.clone()));
    let server = Server::start(config).await.unwrap();
    let (backend, heads) = start_backend().await;
    let port = free_port();
    let listen = SocketAddr::from(([127, 0, 0, 1], port));
    let caddy = start_caddy(
        &binary,
        dir.path(),
        port,
        server.http_addr().unwrap(),
        backend,
    );

    common::proxy::drive_the_cases(listen, &heads).await;

    drop(caddy);
    server.shutdown().await;

    // Portcullis decided the raw targets, as the client sent them, and the port
    // Caddy listens on.
    let log = std::fs::read_to_string(&log).unwrap();
    let requests: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["request"].clone())
        .collect();
    for raw in [
        "/catalog/..%2Fadmin",
        "/catalog/%2e%2e/admin",
        "/catalog/../admin",
        "/catalog/shoes?size=42",
    ] {
        assert!(
            requests.iter().any(|r| r["path"] == raw),
            "`{raw}` not decided as sent:\n{log}"
        );
    }
    assert!(
        requests.iter().all(|r| r["port"] == port),
        "every request at Caddy's port {port}:\n{log}"
    );
}

/// The docs quote this very configuration.
#[test]
fn the_docs_quote_the_tested_configuration() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/deploy.md")).unwrap();
    assert!(
        docs.contains(TEMPLATE.trim_end()),
        "docs/deploy.md must quote server/tests/Caddyfile.template verbatim"
    );
}
