//! `portcullis serve` under load, and what `AuthorizeLayer` costs a bare hyper server.
//!
//! ```sh
//! cargo bench -p portcullis-server --bench serve              # about 90 s
//! cargo bench -p portcullis-server --bench serve -- --seconds 1 --max 20000
//! ```
//!
//! Everything runs in this one process on 127.0.0.1, port 0: the server on a Tokio
//! runtime of its own (as `portcullis serve` builds it: one worker per core), the load
//! generator on a second runtime of 2 workers. **They share the machine's cores**: the
//! client's work (building, encoding and decoding the requests, its half of every
//! socket call) is taken from the server's budget, so these numbers are lower bounds
//! on what the server alone would do.
//!
//! The requests are the valid ones of the benchmark workload
//! (`portcullis_support::workload`, 1,000 rules, `Config::full`): allowed, denied by a
//! rule and denied by default, interleaved (192 requests, 64 of each). Every answer is
//! checked against the workload's label; a wrong answer or an error fails the run.
//!
//! 1. gRPC `Check` (a real tonic client, `CheckRequest`s as Envoy builds them, half
//!    with `header_map`, half with the older `headers` map) and forward auth (a real
//!    hyper HTTP/1.1 client, the headers nginx's `auth_request` sends, the identity
//!    in `X-Forwarded-Client-Cert`), closed loop at concurrency 1, 16 and 64: each
//!    worker sends its next request when the previous answer arrives. Each
//!    measurement is bounded by `--seconds` (default 3) and `--max` checks (default
//!    200,000), after a warm-up of `--warmup` seconds (default 0.5).
//! 2. gRPC `Check` open loop at 100 and 2,000 requests per second (the range of
//!    OPA-Envoy's published figures).
//! 3. A bare hyper HTTP/1.1 server, with and without `AuthorizeLayer`: the same client
//!    and the same requests over loopback, alternated; and the same two services
//!    called in process (no socket), where the difference is the layer's cost alone.
//! 4. The decision's share of a check: `Policy::evaluate` alone, each step of the gRPC
//!    handler in process, the server's own `portcullis_check_duration_seconds`, and
//!    the whole check as the client sees it.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use envoy_types::pb::envoy::config::core::v3::address::Address as AddressKind;
use envoy_types::pb::envoy::config::core::v3::socket_address::PortSpecifier;
use envoy_types::pb::envoy::config::core::v3::{
    Address, HeaderMap as EnvoyHeaderMap, HeaderValue as EnvoyHeader, SocketAddress,
};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{
    HttpRequest, Peer, Request as EnvoyRequest,
};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, Uri};
use hyper_util::rt::TokioIo;
use portcullis::Policy;
use portcullis_http::{AuthorizeLayer, PeerAddr, PeerIdentity, PolicyHandle};
use portcullis_server::{DecisionObject, ServeConfig, Server, check};
use portcullis_support::workload::{Config, Label, Req, Workload};
use prost::Message;
use tokio::net::{TcpListener, TcpStream};
use tonic::transport::{Channel, Endpoint};
use tower::{Layer, Service, ServiceExt};

/// The policy size, in rules.
const RULES: usize = 1_000;
/// Closed-loop concurrencies.
const CONCURRENCY: [usize; 3] = [1, 16, 64];
/// Open-loop rates, requests per second.
const RATES: [f64; 2] = [100.0, 2_000.0];
/// gRPC connections the workers share (an Envoy with 2 worker threads opens one
/// each); fewer when there are fewer workers.
const GRPC_CONNECTIONS: usize = 2;
/// The port the proxied requests were addressed to.
const DESTINATION_PORT: u16 = 8443;
/// The identity of the proxy in front, in `X-Forwarded-Client-Cert`'s `By=`.
const PROXY: &str = "spiffe://prod.example.com/ns/ingress/sa/gateway";
/// In the bare-hyper comparison: where the client puts the identity that an mTLS
/// connection handler would have taken from the client certificate. Both servers read
/// it the same way.
const IDENTITY_HEADER: &str = "x-bench-peer-identity";
/// Rounds of the in-process measurements.
const ROUNDS: usize = 301;

