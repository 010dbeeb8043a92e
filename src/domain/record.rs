//! The record of an incident: its timeline entries and its channel's messages, as the
//! retrospective reads them. Stored by `store::timeline` and `store::messages`.

use chrono::{DateTime, Utc};

use super::incident::IncidentId;
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::timeline::TimelineEntry;

/// One entry of an incident's timeline, with when and by whom it was recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEvent {
    pub id: i64,
    pub incident_id: IncidentId,
    pub at: DateTime<Utc>,
    /// The Slack user who caused it; `None` for the bot or an alert.
    pub author: Option<String>,
    /// What happened, typed by kind.
    pub entry: TimelineEntry,
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    pub incident_id: IncidentId,
    pub channel: ChannelId,
    pub ts: String,
    pub thread_ts: Option<String>,
    pub user: Option<UserId>,
    /// `None` once deleted.
    pub text: Option<String>,
    pub file_count: i64,
    pub subtype: Option<String>,
    pub edited: bool,
    pub deleted: bool,
    pub posted_at: DateTime<Utc>,
}
