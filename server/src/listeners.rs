//! The sockets: the gRPC `Authorization` service, the forward-auth and admin HTTP
//! listeners, their limits and their graceful shutdown. Everything here is glue
//! between the network and [`Decider`]; the protocol mapping lives in
//! [`check`] and [`forward_auth`].

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use envoy_types::pb::envoy::service::auth::v3::authorization_server::{
    Authorization, AuthorizationServer,
};
use envoy_types::pb::envoy::service::auth::v3::{CheckRequest, CheckResponse};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use crate::config::Limits;
use crate::decide::Decider;
use crate::decision::DecisionObject;
use crate::forward_auth::{self, TrustedProxies};
use crate::metrics::{Metrics, PolicyStatus};
use crate::{check, forward_auth::Answer};

/// Resolves when the server is told to stop.
pub(crate) async fn stopped(mut stop: watch::Receiver<bool>) {
    // An error means the sender is gone: stop too.
    let _ = stop.wait_for(|stop| *stop).await;
}

// ---- gRPC ---------------------------------------------------------------------------

/// `envoy.service.auth.v3.Authorization`.
#[derive(Debug)]
struct CheckService {
    decider: Decider,
}

#[tonic::async_trait]
impl Authorization for CheckService {
    async fn check(
        &self,
        request: tonic::Request<CheckRequest>,
    ) -> Result<tonic::Response<CheckResponse>, tonic::Status> {
        let start = Instant::now();
        let check = request.into_inner();
        let decision = match check::request_from_check(&check) {
            Ok(request) => self.decider.decide(start, Ok(&request)),
            Err(error) => self
                .decider
                .decide(start, Err(DecisionObject::invalid(error))),
        };
        Ok(tonic::Response::new(check::check_response(&decision)))
    }
}

/// Serves `Check` on `listener` until `stop`, then lets the calls in flight finish.
pub(crate) async fn serve_grpc(
    listener: TcpListener,
    decider: Decider,
    limits: Limits,
    stop: watch::Receiver<bool>,
) {
    let service = AuthorizationServer::new(CheckService { decider })
        .max_decoding_message_size(limits.grpc_max_message_bytes);
    let incoming = limited_incoming(
        listener,
        limits.max_connections,
        limits.header_read_timeout(),
        stop.clone(),
    );
    // A client that connects and sends nothing (or half the preface) is cut off by
    // the preface deadline; one that stops answering, mid-frame or idle, by the
    // keep-alive ping; a call whose message never completes by the request timeout.
    let served = tonic::transport::Server::builder()
        .timeout(limits.grpc_request_timeout())
        .http2_keepalive_interval(Some(limits.grpc_keepalive()))
        .http2_keepalive_timeout(Some(limits.grpc_keepalive()))
        .max_concurrent_streams(limits.grpc_max_concurrent_streams)
        .serve_with_incoming_shutdown(service, incoming, stopped(stop));
    if let Err(error) = served.await {
        eprintln!("portcullis: the grpc listener stopped: {error}");
    }
}

