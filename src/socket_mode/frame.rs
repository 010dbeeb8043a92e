//! Socket Mode frames as types: what Slack sends over the WebSocket, and the acknowledgement
//! firebell sends back. Pure: text in, values out.
//!
//! Every envelope carries an `envelope_id` that must be acknowledged within 3 seconds, or
//! Slack delivers it again (with `retry_attempt` counting up). The payload of each kind is
//! exactly what the HTTP endpoint would have received, as JSON.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::slack::inbound::MalformedPayload;

/// One text frame from Slack.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// The connection is ready: envelopes may follow.
    Hello,
    /// Slack will close this connection soon (`refresh_requested`, `warning`, `link_disabled`):
    /// open another one.
    Disconnect { reason: String },
    /// Work to acknowledge.
    Envelope(Envelope),
    /// A frame type firebell does not know and need not answer.
    Other { kind: String },
}

/// An envelope: a slash command, an Events API delivery or an interaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub id: String,
    pub kind: EnvelopeKind,
    pub payload: Value,
    /// Whether the acknowledgement may carry a payload (a command's reply, modal errors).
    pub accepts_response_payload: bool,
    /// 0 for a first delivery; Slack counts up when it redelivers an unacknowledged envelope.
    pub retry_attempt: i64,
}

/// What an envelope holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvelopeKind {
    SlashCommand,
    Event,
    Interactive,
    /// A kind firebell does not handle: acknowledged so Slack does not redeliver it.
    Other(String),
}

impl EnvelopeKind {
    /// Slack's name for the kind, for logs and metric labels.
    pub fn as_str(&self) -> &str {
        match self {
            EnvelopeKind::SlashCommand => "slash_commands",
            EnvelopeKind::Event => "events_api",
            EnvelopeKind::Interactive => "interactive",
            EnvelopeKind::Other(_) => "other",
        }
    }
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    envelope_id: Option<String>,
    #[serde(default)]
    payload: Value,
    #[serde(default)]
    accepts_response_payload: bool,
    retry_attempt: Option<i64>,
    reason: Option<String>,
}

impl Frame {
    /// Parses one text frame.
    pub fn parse(text: &str) -> Result<Frame, MalformedPayload> {
        let head: Head =
            serde_json::from_str(text).map_err(|e| MalformedPayload(format!("not a Socket Mode frame: {e}")))?;
        if let Some(id) = head.envelope_id.filter(|id| !id.is_empty()) {
            let kind = match head.kind.as_str() {
                "slash_commands" => EnvelopeKind::SlashCommand,
                "events_api" => EnvelopeKind::Event,
                "interactive" => EnvelopeKind::Interactive,
                other => EnvelopeKind::Other(other.to_owned()),
            };
            return Ok(Frame::Envelope(Envelope {
                id,
                kind,
                payload: head.payload,
                accepts_response_payload: head.accepts_response_payload,
                retry_attempt: head.retry_attempt.unwrap_or(0),
            }));
        }
        Ok(match head.kind.as_str() {
            "hello" => Frame::Hello,
            "disconnect" => Frame::Disconnect { reason: head.reason.unwrap_or_else(|| "unspecified".to_owned()) },
            other => Frame::Other { kind: other.to_owned() },
        })
    }
}

/// The acknowledgement of an envelope, with the reply when there is one.
pub fn ack(envelope_id: &str, payload: Option<Value>) -> String {
    match payload {
        Some(payload) => json!({ "envelope_id": envelope_id, "payload": payload }),
        None => json!({ "envelope_id": envelope_id }),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_and_disconnect_frames_parse() {
        let hello = r#"{"type":"hello","num_connections":1,"debug_info":{"host":"applink-1"},"connection_info":{"app_id":"A1"}}"#;
        assert_eq!(Frame::parse(hello).unwrap(), Frame::Hello);
        let disconnect = r#"{"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"applink-1"}}"#;
        assert_eq!(Frame::parse(disconnect).unwrap(), Frame::Disconnect { reason: "refresh_requested".into() });
        assert_eq!(
            Frame::parse(r#"{"type":"disconnect"}"#).unwrap(),
            Frame::Disconnect { reason: "unspecified".into() }
        );
    }

    #[test]
    fn envelopes_of_each_kind_parse_with_their_payload() {
        let command =
            r#"{"envelope_id":"e1","type":"slash_commands","accepts_response_payload":true,"payload":{"text":"help"}}"#;
        let Frame::Envelope(envelope) = Frame::parse(command).unwrap() else { panic!("an envelope") };
        assert_eq!(envelope.kind, EnvelopeKind::SlashCommand);
        assert_eq!(envelope.payload["text"], "help");
        assert!(envelope.accepts_response_payload);
        assert_eq!(envelope.retry_attempt, 0);

        let event = r#"{"envelope_id":"e2","type":"events_api","accepts_response_payload":false,"retry_attempt":2,"retry_reason":"timeout","payload":{"type":"event_callback"}}"#;
        let Frame::Envelope(envelope) = Frame::parse(event).unwrap() else { panic!("an envelope") };
        assert_eq!((envelope.kind, envelope.retry_attempt), (EnvelopeKind::Event, 2));

        let interactive = r#"{"envelope_id":"e3","type":"interactive","payload":{"type":"block_actions"}}"#;
        let Frame::Envelope(envelope) = Frame::parse(interactive).unwrap() else { panic!("an envelope") };
        assert_eq!(envelope.kind, EnvelopeKind::Interactive);
        assert!(!envelope.accepts_response_payload);
    }

    #[test]
    fn an_unknown_envelope_is_still_an_envelope_to_acknowledge() {
        let Frame::Envelope(envelope) = Frame::parse(r#"{"envelope_id":"e4","type":"new_thing"}"#).unwrap() else {
            panic!("an envelope")
        };
        assert_eq!(envelope.kind, EnvelopeKind::Other("new_thing".into()));
        assert_eq!(Frame::parse(r#"{"type":"new_frame"}"#).unwrap(), Frame::Other { kind: "new_frame".into() });
    }

    #[test]
    fn unreadable_frames_are_malformed() {
        for text in ["", "not json", "[]", r#"{"envelope_id":"e5"}"#, r#"{"type":1}"#] {
            assert!(Frame::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn acknowledgements_carry_the_envelope_id_and_the_reply() {
        let bare: Value = serde_json::from_str(&ack("e1", None)).unwrap();
        assert_eq!(bare, json!({"envelope_id": "e1"}));
        let reply: Value = serde_json::from_str(&ack("e2", Some(json!({"text": "hi"})))).unwrap();
        assert_eq!(reply, json!({"envelope_id": "e2", "payload": {"text": "hi"}}));
    }
}
