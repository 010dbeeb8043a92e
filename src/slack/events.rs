//! The inner events of Events API deliveries firebell acts on, as types.
//!
//! Slack's message events come in many subtypes; these are the ones the channel record
//! needs. Anything else is [`SlackEvent::Other`] (acknowledged, counted, ignored).

use serde_json::Value;

use crate::domain::ids::{ChannelId, UserId};

/// A message as it arrives (new, or the new version of an edited one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageEvent {
    pub channel: ChannelId,
    pub ts: String,
    pub thread_ts: Option<String>,
    pub user: Option<UserId>,
    pub text: String,
    pub file_count: i64,
    pub subtype: Option<String>,
    /// The app that posted it, for bot messages (firebell ignores its own).
    pub app_id: Option<String>,
    /// For an edit: when it was made (`edited.ts`), so edits apply in Slack's order.
    pub edited_ts: Option<String>,
}

/// One event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlackEvent {
    Message(MessageEvent),
    MessageChanged(MessageEvent),
    MessageDeleted {
        channel: ChannelId,
        ts: String,
    },
    /// `reaction_added` / `reaction_removed` on a message.
    Reaction {
        added: bool,
        user: UserId,
        reaction: String,
        channel: ChannelId,
        ts: String,
    },
    /// `pin_added` / `pin_removed` of a message.
    Pin {
        added: bool,
        user: UserId,
        channel: ChannelId,
        ts: String,
    },
    AppMention {
        channel: ChannelId,
        ts: String,
        thread_ts: Option<String>,
    },
    MemberJoined {
        channel: ChannelId,
        user: UserId,
    },
    /// Anything else: its type.
    Other(String),
}

fn text(value: &Value, key: &str) -> Option<String> {
    value[key].as_str().map(str::to_owned)
}

fn message(event: &Value, channel: ChannelId, body: &Value) -> Option<MessageEvent> {
    Some(MessageEvent {
        channel,
        ts: text(body, "ts")?,
        thread_ts: text(body, "thread_ts").filter(|t| Some(t.as_str()) != body["ts"].as_str()),
        user: body["user"].as_str().and_then(UserId::parse),
        text: text(body, "text").unwrap_or_default(),
        file_count: body["files"].as_array().map_or(0, |f| i64::try_from(f.len()).unwrap_or(i64::MAX)),
        subtype: text(body, "subtype").or_else(|| text(event, "subtype")),
        app_id: text(body, "app_id"),
        edited_ts: text(&body["edited"], "ts"),
    })
}

impl SlackEvent {
    /// Reads the `event` object of an envelope. Events missing what firebell needs are
    /// `Other` rather than errors: Slack sends many shapes and none of them must fail a delivery.
    pub fn parse(event: &Value) -> SlackEvent {
        let kind = event["type"].as_str().unwrap_or_default();
        let channel = || event["channel"].as_str().and_then(ChannelId::parse);
        let parsed = match kind {
            "message" => match (event["subtype"].as_str(), channel()) {
                (Some("message_changed"), Some(channel)) => {
                    message(event, channel, &event["message"]).map(SlackEvent::MessageChanged)
                }
                (Some("message_deleted"), Some(channel)) => {
                    text(event, "deleted_ts").map(|ts| SlackEvent::MessageDeleted { channel, ts })
                }
                // Joins, topic changes and other housekeeping are not conversation.
                (
                    Some(
                        "channel_join" | "channel_leave" | "channel_topic" | "channel_purpose" | "channel_name"
                        | "pinned_item",
                    ),
                    _,
                ) => None,
                (_, Some(channel)) => message(event, channel, event).map(SlackEvent::Message),
                _ => None,
            },
            "reaction_added" | "reaction_removed" => (|| {
                Some(SlackEvent::Reaction {
                    added: kind == "reaction_added",
                    user: event["user"].as_str().and_then(UserId::parse)?,
                    reaction: text(event, "reaction")?,
                    channel: event["item"]["channel"].as_str().and_then(ChannelId::parse)?,
                    ts: text(&event["item"], "ts")?,
                })
            })(),
            "pin_added" | "pin_removed" => (|| {
                let item = &event["item"];
                let ts = text(&item["message"], "ts").or_else(|| text(item, "ts"))?;
                Some(SlackEvent::Pin {
                    added: kind == "pin_added",
                    user: event["user"].as_str().and_then(UserId::parse)?,
                    channel: event["channel_id"].as_str().or(item["channel"].as_str()).and_then(ChannelId::parse)?,
                    ts,
                })
            })(),
            "app_mention" => channel().and_then(|channel| {
                Some(SlackEvent::AppMention { channel, ts: text(event, "ts")?, thread_ts: text(event, "thread_ts") })
            }),
            "member_joined_channel" => channel().and_then(|channel| {
                Some(SlackEvent::MemberJoined { channel, user: event["user"].as_str().and_then(UserId::parse)? })
            }),
            _ => None,
        };
        parsed.unwrap_or_else(|| SlackEvent::Other(kind.to_owned()))
    }