/// The accepted connections, at most `max` open at once: a task accepts while a
/// permit is free and hands each connection over with its permit. Each must send the
/// HTTP/2 connection preface within `preface_timeout`.
fn limited_incoming(
    listener: TcpListener,
    max: usize,
    preface_timeout: Duration,
    stop: watch::Receiver<bool>,
) -> ReceiverStream<io::Result<Limited>> {
    let (accepted, incoming) = mpsc::channel(1);
    let permits = Arc::new(Semaphore::new(max.max(1)));
    tokio::spawn(async move {
        loop {
            let Some((stream, permit)) = accept(&listener, &permits, stop.clone()).await else {
                break;
            };
            if accepted
                .send(Ok(Limited {
                    stream,
                    _permit: permit,
                    preface: Some(Preface {
                        missing: PREFACE_LEN,
                        deadline: Box::pin(tokio::time::sleep(preface_timeout)),
                    }),
                }))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    ReceiverStream::new(incoming)
}

/// Waits for a free permit, then for a connection; `None` once told to stop.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
    stop: watch::Receiver<bool>,
) -> Option<(TcpStream, OwnedSemaphorePermit)> {
    let stop = stopped(stop);
    tokio::pin!(stop);
    let permit = tokio::select! {
        () = &mut stop => return None,
        permit = Arc::clone(permits).acquire_owned() => permit.ok()?,
    };
    loop {
        tokio::select! {
            () = &mut stop => return None,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    return Some((stream, permit));
                }
                // Out of file descriptors, or a connection reset before it was
                // accepted: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
}

/// A connection that holds its place among the `max_connections`.
#[derive(Debug)]
struct Limited {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    /// Until the client's connection preface has arrived: how much of it is missing
    /// and when the connection is given up.
    preface: Option<Preface>,
}

/// The HTTP/2 client connection preface (`PRI * HTTP/2.0...`, 24 bytes) and the
/// header of the SETTINGS frame that must follow it (9 bytes).
const PREFACE_LEN: usize = 24 + 9;

#[derive(Debug)]
struct Preface {
    missing: usize,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl tonic::transport::server::Connected for Limited {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Limited {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let read = Pin::new(&mut this.stream).poll_read(cx, buf);
        let Some(preface) = &mut this.preface else {
            return read;
        };
        match read {
            Poll::Ready(Ok(())) => {
                let got = buf.filled().len().saturating_sub(before);
                preface.missing = preface.missing.saturating_sub(got);
                if preface.missing == 0 {
                    this.preface = None;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match preface.deadline.as_mut().poll(cx) {
                // hyper closes the connection on a read error.
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no HTTP/2 connection preface in time",
                ))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

impl AsyncWrite for Limited {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

// ---- HTTP ---------------------------------------------------------------------------

type Body = Full<Bytes>;

/// What answers one HTTP request on a listener.
pub(crate) trait Handler: Send + Sync + 'static {
    /// The response to `request` from `peer`.
    fn handle(&self, request: &Request<Incoming>, peer: SocketAddr) -> Response<Body>;
}

/// Serves HTTP/1.1 on `listener` until `stop`, then lets the requests in flight
/// finish (idle connections are closed at once).
pub(crate) async fn serve_http<H: Handler>(
    listener: TcpListener,
    handler: H,
    limits: Limits,
    stop: watch::Receiver<bool>,
) {
    let handler = Arc::new(handler);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout())
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_header_size(limits.max_header_bytes);
    // hyper's default of 100 is kept on the stack; any other number is a heap
    // allocation per request.
    if limits.max_headers != 100 {
        builder.max_headers(limits.max_headers);
    }
    while let Some((stream, permit)) = accept(&listener, &permits, stop.clone()).await {
        let peer = match stream.peer_addr() {
            Ok(peer) => peer,
            Err(_) => continue,
        };
        let handler = Arc::clone(&handler);
        let service = service_fn(move |request: Request<Incoming>| {
            let response = handler.handle(&request, peer);
            async move { Ok::<_, Infallible>(response) }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that goes away or sends garbage ends its own connection only.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.shutdown_grace(), graceful.shutdown()).await;
}

fn response(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let body = body.into();
    let mut response = Response::new(Full::new(body.clone()));
    *response.status_mut() = status;
    if !body.is_empty() {
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    response
}

/// `/forward-auth`.
#[derive(Debug)]
pub(crate) struct ForwardAuth {
    pub(crate) decider: Decider,
    pub(crate) trusted: TrustedProxies,
}

impl Handler for ForwardAuth {
    fn handle(&self, request: &Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let start = Instant::now();
        if request.uri().path() != forward_auth::PATH {
            return response(StatusCode::NOT_FOUND, "not found\n");
        }
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        let answer = match forward_auth::request_from_headers(peer.ip(), &self.trusted, headers) {
            Ok(request) => forward_auth::answer(&self.decider.decide(start, Ok(&request))),
            Err(error) => {
                self.decider.metrics.refused(error.status());
                forward_auth::refusal(&error)
            }
        };
        http_answer(answer)
    }
}

fn http_answer(answer: Answer) -> Response<Body> {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::FORBIDDEN);
    let mut http = response(status, answer.body);
    if let Some(value) = answer.rule.and_then(|r| HeaderValue::from_str(&r).ok()) {
        http.headers_mut().insert(forward_auth::RULE_HEADER, value);
    }
    http
}

/// `/healthz` and `/metrics`.
pub(crate) struct Admin {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) status: Box<dyn Fn() -> (PolicyStatus, Option<PolicyStatus>) + Send + Sync>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

impl Handler for Admin {
    fn handle(&self, request: &Request<Incoming>, _peer: SocketAddr) -> Response<Body> {
        let path = request.uri().path();
        if path != "/healthz" && path != "/metrics" {
            return response(StatusCode::NOT_FOUND, "not found\n");
        }
        if request.method() != Method::GET && request.method() != Method::HEAD {
            let mut refused = response(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
            refused
                .headers_mut()
                .insert(hyper::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return refused;
        }
        if path == "/healthz" {
            // The server only runs with a compiled policy.
            return response(StatusCode::OK, "ok\n");
        }
        let (enforced, shadow) = (self.status)();
        let mut metrics = response(
            StatusCode::OK,
            self.metrics.render(&enforced, shadow.as_ref()),
        );
        metrics.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        metrics
    }
}
