//! The actions firebell offers in Slack — its buttons, menus, modals and message shortcut —
//! read once from an [`Interaction`] into a [`UserAction`] with typed ids.
//!
//! Pure: no store, no Slack calls. Whether the alert, incident or follow-up an id names still
//! exists is the use case's question (`app::interactions`). The ids an action is recognised
//! by are the ones the renderers put on the buttons and modals (`render::alerts`,
//! `render::followups`, `render::reminders`, `render::paging`, `render::lifecycle_modals`,
//! `render::declare_modal`), so a button and its reading cannot drift apart.

use std::time::Duration;

use serde_json::Value;

use crate::domain::ids::ChannelId;
use crate::domain::incident::IncidentId;
use crate::render::lifecycle_modals::QuickAction;
use crate::render::{alerts, declare_modal, followups, paging, reminders};
use crate::slack::inbound::Interaction;

/// One action a person took on something firebell put in Slack.
#[derive(Clone, Debug, PartialEq)]
pub enum UserAction {
    /// The declare modal was submitted.
    DeclareSubmitted {
        /// The modal's `view.state.values`, read by `declare_modal::read`.
        values: Value,
        /// Where the form was opened from.
        origin: DeclareOrigin,
    },
    /// A quick-action modal (post an update, change the severity…) was submitted.
    QuickActionSubmitted {
        action: QuickAction,
        /// The incident the modal was opened on; `None` when its metadata names none.
        incident: Option<IncidentId>,
        /// The modal's `view.state.values`, read by `lifecycle_modals::read`.
        values: Value,
    },
    /// An alert prompt's Declare button: open the prefilled declare form.
    AlertDeclareClicked { alert: i64, trigger_id: String },
    /// An alert prompt's Dismiss button.
    AlertDismissClicked { alert: i64 },
    /// A follow-up's Mark done button.
    FollowupDoneClicked { followup: i64 },
    /// A reminder's Snooze button: snooze by the severity's update cadence.
    SnoozeClicked { incident: IncidentId },
    /// A choice in a reminder's snooze menu.
    SnoozeForChosen { incident: IncidentId, delay: Duration },
    /// A quick-action button (the pinned summary's, or a reminder's): open its modal.
    QuickActionClicked { action: QuickAction, incident: IncidentId, trigger_id: String },
    /// A page's Acknowledge button.
    PageAcknowledgeClicked { page: i64 },
    /// The "Declare incident" message shortcut on `ts` in `channel`.
    MessageShortcut { channel: ChannelId, ts: String, text: String, trigger_id: String },
    /// Anything else: acknowledged and ignored, for the reason given.
    Other { reason: &'static str },
}

/// Where a declare form was opened from, as its `private_metadata` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclareOrigin {
    /// `/incident declare` without a title (or metadata firebell does not recognise): the
    /// form alone says what to declare.
    Command,
    /// An alert prompt's Declare button: the declaration settles that alert.
    Alert(i64),
    /// The message shortcut: the reporter is answered in that message's thread.
    Message { channel: ChannelId, ts: String },
}

impl UserAction {
    /// Reads what the person did. Never fails: what firebell does not offer, or offers but
    /// arrives without the ids it needs, is [`UserAction::Other`].
    pub fn parse(interaction: &Interaction) -> UserAction {
        let raw = &interaction.raw;
        match interaction.kind.as_str() {
            "view_submission" => submission(&raw["view"]),
            "block_actions" => match raw["actions"].as_array().and_then(|actions| actions.first()) {
                Some(action) => click(action, trigger_id(raw)),
                None => UserAction::Other { reason: "block_actions without an action" },
            },
            "message_action" => message_shortcut(raw),
            _ => UserAction::Other { reason: "an interaction kind firebell does not offer" },
        }
    }
}

fn submission(view: &Value) -> UserAction {
    let callback_id = view["callback_id"].as_str().unwrap_or_default();
    let values = view["state"]["values"].clone();
    let metadata = view["private_metadata"].as_str();
    if callback_id == declare_modal::CALLBACK_ID {
        return UserAction::DeclareSubmitted { values, origin: declare_origin(metadata) };
    }
    match QuickAction::from_id(callback_id) {
        Some(action) => {
            let incident = metadata.and_then(|m| m.parse::<i64>().ok()).map(IncidentId::from_stored);
            UserAction::QuickActionSubmitted { action, incident, values }
        }
        None => UserAction::Other { reason: "a submission of a modal firebell did not open" },
    }
}