struct Args {
    seconds: f64,
    warmup: f64,
    max: usize,
    /// The sections to run (`grpc`, `forward`, `open`, `layer`, `share`); all when empty.
    only: Vec<String>,
    /// The closed-loop concurrencies.
    concurrency: Vec<usize>,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            seconds: 3.0,
            warmup: 0.5,
            max: 200_000,
            only: Vec::new(),
            concurrency: CONCURRENCY.to_vec(),
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            // `cargo bench` adds `--bench`; anything unknown is ignored.
            match arg.as_str() {
                "--seconds" => args.seconds = it.next().and_then(|v| v.parse().ok()).unwrap(),
                "--warmup" => args.warmup = it.next().and_then(|v| v.parse().ok()).unwrap(),
                "--max" => args.max = it.next().and_then(|v| v.parse().ok()).unwrap(),
                "--only" => {
                    let list = it.next().unwrap();
                    args.only = list.split(',').map(str::to_string).collect();
                }
                "--concurrency" => {
                    let list = it.next().unwrap();
                    args.concurrency = list.split(',').map(|c| c.parse().unwrap()).collect();
                }
                _ => {}
            }
        }
        args
    }

    fn wants(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

fn main() {
    let args = Args::parse();
    let workload = Workload::generate(Config::full(RULES));
    let requests: Vec<&Req> = workload
        .requests
        .iter()
        .filter(|r| r.label != Label::Invalid)
        .collect();
    let expected: Arc<Vec<bool>> =
        Arc::new(requests.iter().map(|r| r.label.is_allowed()).collect());
    let text = workload.policy_text();
    let dir = std::env::temp_dir().join(format!("portcullis-bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file: PathBuf = dir.join("policy.pcl");
    std::fs::write(&file, &text).unwrap();

    println!("# portcullis serve on loopback\n");
    println!(
        "- commit: {}",
        command("git", &["rev-parse", "--short", "HEAD"])
    );
    println!("- cores: {} (`nproc`)", command("nproc", &[]));
    println!("- load at start: {}", uptime());
    println!(
        "- policy: the benchmark workload at {RULES} rules; {} requests (allowed, denied by a rule, denied by default, {} of each, interleaved)",
        requests.len(),
        requests.len() / 3
    );
    println!(
        "- each closed-loop measurement: {} s or {} checks, whichever comes first, after {} s of warm-up",
        args.seconds, args.max, args.warmup
    );
    println!(
        "- **the load generator runs in this process and shares the {} cores with the server**\n",
        command("nproc", &[])
    );

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("portcullis-serve")
        .build()
        .unwrap();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("load")
        .build()
        .unwrap();

    let mut config = ServeConfig::new([file.clone()]);
    config.grpc = Some("127.0.0.1:0".parse().unwrap());
    config.http = Some("127.0.0.1:0".parse().unwrap());
    let server = server_rt.block_on(Server::start(config)).unwrap();
    let grpc_addr = server.grpc_addr().unwrap();
    let http_addr = server.http_addr().unwrap();

    // ---- gRPC and forward auth, closed loop --------------------------------------
    let checks: Arc<Vec<CheckRequest>> = Arc::new(
        requests
            .iter()
            .enumerate()
            .map(|(i, r)| envoy_check(r, i % 2 == 0))
            .collect(),
    );
    let forward: Arc<Vec<Parts>> = Arc::new(
        requests
            .iter()
            .map(|r| forward_auth_parts(r, http_addr))
            .collect(),
    );
    println!("## gRPC `Check` and forward auth, closed loop\n");
    println!(
        "| protocol | concurrency | checks | checks/s | p50 µs | p99 µs | max µs | server CPU µs/check (user + system) | load generator CPU µs/check |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut grpc_c1 = None;
    let mut server_side = None;
    for &concurrency in args.concurrency.iter().filter(|_| args.wants("grpc")) {
        let clients = client_rt.block_on(grpc_clients(grpc_addr, concurrency, &checks));
        let clients = warm_up(&client_rt, clients, &expected, &args);
        let before = check_histogram(&server.metrics());
        let (_, run) = client_rt.block_on(drive(clients, &expected, args.seconds, args.max));
        let after = check_histogram(&server.metrics());
        run.row("gRPC", concurrency);
        if concurrency == 1 {
            server_side = Some((after.0 - before.0) / (after.1 - before.1));
            grpc_c1 = Some(run);
        }
    }
    for &concurrency in args.concurrency.iter().filter(|_| args.wants("forward")) {
        let clients = client_rt.block_on(http_clients(http_addr, concurrency, &forward));
        let clients = warm_up(&client_rt, clients, &expected, &args);
        let (_, run) = client_rt.block_on(drive(clients, &expected, args.seconds, args.max));
        run.row("forward auth", concurrency);
    }
    println!("\nload: {}\n", uptime());

    // ---- gRPC, open loop -----------------------------------------------------------
    println!("## gRPC `Check`, open loop (one request every 1/rate s, on 2 connections)\n");
    println!("| rate /s | checks | p50 µs | p99 µs | max µs |");
    println!("|---:|---:|---:|---:|---:|");
    for rate in RATES.into_iter().filter(|_| args.wants("open")) {
        let run = client_rt.block_on(open_loop(
            grpc_addr,
            &checks,
            &expected,
            rate,
            args.seconds.max(1.0),
        ));
        println!(
            "| {rate} | {} | {:.1} | {:.1} | {:.1} |",
            run.latencies.len(),
            run.percentile(0.5),
            run.percentile(0.99),
            run.percentile(1.0)
        );
    }
    println!("\nload: {}\n", uptime());

    // ---- AuthorizeLayer in a bare hyper server ---------------------------------------
    let policy = Policy::compile(&text).unwrap();
    if args.wants("layer") {
        let handle = PolicyHandle::new(Policy::compile(&text).unwrap());
        let app_requests: Vec<Parts> = requests.iter().map(|r| app_parts(r)).collect();
        let (bare_ns, layered_ns, statuses) = layer_in_process(&handle, &app_requests);
        let allowed = statuses.iter().filter(|a| **a).count();
        let deciding_ns = layer_decisions(&policy, &app_requests, &statuses);
        println!("## `AuthorizeLayer` in a bare hyper HTTP/1.1 server\n");
        println!(
            "In process, no socket (median of {ROUNDS} rounds over the {} requests; {allowed} allowed by the layer): the bare service {bare_ns:.0} ns per request, with the layer {layered_ns:.0} ns: **the layer adds {:.0} ns**, of which {deciding_ns:.0} ns are the decision itself (`Policy::evaluate` on the same requests as the layer builds them) and {:.0} ns the rest (building the request, the decision's owned copy in the extensions, the 403).\n",
            app_requests.len(),
            layered_ns - bare_ns,
            layered_ns - bare_ns - deciding_ns
        );
        let statuses = Arc::new(statuses);
        let all_allowed = Arc::new(vec![true; app_requests.len()]);
        let app_requests = Arc::new(app_requests);
        let bare_addr = server_rt.block_on(serve_app(None));
        let layered_addr = server_rt.block_on(serve_app(Some(handle.clone())));
        println!("Over loopback (same client, same requests, alternated):\n");
        println!(
            "| server | concurrency | requests | requests/s | p50 µs | p99 µs | max µs | server CPU µs/request | load generator CPU µs/request |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for concurrency in [1, 16] {
            let mut p50 = [Vec::new(), Vec::new()];
            for _ in 0..2 {
                for (variant, addr, expect) in
                    [(0, bare_addr, &all_allowed), (1, layered_addr, &statuses)]
                {
                    let clients =
                        client_rt.block_on(http_clients(addr, concurrency, &app_requests));
                    let clients = warm_up(&client_rt, clients, expect, &args);
                    let (_, run) =
                        client_rt.block_on(drive(clients, expect, args.seconds, args.max));
                    run.row(
                        if variant == 0 {
                            "bare hyper"
                        } else {
                            "hyper + AuthorizeLayer"
                        },
                        concurrency,
                    );
                    p50[variant].push(run.percentile(0.5));
                }
            }
            let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
            println!(
                "| difference of the mean p50s at concurrency {concurrency} | | | | {:+.1} | | | | |",
                mean(&p50[1]) - mean(&p50[0])
            );
        }
        println!("\nload: {}\n", uptime());
    }

    // ---- the decision's share ------------------------------------------------------
    if args.wants("share") {
        let steps = handler_steps(&policy, &checks);
        println!("## The decision's share of a gRPC check\n");
        println!(
            "In process, no socket, median of {ROUNDS} rounds over the {} requests:\n",
            checks.len()
        );
        println!("| step | ns per check |");
        println!("|---|---:|");
        for (name, ns) in &steps {
            println!("| {name} | {ns:.0} |");
        }
        let handler: f64 = steps.iter().map(|(_, ns)| ns).sum();
        let decision = steps[2].1;
        println!("| **the handler's work, all steps** | **{handler:.0}** |\n");
        if let (Some(run), Some(server_side)) = (&grpc_c1, server_side) {
            let whole = run.percentile(0.5) * 1e3;
            println!(
                "The server's own `portcullis_check_duration_seconds` during the concurrency-1 run: mean {:.1} µs (mapping and deciding, as the listener times it).",
                server_side * 1e6
            );
            println!(
                "The whole check as the client sees it at concurrency 1: p50 {:.1} µs. **The decision is {:.2}% of it**; the handler's work above is {:.1}%; the rest is the client, gRPC/HTTP/2, Tokio and the loopback socket.\n",
                whole / 1e3,
                decision / whole * 100.0,
                handler / whole * 100.0
            );
        }
    }
    println!("load at end: {}", uptime());

    server_rt.block_on(server.shutdown());
    drop(client_rt);
    drop(server_rt);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- the driver ---------------------------------------------------------------------

/// One way of sending the `index`-th request of the mix and reading whether it was
/// allowed.
trait Client: Send + 'static {
    fn send(&mut self, index: usize) -> impl Future<Output = Result<bool, String>> + Send;
}

struct Shared {
    issued: AtomicUsize,
    max: usize,
    deadline: Instant,
}

struct Run {
    /// Sorted.
    latencies: Vec<Duration>,
    elapsed: Duration,
    /// CPU time (user + system) of the server's threads and of the load generator's
    /// during the run.
    cpu: Cpu,
}

impl Run {
    /// Microseconds.
    fn percentile(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let at = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[at].as_secs_f64() * 1e6
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn row(&self, what: &str, concurrency: usize) {
        let n = self.latencies.len() as f64;
        println!(
            "| {what} | {concurrency} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} + {:.1} | {:.1} + {:.1} |",
            self.latencies.len(),
            self.rate(),
            self.percentile(0.5),
            self.percentile(0.99),
            self.percentile(1.0),
            self.cpu.server_user / n * 1e6,
            self.cpu.server_system / n * 1e6,
            self.cpu.client_user / n * 1e6,
            self.cpu.client_system / n * 1e6,
        );
    }
}

/// Runs `clients` (one worker each) until `seconds` have passed or `max` requests
/// were sent; panics on an error or a wrong answer.
async fn drive<C: Client>(
    clients: Vec<C>,
    expected: &Arc<Vec<bool>>,
    seconds: f64,
    max: usize,
) -> (Vec<C>, Run) {
    let shared = Arc::new(Shared {
        issued: AtomicUsize::new(0),
        max,
        deadline: Instant::now() + Duration::from_secs_f64(seconds),
    });
    let cpu = Cpu::now();
    let start = Instant::now();
    let workers: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(work(client, Arc::clone(&shared), Arc::clone(expected))))
        .collect();
    let mut clients = Vec::new();
    let mut latencies = Vec::new();
    for worker in workers {
        let (client, mut mine) = worker.await.unwrap();
        clients.push(client);
        latencies.append(&mut mine);
    }
    let elapsed = start.elapsed();
    let cpu = Cpu::now().minus(&cpu);
    latencies.sort_unstable();
    (
        clients,
        Run {
            latencies,
            elapsed,
            cpu,
        },
    )
}

async fn work<C: Client>(
    mut client: C,
    shared: Arc<Shared>,
    expected: Arc<Vec<bool>>,
) -> (C, Vec<Duration>) {
    let mut latencies = Vec::with_capacity(shared.max.min(1 << 20));
    loop {
        let n = shared.issued.fetch_add(1, Ordering::Relaxed);
        if n >= shared.max || Instant::now() >= shared.deadline {
            break;
        }
        let index = n % expected.len();
        let start = Instant::now();
        let allowed = client.send(index).await;
        latencies.push(start.elapsed());
        match allowed {
            Ok(allowed) => assert_eq!(allowed, expected[index], "wrong answer to request {index}"),
            Err(error) => panic!("request {index} failed: {error}"),
        }
    }
    (client, latencies)
}

fn warm_up<C: Client>(
    rt: &tokio::runtime::Runtime,
    clients: Vec<C>,
    expected: &Arc<Vec<bool>>,
    args: &Args,
) -> Vec<C> {
    rt.block_on(drive(clients, expected, args.warmup, usize::MAX))
        .0
}

// ---- gRPC ---------------------------------------------------------------------------

struct Grpc {
    client: AuthorizationClient<Channel>,
    checks: Arc<Vec<CheckRequest>>,
}

impl Client for Grpc {
    fn send(&mut self, index: usize) -> impl Future<Output = Result<bool, String>> + Send {
        let request = self.checks[index].clone();
        async move {
            let response = self
                .client
                .check(request)
                .await
                .map_err(|e| e.to_string())?;
            Ok(response.into_inner().status.is_some_and(|s| s.code == 0))
        }
    }
}

async fn grpc_channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .tcp_nodelay(true)
        .connect()
        .await
        .unwrap()
}

async fn grpc_clients(
    addr: SocketAddr,
    concurrency: usize,
    checks: &Arc<Vec<CheckRequest>>,
) -> Vec<Grpc> {
    let mut channels = Vec::new();
    for _ in 0..concurrency.min(GRPC_CONNECTIONS) {
        channels.push(grpc_channel(addr).await);
    }
    (0..concurrency)
        .map(|i| Grpc {
            client: AuthorizationClient::new(channels[i % channels.len()].clone()),
            checks: Arc::clone(checks),
        })
        .collect()
}

/// Open loop: one request every `1 / rate` seconds (as Tokio's millisecond timer
/// allows), each on a task of its own, whatever the answers do.
async fn open_loop(
    addr: SocketAddr,
    checks: &Arc<Vec<CheckRequest>>,
    expected: &Arc<Vec<bool>>,
    rate: f64,
    seconds: f64,
) -> Run {
    let channels = [grpc_channel(addr).await, grpc_channel(addr).await];
    let count = (rate * seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let cpu = Cpu::now();
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        tokio::time::sleep_until((start + interval * i as u32).into()).await;
        let mut client = AuthorizationClient::new(channels[i % 2].clone());
        let index = i % checks.len();
        let request = checks[index].clone();
        let expected = expected[index];
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let response = client.check(request).await.unwrap().into_inner();
            let elapsed = sent.elapsed();
            assert_eq!(response.status.is_some_and(|s| s.code == 0), expected);
            elapsed
        }));
    }
    let mut latencies = Vec::with_capacity(count);
    for task in tasks {
        latencies.push(task.await.unwrap());
    }
    latencies.sort_unstable();
    Run {
        latencies,
        elapsed: start.elapsed(),
        cpu: Cpu::now().minus(&cpu),
    }
}

