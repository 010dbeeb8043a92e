//! `POST /slack/commands`: slash commands, answered within Slack's 3 seconds.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;

use super::{AppState, HttpError, verify};
use crate::app::reply::Reply;
use crate::slack::inbound::SlashCommand;

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Reply>, HttpError> {
    verify::slack_signature(&state, &headers, &body)?;
    let command = SlashCommand::parse(&body)?;
    Ok(Json(state.app.handle_command(&command).await))
}
