//! What Slack sends us, as types: slash commands, Events API envelopes and interactions.
//!
//! Parsing is strict about what firebell relies on and lenient about everything else, since
//! Slack adds fields over time. A body that does not parse is a [`MalformedPayload`] (400).

use serde::Deserialize;
use serde_json::Value;

use crate::domain::ids::{ChannelId, TeamId, UserId};

/// A body that could not be read; the text says what was wrong (safe to return to Slack).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MalformedPayload(pub String);

/// A slash command (`application/x-www-form-urlencoded`).
#[derive(Clone, Debug)]
pub struct SlashCommand {
    pub team_id: TeamId,
    pub channel_id: ChannelId,
    pub user_id: UserId,
    /// `/incident` (or whatever the app's command is called).
    pub command: String,
    pub text: String,
    pub response_url: String,
    pub trigger_id: String,
}

#[derive(Deserialize)]
struct SlashCommandForm {
    team_id: String,
    channel_id: String,
    user_id: String,
    command: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    response_url: String,
    #[serde(default)]
    trigger_id: String,
}

impl SlashCommand {
    /// Parses the form body of `POST /slack/commands`.
    pub fn parse(body: &[u8]) -> Result<SlashCommand, MalformedPayload> {
        let malformed = |why: String| MalformedPayload(format!("not a slash command form: {why}"));
        let [team_id, channel_id, user_id, command, text, response_url, trigger_id] = super::form::fields(
            body,
            ["team_id", "channel_id", "user_id", "command", "text", "response_url", "trigger_id"],
        )
        .map_err(malformed)?;
        let required =
            |value: Option<String>, name: &str| value.ok_or_else(|| malformed(format!("missing field `{name}`")));
        SlashCommand::from_form(SlashCommandForm {
            team_id: required(team_id, "team_id")?,
            channel_id: required(channel_id, "channel_id")?,
            user_id: required(user_id, "user_id")?,
            command: required(command, "command")?,
            text: text.unwrap_or_default(),
            response_url: response_url.unwrap_or_default(),
            trigger_id: trigger_id.unwrap_or_default(),
        })
    }

    /// Reads the payload of a Socket Mode `slash_commands` envelope: the same fields as the
    /// form, as a JSON object of strings.
    pub fn from_value(payload: Value) -> Result<SlashCommand, MalformedPayload> {
        let form: SlashCommandForm = serde_json::from_value(payload)
            .map_err(|e| MalformedPayload(format!("not a slash command payload: {e}")))?;
        SlashCommand::from_form(form)
    }

    fn from_form(form: SlashCommandForm) -> Result<SlashCommand, MalformedPayload> {
        Ok(SlashCommand {
            team_id: TeamId::parse(&form.team_id)
                .ok_or_else(|| MalformedPayload("team_id is not a workspace id".into()))?,
            channel_id: ChannelId::parse(&form.channel_id)
                .ok_or_else(|| MalformedPayload("channel_id is not a channel id".into()))?,
            user_id: UserId::parse(&form.user_id).ok_or_else(|| MalformedPayload("user_id is not a user id".into()))?,
            command: form.command,
            text: form.text,
            response_url: form.response_url,
            trigger_id: form.trigger_id,
        })
    }
}

/// One Events API delivery.
#[derive(Clone, Debug)]
pub enum EventEnvelope {
    /// Slack checking the request URL: answer with the challenge.
    UrlVerification { challenge: String },
    /// An event to record and handle in the background.
    Callback(EventCallback),
    /// Another envelope type (e.g. `app_rate_limited`): acknowledged and ignored.
    Other { kind: String },
}

/// An `event_callback` envelope.
#[derive(Clone, Debug)]
pub struct EventCallback {
    pub team_id: TeamId,
    pub event_id: String,
    /// The inner event's `type` (`message`, `reaction_added`…).
    pub event_type: String,
    /// The whole envelope, kept for the handler that runs after the acknowledgement.
    pub raw: Value,
}

#[derive(Deserialize)]
struct EnvelopeHead {
    #[serde(rename = "type")]
    kind: String,
    challenge: Option<String>,
    team_id: Option<String>,
    event_id: Option<String>,
    event: Option<EventHead>,
}

#[derive(Deserialize)]
struct EventHead {
    #[serde(rename = "type")]
    kind: String,
}

impl EventEnvelope {
    /// Parses the JSON body of `POST /slack/events`.
    pub fn parse(body: &[u8]) -> Result<EventEnvelope, MalformedPayload> {
        let raw: Value = serde_json::from_slice(body).map_err(|e| MalformedPayload(format!("not JSON: {e}")))?;
        EventEnvelope::from_value(raw)
    }

    /// Reads an envelope already parsed as JSON (the payload of a Socket Mode `events_api`
    /// envelope is exactly the body the Events API would have posted).
    pub fn from_value(raw: Value) -> Result<EventEnvelope, MalformedPayload> {
        let head = EnvelopeHead::deserialize(&raw)
            .map_err(|e| MalformedPayload(format!("not an Events API envelope: {e}")))?;
        match head.kind.as_str() {
            "url_verification" => {
                let challenge =
                    head.challenge.ok_or_else(|| MalformedPayload("url_verification without challenge".into()))?;
                Ok(EventEnvelope::UrlVerification { challenge })
            }
            "event_callback" => {
                let team_id = head
                    .team_id
                    .as_deref()
                    .and_then(TeamId::parse)
                    .ok_or_else(|| MalformedPayload("event_callback without a team_id".into()))?;
                let event_id = head
                    .event_id
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| MalformedPayload("event_callback without an event_id".into()))?;
                let event_type = head
                    .event
                    .map(|e| e.kind)
                    .ok_or_else(|| MalformedPayload("event_callback without an event".into()))?;
                Ok(EventEnvelope::Callback(EventCallback { team_id, event_id, event_type, raw }))
            }
            other => Ok(EventEnvelope::Other { kind: other.to_owned() }),
        }
    }
}

