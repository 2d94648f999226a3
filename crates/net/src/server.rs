//! The one HTTP/1.1 server akrida runs, over hyper: the holders' shared inbound endpoint, the
//! `/metrics` endpoint, the trace listener and the tenants' webhooks all serve through it.
//!
//! The parts every one of them needs live here, once: the accept loop, keep-alive, chunked and
//! `Content-Length` bodies (hyper's parser), a body size limit and a read timeout, and a graceful
//! shutdown that lets requests in flight finish. A server only says what to answer: a
//! [`Handler`] gets each request with its whole body already read, and answers a [`Reply`].
//!
//! Requests that never reach the handler are still answered and reported to it through
//! A reply is a whole body, or a stream of chunks sent as the handler's task produces them
//! ([`Reply::stream`], for server-sent events).
//!
//! Requests that never reach the handler are still answered and reported to it through
//! [`Handler::refused`], so a server that counts bad input counts these too: a body over the
//! limit (413), a body cut short or not sent in time (400, 408), a request hyper cannot parse
//! (hyper answers 400 itself, or 431 for an oversized head).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub use hyper::{HeaderMap, Method, StatusCode};

/// What one server accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body read; a larger one is answered 413 without being read.
    pub max_body: usize,
    /// Longest wait for a request head, and again for its body.
    pub read_timeout: Duration,
    /// How long a shutdown waits for requests in flight before it lets go of them.
    pub shutdown_grace: Duration,
}

impl Limits {
    /// `max_body` bytes, 10 s to read a head or a body, 2 s of grace at shutdown.
    pub const fn with_max_body(max_body: usize) -> Self {
        Self {
            max_body,
            read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// One request, its body read whole.
#[derive(Debug)]
pub struct Request {
    pub method: Method,
    /// The path of the request target, without the query.
    pub path: String,
    /// The query of the request target (after `?`), if any, as sent.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Request {
    /// A header's value, when it is present and readable text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An answer: a status and an optional body with its content type.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    content_type: Option<&'static str>,
    body: Outgoing,
}

/// A reply's body: whole, or chunks sent as they come until the sender is dropped.
#[derive(Debug)]
pub enum Outgoing {
    Whole(Full<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl Body for Outgoing {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Outgoing::Whole(whole) => Pin::new(whole).poll_frame(cx),
            Outgoing::Stream(chunks) => chunks.poll_recv(cx).map(|c| c.map(|c| Ok(Frame::data(c)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Outgoing::Whole(whole) => whole.is_end_stream(),
            Outgoing::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            // An exact hint: hyper sends it as the Content-Length.
            Outgoing::Whole(whole) => whole.size_hint(),
            Outgoing::Stream(_) => SizeHint::default(),
        }
    }
}

impl Reply {
    /// A status with no body.
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            content_type: None,
            body: Outgoing::Whole(Full::new(Bytes::new())),
        }
    }

    /// A status with a plain-text body.
    pub fn text(status: StatusCode, text: impl Into<String>) -> Self {
        Self::with_body(status, "text/plain; charset=utf-8", text.into())
    }

    /// A status with a body of the given content type.
    pub fn with_body(
        status: StatusCode,
        content_type: &'static str,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            status,
            content_type: Some(content_type),
            body: Outgoing::Whole(Full::new(body.into())),
        }
    }

    /// A status and a body sent chunk by chunk as `chunks` yields them (chunked encoding), ended
    /// when its sender is dropped. The connection stays open meanwhile: keep the senders few.
    pub fn stream(
        status: StatusCode,
        content_type: &'static str,
        chunks: mpsc::Receiver<Bytes>,
    ) -> Self {
        Self {
            status,
            content_type: Some(content_type),
            body: Outgoing::Stream(chunks),
        }
    }

    fn into_response(self) -> hyper::Response<Outgoing> {
        let mut response = hyper::Response::new(self.body);
        *response.status_mut() = self.status;
        if let Some(content_type) = self.content_type {
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        response
    }
}

/// What a server does with its requests.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request. Called on the connection's task: keep it quick, never block.
    fn handle(&self, request: Request) -> Reply;

    /// A request answered without reaching [`Handler::handle`]; `reason` says why in words.
    fn refused(&self, reason: &str) {
        tracing::debug!(reason, "HTTP request refused");
    }
}

/// A running server. Dropping it stops accepting and closes its connections once their
/// requests in flight are answered; [`HttpServer::shutdown`] does the same and waits for it.
pub struct HttpServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl HttpServer {
    /// Serves `listener` with `handler` until dropped or shut down.
    pub fn start<H: Handler>(listener: TcpListener, handler: Arc<H>, limits: Limits) -> Self {
        let addr = local_addr(&listener);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, handler, limits, async move {
            // A send or a dropped sender: either way, stop.
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Serves `listener` with `handler` for as long as the process runs.
    pub fn start_detached<H: Handler>(listener: TcpListener, handler: Arc<H>, limits: Limits) {
        tokio::spawn(accept_loop(
            listener,
            handler,
            limits,
            std::future::pending(),
        ));
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and waits (at most the limits' shutdown grace) for requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn local_addr(listener: &TcpListener) -> SocketAddr {
    listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
}

async fn accept_loop<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let mut connections = http1::Builder::new();
    connections
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout)
        .keep_alive(true)
        // A client that sends its request and then shuts its side down still gets the answer.
        .half_close(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let service_handler = handler.clone();
                    let service = service_fn(move |request| {
                        let handler = service_handler.clone();
                        async move { Ok::<_, Infallible>(answer(request, &*handler, &limits).await) }
                    });
                    let connection = graceful
                        .watch(connections.serve_connection(TokioIo::new(stream), service));
                    let handler = handler.clone();
                    tokio::spawn(async move {
                        if let Err(e) = connection.await {
                            if e.is_parse() || e.is_parse_too_large() {
                                handler.refused(&format!("malformed request: {e}"));
                            }
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to close.
                    tracing::debug!(error = %e, "HTTP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await;
}

/// Reads the body within the limits and hands the request to the handler.
async fn answer<H: Handler>(
    request: hyper::Request<Incoming>,
    handler: &H,
    limits: &Limits,
) -> hyper::Response<Outgoing> {
    let (parts, body) = request.into_parts();
    let body = match read_body(body, limits).await {
        Ok(body) => body,
        Err(refusal) => {
            handler.refused(&refusal.text);
            return Reply::text(refusal.status, format!("{}\n", refusal.text)).into_response();
        }
    };
    let request = Request {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    handler.handle(request).into_response()
}

struct Refusal {
    status: StatusCode,
    text: String,
}

async fn read_body(body: Incoming, limits: &Limits) -> Result<Bytes, Refusal> {
    let max = limits.max_body;
    let too_large = |what: String| Refusal {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        text: format!("{what} is over the limit of {max} bytes"),
    };
    // A stated Content-Length over the limit is refused before a byte of it is read.
    let stated = body.size_hint().lower();
    if stated > max as u64 {
        return Err(too_large(format!("a body of {stated} bytes")));
    }
    match tokio::time::timeout(limits.read_timeout, Limited::new(body, max).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(too_large("the body".into()))
        }
        Ok(Err(e)) => Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            text: format!("the body could not be read: {e}"),
        }),
        Err(_) => Err(Refusal {
            status: StatusCode::REQUEST_TIMEOUT,
            text: format!(
                "the body did not arrive within {}s",
                limits.read_timeout.as_secs_f64()
            ),
        }),
    }
}
