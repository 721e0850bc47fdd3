//! A real nginx (Debian's package, with `auth_request`) in front of a small backend,
//! asking a running `serve` about every request, with the configuration that
//! docs/deploy.md gives (`nginx.conf.template`, placeholders filled in). Requests go
//! to nginx as raw bytes, so that no client normalizes their paths.
//!
//! Without nginx the test is skipped with a note, unless `PORTCULLIS_REQUIRE_NGINX=1`
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

const TEMPLATE: &str = include_str!("nginx.conf.template");

fn nginx_binary() -> Option<PathBuf> {
    let candidates = [PathBuf::from("/usr/sbin/nginx")];
    if let Some(found) = candidates.into_iter().find(|p| p.is_file()) {
        return Some(found);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("nginx"))
        .find(|p| p.is_file())
}

/// Kills nginx when the test ends, however it ends.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_nginx(
    binary: &Path,
    dir: &Path,
    listen: SocketAddr,
    portcullis: SocketAddr,
    backend: SocketAddr,
) -> Nginx {
    let config = TEMPLATE
        .replace("@TMP@", &dir.display().to_string())
        .replace("@LISTEN@", &listen.to_string())
        .replace("@PORTCULLIS@", &portcullis.to_string())
        .replace("@BACKEND@", &backend.to_string());
    for placeholder in ["@TMP@", "@LISTEN@", "@PORTCULLIS@", "@BACKEND@"] {
        assert!(TEMPLATE.contains(placeholder), "{placeholder}");
    }
    let file = dir.join("nginx.conf");
    std::fs::write(&file, config).unwrap();
    let child = Command::new(binary)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&file)
        .stdin(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let mut nginx = Nginx(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(listen).is_err() {
        let exited = nginx.0.try_wait().unwrap();
        if exited.is_some() || Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            panic!("nginx did not start ({exited:?}):\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    nginx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_auth_request_end_to_end() {
    let Some(binary) = nginx_binary() else {
        let required = std::env::var("PORTCULLIS_REQUIRE_NGINX").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "nginx is not installed and PORTCULLIS_REQUIRE_NGINX=1: install Debian's \
             package (`apt-get install -y nginx`), which has auth_request"
        );
        eprintln!("note: nginx is not installed; skipping the nginx end-to-end test");
        return;
    };
    let dir = TempDir::new("nginx");
    let policy = dir.write("policy.pcl", POLICY);
    let config = common::serve_config(policy, &["http"]);
    let server = Server::start(config).await.unwrap();
    let (backend, heads) = start_backend().await;
    let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let nginx = start_nginx(
        &binary,
        dir.path(),
        listen,
        server.http_addr().unwrap(),
        backend,
    );

    common::proxy::drive_the_cases(listen, &heads).await;

    drop(nginx);
    server.shutdown().await;
}

/// The docs quote this very configuration.
#[test]
fn the_docs_quote_the_tested_configuration() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/deploy.md")).unwrap();
    assert!(
        docs.contains(TEMPLATE.trim_end()),
        "docs/deploy.md must quote server/tests/nginx.conf.template verbatim"
    );
}