fn socket(address: &str, port: u16) -> Option<Address> {
    Some(Address {
        address: Some(AddressKind::SocketAddress(SocketAddress {
            address: address.to_string(),
            port_specifier: Some(PortSpecifier::PortValue(u32::from(port))),
            ..SocketAddress::default()
        })),
    })
}

/// The `CheckRequest` an Envoy sidecar sends for `r`: pseudo-headers and the headers
/// Envoy adds, the peer's SPIFFE ID as `source.principal`, the addresses. With
/// `header_map` (`encode_raw_headers: true`) or the older `headers` map.
fn envoy_check(r: &Req, header_map: bool) -> CheckRequest {
    let sent = &r.sent;
    let host = sent.host_value().unwrap_or_default();
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if !host.is_empty() {
        headers.push((":authority", host));
    }
    headers.extend([
        (":path", sent.path()),
        (":method", sent.method()),
        (":scheme", "https"),
        ("user-agent", "orders-client/2.3"),
        ("accept", "application/json"),
        ("x-forwarded-proto", "https"),
        ("x-request-id", "8a3c6f0e-3b6a-4f7e-9d5c-2f1b7e4a9c10"),
        ("x-envoy-expected-rq-timeout-ms", "15000"),
    ]);
    let workload_headers: Vec<(&str, String)> = sent
        .headers()
        .map(|(n, v)| (n, String::from_utf8_lossy(v).into_owned()))
        .collect();
    headers.extend(workload_headers.iter().map(|(n, v)| (*n, v.as_str())));
    let source = sent.source_value().map(|ip| ip.to_string());
    let http = HttpRequest {
        id: "14706125468711870000".to_string(),
        method: sent.method().to_string(),
        path: sent.path().to_string(),
        host: host.to_string(),
        scheme: "https".to_string(),
        protocol: "HTTP/1.1".to_string(),
        header_map: header_map.then(|| EnvoyHeaderMap {
            headers: headers
                .iter()
                .map(|(k, v)| EnvoyHeader {
                    key: (*k).to_string(),
                    value: String::new(),
                    raw_value: v.as_bytes().to_vec(),
                })
                .collect(),
        }),
        headers: if header_map {
            Default::default()
        } else {
            headers
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect()
        },
        ..HttpRequest::default()
    };
    CheckRequest {
        attributes: Some(AttributeContext {
            source: Some(Peer {
                address: source.as_deref().and_then(|s| socket(s, 51234)),
                principal: sent.identity_value().unwrap_or_default().to_string(),
                ..Peer::default()
            }),
            destination: Some(Peer {
                address: socket("10.96.0.17", DESTINATION_PORT),
                principal: "spiffe://prod.example.com/ns/shop/sa/orders-api".to_string(),
                ..Peer::default()
            }),
            request: Some(EnvoyRequest {
                time: None,
                http: Some(http),
            }),
            ..AttributeContext::default()
        }),
    }
}

