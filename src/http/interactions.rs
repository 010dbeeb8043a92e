//! `POST /slack/interactions`: buttons, modals and shortcuts, acknowledged within 3 seconds.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::{AppState, HttpError, verify};
use crate::app::events::InteractionOutcome;
use crate::slack::inbound::Interaction;

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, HttpError> {
    verify::slack_signature(&state, &headers, &body)?;
    let interaction = Interaction::parse(&body)?;
    match state.app.receive_interaction(&interaction).await {
        InteractionOutcome::Acknowledged => Ok(StatusCode::OK),
        InteractionOutcome::WrongWorkspace => Err(HttpError::WrongWorkspace),
    }
}
