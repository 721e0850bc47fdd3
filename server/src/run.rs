//! [`Server`]: compiles the policy, binds the listeners, watches the files, and stops
//! gracefully; [`run`]: the same with the signals of `portcullis serve`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use portcullis_http::{PolicySource, ReloadError, ReloadEvent, Reloader, WatchGuard};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ServeConfig;
use crate::decide::Decider;
use crate::forward_auth::TrustedProxies;
use crate::listeners::{self, Admin, ForwardAuth};
use crate::log::{DecisionLog, LogWriter};
use crate::metrics::{Metrics, PolicyStatus};

/// How often the policy files are checked for changes.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// Why the server could not start. `portcullis serve` exits with status 1 (2 for a
/// configuration error), printing it.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is incomplete.
    Config(String),
    /// The enforced policy could not be read or does not compile.
    Policy(ReloadError),
    /// The shadow policy could not be read or does not compile.
    Shadow(ReloadError),
    /// A listener's address could not be bound.
    Bind {
        /// `grpc`, `http` or `admin`.
        listener: &'static str,
        /// The address asked for.
        address: SocketAddr,
        /// Why.
        error: io::Error,
    },
    /// The decision log could not be opened.
    Log(io::Error),
}

impl StartError {
    /// 2 for a configuration error, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::Config(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(message) => f.write_str(message),
            // Diagnostics already say where; they are printed as `check` prints them.
            StartError::Policy(e) => write!(f, "{e}"),
            StartError::Shadow(e @ (ReloadError::Compile { .. } | ReloadError::Json(_))) => {
                write!(f, "{e}")
            }
            StartError::Shadow(e) => write!(f, "shadow policy: {e}"),
            StartError::Bind {
                listener,
                address,
                error,
            } => write!(f, "cannot listen for {listener} on `{address}`: {error}"),
            StartError::Log(e) => write!(f, "cannot open the decision log: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A running decision server.
///
/// ```no_run
/// # async fn example() -> Result<(), portcullis_server::StartError> {
/// let mut config = portcullis_server::ServeConfig::new(["policy.pcl"]);
/// config.grpc = Some("127.0.0.1:0".parse().unwrap());
/// let server = portcullis_server::Server::start(config).await?;
/// println!("Check on {:?}", server.grpc_addr());
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Server {
    grpc: Option<SocketAddr>,
    http: Option<SocketAddr>,
    admin: Option<SocketAddr>,
    enforced: Reloader,
    shadow: Option<Reloader>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    watchers: Vec<WatchGuard>,
    log: Option<LogWriter>,
    metrics: Arc<Metrics>,
    grace: Duration,
}

impl Server {
    /// Compiles the policies, opens the decision log, binds every listener and starts
    /// serving and watching the policy files. Must be called inside a Tokio runtime.
    ///
    /// # Errors
    ///
    /// A policy that does not compile, an address that cannot be bound, a log that
    /// cannot be opened, an incomplete configuration: nothing is left running then.
    pub async fn start(config: ServeConfig) -> Result<Server, StartError> {
        config.validate().map_err(StartError::Config)?;
        let enforced = Reloader::new(PolicySource::new(&config.policies, config.options))
            .map_err(StartError::Policy)?;
        enforced.on_reload(|event| report_reload("policy", event));
        let shadow = if config.shadow.is_empty() {
            None
        } else {
            let shadow = Reloader::new(PolicySource::new(&config.shadow, config.options))
                .map_err(StartError::Shadow)?;
            shadow.on_reload(|event| report_reload("shadow policy", event));
            Some(shadow)
        };
        let metrics = Arc::new(Metrics::default());
        let (log, writer) = match &config.decision_log {
            Some(target) => {
                let (log, writer) =
                    DecisionLog::open(target, Arc::clone(&metrics)).map_err(StartError::Log)?;
                (Some(log), Some(writer))
            }
            None => (None, None),
        };
        let bound = bind_all(&config).await;
        let (grpc, http, admin) = match bound {
            Ok(bound) => bound,
            Err(error) => {
                drop(log);
                if let Some(writer) = writer {
                    writer.finish();
                }
                return Err(error);
            }
        };
        let decider = Decider {
            enforced: enforced.handle(),
            shadow: shadow.as_ref().map(Reloader::handle),
            metrics: Arc::clone(&metrics),
            log,
        };
        let address = |l: &Option<TcpListener>| l.as_ref().and_then(|l| l.local_addr().ok());
        let (grpc_addr, http_addr, admin_addr) = (address(&grpc), address(&http), address(&admin));
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        if let Some(listener) = grpc {
            tasks.push(tokio::spawn(listeners::serve_grpc(
                listener,
                decider.clone(),
                config.limits,
                stopped.clone(),
            )));
        }
        if let Some(listener) = http {
            let handler = ForwardAuth {
                decider: decider.clone(),
                trusted: TrustedProxies::new(config.trusted_proxies.iter().copied()),
            };
            tasks.push(tokio::spawn(listeners::serve_http(
                listener,
                handler,
                config.limits,
                stopped.clone(),
            )));
        }
        if let Some(listener) = admin {
            let (e, s) = (enforced.clone(), shadow.clone());
            let handler = Admin {
                metrics: Arc::clone(&metrics),
                status: Box::new(move || (status(&e), s.as_ref().map(status))),
            };
            tasks.push(tokio::spawn(listeners::serve_http(
                listener,
                handler,
                config.limits,
                stopped.clone(),
            )));
        }
        drop(decider);
        let mut server = Server {
            grpc: grpc_addr,
            http: http_addr,
            admin: admin_addr,
            enforced,
            shadow,
            stop,
            tasks,
            watchers: Vec::new(),
            log: writer,
            metrics,
            grace: config.limits.shutdown_grace(),
        };
        for reloader in std::iter::once(&server.enforced).chain(&server.shadow) {
            match reloader.watch(WATCH_INTERVAL) {
                Ok(guard) => server.watchers.push(guard),
                Err(error) => {
                    let error = StartError::Policy(error);
                    server.shutdown().await;
                    return Err(error);
                }
            }
        }
        Ok(server)
    }

    /// The gRPC listener's address, when there is one.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc
    }

    /// The forward-auth listener's address, when there is one.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http
    }