// ---- HTTP/1.1 -----------------------------------------------------------------------

/// A request to send, rebuilt for every call (a request is not `Clone`).
struct Parts {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl Parts {
    fn request<B>(&self, body: B) -> Request<B> {
        let mut request = Request::new(body);
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

fn header(headers: &mut HeaderMap, name: &str, value: &str) {
    headers.append(
        HeaderName::from_bytes(name.as_bytes()).unwrap(),
        HeaderValue::from_str(value).unwrap(),
    );
}

/// The auth request nginx sends with the configuration of `docs/deploy.md`, plus the
/// identity as a sidecar proxy in front would forward it (`X-Forwarded-Client-Cert`).
fn forward_auth_parts(r: &Req, server: SocketAddr) -> Parts {
    let sent = &r.sent;
    let mut headers = HeaderMap::new();
    header(&mut headers, "host", &server.to_string());
    header(&mut headers, "x-forwarded-method", sent.method());
    header(&mut headers, "x-forwarded-uri", sent.path());
    if let Some(host) = sent.host_value() {
        header(&mut headers, "x-forwarded-host", host);
    }
    header(
        &mut headers,
        "x-forwarded-port",
        &DESTINATION_PORT.to_string(),
    );
    if let Some(source) = sent.source_value() {
        header(&mut headers, "x-forwarded-for", &source.to_string());
        header(&mut headers, "x-real-ip", &source.to_string());
    }
    if let Some(identity) = sent.identity_value() {
        let xfcc = format!("By={PROXY};Hash=4f2d9a;URI={identity}");
        header(&mut headers, "x-forwarded-client-cert", &xfcc);
    }
    header(&mut headers, "user-agent", "orders-client/2.3");
    header(&mut headers, "accept", "application/json");
    for (name, value) in sent.headers() {
        header(&mut headers, name, std::str::from_utf8(value).unwrap());
    }
    Parts {
        method: Method::GET,
        uri: Uri::from_static("/forward-auth"),
        headers,
    }
}

/// The request itself, for a service behind `AuthorizeLayer`.
fn app_parts(r: &Req) -> Parts {
    let sent = &r.sent;
    let mut headers = HeaderMap::new();
    if let Some(host) = sent.host_value() {
        header(&mut headers, "host", host);
    }
    if let Some(identity) = sent.identity_value() {
        header(&mut headers, IDENTITY_HEADER, identity);
    }
    header(&mut headers, "user-agent", "orders-client/2.3");
    header(&mut headers, "accept", "application/json");
    for (name, value) in sent.headers() {
        header(&mut headers, name, std::str::from_utf8(value).unwrap());
    }
    Parts {
        method: sent.method().parse().unwrap(),
        uri: sent.path().parse().unwrap(),
        headers,
    }
}

struct Http1 {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    requests: Arc<Vec<Parts>>,
}

impl Client for Http1 {
    fn send(&mut self, index: usize) -> impl Future<Output = Result<bool, String>> + Send {
        let request = self.requests[index].request(Empty::new());
        async move {
            self.sender.ready().await.map_err(|e| e.to_string())?;
            let response = self
                .sender
                .send_request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            match status {
                200 => Ok(true),
                403 => Ok(false),
                other => Err(format!("status {other}")),
            }
        }
    }
}

async fn http_clients(
    addr: SocketAddr,
    concurrency: usize,
    requests: &Arc<Vec<Parts>>,
) -> Vec<Http1> {
    let mut clients = Vec::new();
    for _ in 0..concurrency {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(async move {
            let _ = connection.await;
        });
        clients.push(Http1 {
            sender,
            requests: Arc::clone(requests),
        });
    }
    clients
}

// ---- AuthorizeLayer -----------------------------------------------------------------

/// The service behind the layer: 200 and a short body.
async fn app<B>(_request: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"ok\n"))))
}

