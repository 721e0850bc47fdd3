//! `portcullis serve` as a process: the `listening` lines, real signals (SIGHUP
//! reloads, SIGTERM and SIGINT stop gracefully with status 0), and the statuses of a
//! policy that does not compile, an address in use and a usage error. The protocols
//! themselves are tested in the server crate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::Dir;

const POLICY: &str = r#"allow "probes" { method GET  path "/healthz" }"#;

/// A running `portcullis serve`, killed if the test ends early.
struct Serve {
    child: Child,
    listening: Vec<(String, SocketAddr)>,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(dir: &Dir, args: &[&str], listeners: usize) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .arg("serve")
            .args(args)
            .current_dir(&dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (lines, stderr) = mpsc::channel();
        let pipe = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in pipe.lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut serve = Serve {
            child,
            listening: Vec::new(),
            stderr,
        };
        while serve.listening.len() < listeners {
            let line = serve
                .stderr
                .recv_timeout(Duration::from_secs(20))
                .expect("a `listening` line within 20 s");
            let parts: Vec<&str> = line.split(' ').collect();
            let [word, kind, address] = parts[..] else {
                panic!("not a `listening KIND ADDRESS` line: {line}");
            };
            assert_eq!(word, "listening", "{line}");
            assert!(["grpc", "http", "admin"].contains(&kind), "{line}");
            let address: SocketAddr = address.parse().unwrap();
            assert_eq!(address.ip().to_string(), "127.0.0.1");
            assert_ne!(address.port(), 0, "the bound port, not the one asked for");
            serve.listening.push((kind.to_string(), address));
        }
        serve
    }

    fn address(&self, kind: &str) -> SocketAddr {
        self.listening.iter().find(|(k, _)| k == kind).unwrap().1
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit (at most 15 s); its status.
    fn wait(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("an exit status, not a signal");
            }
            assert!(Instant::now() < deadline, "serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A raw HTTP/1.1 request; the status and the body.
fn http(address: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

fn forward_auth(address: SocketAddr, path: &str) -> u16 {
    http(
        address,
        &format!(
            "GET /forward-auth HTTP/1.1\r\nHost: p\r\nX-Forwarded-Method: GET\r\nX-Forwarded-Uri: {path}\r\nConnection: close\r\n\r\n"
        ),
    )
    .0
}

fn metrics(address: SocketAddr) -> String {
    http(
        address,
        "GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .1
}

#[test]
fn sighup_reloads_and_sigterm_stops_with_status_0() {
    let dir = Dir::new("serve-signals");
    dir.write("policy.pcl", POLICY);
    let mut serve = Serve::start(
        &dir,
        &[
            "-p",
            "policy.pcl",
            "--grpc",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
            "--decision-log",
            "decisions.log",
        ],
        3,
    );
    let kinds: Vec<&str> = serve.listening.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["grpc", "http", "admin"]);
    let http_address = serve.address("http");
    assert_eq!(forward_auth(http_address, "/healthz"), 200);
    assert_eq!(forward_auth(http_address, "/admin"), 403);

    // SIGHUP with the file unchanged still counts as a reload.
    serve.signal("HUP");
    let admin = serve.address("admin");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !metrics(admin).contains("portcullis_policy_reloads_total{result=\"success\"} 1\n") {
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not reload:\n{}",
            metrics(admin)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(forward_auth(http_address, "/healthz"), 200, "still serving");

    serve.signal("TERM");
    assert_eq!(serve.wait(), 0);
    let log = std::fs::read_to_string(dir.0.join("decisions.log")).unwrap();
    assert_eq!(
        log.lines().count(),
        3,
        "every decision written out before exiting:\n{log}"
    );
}

#[test]
fn sigint_stops_with_status_0() {
    let dir = Dir::new("serve-sigint");
    dir.write("policy.pcl", POLICY);
    let mut serve = Serve::start(&dir, &["-p", "policy.pcl", "--grpc", "127.0.0.1:0"], 1);
    serve.signal("INT");
    assert_eq!(serve.wait(), 0);
}

#[test]
fn a_policy_that_does_not_compile_exits_1_with_its_diagnostics() {
    let dir = Dir::new("serve-broken");
    dir.write("policy.pcl", "allow \"a\" { port 70000 }\n");
    let out = dir.run(&["serve", "-p", "policy.pcl", "--http", "127.0.0.1:0"]);
    out.assert(1);
    assert!(out.stderr.starts_with("policy.pcl:1:"), "{}", out.stderr);
    assert!(out.stderr.contains("error"), "{}", out.stderr);
    assert!(!out.stderr.contains("listening"), "{}", out.stderr);
}

#[test]
fn an_address_in_use_exits_1() {
    let dir = Dir::new("serve-in-use");
    dir.write("policy.pcl", POLICY);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let out = dir.run(&["serve", "-p", "policy.pcl", "--http", &address]);
    out.assert(1);
    assert!(
        out.stderr
            .contains(&format!("cannot listen for http on `{address}`")),
        "{}",
        out.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = Dir::new("serve-usage");
    dir.write("policy.pcl", POLICY);
    let cases: [(&[&str], &str); 4] = [
        (&["serve", "-p", "policy.pcl"], "nothing to serve"),
        (&["serve", "--grpc", "127.0.0.1:0"], "missing"),
        (
            &["serve", "-p", "policy.pcl", "--grpc", "localhost"],
            "--grpc",
        ),
        (
            &[
                "serve",
                "-p",
                "policy.pcl",
                "--http",
                "127.0.0.1:0",
                "--trusted-proxy",
                "10.0.0.0/33",
            ],
            "not an address block",
        ),
    ];
    for (args, message) in cases {
        let out = dir.run(args);
        out.assert_usage_error();
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
    }
    let help = dir.run(&["serve", "--help"]);
    help.assert(0);
    for flag in [
        "--policy",
        "--shadow",
        "--grpc",
        "--http",
        "--admin",
        "--trusted-proxy",
        "--decision-log",
        "--escaped-slashes",
    ] {
        assert!(help.stdout.contains(flag), "{flag} missing from --help");
    }
}
