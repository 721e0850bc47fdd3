//! [`ServeConfig`]: everything `portcullis serve` is told, in one place. The command
//! line fills it; a program that embeds the server builds it directly (or reads it
//! with serde).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use portcullis::normalize::Options;
use serde::{Deserialize, Serialize};

use crate::forward_auth::TrustedProxies;

/// The configuration of a [`Server`](crate::Server).
///
/// `portcullis serve`'s flags fill it; a program that embeds the server can also read
/// it with serde (the fields below, spelled in kebab case as the flags are; `options`
/// as the core's `Options`):
///
/// ```
/// let config: portcullis_server::ServeConfig = serde_json::from_str(r#"{
///     "policies": ["policy.pcl"], "grpc": "127.0.0.1:9191",
///     "trusted-proxies": ["10.0.0.0/8"], "decision-log": "-",
///     "options": {"semicolon": "strip"}, "limits": {"max-connections": 512}
/// }"#)?;
/// assert_eq!(config.decision_log, Some(portcullis_server::LogTarget::Stdout));
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// ```
/// use portcullis_server::ServeConfig;
/// let mut config = ServeConfig::new(["policy.pcl"]);
/// config.grpc = Some("127.0.0.1:0".parse()?);
/// assert!(config.validate().is_ok());
/// assert_eq!(config.trusted_proxies.len(), 2, "127.0.0.0/8 and ::1 by default");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct ServeConfig {
    /// The enforced policy's files (`-p`), compiled as one policy in this order.
    pub policies: Vec<PathBuf>,
    /// The candidate policy's files (`--shadow`): decided beside the enforced one,
    /// reported, never enforced.
    #[serde(default)]
    pub shadow: Vec<PathBuf>,
    /// Envoy `ext_authz` over gRPC (`--grpc`).
    #[serde(default)]
    pub grpc: Option<SocketAddr>,
    /// Forward auth over HTTP (`--http`).
    #[serde(default)]
    pub http: Option<SocketAddr>,
    /// `/healthz` and `/metrics` (`--admin`).
    #[serde(default)]
    pub admin: Option<SocketAddr>,
    /// The peers whose forwarded headers are believed on the HTTP listener
    /// (`--trusted-proxy`; default `127.0.0.0/8` and `::1`).
    #[serde(default = "default_trusted_proxies")]
    pub trusted_proxies: Vec<IpNet>,
    /// Where each decision is written as a JSON line (`--decision-log`).
    #[serde(default)]
    pub decision_log: Option<LogTarget>,
    /// The normalization options requests are evaluated with (kept across reloads).
    #[serde(default)]
    pub options: Options,
    /// Timeouts and limits of the listeners.
    #[serde(default)]
    pub limits: Limits,
}

fn default_trusted_proxies() -> Vec<IpNet> {
    TrustedProxies::default().blocks().to_vec()
}

impl ServeConfig {
    /// A configuration with these policy files, no listener, and every default.
    pub fn new<I, P>(policies: I) -> ServeConfig
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        ServeConfig {
            policies: policies.into_iter().map(Into::into).collect(),
            shadow: Vec::new(),
            grpc: None,
            http: None,
            admin: None,
            trusted_proxies: default_trusted_proxies(),
            decision_log: None,
            options: Options::default(),
            limits: Limits::default(),
        }
    }

    /// Checks what the types cannot: a policy file, and at least one of the gRPC and
    /// HTTP listeners.
    ///
    /// # Errors
    ///
    /// A message for the operator.
    ///
    /// ```
    /// let config = portcullis_server::ServeConfig::new(["p.pcl"]);
    /// assert_eq!(
    ///     config.validate().unwrap_err(),
    ///     "nothing to serve: give `--grpc ADDR`, `--http ADDR` or both",
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        if self.policies.is_empty() {
            return Err("no policy file: give `-p FILE`".to_string());
        }
        if self.grpc.is_none() && self.http.is_none() {
            return Err("nothing to serve: give `--grpc ADDR`, `--http ADDR` or both".to_string());
        }
        Ok(())
    }
}

/// Where the decision log goes.
///
/// ```
/// use portcullis_server::LogTarget;
/// assert_eq!("-".parse::<LogTarget>(), Ok(LogTarget::Stdout));
/// assert_eq!("d.log".parse::<LogTarget>(), Ok(LogTarget::File("d.log".into())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PathBuf", into = "PathBuf")]
pub enum LogTarget {
    /// Standard output (`-`).
    Stdout,
    /// A file, appended to.
    File(PathBuf),
}

impl From<PathBuf> for LogTarget {
    fn from(path: PathBuf) -> LogTarget {
        if path.as_os_str() == "-" {
            LogTarget::Stdout
        } else {
            LogTarget::File(path)
        }
    }
}

impl From<LogTarget> for PathBuf {
    fn from(target: LogTarget) -> PathBuf {
        match target {
            LogTarget::Stdout => PathBuf::from("-"),
            LogTarget::File(path) => path,
        }
    }
}

impl std::str::FromStr for LogTarget {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<LogTarget, Self::Err> {
        Ok(LogTarget::from(PathBuf::from(text)))
    }
}

impl fmt::Display for LogTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogTarget::Stdout => f.write_str("-"),
            LogTarget::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Timeouts and limits that keep slow, idle or too many clients from holding the
/// server. The defaults suit a sidecar in front of one proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Limits {
    /// HTTP listeners: a request's headers must arrive within this time, and an idle
    /// keep-alive connection is closed after it; gRPC: the HTTP/2 connection preface
    /// must arrive within it (milliseconds).
    pub header_read_timeout_ms: u64,
    /// HTTP listeners: the largest request head (request line and headers), bytes;
    /// larger gets 431.
    pub max_header_bytes: usize,
    /// HTTP listeners: the most header lines in one request; more gets 431.
    pub max_headers: usize,
    /// Each listener: connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// gRPC: a keep-alive ping every this often on an idle connection, which is
    /// closed when the ping is not answered within the same time (milliseconds).
    pub grpc_keepalive_ms: u64,
    /// gRPC: a call must be received and answered within this time, else it ends
    /// with status `CANCELLED`, which Envoy treats as a failure (milliseconds; a
    /// shorter `grpc-timeout` sent by the client applies too).
    pub grpc_request_timeout_ms: u64,
    /// gRPC: requests served at once on one connection.
    pub grpc_max_concurrent_streams: u32,
    /// gRPC: the largest `CheckRequest`, bytes.
    pub grpc_max_message_bytes: usize,
    /// On shutdown: how long requests in flight may take to finish (milliseconds).
    pub shutdown_grace_ms: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout_ms: 10_000,
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            max_connections: 4096,
            grpc_keepalive_ms: 30_000,
            grpc_request_timeout_ms: 10_000,
            grpc_max_concurrent_streams: 1024,
            grpc_max_message_bytes: 4 * 1024 * 1024,
            shutdown_grace_ms: 30_000,
        }
    }
}

impl Limits {
    pub(crate) fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    pub(crate) fn grpc_keepalive(&self) -> Duration {
        Duration::from_millis(self.grpc_keepalive_ms)
    }

    pub(crate) fn grpc_request_timeout(&self) -> Duration {
        Duration::from_millis(self.grpc_request_timeout_ms)
    }

    pub(crate) fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }
}
