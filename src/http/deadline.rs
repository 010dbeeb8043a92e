//! A deadline for every Slack and webhook request: a client that sends its body slowly (or
//! never finishes it) gets 408 after [`REQUEST_DEADLINE`] instead of holding a connection and
//! one of the in-flight permits ([`super::shed`]) forever.

use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Slack gives up after 3 seconds; a request still unread or unanswered long after that is
/// either a broken client or an attack.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);

pub async fn bound(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_DEADLINE, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("a request took longer than {REQUEST_DEADLINE:?}; answered 408");
            (StatusCode::REQUEST_TIMEOUT, "request took too long").into_response()
        }
    }
}