/// The declare modal's metadata: `{"alert": 7}`, `{"source_channel": "C…", "source_ts": "…"}`
/// or `{"channel": "C…"}` (the command's; nothing to act on).
fn declare_origin(metadata: Option<&str>) -> DeclareOrigin {
    let metadata: Value = metadata.and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default();
    if let Some(alert) = metadata["alert"].as_i64() {
        return DeclareOrigin::Alert(alert);
    }
    let channel = metadata["source_channel"].as_str().and_then(ChannelId::parse);
    match (channel, metadata["source_ts"].as_str()) {
        (Some(channel), Some(ts)) => DeclareOrigin::Message { channel, ts: ts.to_owned() },
        _ => DeclareOrigin::Command,
    }
}

/// The click-able ids other than the quick actions' and the snooze menu's.
const BUTTONS: [&str; 5] = [alerts::DECLARE, alerts::DISMISS, followups::DONE, reminders::SNOOZE, paging::ACKNOWLEDGE];

fn click(action: &Value, trigger_id: Option<String>) -> UserAction {
    let action_id = action["action_id"].as_str().unwrap_or_default();
    if action_id == reminders::SNOOZE_FOR {
        return snooze_for(&action["selected_option"]["value"]);
    }
    let quick = QuickAction::from_id(action_id);
    if quick.is_none() && !BUTTONS.contains(&action_id) {
        return UserAction::Other { reason: "a click on an action firebell does not offer" };
    }
    // Every button carries the id of what it acts on as its value.
    let Some(id) = action["value"].as_str().and_then(|v| v.parse::<i64>().ok()) else {
        return UserAction::Other { reason: "a click without a numeric value" };
    };
    match (action_id, quick, trigger_id) {
        (alerts::DECLARE, _, Some(trigger_id)) => UserAction::AlertDeclareClicked { alert: id, trigger_id },
        (alerts::DISMISS, _, _) => UserAction::AlertDismissClicked { alert: id },
        (followups::DONE, _, _) => UserAction::FollowupDoneClicked { followup: id },
        (reminders::SNOOZE, _, _) => UserAction::SnoozeClicked { incident: IncidentId::from_stored(id) },
        (paging::ACKNOWLEDGE, _, _) => UserAction::PageAcknowledgeClicked { page: id },
        (_, Some(action), Some(trigger_id)) => {
            UserAction::QuickActionClicked { action, incident: IncidentId::from_stored(id), trigger_id }
        }
        _ => UserAction::Other { reason: "a click that opens a form without a trigger_id" },
    }
}

/// The snooze menu's option values are `<incident id>:<seconds>`.
fn snooze_for(value: &Value) -> UserAction {
    let chosen = value.as_str().and_then(|v| v.split_once(':')).and_then(|(incident, seconds)| {
        Some((
            IncidentId::from_stored(incident.parse::<i64>().ok()?),
            Duration::from_secs(seconds.parse::<u64>().ok()?),
        ))
    });
    match chosen {
        Some((incident, delay)) => UserAction::SnoozeForChosen { incident, delay },
        None => UserAction::Other { reason: "a snooze choice that is not <incident>:<seconds>" },
    }
}

fn message_shortcut(raw: &Value) -> UserAction {
    let channel = raw["channel"]["id"].as_str().and_then(ChannelId::parse);
    let ts = raw["message"]["ts"].as_str();
    match (channel, ts, trigger_id(raw)) {
        (Some(channel), Some(ts), Some(trigger_id)) => UserAction::MessageShortcut {
            channel,
            ts: ts.to_owned(),
            text: raw["message"]["text"].as_str().unwrap_or_default().to_owned(),
            trigger_id,
        },
        (None, _, _) | (_, None, _) => UserAction::Other { reason: "a message shortcut without its message" },
        (_, _, None) => UserAction::Other { reason: "a message shortcut without a trigger_id" },
    }
}

/// The `trigger_id` a modal can be opened with (valid for 3 seconds); `None` when absent.
fn trigger_id(raw: &Value) -> Option<String> {
    raw["trigger_id"].as_str().filter(|t| !t.is_empty()).map(str::to_owned)
}

#[cfg(test)]
#[path = "actions_tests.rs"]
mod tests;
