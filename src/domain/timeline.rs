//! Timeline entries as one typed enum: what each kind of entry records, how it is stored (a
//! `kind` name and a JSON body) and how a stored row is read back — including a row this
//! version cannot read, which becomes a visible [`TimelineEntry::Unknown`] instead of being
//! dropped. Pure: no I/O; the SQL is in `store::timeline` and must not spell a kind itself.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::followup::FollowupGroup;
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{IncidentStatus, RoleName, ServiceName, SeverityName};
use crate::domain::lifecycle::Change;
use crate::domain::paging::PageReason;

/// The JSON key serde tags an entry with; stored in its own column, not in the body.
const TAG: &str = "kind";

/// One entry of an incident's timeline. The variant is the stored `kind` (serde's snake_case
/// spelling: `StatusChanged` is `status_changed`); the fields are the stored JSON body, with
/// the names and shapes every version so far has written. Renaming a field or a variant makes
/// the rows already stored read as [`TimelineEntry::Unknown`].
/// The alert rule that declared an incident: its source and what it matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaringRule {
    /// The alert's source (`alertmanager`, `grafana`, `datadog`).
    pub source: String,
    /// The rule's `match`, as `key=value, …`.
    pub matchers: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEntry {
    /// The incident was declared (its reporter is the entry's author).
    Declared {
        severity: SeverityName,
        // Only the severity is read back; a record that names nothing else still reads.
        #[serde(default)]
        services: Vec<ServiceName>,
        #[serde(default)]
        private: bool,
        /// The alert rule that declared it, when no person did (the entry has no author).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<DeclaringRule>,
    },
    /// A status update, with the status it moved to when it moved one.
    Update { text: String, status: Option<IncidentStatus> },
    /// The status moved without an update's text.
    StatusChanged { from: IncidentStatus, to: IncidentStatus },
    /// A resolved or closed incident was opened again, at status `to`.
    Reopened { to: IncidentStatus },
    /// The severity changed; `lowered` when it became less severe.
    SeverityChanged { from: SeverityName, to: SeverityName, lowered: bool },
    /// Someone took a role (the lead, comms, a policy role).
    RoleAssigned { role: RoleName, user: UserId },
    /// The title changed to `title`.
    TitleChanged { title: String },
    /// The impact statement changed to `impact`.
    ImpactChanged { impact: String },
    /// A service was added to the incident.
    ServiceAdded { service: ServiceName },
    /// A service was removed from the incident.
    ServiceRemoved { service: ServiceName },
    /// A note for the record (`/incident note`).
    Note { text: String },
    /// The incident was resolved, `duration_seconds` after it was declared.
    Resolved { summary: Option<String>, duration_seconds: i64 },
    /// The incident was closed. A struct variant, so its stored body is `{}` as always.
    Closed {},
    /// A follow-up was added.
    FollowupAdded { id: i64, group: FollowupGroup, text: String },
    /// A follow-up was marked done.
    FollowupDone { id: i64, text: String },
    /// Update reminders were snoozed for `seconds`, until `until`.
    ReminderSnoozed {
        #[serde(with = "rfc3339")]
        until: DateTime<Utc>,
        seconds: u64,
    },
    /// The monitoring alert that led to the incident (at the alert's start).
    Alert { source: String, title: String, fingerprint: String, link: Option<String> },
    /// An alert linked to the incident resolved.
    AlertResolved { source: String, title: String, fingerprint: String },
    /// A channel message was highlighted (a reaction or a pin) by `by`.
    Highlight { channel: ChannelId, ts: String, by: UserId },
    /// `user` was paged, at `level` of the climb (0: the on-call or `page @user`), for
    /// `reason`. The entry's author is who paged by hand; none for the bot's own pages.
    Paged { user: UserId, reason: PageReason, level: u32 },
    /// `user` acknowledged their page (the incident's acknowledgement, if it was the first).
    PageAcknowledged { user: UserId },
    /// Nobody acknowledged any level of the climb: the announcements channel was told.
    PagesUnanswered { levels: u32 },
    /// A custom field was set (`set FIELD VALUE`): the field's name and the value as stored.
    FieldSet { field: String, value: String },
    /// A response action was recorded (`action KIND [TEXT]`): its kind is `action` (`kind` is
    /// the tag).
    ResponseAction { action: String, text: Option<String> },
    /// A stored row this version cannot read: a kind it does not know (written by a newer or
    /// older version) or a body that does not fit its kind. Made by [`TimelineEntry::from_stored`],
    /// never by serde, and kept as stored so it is shown, not lost.
    #[serde(skip)]
    Unknown { kind: String, body: Value },
}

