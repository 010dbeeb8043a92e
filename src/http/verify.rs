//! Checks that a `/slack/*` request really comes from Slack, before anything else is read.

use axum::http::HeaderMap;

use super::{HttpError, SlackState};
use crate::metrics::Stage;

/// Verifies the signature headers against the raw body with the app's clock.
pub fn slack_signature(state: &SlackState, headers: &HeaderMap, body: &[u8]) -> Result<(), HttpError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    state.app.metrics.timed(Stage::Verify, || {
        state.signing_key.verify(
            header("x-slack-request-timestamp"),
            header("x-slack-signature"),
            body,
            state.app.clock.now(),
        )
    })?;
    Ok(())
}