/// What an mTLS connection handler inserts: the peer's address and identity.
fn connection_extensions<B>(request: &mut Request<B>, peer: SocketAddr) {
    let identity = request
        .headers()
        .get(IDENTITY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| PeerIdentity(v.to_string()));
    let extensions = request.extensions_mut();
    extensions.insert(PeerAddr(peer));
    if let Some(identity) = identity {
        extensions.insert(identity);
    }
}

/// A bare hyper HTTP/1.1 server on 127.0.0.1, port 0, serving [`app`], behind
/// `AuthorizeLayer` when `handle` is given. Runs until its runtime stops.
async fn serve_app(handle: Option<PolicyHandle>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let io = TokioIo::new(stream);
            let handle = handle.clone();
            tokio::spawn(async move {
                let http = hyper::server::conn::http1::Builder::new();
                let _ = match handle {
                    None => {
                        let service = hyper::service::service_fn(move |mut request| {
                            connection_extensions(&mut request, peer);
                            tower::service_fn(app::<Incoming>).oneshot(request)
                        });
                        http.serve_connection(io, service).await
                    }
                    Some(handle) => {
                        let authorize =
                            AuthorizeLayer::new(handle).layer(tower::service_fn(app::<Incoming>));
                        let service = hyper::service::service_fn(move |mut request| {
                            connection_extensions(&mut request, peer);
                            authorize.clone().oneshot(request)
                        });
                        http.serve_connection(io, service).await
                    }
                };
            });
        }
    });
    addr
}

