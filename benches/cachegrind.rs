//! Cache behaviour per decision, for every workload shape × request stream: each
//! combination is decided by this same binary re-run under
//! `valgrind --tool=callgrind --cache-sim=yes`, collecting only inside the decision
//! loop, and the counts are divided by the number of decisions. This machine has no
//! hardware counters; the simulated caches are those valgrind reports (printed).
//!
//! ```sh
//! cargo bench --bench cachegrind                        # 1,000 and 10,000 rules
//! cargo bench --bench cachegrind -- --sizes 10,100,1000
//! cargo bench --bench cachegrind -- --shapes mesh,tenants --streams uniform
//! cargo bench --bench cachegrind -- --ll 33554432,16,64   # simulate a 32 MiB LL
//! # keep each run's callgrind output, to see where the misses are:
//! cargo bench --bench cachegrind -- --shapes mesh --keep /tmp/cg
//! callgrind_annotate /tmp/cg/callgrind.mesh.uniform.10000.out
//! ```
//!
//! The policy text and the requests are generated natively and handed to the child in
//! files, so that valgrind only runs compiling and deciding. The child decides every
//! request once (warming the simulated caches), then every request `passes` times
//! inside `cachegrind_decide_all`, the only function collected. Without valgrind the
//! bench prints a note and succeeds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, ExitCode};

use portcullis::{OwnedRequest, Policy, Request};
use portcullis_support::workload::{Config, Req, SIZES, Shape, Stream, Workload};

/// Field, header and attribute separators of the request file (the generated requests
/// never contain them).
const FIELD: char = '\t';
const PAIR: char = '\u{1f}';
const HEADERS: char = '\u{1e}';

fn write_requests(requests: &[Req]) -> String {
    let mut out = String::new();
    for r in requests {
        let s = &r.sent;
        let headers: Vec<String> = s
            .headers()
            .map(|(n, v)| format!("{n}{PAIR}{}", String::from_utf8_lossy(v)))
            .collect();
        let attrs: Vec<String> = s.attrs().map(|(k, v)| format!("{k}{PAIR}{v}")).collect();
        let fields = [
            s.method().to_string(),
            s.path().to_string(),
            s.identity_value().unwrap_or_default().to_string(),
            s.host_value().unwrap_or_default().to_string(),
            s.source_value()
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
            headers.join(&HEADERS.to_string()),
            attrs.join(&HEADERS.to_string()),
        ];
        out.push_str(&fields.join(&FIELD.to_string()));
        out.push('\n');
    }
    out
}

fn read_requests(text: &str) -> Vec<OwnedRequest> {
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split(FIELD).collect();
            let mut r = OwnedRequest::new(f[0], f[1]);
            if !f[2].is_empty() {
                r.set_identity(f[2]);
            }
            if !f[3].is_empty() {
                r.set_host(f[3]);
            }
            if let Ok(ip) = f[4].parse::<IpAddr>() {
                r.set_source(ip);
            }
            for pair in f[5].split(HEADERS).filter(|p| !p.is_empty()) {
                let (n, v) = pair.split_once(PAIR).unwrap();
                r.push_header(n.to_string(), v.to_string());
            }
            for pair in f[6].split(HEADERS).filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once(PAIR).unwrap();
                r.push_attr(k.to_string(), v.to_string());
            }
            r
        })
        .collect()
}

