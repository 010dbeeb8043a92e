//! Per-request observation: a tracing span, the request counter and the ack latency.

use std::borrow::Cow;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::AppState;

pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Only matched routes become labels, so random paths cannot grow the metrics. (The
    // matched path is shared, not copied: this runs on every request.)
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut endpoint = Cow::Borrowed(matched.as_ref().map_or("unmatched", MatchedPath::as_str));
    // The webhook route's label names its source (three known paths; anything else stays the
    // route's pattern, so random paths cannot grow the metrics either).
    if endpoint == "/webhooks/{source}"
        && let Some(name) = request.uri().path().strip_prefix("/webhooks/")
        && super::webhooks::source_named(name).is_some()
    {
        endpoint = Cow::Owned(request.uri().path().to_owned());
    }
    let span = tracing::info_span!("request", http.endpoint = %endpoint, http.status = tracing::field::Empty);
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    span.record("http.status", status.as_u16());
    state.app.metrics.http_request(&endpoint, status.as_str());
    if endpoint.starts_with("/slack/") {
        state.app.metrics.ack_latency(&endpoint, started.elapsed());
    }
    response
}
