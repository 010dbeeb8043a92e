//! The triage prompt of an alert: what fired, how often, and Declare / Dismiss.

use serde_json::{Value, json};

use super::{SlackMessage, context, section, user_text};
use crate::catalog::{Key, text};
use crate::domain::alert::{AlertState, StoredAlert};
use crate::domain::incident::Incident;
use crate::domain::policy::Policy;

/// The `action_id` of the prompt's Declare button (value: the alert id).
pub const DECLARE: &str = "alert_declare";
/// The `action_id` of the prompt's Dismiss button.
pub const DISMISS: &str = "alert_dismiss";

/// The prompt as it stands: open with buttons, or settled with what happened.
pub fn prompt(
    alert: &StoredAlert,
    policy: &Policy,
    incident: Option<&Incident>,
    dismissed_by: Option<&str>,
) -> SlackMessage {
    let locale = policy.locale;
    let t = |key| text(locale, key);
    let labels: Vec<String> = ["service", "severity", "priority", "instance"]
        .iter()
        .filter_map(|key| alert.labels.get(*key).map(|v| format!("{key}={}", user_text(v, 80))))
        .collect();
    let labels = if labels.is_empty() { String::new() } else { format!(" · {}", labels.join(", ")) };
    let headline = t(Key::AlertPrompt).fill_trusted(&[
        ("title", &user_text(&alert.title, 150)),
        ("source", &alert.source),
        ("labels", &labels),
    ]);
    let mut blocks = vec![section(&headline)];
    if let Some(summary) = &alert.summary {
        blocks.push(section(&user_text(summary, 1500)));
    }
    let first = super::time::moment(alert.first_seen, policy);
    let mut facts = t(Key::AlertSeen).fill(&[("count", &alert.seen.to_string()), ("first", &first)]);
    if let Some(link) = &alert.link {
        facts.push(' ');
        facts.push_str(&t(Key::AlertOpenLink).fill(&[("link", link), ("source", &alert.source)]));
    }
    blocks.push(context(&facts));
    let settled = match (alert.state, incident) {
        (AlertState::Declared, Some(incident)) => Some(t(Key::AlertDeclared).fill_trusted(&[
            ("number", &incident.number.to_string()),
            ("channel", &incident.channel.as_ref().map_or_else(String::new, |c| format!("<#{c}>"))),
        ])),
        (AlertState::Dismissed, _) => Some(match dismissed_by {
            Some(actor) => t(Key::AlertDismissed).fill_trusted(&[("actor", actor)]),
            None => t(Key::AlertDismissedUnattributed).as_str().to_owned(),
        }),
        (AlertState::Resolved, _) => Some(t(Key::AlertResolved).as_str().to_owned()),
        _ => None,
    };
    match settled {
        Some(line) => blocks.push(section(&line)),
        None => {
            blocks.push(context(t(Key::AlertHint).as_str()));
            let id = alert.id.to_string();
            blocks.push(json!({"type": "actions", "block_id": "alert_actions", "elements": [
                {"type": "button", "action_id": DECLARE, "value": id, "style": "danger", "text": {"type": "plain_text", "text": t(Key::ButtonDeclare).as_str()}},
                {"type": "button", "action_id": DISMISS, "value": id, "text": {"type": "plain_text", "text": t(Key::ButtonDismiss).as_str()}},
            ]}));
        }
    }
    SlackMessage { text: headline, blocks: Value::Array(blocks) }
}
