//! `portcullis serve -p FILE... [--grpc ADDR] [--http ADDR] [--admin ADDR] ...`: the
//! decision server for Envoy, nginx, Traefik and Caddy. Everything but the flags
//! lives in the `portcullis-server` crate.

use std::net::SocketAddr;

use portcullis_server::{LogTarget, ServeConfig, forward_auth};

use crate::args::Normalization;
use crate::policy_files::STDIN;

const AFTER_HELP: &str = "\
At least one of --grpc and --http. An address with port 0 binds a free port; each
listener, once bound, is announced on stderr as `listening grpc 127.0.0.1:40123`
(grpc, http or admin, then the address).

--grpc serves Envoy's ext_authz (envoy.service.auth.v3.Authorization/Check).
--http serves forward auth on /forward-auth (nginx auth_request, Traefik
ForwardAuth, Caddy forward_auth): the request to decide is read from
X-Forwarded-Method, -Uri, -Host, -Port, -For and the client-certificate headers,
believed only from a --trusted-proxy peer (else 403). --admin serves /healthz and
/metrics (Prometheus).

The policy files (and the --shadow ones) are watched: when one changes, or on
SIGHUP, all are compiled again and replace the policy in use only if they compile.
A file whose name ends in .json is read in the JSON form (diagnostics at its JSON
location, as `check` shows them). `-` (stdin) cannot be one: stdin cannot be
watched or read again (a usage error).
SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0.

Exit status: 0 after SIGTERM or SIGINT; 1 the policy does not compile or an address
cannot be bound; 2 a usage error. docs/deploy.md has working configurations for
each proxy.";

/// `serve -p FILE... [--grpc ADDR] [--http ADDR] [--admin ADDR]`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// A policy file (repeatable: the files form one policy)
    #[arg(short = 'p', long = "policy", value_name = "FILE", required = true)]
    pub policies: Vec<String>,

    /// A file of a candidate policy (repeatable), decided beside the enforced one
    /// and reported in the metrics and the decision log, never enforced
    #[arg(long, value_name = "FILE")]
    pub shadow: Vec<String>,

    /// Serve Envoy ext_authz over gRPC on this address (such as 127.0.0.1:9191)
    #[arg(long, value_name = "ADDR")]
    pub grpc: Option<SocketAddr>,

    /// Serve forward auth over HTTP on this address (such as 127.0.0.1:9192)
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,

    /// Serve /healthz and /metrics on this address
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,

    /// Believe forwarded headers from peers in this block (repeatable; default
    /// 127.0.0.0/8 and ::1, replaced by the blocks given)
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = forward_auth::parse_block)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Write each decision as a JSON line to this file (appended to), or to
    /// stdout with `-`
    #[arg(long, value_name = "PATH")]
    pub decision_log: Option<String>,

    /// How requests are read.
    #[command(flatten)]
    pub normalization: Normalization,
}

/// Usage errors the parser cannot see.
pub fn check_usage(args: &Args) -> Result<(), String> {
    if args.grpc.is_none() && args.http.is_none() {
        return Err("nothing to serve: give `--grpc ADDR`, `--http ADDR` or both".into());
    }
    if args.policies.iter().chain(&args.shadow).any(|p| p == STDIN) {
        return Err("`serve` watches its policy files: `-` (stdin) cannot be one".into());
    }
    Ok(())
}

/// Runs `serve` until SIGTERM or SIGINT.
pub fn run(args: &Args) -> u8 {
    let mut config = ServeConfig::new(&args.policies);
    config.shadow = args.shadow.iter().map(Into::into).collect();
    config.grpc = args.grpc;
    config.http = args.http;
    config.admin = args.admin;
    if !args.trusted_proxies.is_empty() {
        config.trusted_proxies.clone_from(&args.trusted_proxies);
    }
    config.decision_log = args
        .decision_log
        .as_deref()
        .map(|path| LogTarget::from(std::path::PathBuf::from(path)));
    config.options = args.normalization.options();
    portcullis_server::run(config)
}
