//! The one HTTP error type: maps failures to status codes without leaking internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::slack::inbound::MalformedPayload;
use crate::slack::signature::SignatureError;

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The Slack signature or timestamp did not check out: 401, nothing changed.
    #[error("unauthorized: {0}")]
    Unauthorized(#[from] SignatureError),
    /// The body could not be read: 400 with the reason.
    #[error("bad request: {0}")]
    BadRequest(#[from] MalformedPayload),
    /// From a workspace this install does not serve: 403.
    #[error("forbidden: request from another workspace")]
    WrongWorkspace,
    /// Our fault: 500 (Slack retries event deliveries that get one). Details are logged, not sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        match self {
            HttpError::Unauthorized(reason) => {
                tracing::warn!(%reason, "refused an unverified Slack request");
                (StatusCode::UNAUTHORIZED, format!("invalid request signature: {reason}")).into_response()
            }
            HttpError::BadRequest(reason) => {
                tracing::info!(%reason, "refused an unreadable Slack request");
                (StatusCode::BAD_REQUEST, format!("bad request: {reason}")).into_response()
            }
            HttpError::WrongWorkspace => {
                (StatusCode::FORBIDDEN, "this firebell serves another workspace").into_response()
            }
            HttpError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}
