//! Follow-ups: the action items a retrospective ends with, in three groups.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::incident::IncidentId;
use crate::domain::ids::UserId;

/// The three groups a retrospective's action items fall into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FollowupGroup {
    /// Preventing recurrence.
    Prevent,
    /// Improving detection.
    Detect,
    /// Improving handling.
    Handle,
}

impl FollowupGroup {
    /// In the order a retrospective lists them.
    pub const ALL: [FollowupGroup; 3] = [FollowupGroup::Prevent, FollowupGroup::Detect, FollowupGroup::Handle];

    /// The command and storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowupGroup::Prevent => "prevent",
            FollowupGroup::Detect => "detect",
            FollowupGroup::Handle => "handle",
        }
    }

    /// Reads the storage spelling back.
    pub fn parse(text: &str) -> Option<FollowupGroup> {
        FollowupGroup::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// In stored records (timeline entries) a group is its storage spelling.
impl Serialize for FollowupGroup {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Reads only the storage spelling; anything else is an error.
impl<'de> Deserialize<'de> for FollowupGroup {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FollowupGroup, D::Error> {
        let text = String::deserialize(deserializer)?;
        FollowupGroup::parse(&text).ok_or_else(|| D::Error::custom(format!("unknown follow-up group {text:?}")))
    }
}

/// One action item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Followup {
    pub id: i64,
    pub incident_id: IncidentId,
    pub group: FollowupGroup,
    pub text: String,
    pub owner: Option<UserId>,
    pub due: Option<NaiveDate>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

impl Followup {
    /// Open and past its due date on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.done_at.is_none() && self.due.is_some_and(|due| due < today)
    }
}
