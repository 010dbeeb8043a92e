//! Rendering: Block Kit messages, modals and topics made by pure functions from domain
//! values. Deciding is elsewhere; nothing here does I/O.
//!
//! Every user-typed text passes through `escape_mrkdwn` and is bounded to Block Kit's
//! limits before it is placed, so a title can neither ping anyone nor break a message.

pub mod alerts;
pub mod api;
pub mod catch_up;
pub mod charts;
pub mod dashboard;
pub mod declare_modal;
pub mod drill;
pub mod followups;
pub mod incident;
pub mod incident_page;
pub mod lifecycle;
pub mod lifecycle_modals;
pub mod oncall;
pub mod overview;
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

/// An incident to render in tests (SEV2 #42 on payments, investigating, declared at `at`).
#[cfg(test)]
pub(crate) fn api_test_incident(at: chrono::DateTime<chrono::Utc>) -> crate::domain::incident::Incident {
    use crate::domain::incident::{Incident, IncidentId, IncidentNumber, IncidentStatus, ServiceName, SeverityName};
    Incident {
        id: IncidentId::from_stored(7),
        number: IncidentNumber(42),
        title: "Checkout errors".into(),
        severity: SeverityName::from_stored("SEV2".into()),
        status: IncidentStatus::Investigating,
        private: false,
        drill: false,
        reporter: crate::domain::ids::UserId::parse("U0REPORTER").unwrap_or_else(|| unreachable!()),
        lead: None,
        impact: None,
        description: None,
        services: vec![ServiceName::from_stored("payments".into())],
        channel: crate::domain::ids::ChannelId::parse("C0INC42"),
        channel_name: None,
        channel_attempt: 1,
        summary_ts: None,
        declared_at: at,
        last_update_at: at,
        version: 1,
        timers: Default::default(),
        last_reminder_ts: None,
    }
}
