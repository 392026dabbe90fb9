//! Answering before the request body is read, without losing the answer.
//!
//! The profile endpoints answer some uploads before reading them to the end: a bad token (401) or
//! an avatar past 1 MB (422) — reading on would cost the whole upload. But when a server closes a
//! connection with unread input, the kernel resets it, and a client still busy sending then loses
//! the response it was about to read (it sees "connection reset" instead of the 401/422). So the
//! unread rest is *held* — not read — for [`LINGER`]: the client, unable to send more, reads the
//! answer; then the connection closes. The answer carries `Connection: close`.

use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};
use http_body::{Frame, SizeHint};

/// How long an unread request body is held after an early answer.
pub const LINGER: Duration = Duration::from_secs(2);

/// Middleware: see the module comment.
pub async fn hold_unread_body(req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let left_unread = Arc::new(AtomicBool::new(false));
    let req = req.map(|body| {
        Body::new(LingeringBody {
            inner: Some(body),
            left_unread: left_unread.clone(),
        })
    });
    let mut response = next.run(req).await;
    if left_unread.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A request body that, dropped before its end, is kept alive a little longer.
struct LingeringBody {
    inner: Option<Body>,
    left_unread: Arc<AtomicBool>,
}

impl HttpBody for LingeringBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.get_mut().inner.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for LingeringBody {
    fn drop(&mut self) {
        let Some(body) = self.inner.take() else {
            return;
        };
        if body.is_end_stream() {
            return;
        }
        self.left_unread.store(true, Ordering::Release);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                tokio::time::sleep(LINGER).await;
                drop(body);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, routing::post};
    use tower::ServiceExt;

    async fn app_answering_before_reading() -> Router {
        Router::new()
            .route("/", post(|| async { "early" }))
            .layer(axum::middleware::from_fn(hold_unread_body))
    }

    #[tokio::test]
    async fn unread_bodies_close_the_connection_and_read_ones_do_not() {
        let app = app_answering_before_reading().await;
        let req = Request::post("/")
            .body(Body::from_stream(futures::stream::iter([Ok::<
                _,
                std::io::Error,
            >(
                Bytes::from_static(b"x"),
            )])))
            .unwrap();
        let response = app.clone().oneshot(req).await.unwrap();
        assert_eq!(response.headers()[header::CONNECTION], "close");

        let req = Request::post("/").body(Body::empty()).unwrap();
        let response = app.oneshot(req).await.unwrap();
        assert!(!response.headers().contains_key(header::CONNECTION));
    }
}
