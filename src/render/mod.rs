//! Rendering: Block Kit messages, modals and topics made by pure functions from domain
//! values. Deciding is elsewhere; nothing here does I/O.
//!
//! Every user-typed text passes through `escape_mrkdwn` and is bounded to Block Kit's
//! limits before it is placed, so a title can neither ping anyone nor break a message.

pub mod alerts;
pub mod api;
pub mod catch_up;
pub mod declare_modal;
pub mod followups;
pub mod incident;
pub mod lifecycle;
pub mod lifecycle_modals;
pub mod oncall;
pub mod paging;
pub mod reminders;
pub mod retro;
pub mod similar;
pub mod simulate;
pub mod stats;
pub mod time;

use serde_json::{Value, json};

use crate::domain::text::{escape_mrkdwn, truncate_chars};

/// A message ready for `chat.postMessage` / `chat.update`.
#[derive(Clone, Debug, PartialEq)]
pub struct SlackMessage {
    /// The notification and fallback text.
    pub text: String,
    pub blocks: Value,
}

/// Escaped and bounded user text for mrkdwn.
pub fn user_text(raw: &str, max_chars: usize) -> String {
    escape_mrkdwn(&truncate_chars(raw, max_chars))
}

/// A mrkdwn section block (text bounded to Slack's 3,000 characters).
pub fn section(mrkdwn: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate_chars(mrkdwn, 3000)}})
}

/// A section of labelled fields, `*Label*\nvalue` each (at most 10 fields of 2,000).
pub fn fields(pairs: &[(String, String)]) -> Value {
    let fields: Vec<Value> = pairs
        .iter()
        .take(10)
        .map(|(label, value)| json!({"type": "mrkdwn", "text": truncate_chars(&format!("*{label}*\n{value}"), 2000)}))
        .collect();
    json!({"type": "section", "fields": fields})
}

/// A context block with one mrkdwn element.
pub fn context(mrkdwn: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate_chars(mrkdwn, 3000)}]})
}

pub use crate::catalog::status_word;
