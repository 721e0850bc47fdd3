//! `Policy::evaluate` on every workload shape × request stream at 10 to 10,000 rules,
//! then a table of the medians read back from criterion's estimates.
//!
//! ```sh
//! cargo bench --bench shapes                       # every shape, both streams
//! cargo bench --bench shapes -- uniform            # a criterion filter
//! cargo bench --bench shapes -- --warm-up-time 1 --measurement-time 2
//! cargo bench --bench shapes -- --shapes held-out  # only these shapes (comma list)
//! ```
//!
//! `--shapes` is this bench's own flag (criterion rejects flags it does not know): the
//! binary re-runs itself without it, the list in `PORTCULLIS_BENCH_SHAPES`. Without
//! it every shape of `Shape::ALL` is run, the held-out one included.
//!
//! A bench id is `shapes/<shape>/<stream>/<rules>`. One iteration decides one request;
//! iterations go round the stream (256 requests for the mix, 2,000 distinct requests
//! for the uniform stream), so the uniform stream touches the whole policy.
//!
//! The clock is the bench thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall
//! time: on this shared 2-core machine, with a load average of 20, wall time counted
//! mostly the time the thread waited for a core (20–40× the decision). CPU time still
//! pays for caches that other processes evicted. `PORTCULLIS_BENCH_CLOCK=wall` uses
//! wall time.
#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput};
use portcullis::{Policy, Request};
use portcullis_support::workload::{Config, Req, SIZES, Shape, Stream, Workload};

/// How many requests of a stream Portcullis decides as labelled (printed, not
/// asserted: the bench measures, `tests/workload.rs` checks).
fn agreement(policy: &Policy, requests: &[Req]) -> usize {
    requests
        .iter()
        .filter(|r| r.decided_as_labelled(policy))
        .count()
}

/// The calling thread's CPU time.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// criterion measurement: the thread's CPU time (or wall time, see the module docs).
struct Clock {
    wall: bool,
}

static WALL: WallTime = WallTime;

impl Measurement for Clock {
    type Intermediate = (Duration, std::time::Instant);
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        (thread_cpu(), std::time::Instant::now())
    }
    fn end(&self, (cpu, wall): Self::Intermediate) -> Duration {
        if self.wall {
            wall.elapsed()
        } else {
            thread_cpu().saturating_sub(cpu)
        }
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// Where the re-run binary finds the `--shapes` list.
const SHAPES_VAR: &str = "PORTCULLIS_BENCH_SHAPES";

/// The shapes to run: the `--shapes` list, or every shape.
fn shapes() -> Vec<Shape> {
    match std::env::var(SHAPES_VAR) {
        Ok(list) => list
            .split(',')
            .map(|name| {
                Shape::from_name(name.trim())
                    .unwrap_or_else(|| panic!("shapes: unknown shape `{}`", name.trim()))
            })
            .collect(),
        Err(_) => Shape::ALL.to_vec(),
    }
}

fn bench(c: &mut Criterion<Clock>) {
    for shape in shapes() {
        for rules in SIZES {
            let workload = Workload::generate(Config::shaped(shape, rules));
            let policy =
                Policy::compile(&workload.policy_text()).expect("generated policy compiles");
            for stream in Stream::ALL {
                let reqs = workload.stream(stream);
                let id = format!("shapes/{}/{}", shape.name(), stream.name());
                let mut group = c.benchmark_group(&id);
                group.throughput(Throughput::Elements(1));
                let requests: Vec<Request<'_>> = reqs.iter().map(Req::request).collect();
                let agree = agreement(&policy, reqs);
                if agree != reqs.len() {
                    eprintln!(
                        "{id}/{rules}: only {agree}/{} requests decided as labelled",
                        reqs.len()
                    );
                }
                group.bench_function(rules.to_string(), |b| {
                    let mut i = 0;
                    b.iter(|| {
                        let r = &requests[i];
                        i = if i + 1 == requests.len() { 0 } else { i + 1 };
                        black_box(policy.evaluate(black_box(r)).is_allowed())
                    });
                });
                group.finish();
            }
        }
    }
}

/// criterion's output directory: `<target>/criterion`, the bench binary being
/// `<target>/release/deps/shapes-<hash>`.
fn criterion_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// Every `new/benchmark.json` under `dir` written since `since`: (group, function) →
/// median ns.
fn medians(dir: &Path, since: SystemTime, out: &mut BTreeMap<(String, String), f64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                let fresh = std::fs::metadata(path.join("estimates.json"))
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t >= since);
                let read = |name: &str| -> Option<serde_json::Value> {
                    serde_json::from_str(&std::fs::read_to_string(path.join(name)).ok()?).ok()
                };
                if let (true, Some(b), Some(e)) =
                    (fresh, read("benchmark.json"), read("estimates.json"))
                {
                    let group = b["group_id"].as_str().unwrap_or_default().to_string();
                    let function = b["function_id"].as_str().unwrap_or_default().to_string();
                    if let Some(m) = e["median"]["point_estimate"].as_f64() {
                        out.insert((group, function), m);
                    }
                }
            } else {
                medians(&path, since, out);
            }
        }
    }
}

fn table(since: SystemTime) {
    let Some(dir) = criterion_dir() else {
        return;
    };
    let mut found = BTreeMap::new();
    medians(&dir, since, &mut found);
    if found.is_empty() {
        return;
    }
    println!("\nshapes: median ns per decision (criterion, this run; clock as printed above)\n");
    println!("| shape | stream | 10 | 100 | 1,000 | 10,000 | 10,000 / 1,000 |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for shape in shapes() {
        for stream in Stream::ALL {
            let group = format!("shapes/{}/{}", shape.name(), stream.name());
            let cell = |rules: usize| found.get(&(group.clone(), rules.to_string())).copied();
            let cells: Vec<String> = SIZES
                .iter()
                .map(|&n| cell(n).map_or("–".to_string(), |v| format!("{v:.0}")))
                .collect();
            if cells.iter().all(|c| c == "–") {
                continue;
            }
            let growth = match (cell(1_000), cell(10_000)) {
                (Some(a), Some(b)) => format!("×{:.2}", b / a),
                _ => "–".to_string(),
            };
            println!(
                "| {} | {} | {} | {growth} |",
                shape.name(),
                stream.name(),
                cells.join(" | ")
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--shapes") {
        let list = args.get(i + 1).cloned().unwrap_or_default();
        let rest = args
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i && j != i + 1)
            .map(|(_, a)| a);
        let status = Command::new(std::env::current_exe().expect("the bench binary"))
            .args(rest)
            .env(SHAPES_VAR, list)
            .status()
            .expect("the bench binary re-runs");
        std::process::exit(status.code().unwrap_or(1));
    }
    let start = SystemTime::now();
    let wall = std::env::var("PORTCULLIS_BENCH_CLOCK").is_ok_and(|v| v == "wall");
    println!(
        "shapes: clock = {}",
        if wall { "wall time" } else { "thread CPU time" }
    );
    let mut c = Criterion::default()
        .with_measurement(Clock { wall })
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(30)
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    table(start);
}
