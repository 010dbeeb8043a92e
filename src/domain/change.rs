//! Pre-shared changes: planned work announced before it happens, and which incidents should
//! hear about it. Pure; `store::changes` reads and writes the rows.

use chrono::{DateTime, Utc};

use crate::domain::ids::UserId;
use crate::domain::incident::ServiceName;

/// One announced change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedChange {
    pub id: i64,
    pub text: String,
    /// The services it touches; empty: it may touch anything.
    pub services: Vec<ServiceName>,
    pub planned_at: Option<DateTime<Utc>>,
    pub author: UserId,
    pub created_at: DateTime<Utc>,
}

impl PlannedChange {
    /// Whether an incident on `services` should hear about this change.
    pub fn concerns(&self, services: &[ServiceName]) -> bool {
        self.services.is_empty() || services.is_empty() || self.services.iter().any(|s| services.contains(s))
    }

    /// When the work happens (or happened): the planned time, else the announcement.
    pub fn when(&self) -> DateTime<Utc> {
        self.planned_at.unwrap_or(self.created_at)
    }
}
