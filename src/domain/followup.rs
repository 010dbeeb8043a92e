//! Follow-ups: the action items a retrospective ends with, in three groups.

use chrono::{DateTime, NaiveDate, Utc};

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

// In stored records (timeline entries) a group is its storage spelling; only that reads back.
super::spelling::stored_by_spelling!(FollowupGroup);

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