/// The bare service and the same behind the layer, called in process on the same
/// requests: median ns per request of each, and which requests the layer allowed.
fn layer_in_process(handle: &PolicyHandle, requests: &[Parts]) -> (f64, f64, Vec<bool>) {
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let batch = || -> Vec<Request<()>> {
        requests
            .iter()
            .map(|p| {
                let mut request = p.request(());
                connection_extensions(&mut request, peer);
                request
            })
            .collect()
    };
    let mut bare = tower::service_fn(app::<()>);
    let mut layered = AuthorizeLayer::new(handle.clone()).layer(tower::service_fn(app::<()>));
    let mut statuses = Vec::new();
    let (mut bare_ns, mut layered_ns) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which goes first.
        for first in [round % 2 == 0, round % 2 != 0] {
            let input = batch();
            let n = input.len() as f64;
            if first {
                bare_ns.push(call_all(&mut bare, input, None) / n);
            } else {
                let out = (round == 0).then_some(&mut statuses);
                layered_ns.push(call_all(&mut layered, input, out) / n);
            }
        }
    }
    (median(&mut bare_ns), median(&mut layered_ns), statuses)
}

/// `Policy::evaluate` alone on the requests the layer builds from `requests` (the
/// method, the target, the `Host` header and its port, the identity and the peer's
/// address of [`connection_extensions`], every header line): median ns per request.
/// Checks that it decides as the layer did.
fn layer_decisions(policy: &Policy, requests: &[Parts], statuses: &[bool]) -> f64 {
    let built: Vec<portcullis::Request<'_>> = requests
        .iter()
        .map(|p| {
            let mut request = portcullis::Request::new(
                p.method.as_str(),
                p.uri.path_and_query().map_or("", |pq| pq.as_str()),
            )
            .source("127.0.0.1".parse().unwrap());
            if let Some(host) = p.headers.get("host").and_then(|h| h.to_str().ok()) {
                request = request.host(host);
                if let Some(port) = host
                    .parse::<hyper::http::uri::Authority>()
                    .ok()
                    .and_then(|a| a.port_u16())
                {
                    request = request.port(port);
                }
            }
            if let Some(identity) = p.headers.get(IDENTITY_HEADER).and_then(|h| h.to_str().ok()) {
                request = request.identity(identity);
            }
            for (name, value) in &p.headers {
                request = request.header(name.as_str(), value.as_bytes());
            }
            request
        })
        .collect();
    for (request, allowed) in built.iter().zip(statuses) {
        assert_eq!(
            policy.evaluate(request).is_allowed(),
            *allowed,
            "the layer decided otherwise"
        );
    }
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for request in &built {
            black_box(policy.evaluate(black_box(request)));
        }
        times.push(start.elapsed().as_nanos() as f64 / built.len() as f64);
    }
    median(&mut times)
}