/// Which kind an entry is, without its fields: for matching (the retrospective's wording) and
/// for SQL that filters by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Declared,
    Update,
    StatusChanged,
    Reopened,
    SeverityChanged,
    RoleAssigned,
    TitleChanged,
    ImpactChanged,
    ServiceAdded,
    ServiceRemoved,
    Note,
    Resolved,
    Closed,
    FollowupAdded,
    FollowupDone,
    ReminderSnoozed,
    Alert,
    AlertResolved,
    Highlight,
    Paged,
    PageAcknowledged,
    PagesUnanswered,
    FieldSet,
    ResponseAction,
}

impl TimelineKind {
    /// Every kind this version knows.
    pub const ALL: [TimelineKind; 24] = [
        TimelineKind::Declared,
        TimelineKind::Update,
        TimelineKind::StatusChanged,
        TimelineKind::Reopened,
        TimelineKind::SeverityChanged,
        TimelineKind::RoleAssigned,
        TimelineKind::TitleChanged,
        TimelineKind::ImpactChanged,
        TimelineKind::ServiceAdded,
        TimelineKind::ServiceRemoved,
        TimelineKind::Note,
        TimelineKind::Resolved,
        TimelineKind::Closed,
        TimelineKind::FollowupAdded,
        TimelineKind::FollowupDone,
        TimelineKind::ReminderSnoozed,
        TimelineKind::Alert,
        TimelineKind::AlertResolved,
        TimelineKind::Highlight,
        TimelineKind::Paged,
        TimelineKind::PageAcknowledged,
        TimelineKind::PagesUnanswered,
        TimelineKind::FieldSet,
        TimelineKind::ResponseAction,
    ];

    /// The name in the `kind` column (`status_changed`). Spelled by serde with the same rule
    /// as [`TimelineEntry`]'s tag, so no kind is written out by hand anywhere.
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(Value::String(name)) => name,
            // A fieldless variant always serializes as its name; this is never reached.
            _ => format!("{self:?}"),
        }
    }
}

impl fmt::Display for TimelineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl TimelineEntry {
    /// Reads a stored row back: its `kind` column and its JSON body. Never fails: a kind this
    /// version does not know, or a body that does not fit its kind, is [`TimelineEntry::Unknown`]
    /// with the row as stored.
    pub fn from_stored(kind: &str, body: Value) -> TimelineEntry {
        let Value::Object(fields) = &body else {
            return TimelineEntry::Unknown { kind: kind.to_owned(), body };
        };
        let mut tagged: Map<String, Value> = fields.clone();
        // The column is the kind, whatever the body says.
        tagged.insert(TAG.to_owned(), Value::String(kind.to_owned()));
        serde_json::from_value(Value::Object(tagged))
            .unwrap_or_else(|_| TimelineEntry::Unknown { kind: kind.to_owned(), body })
    }

    /// The entry as stored: its kind's name for the `kind` column and its body (the fields,
    /// without the tag). An unknown entry is stored back as it was read.
    pub fn to_stored(&self) -> serde_json::Result<(String, Value)> {
        if let TimelineEntry::Unknown { kind, body } = self {
            return Ok((kind.clone(), body.clone()));
        }
        let Value::Object(mut fields) = serde_json::to_value(self)? else {
            return Err(serde::ser::Error::custom("a timeline entry serializes as a JSON object"));
        };
        match fields.remove(TAG) {
            Some(Value::String(kind)) => Ok((kind, Value::Object(fields))),
            _ => Err(serde::ser::Error::custom("a timeline entry carries its kind")),
        }
    }

