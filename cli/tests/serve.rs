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

/// The JSON form of the policy `text`.
fn json_form(text: &str) -> String {
    let tree = portcullis::syntax::parse(text).unwrap();
    serde_json::to_string_pretty(&tree).unwrap()
}

impl Serve {
    /// Waits (at most 10 s) for a stderr line holding `needle`; every line read.
    fn stderr_until(&self, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    seen.push(line);
                    if found {
                        return seen;
                    }
                }
                Err(_) => panic!("no stderr line with `{needle}` within 10 s; saw {seen:#?}"),
            }
        }
    }
}

#[test]
fn json_policies_are_served_and_reloaded_with_json_diagnostics() {
    let dir = Dir::new("serve-json");
    let enforced = "default deny\nallow \"probes\" { method GET  path \"/healthz\" }\n";
    dir.write("policy.json", json_form(enforced));
    dir.write("shadow.json", json_form("default allow\n"));
    let serve = Serve::start(
        &dir,
        &[
            "-p",
            "policy.json",
            "--shadow",
            "shadow.json",
            "--http",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
        ],
        2,
    );
    let (http_address, admin) = (serve.address("http"), serve.address("admin"));
    assert_eq!(forward_auth(http_address, "/healthz"), 200);
    assert_eq!(forward_auth(http_address, "/ready"), 403);
    assert!(
        metrics(admin)
            .contains("portcullis_shadow_decisions_total{decision=\"allow\",agrees=\"false\"} 1\n"),
        "{}",
        metrics(admin)
    );

    // A new JSON policy is loaded.
    let both = "default deny\nallow \"probes\" { method GET  path \"/healthz\", \"/ready\" }\n";
    dir.write("policy.json", json_form(both));
    serve.stderr_until("portcullis: policy reloaded, revision");
    assert_eq!(forward_auth(http_address, "/ready"), 200);

    // A JSON policy that does not compile: its diagnostic at the JSON Pointer on
    // stderr, the last good policy still deciding.
    dir.write(
        "policy.json",
        json_form("allow \"probes\" { identity in probers }\n"),
    );
    let lines = serve.stderr_until("policy.json:/");
    let last = lines.last().unwrap();
    assert_eq!(
        last, "policy.json:/rules/0/when/0/test/in/name: error: undefined name `probers`",
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("portcullis: policy reload failed, keeping revision ")),
        "{lines:#?}"
    );
    assert_eq!(forward_auth(http_address, "/ready"), 200);
    assert_eq!(forward_auth(http_address, "/admin"), 403);

    // JSON that is not a policy, in the shadow: at its pointer too; the shadow stays.
    dir.write("shadow.json", "{\"default\": \"perhaps\"}");
    let lines = serve.stderr_until("shadow.json:/default: error: unknown variant `perhaps`");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("portcullis: shadow policy reload failed, keeping revision ")),
        "{lines:#?}"
    );
    assert_eq!(forward_auth(http_address, "/admin"), 403);
    let text = metrics(admin);
    assert!(
        text.contains("portcullis_policy_reloads_total{result=\"failure\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("portcullis_shadow_decisions_total{decision=\"allow\",agrees=\"false\"} 3\n"),
        "{text}"
    );
}

#[test]
fn a_json_policy_that_does_not_compile_exits_1_with_json_diagnostics() {
    let dir = Dir::new("serve-json-broken");
    dir.write(
        "policy.json",
        json_form("allow \"a\" { identity in nowhere }\n"),
    );
    let out = dir.run(&["serve", "-p", "policy.json", "--http", "127.0.0.1:0"]);
    out.assert(1);
    assert!(
        out.stderr.starts_with(
            "policy.json:/rules/0/when/0/test/in/name: error: undefined name `nowhere`\n"
        ),
        "{}",
        out.stderr
    );
    dir.write("policy.json", "[]");
    let out = dir.run(&["serve", "-p", "policy.json", "--http", "127.0.0.1:0"]);
    out.assert(1);
    assert!(
        out.stderr
            .starts_with("policy.json:1:1: error: a policy in the JSON form is a JSON object\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn stdin_cannot_be_a_served_policy() {
    let dir = Dir::new("serve-stdin");
    dir.write("policy.pcl", POLICY);
    for args in [
        &["serve", "-p", "-", "--http", "127.0.0.1:0"][..],
        &[
            "serve",
            "-p",
            "policy.pcl",
            "--shadow",
            "-",
            "--http",
            "127.0.0.1:0",
        ][..],
    ] {
        let out = dir.run_with_stdin(args, Some(POLICY.as_bytes()));
        out.assert_usage_error();
        assert!(
            out.stderr.contains("`-` (stdin) cannot be one"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("listening"), "{}", out.stderr);
    }
}