/// Calls `service` on every request, polling each future once (they are ready at
/// once); nanoseconds in all.
fn call_all<S>(service: &mut S, requests: Vec<Request<()>>, statuses: Option<&mut Vec<bool>>) -> f64
where
    S: Service<Request<()>, Response = Response<Full<Bytes>>, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    let mut allowed = Vec::with_capacity(requests.len());
    let start = Instant::now();
    for request in requests {
        assert!(service.poll_ready(&mut cx).is_ready());
        let future = pin!(service.call(request));
        let Poll::Ready(Ok(response)) = future.poll(&mut cx) else {
            panic!("the service was not ready at once");
        };
        allowed.push(black_box(response).status() == 200);
    }
    let elapsed = start.elapsed().as_nanos() as f64;
    if let Some(statuses) = statuses {
        *statuses = allowed;
    }
    elapsed
}

// ---- the decision's share -----------------------------------------------------------

/// Each step of the gRPC handler, in process: median ns per check.
fn handler_steps(policy: &Policy, checks: &[CheckRequest]) -> Vec<(&'static str, f64)> {
    let encoded: Vec<Vec<u8>> = checks.iter().map(Message::encode_to_vec).collect();
    let n = checks.len() as f64;
    let mut times: [Vec<f64>; 6] = Default::default();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let decoded: Vec<CheckRequest> = encoded
            .iter()
            .map(|b| CheckRequest::decode(b.as_slice()).unwrap())
            .collect();
        times[0].push(start.elapsed().as_nanos() as f64 / n);

        let start = Instant::now();
        let mapped: Vec<_> = decoded
            .iter()
            .map(|c| check::request_from_check(c).unwrap())
            .collect();
        times[1].push(start.elapsed().as_nanos() as f64 / n);

        let start = Instant::now();
        let decisions: Vec<_> = mapped
            .iter()
            .map(|r| black_box(policy.evaluate(&r.as_request())))
            .collect();
        times[2].push(start.elapsed().as_nanos() as f64 / n);

        let start = Instant::now();
        let objects: Vec<DecisionObject> = decisions
            .iter()
            .map(DecisionObject::from_decision)
            .collect();
        times[3].push(start.elapsed().as_nanos() as f64 / n);

        let start = Instant::now();
        let responses: Vec<_> = objects.iter().map(check::check_response).collect();
        times[4].push(start.elapsed().as_nanos() as f64 / n);

        let start = Instant::now();
        let bytes: usize = responses.iter().map(|r| r.encode_to_vec().len()).sum();
        times[5].push(start.elapsed().as_nanos() as f64 / n);
        black_box(bytes);
    }
    let names = [
        "decode the `CheckRequest` (prost)",
        "map it to a request (`check::request_from_check`)",
        "**decide (`Policy::evaluate`)**",
        "the decision object (`DecisionObject::from_decision`)",
        "build the `CheckResponse` (`check::check_response`)",
        "encode the `CheckResponse` (prost)",
    ];
    names
        .into_iter()
        .zip(times.iter_mut())
        .map(|(name, t)| (name, median(t)))
        .collect()
}