    /// Which kind the entry is; `Err` with the stored name for an entry this version cannot
    /// read, so a caller shows it rather than guessing.
    pub fn kind(&self) -> Result<TimelineKind, &str> {
        Ok(match self {
            TimelineEntry::Declared { .. } => TimelineKind::Declared,
            TimelineEntry::Update { .. } => TimelineKind::Update,
            TimelineEntry::StatusChanged { .. } => TimelineKind::StatusChanged,
            TimelineEntry::Reopened { .. } => TimelineKind::Reopened,
            TimelineEntry::SeverityChanged { .. } => TimelineKind::SeverityChanged,
            TimelineEntry::RoleAssigned { .. } => TimelineKind::RoleAssigned,
            TimelineEntry::TitleChanged { .. } => TimelineKind::TitleChanged,
            TimelineEntry::ImpactChanged { .. } => TimelineKind::ImpactChanged,
            TimelineEntry::ServiceAdded { .. } => TimelineKind::ServiceAdded,
            TimelineEntry::ServiceRemoved { .. } => TimelineKind::ServiceRemoved,
            TimelineEntry::Note { .. } => TimelineKind::Note,
            TimelineEntry::Resolved { .. } => TimelineKind::Resolved,
            TimelineEntry::Closed {} => TimelineKind::Closed,
            TimelineEntry::FollowupAdded { .. } => TimelineKind::FollowupAdded,
            TimelineEntry::FollowupDone { .. } => TimelineKind::FollowupDone,
            TimelineEntry::ReminderSnoozed { .. } => TimelineKind::ReminderSnoozed,
            TimelineEntry::Alert { .. } => TimelineKind::Alert,
            TimelineEntry::AlertResolved { .. } => TimelineKind::AlertResolved,
            TimelineEntry::Highlight { .. } => TimelineKind::Highlight,
            TimelineEntry::Paged { .. } => TimelineKind::Paged,
            TimelineEntry::PageAcknowledged { .. } => TimelineKind::PageAcknowledged,
            TimelineEntry::PagesUnanswered { .. } => TimelineKind::PagesUnanswered,
            TimelineEntry::FieldSet { .. } => TimelineKind::FieldSet,
            TimelineEntry::ResponseAction { .. } => TimelineKind::ResponseAction,
            TimelineEntry::Unknown { kind, .. } => return Err(kind),
        })
    }
}

/// The one place a lifecycle change becomes the entry that records it.
impl From<&Change> for TimelineEntry {
    fn from(change: &Change) -> TimelineEntry {
        match change {
            Change::Updated { text, status } => {
                TimelineEntry::Update { text: text.clone(), status: status.map(|(_, to)| to) }
            }
            Change::StatusChanged { from, to } => TimelineEntry::StatusChanged { from: *from, to: *to },
            Change::Reopened { to } => TimelineEntry::Reopened { to: *to },
            Change::SeverityChanged { from, to, lowered } => {
                TimelineEntry::SeverityChanged { from: from.clone(), to: to.clone(), lowered: *lowered }
            }
            Change::RoleAssigned { role, user } => {
                TimelineEntry::RoleAssigned { role: role.clone(), user: user.clone() }
            }
            Change::TitleChanged { to } => TimelineEntry::TitleChanged { title: to.clone() },
            Change::ImpactChanged { to } => TimelineEntry::ImpactChanged { impact: to.clone() },
            Change::ServiceAdded(service) => TimelineEntry::ServiceAdded { service: service.clone() },
            Change::ServiceRemoved(service) => TimelineEntry::ServiceRemoved { service: service.clone() },
            Change::Noted { text } => TimelineEntry::Note { text: text.clone() },
            Change::Resolved { summary, duration } => {
                TimelineEntry::Resolved { summary: summary.clone(), duration_seconds: duration.num_seconds() }
            }
            Change::Closed => TimelineEntry::Closed {},
            Change::FieldSet { field, value } => TimelineEntry::FieldSet { field: field.clone(), value: value.clone() },
            Change::ActionTaken { kind, text } => {
                TimelineEntry::ResponseAction { action: kind.clone(), text: text.clone() }
            }
        }
    }
}

/// An instant as the snooze entry has always spelled it (`to_rfc3339`:
/// `2026-11-26T05:15:00+00:00`), not as chrono's serde does (`…Z`): new rows read like old ones.
mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&at.to_rfc3339())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text).map(|at| at.with_timezone(&Utc)).map_err(D::Error::custom)
    }
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
