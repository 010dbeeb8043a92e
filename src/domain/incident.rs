//! The incident's identity and lifecycle vocabulary: numbers, statuses, severities, services.
//!
//! These are the names every other layer speaks. The transition rules arrive with the
//! lifecycle commands; this file only fixes the words and their storage spelling.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::ids::{ChannelId, UserId};

/// The storage key of an incident: what jobs, timeline entries, messages, notices and alerts
/// point at. Never shown to people (they see [`IncidentNumber`]). Stored and serialized as the
/// bare integer, so job payloads and rows keep their shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(i64);

impl IncidentId {
    /// The id a stored row or payload carries.
    pub const fn from_stored(id: i64) -> IncidentId {
        IncidentId(id)
    }

    /// The integer to store.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The number people use for an incident (`#42`, `firebell retro 42`), unique per install.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentNumber(pub i64);

impl fmt::Display for IncidentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An incident as firebell knows it: the minimum confirmed facts and where it lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// Storage key (not shown to people; they see `number`).
    pub id: IncidentId,
    pub number: IncidentNumber,
    pub title: String,
    pub severity: SeverityName,
    pub status: IncidentStatus,
    /// A private incident has a private channel and is shared with nobody.
    pub private: bool,
    /// A drill is a practice incident: marked DRILL in everything the bot posts about it,
    /// shared with nobody, paged only inside Slack, and left out of stats, digests, search and
    /// similar incidents. Fixed at declaration.
    pub drill: bool,
    pub reporter: UserId,
    pub lead: Option<UserId>,
    pub impact: Option<String>,
    pub description: Option<String>,
    pub services: Vec<ServiceName>,
    /// The dedicated channel, once created.
    pub channel: Option<ChannelId>,
    /// The channel name reserved (before creation) or used.
    pub channel_name: Option<String>,
    /// Which `-k` suffix the reserved name carries (1 = none).
    pub channel_attempt: u32,
    /// The pinned summary message, once posted.
    pub summary_ts: Option<String>,
    pub declared_at: DateTime<Utc>,
    pub last_update_at: DateTime<Utc>,
    /// Storage version, for optimistic concurrency between simultaneous changes.
    pub version: i64,
    /// The reminder clock.
    pub timers: crate::domain::reminders::Timers,
    /// The latest reminder message (a 👀 on it snoozes once).
    pub last_reminder_ts: Option<String>,
}

impl Incident {
    /// Whether the incident stays inside its own channel: no notice, no escalation and no
    /// announcement goes anywhere else. A private incident keeps its secrets there; a drill
    /// must not alarm anyone who is not practising.
    pub fn stays_in_its_channel(&self) -> bool {
        self.private || self.drill
    }
}

/// `investigating → identified → monitoring → resolved → closed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IncidentStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Closed,
}

impl IncidentStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [IncidentStatus; 5] = [
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Monitoring,
        IncidentStatus::Resolved,
        IncidentStatus::Closed,
    ];

    /// The spelling used in commands and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Identified => "identified",
            IncidentStatus::Monitoring => "monitoring",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Closed => "closed",
        }
    }

    /// Reads the storage spelling back; `None` for anything else.
    pub fn parse(text: &str) -> Option<IncidentStatus> {
        IncidentStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Open statuses are the ones a responder can set with `status …`.
    pub fn is_open(self) -> bool {
        matches!(self, IncidentStatus::Investigating | IncidentStatus::Identified | IncidentStatus::Monitoring)
    }
}

// In stored records (timeline entries) a status is its storage spelling; only that reads
// back, so a record naming a status this version does not know is not mistaken for one it does.
super::spelling::stored_by_spelling!(IncidentStatus);

/// A severity name as the policy spells it (`SEV1`); only the policy creates these.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeverityName(pub(crate) String);

/// A service name as the policy spells it (`payments`); only the policy creates these.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceName(pub(crate) String);

/// A role name: the built-in `lead`, `comms`, `scribe`, or one from the policy's `[[roles]]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleName(pub(crate) String);

macro_rules! policy_name {
    ($($ty:ty),*) => {$(
        impl $ty {
            /// The canonical spelling.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        /// In stored records a name is its spelling.
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
        /// Read back as stored, like `from_stored`: the policy validated it when it was written.
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                String::deserialize(deserializer).map(Self)
            }
        }
    )*};
}
policy_name!(SeverityName, ServiceName, RoleName);

impl SeverityName {
    /// Storage rows hold names the policy once validated; reading one back trusts it, and a
    /// name the current policy no longer knows is still shown as stored.
    pub fn from_stored(name: String) -> SeverityName {
        SeverityName(name)
    }
}

impl ServiceName {
    /// See [`SeverityName::from_stored`].
    pub fn from_stored(name: String) -> ServiceName {
        ServiceName(name)
    }
}

impl RoleName {
    /// See [`SeverityName::from_stored`].
    pub fn from_stored(name: String) -> RoleName {
        RoleName(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_storage_spelling() {
        for status in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(IncidentStatus::parse("Resolved"), None);
    }

    #[test]
    fn only_the_three_working_statuses_are_open() {
        let open: Vec<_> = IncidentStatus::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open.len(), 3);
        assert!(!IncidentStatus::Resolved.is_open());
    }
}