/// An interaction (`payload=<JSON>` form field): button clicks, modal submissions, shortcuts.
#[derive(Clone, Debug)]
pub struct Interaction {
    /// `block_actions`, `view_submission`, `view_closed`, `shortcut`, `message_action`…
    pub kind: String,
    pub team_id: TeamId,
    pub user_id: UserId,
    /// The whole payload, read into an action by `slack::actions`.
    pub raw: Value,
}

#[derive(Deserialize)]
struct PayloadForm {
    payload: String,
}

#[derive(Deserialize)]
struct InteractionHead {
    #[serde(rename = "type")]
    kind: String,
    team: Option<IdOnly>,
    user: Option<IdOnly>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

impl Interaction {
    /// Parses the form body of `POST /slack/interactions`.
    pub fn parse(body: &[u8]) -> Result<Interaction, MalformedPayload> {
        let form: PayloadForm = serde_urlencoded::from_bytes(body)
            .map_err(|e| MalformedPayload(format!("expected a form with a payload field: {e}")))?;
        let raw: Value =
            serde_json::from_str(&form.payload).map_err(|e| MalformedPayload(format!("payload is not JSON: {e}")))?;
        Interaction::from_value(raw)
    }

    /// Reads an interaction payload already parsed as JSON (Socket Mode's `interactive`).
    pub fn from_value(raw: Value) -> Result<Interaction, MalformedPayload> {
        let head = InteractionHead::deserialize(&raw)
            .map_err(|e| MalformedPayload(format!("not an interaction payload: {e}")))?;
        let team_id = head
            .team
            .and_then(|team| TeamId::parse(&team.id))
            .ok_or_else(|| MalformedPayload("interaction without a team".into()))?;
        let user_id = head
            .user
            .and_then(|user| UserId::parse(&user.id))
            .ok_or_else(|| MalformedPayload("interaction without a user".into()))?;
        Ok(Interaction { kind: head.kind, team_id, user_id, raw })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slash_command_form_parses() {
        let body = b"token=x&team_id=T1&channel_id=C2&user_id=U3&command=%2Fincident&text=declare+sev1+Down&response_url=https%3A%2F%2Fhooks.slack.com%2Fx&trigger_id=1.2.3";
        let command = SlashCommand::parse(body).unwrap();
        assert_eq!(command.text, "declare sev1 Down");
        assert_eq!(command.user_id.as_str(), "U3");
    }

    #[test]
    fn a_socket_mode_command_payload_parses_like_the_form() {
        let payload = serde_json::json!({"team_id": "T1", "channel_id": "C2", "user_id": "U3", "command": "/incident",
            "text": "help", "response_url": "https://hooks.slack.com/x", "trigger_id": "1.2.3", "is_enterprise_install": "false"});
        let command = SlashCommand::from_value(payload).unwrap();
        assert_eq!((command.text.as_str(), command.channel_id.as_str()), ("help", "C2"));
        assert!(SlashCommand::from_value(serde_json::json!({"text": "help"})).is_err());
        assert!(SlashCommand::from_value(serde_json::json!("help")).is_err());
    }

    #[test]
    fn a_form_without_a_user_is_malformed() {
        assert!(SlashCommand::parse(b"team_id=T1&channel_id=C2&command=%2Fincident").is_err());
        assert!(SlashCommand::parse(b"\xff\xfe").is_err());
    }

    #[test]
    fn envelopes_of_each_kind_parse() {
        let verification = br#"{"token":"t","challenge":"abc","type":"url_verification"}"#;
        assert!(
            matches!(EventEnvelope::parse(verification).unwrap(), EventEnvelope::UrlVerification { challenge } if challenge == "abc")
        );
        let callback = br#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"app_mention"}}"#;
        assert!(
            matches!(EventEnvelope::parse(callback).unwrap(), EventEnvelope::Callback(c) if c.event_id == "Ev1" && c.event_type == "app_mention")
        );
        let other = br#"{"type":"app_rate_limited","team_id":"T1"}"#;
        assert!(matches!(EventEnvelope::parse(other).unwrap(), EventEnvelope::Other { .. }));
    }

    #[test]
    fn a_callback_without_an_event_id_is_malformed() {
        assert!(EventEnvelope::parse(br#"{"type":"event_callback","team_id":"T1","event":{"type":"x"}}"#).is_err());
        assert!(EventEnvelope::parse(b"[1,2]").is_err());
    }

    #[test]
    fn an_interaction_payload_parses() {
        let payload = r#"{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"actions":[]}"#;
        let body = serde_urlencoded::to_string([("payload", payload)]).unwrap();
        let interaction = Interaction::parse(body.as_bytes()).unwrap();
        assert_eq!(interaction.kind, "block_actions");
        assert!(Interaction::parse(b"payload=not-json").is_err());
    }
}
