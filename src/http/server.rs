//! The listener: the router served over HTTP/1 and HTTP/2 by hyper, with the connection limits
//! `axum::serve` leaves unset. A client that sends its headers a byte at a time (slowloris)
//! is cut off after [`HEADER_READ_TIMEOUT`]; more than [`MAX_HEADERS`] headers, or headers
//! over [`MAX_HEADER_BYTES`], get 431. These are HTTP/1 limits, which is what Slack and
//! monitoring speak; an HTTP/2 connection keeps hyper's HTTP/2 defaults. (The body has its
//! own limits: 413 past [`super::MAX_BODY_BYTES`], 408 past
//! [`super::deadline::REQUEST_DEADLINE`].)

use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Layer;

/// How long a client may take to send a request's headers (Slack sends them at once).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The most headers one request may carry (Slack sends about a dozen).
pub const MAX_HEADERS: usize = 64;
/// The most bytes the request line and headers may take (hyper's smallest read buffer is 8 KiB).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// How long shutdown waits for requests in progress once it stops accepting.
const DRAIN: Duration = Duration::from_secs(15);
/// After a failed accept (e.g. out of file descriptors), wait before the next one.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` until `shutdown` fires, then lets requests in progress
/// finish (bounded by [`DRAIN`]).
pub async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_HEADER_BYTES);
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "could not accept a connection; trying again shortly");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Each request knows its client's address (`ConnectInfo`), for the refusals' log lines.
        let service = TowerToHyperService::new(axum::Extension(ConnectInfo(peer)).layer(router.clone()));
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in progress after {DRAIN:?}; closing anyway");
    }
}
