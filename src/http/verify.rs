//! Checks that a `/slack/*` request really comes from Slack, before anything else is read.

use axum::http::HeaderMap;
use secrecy::ExposeSecret;

use super::{HttpError, SlackState};
use crate::metrics::Stage;
use crate::slack::signature;

/// Verifies the signature headers against the raw body with the app's clock.
pub fn slack_signature(state: &SlackState, headers: &HeaderMap, body: &[u8]) -> Result<(), HttpError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    state.app.metrics.timed(Stage::Verify, || {
        signature::verify(
            state.signing_secret.expose_secret().as_bytes(),
            header("x-slack-request-timestamp"),
            header("x-slack-signature"),
            body,
            state.app.clock.now(),
        )
    })?;
    Ok(())
}
