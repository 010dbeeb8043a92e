//! The policy file exactly as TOML spells it, before validation.
//!
//! Every struct denies unknown keys so a typo (`update_evry`) is an error with its line, not
//! a silently ignored setting. Values that validation must point back at are `Spanned`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// `Spanned<String>`: a string and where it stands in the file.
pub type Text = Spanned<String>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub timezone: Option<Text>,
    pub locale: Option<Text>,
    pub default_severity: Option<Text>,
    #[serde(default)]
    pub channels: RawChannels,
    #[serde(default)]
    pub reminders: RawReminders,
    #[serde(default)]
    pub retro: RawRetro,
    #[serde(default)]
    pub permissions: RawPermissions,
    #[serde(default)]
    pub lifecycle: RawLifecycle,
    #[serde(default)]
    pub changes: RawChanges,
    #[serde(default)]
    pub retention: RawRetention,
    #[serde(default)]
    pub roles: Vec<RawRole>,
    #[serde(default)]
    pub alerts: RawAlerts,
    #[serde(default)]
    pub severities: Vec<RawSeverity>,
    #[serde(default)]
    pub services: Vec<RawService>,
    #[serde(default)]
    pub schedules: Vec<RawSchedule>,
    #[serde(default)]
    pub paging: RawPaging,
    #[serde(default)]
    pub fields: Vec<RawField>,
    #[serde(default)]
    pub actions: RawActions,
    #[serde(default)]
    pub reports: Vec<RawReport>,
    #[serde(default)]
    pub dashboard: RawDashboard,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDashboard {
    pub session: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    pub name: Text,
    pub title: Option<String>,
    pub template: Text,
    pub due: Option<Text>,
    pub due_after: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    pub name: Text,
    pub label: Option<String>,
    pub kind: Text,
    pub options: Option<Vec<Text>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActions {
    pub kinds: Option<Spanned<Vec<Text>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPaging {
    pub severities: Option<Vec<Text>>,
    pub ack_within: Option<Text>,
    #[serde(default)]
    pub escalate_to: Vec<Text>,
    pub pagerduty: Option<bool>,
    pub opsgenie: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannels {
    pub announcements: Option<Text>,
    pub triage: Option<Text>,
    pub prefix: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReminders {
    pub escalate_after: Option<Spanned<i64>>,
    pub digest: Option<Text>,
    pub lead_within: Option<Text>,
    pub retro_within: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetro {
    pub blameless: Option<bool>,
    pub required_for: Option<Vec<Text>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPermissions {
    #[serde(default)]
    pub admins: Vec<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLifecycle {
    pub archive_on_close: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChanges {
    pub lookback: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetention {
    pub messages: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRole {
    pub name: Text,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    #[serde(default)]
    pub rules: Vec<RawAlertRule>,
    pub flood_threshold: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlertRule {
    #[serde(rename = "match")]
    pub matchers: Spanned<BTreeMap<String, String>>,
    pub action: Text,
    pub severity: Option<Text>,
    pub service: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSeverity {
    pub name: Text,
    #[serde(default)]
    pub label: String,
    pub share: Text,
    pub mention: Option<Text>,
    pub update_every: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub name: Text,
    pub team_channel: Option<Text>,
    #[serde(default)]
    pub responders: Vec<Text>,
    #[serde(default)]
    pub depends_on: Vec<Text>,
    /// The `[[schedules]]` whose current on-call is this service's.
    pub oncall: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub name: Text,
    #[serde(default)]
    pub members: Vec<Text>,
    pub shift: Text,
    pub start: Text,
}