    /// The channel the event happened in, when it has one.
    pub fn channel(&self) -> Option<&ChannelId> {
        match self {
            SlackEvent::Message(m) | SlackEvent::MessageChanged(m) => Some(&m.channel),
            SlackEvent::MessageDeleted { channel, .. }
            | SlackEvent::Reaction { channel, .. }
            | SlackEvent::Pin { channel, .. }
            | SlackEvent::AppMention { channel, .. }
            | SlackEvent::MemberJoined { channel, .. } => Some(channel),
            SlackEvent::Other(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_plain_message_and_a_thread_reply_parse() {
        let event =
            json!({"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1.2", "files": [{}, {}]});
        let SlackEvent::Message(message) = SlackEvent::parse(&event) else { panic!() };
        assert_eq!((message.text.as_str(), message.file_count, message.thread_ts), ("hi", 2, None));
        let reply =
            json!({"type": "message", "channel": "C1", "user": "U1", "text": "re", "ts": "1.3", "thread_ts": "1.2"});
        let SlackEvent::Message(reply) = SlackEvent::parse(&reply) else { panic!() };
        assert_eq!(reply.thread_ts.as_deref(), Some("1.2"));
    }

    #[test]
    fn edits_and_deletions_parse() {
        let changed = json!({"type": "message", "subtype": "message_changed", "channel": "C1",
            "message": {"type": "message", "user": "U1", "text": "fixed", "ts": "1.2", "edited": {"user": "U1", "ts": "1.5"}}});
        assert!(
            matches!(SlackEvent::parse(&changed), SlackEvent::MessageChanged(m) if m.text == "fixed" && m.ts == "1.2" && m.edited_ts.as_deref() == Some("1.5"))
        );
        let deleted = json!({"type": "message", "subtype": "message_deleted", "channel": "C1", "deleted_ts": "1.2"});
        assert_eq!(
            SlackEvent::parse(&deleted),
            SlackEvent::MessageDeleted { channel: ChannelId::parse("C1").unwrap(), ts: "1.2".into() }
        );
    }

    #[test]
    fn reactions_pins_mentions_and_joins_parse() {
        let reaction = json!({"type": "reaction_added", "user": "U1", "reaction": "pushpin", "item": {"type": "message", "channel": "C1", "ts": "1.2"}});
        assert!(matches!(SlackEvent::parse(&reaction), SlackEvent::Reaction { added: true, .. }));
        let pin = json!({"type": "pin_added", "user": "U1", "channel_id": "C1", "item": {"type": "message", "message": {"ts": "1.2"}}});
        assert!(matches!(SlackEvent::parse(&pin), SlackEvent::Pin { added: true, ts, .. } if ts == "1.2"));
        let mention =
            json!({"type": "app_mention", "user": "U1", "text": "<@U0BOT> help", "ts": "1.2", "channel": "C1"});
        assert!(matches!(SlackEvent::parse(&mention), SlackEvent::AppMention { .. }));
        let join = json!({"type": "member_joined_channel", "user": "U2", "channel": "C1", "channel_type": "C"});
        assert!(matches!(SlackEvent::parse(&join), SlackEvent::MemberJoined { .. }));
    }

    #[test]
    fn unknown_or_incomplete_events_are_other() {
        assert_eq!(SlackEvent::parse(&json!({"type": "team_join"})), SlackEvent::Other("team_join".into()));
        assert_eq!(SlackEvent::parse(&json!({"type": "reaction_added"})), SlackEvent::Other("reaction_added".into()));
        assert!(matches!(
            SlackEvent::parse(&json!({"type": "message", "subtype": "channel_join", "channel": "C1", "ts": "1"})),
            SlackEvent::Other(_)
        ));
    }
}