// ---- helpers ------------------------------------------------------------------------

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `portcullis_check_duration_seconds`' sum and count.
fn check_histogram(metrics: &str) -> (f64, f64) {
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
            .unwrap()
    };
    (
        value("portcullis_check_duration_seconds_sum"),
        value("portcullis_check_duration_seconds_count"),
    )
}

fn command(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

fn uptime() -> String {
    let text = command("uptime", &[]);
    if text == "unknown" {
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
            .to_string()
    } else {
        text
    }
}

/// CPU seconds used so far by the server's threads (named `portcullis-serve`, as the
/// server runtime's) and by the load generator's (`load`), user and system, from
/// `/proc/self/task/*/stat` (clock ticks of 10 ms: meaningful over thousands of
/// checks).
#[derive(Clone, Copy, Debug, Default)]
struct Cpu {
    server_user: f64,
    server_system: f64,
    client_user: f64,
    client_system: f64,
}

impl Cpu {
    fn now() -> Cpu {
        let mut cpu = Cpu::default();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return cpu;
        };
        for task in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`: utime and stime are fields 14 and 15.
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let name = &stat[open + 1..close];
            let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
            let ticks = |i: usize| {
                fields
                    .get(i)
                    .and_then(|f| f.parse::<f64>().ok())
                    .unwrap_or(0.0)
                    / 100.0
            };
            let (user, system) = (ticks(11), ticks(12));
            if name.starts_with("portcullis-serv") {
                cpu.server_user += user;
                cpu.server_system += system;
            } else if name.starts_with("load") {
                cpu.client_user += user;
                cpu.client_system += system;
            }
        }
        cpu
    }

    fn minus(&self, before: &Cpu) -> Cpu {
        Cpu {
            server_user: self.server_user - before.server_user,
            server_system: self.server_system - before.server_system,
            client_user: self.client_user - before.client_user,
            client_system: self.client_system - before.client_system,
        }
    }
}
