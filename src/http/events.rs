//! `POST /slack/events`: the Events API. Recorded (de-duplicated by `event_id`), then 200.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{HttpError, SlackState, verify};
use crate::app::events::EventOutcome;
use crate::slack::inbound::EventEnvelope;

pub async fn receive(State(state): State<SlackState>, headers: HeaderMap, body: Bytes) -> Result<Response, HttpError> {
    verify::slack_signature(&state, &headers, &body)?;
    let envelope = state.app.metrics.timed(crate::metrics::Stage::Parse, || EventEnvelope::parse(&body))?;
    let retry_num = headers
        .get("x-slack-retry-num")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let outcome = state.app.receive_event(envelope, retry_num).await.map_err(HttpError::Internal)?;
    Ok(match outcome {
        EventOutcome::Challenge(challenge) => Json(json!({ "challenge": challenge })).into_response(),
        EventOutcome::Recorded | EventOutcome::Duplicate | EventOutcome::Ignored => StatusCode::OK.into_response(),
        EventOutcome::WrongWorkspace => return Err(HttpError::WrongWorkspace),
    })
}
