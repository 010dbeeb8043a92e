//! `POST /slack/interactions`: buttons, modals and shortcuts, acknowledged within 3 seconds.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{HttpError, SlackState, verify};
use crate::app::interactions::InteractionOutcome;
use crate::slack::inbound::Interaction;

pub async fn receive(State(state): State<SlackState>, headers: HeaderMap, body: Bytes) -> Result<Response, HttpError> {
    verify::slack_signature(&state, &headers, &body)?;
    let interaction = state.app.metrics.timed(crate::metrics::Stage::Parse, || Interaction::parse(&body))?;
    match state.app.receive_interaction(&interaction).await {
        InteractionOutcome::Acknowledged => Ok(StatusCode::OK.into_response()),
        InteractionOutcome::Respond(body) => Ok(Json(body).into_response()),
        InteractionOutcome::WrongWorkspace => Err(HttpError::WrongWorkspace),
    }
}
