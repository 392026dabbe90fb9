//! The HTTP/1.1 accept loop, with the connection deadlines and cap `axum::serve` does not have.
//!
//! - **Header deadline** (`HTTP_HEADER_READ_TIMEOUT_SECONDS`): from the first byte of a request to
//!   the end of its headers. A client that sends part of a request and stops is closed after it.
//! - **Idle deadline** (`HTTP_IDLE_TIMEOUT_SECONDS`): a keep-alive connection with no request in
//!   flight and nothing received for this long is closed.
//!
//!   Both are measured here, per connection, rather than with hyper's `header_read_timeout`: hyper
//!   starts that timer as soon as it *waits* for a request head, which includes the wait between
//!   keep-alive requests, so it cannot tell an idle client (fine for a minute) from a slow header
//!   (not fine for ten seconds). The body of a request is bounded by the request deadline
//!   (`REQUEST_TIMEOUT_SECONDS`), which covers everything a handler does.
//! - **Connection cap** (`HTTP_MAX_CONNECTIONS`): a permit is taken *before* `accept`, so beyond
//!   the cap new connections wait in the kernel's listen backlog and are served as soon as one
//!   closes (clients see latency, not errors; refusing would need an accept anyway and gives the
//!   client nothing it can act on). Past the backlog the kernel drops SYNs and clients retry.
//! - **Shutdown**: the listener closes at once; each connection is told to finish — hyper closes an
//!   idle one at once and lets an in-flight request complete (its response says `Connection:
//!   close`); a half-sent request runs into its header deadline. After `SHUTDOWN_TIMEOUT_SECONDS`
//!   whatever is still open is dropped.

use std::{
    convert::Infallible,
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    response::Response,
};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
    time::Instant,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::{Service, ServiceExt};

use crate::config::ConnectionSettings;

/// Serves `app` on `listener` until `shutdown` completes, then drains as the module comment says.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: ConnectionSettings,
    shutdown: impl Future<Output = ()> + Send,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let draining = CancellationToken::new();
    let abort = CancellationToken::new();
    let connections = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        // hyper writes a small response in one piece; Nagle would only delay streamed ones.
        let _ = stream.set_nodelay(true);
        connections.spawn(connection(
            stream,
            peer,
            app.clone(),
            limits,
            (draining.clone(), abort.clone()),
            permit,
        ));
    }
    drop(listener);
    draining.cancel();
    connections.close();
    if tokio::time::timeout(limits.shutdown_timeout, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "shutdown deadline passed; closing the remaining connections"
        );
        abort.cancel();
        connections.wait().await;
    }
}

/// A failed `accept` never stops the server. A connection that died before it was accepted is
/// skipped; anything else (typically `EMFILE`, out of file descriptors) is retried after a pause
/// instead of spinning.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One connection, from accept to close. The permit is released when it ends.
async fn connection<S>(
    stream: TcpStream,
    peer: SocketAddr,
    app: S,
    limits: ConnectionSettings,
    (draining, abort): (CancellationToken, CancellationToken),
    _permit: OwnedSemaphorePermit,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |req: hyper::Request<Incoming>| {
            let in_flight = InFlight::start(activity.clone());
            let mut req = req.map(Body::new);
            // What `into_make_service_with_connect_info` did: the login limiter reads it.
            req.extensions_mut().insert(ConnectInfo(peer));
            let response = app.clone().oneshot(req);
            async move {
                let response = response.await;
                drop(in_flight);
                response
            }
        }
    });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    let watchdog = activity.expired(limits);
    tokio::pin!(watchdog);
    let mut finishing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            reason = &mut watchdog => {
                tracing::debug!(%peer, reason, "closing the connection");
                return;
            }
            () = draining.cancelled(), if !finishing => {
                finishing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = abort.cancelled() => return,
        }
    }
}

/// What a connection is doing, for its deadlines. Everything happens in the connection's own task
/// (hyper polls the I/O and the handler there), so relaxed atomics suffice; they are atomics only
/// because the task must be `Send`. Requests only store timestamps: no timer is touched per
/// request, so keep-alive costs what it did with `axum::serve`.
struct Activity {
    epoch: Instant,
    /// Requests whose headers were read and whose response is not complete yet.
    in_flight: AtomicUsize,
    /// Milliseconds after `epoch` of the last sign of life while idle: the accept, the end of a
    /// response, a write.
    last_active_ms: AtomicU64,
    /// 1 + milliseconds after `epoch` of the first byte received on an idle connection (the start
    /// of the next request's head); 0 when none.
    head_started: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_active_ms: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn at(&self, ms: u64) -> Instant {
        self.epoch + Duration::from_millis(ms)
    }

    fn received(&self) {
        if self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_started.load(Ordering::Relaxed) == 0
        {
            self.head_started
                .store(self.now_ms().saturating_add(1), Ordering::Relaxed);
        }
    }

    fn sent(&self) {
        self.last_active_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// When the connection must close if nothing changes; `None` while a request is in flight.
    fn deadline(&self, limits: ConnectionSettings) -> Option<Instant> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        match self.head_started.load(Ordering::Relaxed) {
            0 => Some(self.at(self.last_active_ms.load(Ordering::Relaxed)) + limits.idle_timeout),
            started => Some(self.at(started - 1) + limits.header_read_timeout),
        }
    }

    /// Completes, with the reason, once a deadline has passed. One timer, looked at no later than
    /// every header-timeout: a head that starts after a look is caught at the next one, which is
    /// still before its own deadline, so both deadlines are kept to the millisecond.
    async fn expired(&self, limits: ConnectionSettings) -> &'static str {
        let timer = tokio::time::sleep(limits.header_read_timeout.min(limits.idle_timeout));
        tokio::pin!(timer);
        loop {
            timer.as_mut().await;
            let now = Instant::now();
            let next_look = now + limits.header_read_timeout;
            match self.deadline(limits) {
                Some(deadline) if deadline <= now => {
                    return if self.head_started.load(Ordering::Relaxed) == 0 {
                        "idle timeout"
                    } else {
                        "header read timeout"
                    };
                }
                Some(deadline) => timer.as_mut().reset(deadline.min(next_look)),
                None => timer.as_mut().reset(next_look),
            }
        }
    }
}

/// Marks a request in flight from its headers to its response (or until hyper drops it).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.head_started.store(0, Ordering::Relaxed);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.sent();
    }
}

/// The TCP stream, reporting reads and writes to the connection's [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.received();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.sent();
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.sent();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