/// The measured loop: the only function callgrind collects in.
#[inline(never)]
fn cachegrind_decide_all(policy: &Policy, requests: &[Request<'_>], passes: usize) -> usize {
    let mut allowed = 0;
    for _ in 0..passes {
        for r in requests {
            allowed += usize::from(policy.evaluate(black_box(r)).is_allowed());
        }
    }
    allowed
}

/// Under valgrind: compile, warm up, decide.
fn child(policy: &Path, requests: &Path, passes: usize) -> ExitCode {
    let text = std::fs::read_to_string(policy).unwrap();
    let policy = Policy::compile(&text).unwrap();
    let owned = read_requests(&std::fs::read_to_string(requests).unwrap());
    let requests: Vec<Request<'_>> = owned.iter().map(OwnedRequest::as_request).collect();
    for r in &requests {
        black_box(policy.evaluate(r).is_allowed());
    }
    let allowed = cachegrind_decide_all(&policy, &requests, passes);
    println!("{} {allowed}", requests.len() * passes);
    ExitCode::SUCCESS
}

/// Event totals of a callgrind output file: names and values.
fn totals(out: &str) -> Option<Vec<(String, f64)>> {
    let events = out.lines().find_map(|l| l.strip_prefix("events: "))?;
    let values = out
        .lines()
        .find_map(|l| l.strip_prefix("totals: "))
        .or_else(|| out.lines().find_map(|l| l.strip_prefix("summary: ")))?;
    Some(
        events
            .split_whitespace()
            .zip(values.split_whitespace())
            .map(|(n, v)| (n.to_string(), v.parse().unwrap_or(f64::NAN)))
            .collect(),
    )
}

fn list<T>(value: Option<&String>, all: &[T], parse: impl Fn(&str) -> Option<T>) -> Vec<T>
where
    T: Copy,
{
    match value {
        None => all.to_vec(),
        Some(v) => v.split(',').filter_map(|s| parse(s.trim())).collect(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--child") {
        return child(
            Path::new(&args[1]),
            Path::new(&args[2]),
            args[3].parse().unwrap(),
        );
    }
    // Our flags; everything else (`--bench`, criterion's flags and their values, a
    // filter) is someone else's.
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    if portcullis_support::bench_args::filtered_out("cachegrind", &args) {
        return ExitCode::SUCCESS;
    }
    // 1,000 and 10,000 rules by default: 10,000 takes about 40 s per run under
    // valgrind (most of it compiling), and these two give the growth.
    let sizes = list(flag("--sizes"), &SIZES[2..], |s| {
        s.replace('_', "").parse().ok()
    });
    let shapes = list(flag("--shapes"), &Shape::ALL, Shape::from_name);
    let streams = list(flag("--streams"), &Stream::ALL, Stream::from_name);
    // The last level valgrind simulates: by default this machine's per-core L2 (512
    // KiB, 8-way); valgrind's own guess here is the whole 32 MiB L3 (shared by every
    // core and tenant), which every policy of these sizes fits.
    let ll = flag("--ll").map_or("524288,8,64", String::as_str);
    let keep = flag("--keep").map(std::path::PathBuf::from);
    if let Some(keep) = &keep {
        std::fs::create_dir_all(keep).unwrap();
    }
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("cachegrind: valgrind is not installed; nothing measured");
        return ExitCode::SUCCESS;
    }
    let exe = std::env::current_exe().unwrap();
    let dir = std::env::temp_dir().join(format!("portcullis-cachegrind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = Vec::new();
    let mut caches = String::new();
    for &shape in &shapes {
        for &rules in &sizes {
            let workload = Workload::generate(Config::shaped(shape, rules));
            let policy_file = dir.join("policy.pcl");
            std::fs::write(&policy_file, workload.policy_text()).unwrap();
            for &stream in &streams {
                let requests = workload.stream(stream);
                let request_file = dir.join("requests.tsv");
                std::fs::write(&request_file, write_requests(requests)).unwrap();
                // About 4,000 measured decisions (at least one pass).
                let passes = (4_000 / requests.len().max(1)).max(1);
                let out_file = dir.join("callgrind.out");
                let run = Command::new("valgrind")
                    .args([
                        "--tool=callgrind",
                        "--cache-sim=yes",
                        "--dump-instr=yes",
                        "--toggle-collect=*cachegrind_decide_all*",
                    ])
                    .arg(format!("--LL={ll}"))
                    .arg(format!("--callgrind-out-file={}", out_file.display()))
                    .arg(&exe)
                    .arg("--child")
                    .arg(&policy_file)
                    .arg(&request_file)
                    .arg(passes.to_string())
                    .output()
                    .unwrap();
                let stdout = String::from_utf8_lossy(&run.stdout);
                let mut counts = stdout.split_whitespace().map(|n| n.parse::<usize>().ok());
                let (decided, allowed) = (counts.next().flatten(), counts.next().flatten());
                let decisions = decided.map_or(f64::NAN, |n| n as f64);
                // The file round trip must keep every decision as labelled.
                let expected = requests.iter().filter(|r| r.label.is_allowed()).count() * passes;
                if allowed.is_some_and(|a| a != expected) {
                    eprintln!(
                        "cachegrind: {} {} {rules}: {allowed:?} allowed, {expected} labelled allowed",
                        shape.name(),
                        stream.name(),
                    );
                }
                let out = std::fs::read_to_string(&out_file).unwrap_or_default();
                if let Some(keep) = &keep {
                    let name = format!("callgrind.{}.{}.{rules}.out", shape.name(), stream.name());
                    std::fs::write(keep.join(name), &out).unwrap();
                }
                if caches.is_empty() {
                    caches = out
                        .lines()
                        .filter(|l| l.starts_with("desc: ") && l.contains("cache"))
                        .map(|l| l.trim_start_matches("desc: "))
                        .collect::<Vec<_>>()
                        .join("; ");
                }
                let Some(t) = totals(&out).filter(|_| run.status.success()) else {
                    eprintln!(
                        "cachegrind: {} {} {rules}: no counts\n{}",
                        shape.name(),
                        stream.name(),
                        String::from_utf8_lossy(&run.stderr)
                    );
                    continue;
                };
                let get = |names: &[&str]| -> f64 {
                    names
                        .iter()
                        .map(|n| t.iter().find(|(e, _)| e == n).map_or(0.0, |(_, v)| *v))
                        .sum::<f64>()
                        / decisions
                };
                let row = format!(
                    "| {} | {} | {rules} | {:.0} | {:.0} | {:.1} | {:.2} | {:.2} |",
                    shape.name(),
                    stream.name(),
                    get(&["Ir"]),
                    get(&["Dr", "Dw"]),
                    get(&["D1mr", "D1mw"]),
                    get(&["DLmr", "DLmw"]),
                    get(&["I1mr"]),
                );
                eprintln!("{row}");
                rows.push(row);
                let _ = std::io::stderr().flush();
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("\ncachegrind: per decision (callgrind --cache-sim=yes; {caches})\n");
    println!(
        "| shape | stream | rules | instructions | data refs | D1 misses | LL misses (data) | I1 misses |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
    ExitCode::SUCCESS
}
