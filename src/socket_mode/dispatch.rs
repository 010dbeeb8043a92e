//! One envelope in, one acknowledgement out: the same inbound types and the same app calls as
//! the HTTP handlers in `http/`, so a command, event or interaction behaves identically
//! whichever way it arrived.
//!
//! Like the HTTP handlers, this only records and answers; every Slack side effect is an outbox
//! job that runs after the acknowledgement.

use std::time::Instant;

use serde_json::Value;

use super::frame::{self, Envelope, EnvelopeKind};
use crate::app::App;
use crate::app::interactions::InteractionOutcome;
use crate::slack::inbound::{EventEnvelope, Interaction, MalformedPayload, SlashCommand};

/// The acknowledgement frame for `envelope`, or `None` to withhold it so that Slack delivers
/// the envelope again (what a 500 does over HTTP: an event could not be recorded).
#[tracing::instrument(skip_all, fields(socket.envelope = envelope.kind.as_str(), socket.retry = envelope.retry_attempt))]
pub async fn answer(app: &App, envelope: Envelope) -> Option<String> {
    let started = Instant::now();
    let kind = envelope.kind.as_str().to_owned();
    let answered = match envelope.kind {
        EnvelopeKind::SlashCommand => command(app, envelope.payload).await,
        EnvelopeKind::Event => event(app, envelope.payload, envelope.retry_attempt).await,
        EnvelopeKind::Interactive => interaction(app, envelope.payload, envelope.accepts_response_payload).await,
        EnvelopeKind::Other(kind) => {
            tracing::debug!(socket.type = kind, "acknowledged an envelope of a kind firebell does not handle");
            Ok(Some(None))
        }
    };
    let (outcome, reply) = match answered {
        Ok(Some(reply)) => ("acknowledged", Some(frame::ack(&envelope.id, reply))),
        Ok(None) => ("withheld", None),
        Err(MalformedPayload(reason)) => {
            // Sending it again would not make it readable: acknowledge, say why in the log.
            tracing::info!(%reason, "acknowledged an unreadable Socket Mode envelope");
            ("malformed", Some(frame::ack(&envelope.id, None)))
        }
    };
    app.metrics.count("firebell_socket_mode_envelopes_total", &[("type", kind.as_str()), ("outcome", outcome)]);
    app.metrics.ack_latency(&format!("socket_mode/{kind}"), started.elapsed());
    reply
}

/// `Ok(Some(payload))`: acknowledge (with a payload when there is one); `Ok(None)`: withhold.
type Answered = Result<Option<Option<Value>>, MalformedPayload>;

async fn command(app: &App, payload: Value) -> Answered {
    let command = SlashCommand::from_value(payload)?;
    let reply = app.handle_command(&command).await;
    Ok(Some(reply.and_then(|reply| serde_json::to_value(reply).ok())))
}

async fn event(app: &App, payload: Value, retry_attempt: i64) -> Answered {
    let envelope = EventEnvelope::from_value(payload)?;
    match app.receive_event(envelope, retry_attempt).await {
        // Another workspace's event is refused in the log, and acknowledged so it stops.
        Ok(_) => Ok(Some(None)),
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "could not record an event; Slack will deliver it again");
            Ok(None)
        }
    }
}

async fn interaction(app: &App, payload: Value, accepts_response_payload: bool) -> Answered {
    let interaction = Interaction::from_value(payload)?;
    Ok(Some(match app.receive_interaction(&interaction).await {
        InteractionOutcome::Acknowledged | InteractionOutcome::WrongWorkspace => None,
        InteractionOutcome::Respond(body) if accepts_response_payload => Some(body),
        InteractionOutcome::Respond(_) => {
            tracing::warn!("Slack did not accept a response payload for this interaction; acknowledged without it");
            None
        }
    }))
}