    /// The admin listener's address, when there is one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin
    }

    /// The listeners, as `portcullis serve` announces them: `("grpc", address)`, ….
    pub fn listeners(&self) -> Vec<(&'static str, SocketAddr)> {
        [
            ("grpc", self.grpc),
            ("http", self.http),
            ("admin", self.admin),
        ]
        .into_iter()
        .filter_map(|(name, address)| address.map(|a| (name, a)))
        .collect()
    }

    /// The enforced policy's revision: the first 12 hex digits of the SHA-256 of its
    /// files' contents.
    pub fn revision(&self) -> String {
        self.enforced.revision().to_string()
    }

    /// Reads and compiles every policy file again, as SIGHUP does; a policy that
    /// fails keeps the one in use. Counted as a reload even when nothing changed.
    /// Blocks while compiling: call it from a blocking thread.
    ///
    /// # Errors
    ///
    /// The first failure (the enforced policy's, else the shadow's), which was also
    /// reported on stderr.
    pub fn reload(&self) -> Result<(), ReloadError> {
        reload(&self.enforced, self.shadow.as_ref())
    }

    /// A handle that reloads like [`reload`](Server::reload), for another thread.
    pub fn reload_handle(&self) -> impl Fn() -> Result<(), ReloadError> + Send + Sync + 'static {
        let (enforced, shadow) = (self.enforced.clone(), self.shadow.clone());
        move || reload(&enforced, shadow.as_ref())
    }

    /// The text `/metrics` serves.
    pub fn metrics(&self) -> String {
        let shadow = self.shadow.as_ref().map(status);
        self.metrics
            .render(&status(&self.enforced), shadow.as_ref())
    }

    /// Stops accepting, lets the requests in flight finish (within the shutdown
    /// grace), stops watching and writes out the decision log.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        let all = async {
            for task in tasks {
                let _ = task.await;
            }
        };
        // The HTTP listeners bound their own wait; this bounds gRPC's.
        let _ = tokio::time::timeout(self.grace + Duration::from_secs(1), all).await;
        let watchers = std::mem::take(&mut self.watchers);
        let log = self.log.take();
        let _ = tokio::task::spawn_blocking(move || {
            drop(watchers);
            if let Some(log) = log {
                log.finish();
            }
        })
        .await;
    }
}

