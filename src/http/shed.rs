//! Load shedding: at most [`MAX_IN_FLIGHT`] Slack and webhook requests are worked on at once;
//! beyond that a request gets 503 with `Retry-After: 1` at once.
//!
//! Without a bound, a flood that outruns the database queues without limit, and every waiting
//! request holds its connection and buffers: memory grows by hundreds of MiB and every answer
//! comes after Slack's 3 seconds anyway. A quick 503 keeps memory flat and is what Slack
//! retries (events) or shows (commands) when a server is overloaded.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::AppState;

/// Requests in progress before new ones are shed. A request is done in about a millisecond,
/// so this is hundreds of milliseconds of work queued: far more than a healthy server holds.
pub const MAX_IN_FLIGHT: usize = 512;

/// The permits, shared by every route the limit covers.
pub fn permits() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_IN_FLIGHT))
}

pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match Arc::clone(&state.in_flight).try_acquire_owned() {
        Ok(permit) => {
            let response = next.run(request).await;
            drop(permit);
            response
        }
        Err(_) => {
            state.app.metrics.count("firebell_shed_total", &[]);
            tracing::warn!("overloaded: shed a request with 503");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")], "firebell is overloaded; try again")
                .into_response()
        }
    }
}
