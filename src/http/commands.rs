//! `POST /slack/commands`: slash commands, answered within Slack's 3 seconds.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{HttpError, SlackState, verify};
use crate::metrics::Stage;
use crate::slack::inbound::SlashCommand;

pub async fn receive(State(state): State<SlackState>, headers: HeaderMap, body: Bytes) -> Result<Response, HttpError> {
    verify::slack_signature(&state, &headers, &body)?;
    let metrics = &state.app.metrics;
    let command = metrics.timed(Stage::Parse, || SlashCommand::parse(&body))?;
    Ok(match state.app.handle_command(&command).await {
        Some(reply) => metrics.timed(Stage::Render, || {
            ([(header::CONTENT_TYPE, "application/json")], Bytes::from_owner(reply.json())).into_response()
        }),
        None => StatusCode::OK.into_response(),
    })
}
