//! [`AuthorizeLayer`]: decide every request before the service sees it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::OwnedDecision;
use crate::handle::PolicyHandle;

/// A [`tower` layer](Layer) that decides every request with the policy of a
/// [`PolicyHandle`], as it is when the request arrives.
///
/// Allowed requests reach the inner service with the [`OwnedDecision`] in their
/// extensions (the deciding rule, the audit rules). Denied requests, invalid ones
/// included, are answered `403 Forbidden` with an empty body (the body type's
/// `Default`) and never reach it; the decision is then in the response's extensions,
/// for a logging layer outside this one. What the request is built from is listed
/// in the [crate docs](crate#what-the-request-is-built-from).
///
/// ```
/// use portcullis::Policy;
/// use portcullis_http::{AuthorizeLayer, PolicyHandle};
/// use tower::ServiceBuilder;
///
/// let handle = PolicyHandle::new(Policy::compile(r#"allow "health" { path "/healthz" }"#)?);
/// let service = ServiceBuilder::new()
///     .layer(AuthorizeLayer::new(handle))
///     .service_fn(|_request: http::Request<()>| async {
///         Ok::<_, std::convert::Infallible>(http::Response::new(String::from("ok")))
///     });
/// # drop(service);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug)]
pub struct AuthorizeLayer {
    handle: PolicyHandle,
}

impl AuthorizeLayer {
    /// A layer deciding with `handle`'s policy; a policy stored into the handle (or
    /// reloaded by its watcher) decides every request that arrives after.
    pub fn new(handle: PolicyHandle) -> AuthorizeLayer {
        AuthorizeLayer { handle }
    }
}

impl<S> Layer<S> for AuthorizeLayer {
    type Service = Authorize<S>;

    fn layer(&self, inner: S) -> Authorize<S> {
        Authorize::new(inner, self.handle.clone())
    }
}

/// The service of [`AuthorizeLayer`]: decides, then calls `S` or answers 403.
#[derive(Clone, Debug)]
pub struct Authorize<S> {
    inner: S,
    handle: PolicyHandle,
}

impl<S> Authorize<S> {
    /// Wraps `inner`, deciding with `handle`'s policy.
    pub fn new(inner: S, handle: PolicyHandle) -> Authorize<S> {
        Authorize { inner, handle }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Authorize<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let decision = {
            let policy = self.handle.load();
            crate::request::from_http(&request)
                .map(|built| OwnedDecision::from(policy.evaluate(&built)))
        };
        match decision {
            Some(decision) if decision.is_allowed() => {
                request.extensions_mut().insert(decision);
                ResponseFuture::inner(self.inner.call(request))
            }
            denied => {
                let mut response = Response::new(ResBody::default());
                *response.status_mut() = StatusCode::FORBIDDEN;
                if let Some(decision) = denied {
                    response.extensions_mut().insert(decision);
                }
                ResponseFuture::denied(response)
            }
        }
    }
}

pin_project! {
    /// The future of [`Authorize`]: the inner service's, or a 403 ready at once.
    pub struct ResponseFuture<F>
    where
        F: Future,
    {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F>
    where
        F: Future,
    {
        Inner { #[pin] future: F },
        Denied { response: Option<F::Output> },
    }
}

impl<F: Future> ResponseFuture<F> {
    fn inner(future: F) -> ResponseFuture<F> {
        ResponseFuture {
            kind: Kind::Inner { future },
        }
    }
}

impl<F, B, E> ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    fn denied(response: Response<B>) -> ResponseFuture<F> {
        ResponseFuture {
            kind: Kind::Denied {
                response: Some(Ok(response)),
            },
        }
    }
}

impl<F: Future> Future for ResponseFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future.poll(cx),
            // Polled again after it completed: that is the caller's error, and a
            // future that never completes again is the answer that cannot panic.
            KindProj::Denied { response } => response.take().map_or(Poll::Pending, Poll::Ready),
        }
    }
}

impl<F: Future> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Inner { .. } => "inner",
            Kind::Denied { .. } => "denied",
        };
        f.debug_struct("ResponseFuture")
            .field("kind", &kind)
            .finish()
    }
}
