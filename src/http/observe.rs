//! Per-request observation: a tracing span, the request counter and the ack latency.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::AppState;

pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Only matched routes become labels, so random paths cannot grow the metrics.
    let endpoint = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let span = tracing::info_span!("request", http.endpoint = %endpoint, http.status = tracing::field::Empty);
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.status", status);
    state.app.metrics.http_request(&endpoint, status);
    if endpoint.starts_with("/slack/") {
        state.app.metrics.ack_latency(&endpoint, started.elapsed());
    }
    response
}