fn status(reloader: &Reloader) -> PolicyStatus {
    PolicyStatus {
        successes: reloader.successes(),
        failures: reloader.failures(),
        revision: reloader.revision().to_string(),
    }
}

fn reload(enforced: &Reloader, shadow: Option<&Reloader>) -> Result<(), ReloadError> {
    let first = enforced.reload_now().map(|_| ());
    let second = shadow.map_or(Ok(()), |s| s.reload_now().map(|_| ()));
    first.and(second)
}

/// Reports a reload on stderr.
fn report_reload(what: &str, event: &ReloadEvent<'_>) {
    match event {
        ReloadEvent::Loaded { revision, previous } if revision == previous => {
            eprintln!("portcullis: {what} reloaded, revision {revision} (unchanged)");
        }
        ReloadEvent::Loaded { revision, .. } => {
            eprintln!("portcullis: {what} reloaded, revision {revision}");
        }
        ReloadEvent::Failed { error, kept } => {
            let error = error.to_string();
            eprintln!(
                "portcullis: {what} reload failed, keeping revision {kept}:\n{}",
                error.trim_end()
            );
        }
        _ => {}
    }
}

type Bound = (
    Option<TcpListener>,
    Option<TcpListener>,
    Option<TcpListener>,
);

async fn bind_all(config: &ServeConfig) -> Result<Bound, StartError> {
    Ok((
        bind("grpc", config.grpc).await?,
        bind("http", config.http).await?,
        bind("admin", config.admin).await?,
    ))
}

async fn bind(
    listener: &'static str,
    address: Option<SocketAddr>,
) -> Result<Option<TcpListener>, StartError> {
    let Some(address) = address else {
        return Ok(None);
    };
    TcpListener::bind(address)
        .await
        .map(Some)
        .map_err(|error| StartError::Bind {
            listener,
            address,
            error,
        })
}

/// `portcullis serve`: starts the server, prints `listening KIND ADDRESS` on stderr
/// for each listener, reloads on SIGHUP, and on SIGTERM or SIGINT stops gracefully.
///
/// Returns the exit status: 0 after a graceful stop; 1 when it cannot start (a
/// policy that does not compile, an address that cannot be bound), 2 for an
/// incomplete configuration, after printing why on stderr.
pub fn run(config: ServeConfig) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("portcullis-serve")
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("portcullis: cannot start the runtime: {error}");
            return 1;
        }
    };
    runtime.block_on(serve(config))
}

async fn serve(config: ServeConfig) -> u8 {
    use tokio::signal::unix::{SignalKind, signal};
    // Installed before anything is announced, so that a signal sent as soon as the
    // `listening` lines appear is handled, not fatal.
    let signals = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    );
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = signals else {
        eprintln!("portcullis: cannot install the signal handlers");
        return 1;
    };
    let server = match Server::start(config).await {
        Ok(server) => server,
        Err(error) => {
            let text = error.to_string();
            match &error {
                StartError::Policy(ReloadError::Compile { .. } | ReloadError::Json(_))
                | StartError::Shadow(ReloadError::Compile { .. } | ReloadError::Json(_)) => {
                    eprint!("{text}");
                }
                _ => eprintln!("portcullis: {text}"),
            }
            return error.exit_code();
        }
    };
    for (name, address) in server.listeners() {
        eprintln!("listening {name} {address}");
    }
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                let reload = server.reload_handle();
                // Reported by the reload hooks; the server goes on either way.
                let _ = tokio::task::spawn_blocking(reload).await;
            }
        }
    }
    server.shutdown().await;
    0
}
