//! The policy as typed data: severities, services and their graph, channels, cadences, roles.
//!
//! Built only by `config::policy` (which validates the TOML once); everything else reads it.
//! Lookups by name are case-insensitive because `/incident` words are.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::catalog::Locale;
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{RoleName, ServiceName, SeverityName};

/// The whole validated policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Time zone for times shown to people and for channel-name dates.
    pub timezone: chrono_tz::Tz,
    /// Language of everything the bot says.
    pub locale: Locale,
    /// Severity of a declaration that names none.
    pub default_severity: SeverityName,
    pub channels: Channels,
    pub reminders: Reminders,
    pub retro: RetroPolicy,
    /// Users who may lower severity, resolve and close any incident.
    pub admins: Vec<UserId>,
    /// Archive the incident channel when the incident is closed.
    pub archive_on_close: bool,
    /// How long a dashboard sign-in lasts (`dashboard.session`, default 12 h).
    pub dashboard_session: Duration,
    /// How far back pre-shared changes are listed when an incident is declared.
    pub changes_lookback: Duration,
    pub retention: Retention,
    /// Roles added to the built-in lead, comms and scribe.
    pub roles: Vec<Role>,
    /// Alert routing, first match wins.
    pub alert_rules: Vec<AlertRule>,
    /// New alert prompts a minute in one channel beyond which one "alert storm" prompt lists
    /// the groups instead (`alerts.flood_threshold`).
    pub alert_flood_threshold: u32,
    /// Most severe first.
    pub severities: Vec<Severity>,
    pub services: Vec<Service>,
    /// On-call rotations, by name.
    pub schedules: Vec<crate::domain::oncall::Schedule>,
    pub paging: Paging,
    /// The facts recorded about every incident (`set FIELD VALUE`), in policy order.
    pub fields: Vec<crate::domain::fields::Field>,
    /// The kinds of response action (`action KIND`), in policy order.
    pub actions: Vec<String>,
    /// The company's reports (`[[reports]]`), the default first; never empty.
    pub reports: Vec<ReportSpec>,
}

/// One `[[reports]]` entry: a report the company files about an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSpec {
    /// What people type after `report` (a lowercase word, not `final`).
    pub name: String,
    /// The document's title; `None` uses the template's own heading.
    pub title: Option<String>,
    /// `builtin:ko-report`, `builtin:en-report`, `builtin:executive`, or a file path as
    /// written (relative to the policy file).
    pub template: String,
    /// When it is due, counted from `due_after`; `None`: no deadline.
    pub due: Option<Duration>,
    pub due_after: DueAfter,
    /// The policy file's line of the entry (0 for the built-in default), for check-config.
    pub line: usize,
    /// The template's text: a built-in's from the binary, a file's as read when the policy
    /// was loaded (`config::policy::load`); `None` for a file not read (a policy parsed from
    /// text alone).
    pub source: Option<String>,
}

impl ReportSpec {
    /// When the report of an incident declared at `declared_at` (and resolved at
    /// `resolved_at`) is due: `None` without a deadline, or when it counts from a resolution
    /// that has not happened.
    pub fn due_at(&self, declared_at: DateTime<Utc>, resolved_at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let due = chrono::Duration::from_std(self.due?).ok()?;
        let from = match self.due_after {
            DueAfter::Declared => declared_at,
            DueAfter::Resolved => resolved_at?,
        };
        from.checked_add_signed(due)
    }
}

/// What a report's `due` counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DueAfter {
    Declared,
    Resolved,
}

/// Who is paged, and how the page climbs when nobody answers.
#[derive(Clone, Debug)]
pub struct Paging {
    /// Declaring (or raising into) these pages the affected services' on-call.
    pub severities: Vec<SeverityName>,
    /// How long a page waits for its Acknowledge before the next level is paged.
    pub ack_within: Duration,
    /// The levels after the on-call, in order: one person per `ack_within`.
    pub escalate_to: Vec<UserId>,
    /// Also send PagerDuty Events API v2 events (needs `PAGERDUTY_ROUTING_KEY`).
    pub pagerduty: bool,
    /// Also create Opsgenie alerts (needs `OPSGENIE_API_KEY`).
    pub opsgenie: bool,
}

/// Where the bot speaks outside incident channels.
#[derive(Clone, Debug)]
pub struct Channels {
    /// Broad sharing, escalations and digests.
    pub announcements: Option<ChannelId>,
    /// Alert prompts.
    pub triage: Option<ChannelId>,
    /// Incident channel names start with this.
    pub prefix: String,
}

/// Reminder cadences shared by every severity.
#[derive(Clone, Debug)]
pub struct Reminders {
    /// Unanswered reminders before the widest audience is told.
    pub escalate_after: u32,
    /// Digest schedule (`sec min hour day month weekday`), in the policy's time zone.
    pub digest: Option<cron::Schedule>,
    /// Nudge once when no lead is assigned by then.
    pub lead_within: Duration,
    /// Nudge when a resolved incident has no retrospective by then.
    pub retro_within: Duration,
}

/// Retrospective settings.
#[derive(Clone, Debug)]
pub struct RetroPolicy {
    /// Show people as their roles rather than their names.
    pub blameless: bool,
    /// Severities whose incidents need a retrospective.
    pub required_for: Vec<SeverityName>,
}

/// How long parts of the record are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    /// How long after an incident is closed its stored channel messages keep their text;
    /// `None` keeps it for ever. Once past, the text is dropped as a deletion drops it.
    pub messages: Option<Duration>,
}

/// A role people can be given with `/incident role NAME @user`.
#[derive(Clone, Debug)]
pub struct Role {
    pub name: RoleName,
    pub description: String,
}

/// Who hears about an incident of a severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Share {
    /// The affected teams and their dependants.
    Narrow,
    /// Narrow plus the announcements channel.
    Broad,
}

/// The mass mention a broad notice carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mention {
    None,
    Here,
    Channel,
}

/// One severity level.
#[derive(Clone, Debug)]
pub struct Severity {
    pub name: SeverityName,
    /// Human label, e.g. "Critical".
    pub label: String,
    pub share: Share,
    pub mention: Mention,
    /// Remind when no status update has been posted for this long.
    pub update_every: Duration,
}

/// A service that incidents can affect.
#[derive(Clone, Debug)]
pub struct Service {
    pub name: ServiceName,
    /// The owning team's channel, told about narrow incidents.
    pub team_channel: Option<ChannelId>,
    /// Invited to the incident channel when the service is affected.
    pub responders: Vec<UserId>,
    /// Services this one depends on: their incidents reach this team too.
    pub depends_on: Vec<ServiceName>,
    /// The schedule (`[[schedules]]` name) whose current on-call is this service's.
    pub oncall: Option<String>,
}

/// What an alert that matches a rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertAction {
    Declare,
    Prompt,
}

/// One `[[alerts.rules]]` entry.
#[derive(Clone, Debug)]
pub struct AlertRule {
    /// Labels or tags that must all be equal.
    pub matchers: BTreeMap<String, String>,
    pub action: AlertAction,
    pub severity: Option<SeverityName>,
    pub service: Option<ServiceName>,
}

/// The roles every install has.
pub const BUILTIN_ROLES: [&str; 3] = ["lead", "comms", "scribe"];

impl Policy {
    /// The severity named `name`, compared case-insensitively.
    pub fn severity(&self, name: &str) -> Option<&Severity> {
        self.severities.iter().find(|s| s.name.as_str().eq_ignore_ascii_case(name))
    }

    /// The service named `name`, compared case-insensitively.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name.as_str().eq_ignore_ascii_case(name))
    }

    /// The role named `name` (built-in or from the policy), compared case-insensitively.
    pub fn role(&self, name: &str) -> Option<RoleName> {
        BUILTIN_ROLES
            .iter()
            .map(|builtin| RoleName((*builtin).to_owned()))
            .chain(self.roles.iter().map(|role| role.name.clone()))
            .find(|role| role.as_str().eq_ignore_ascii_case(name))
    }

    /// Every role name, built-in first.
    pub fn role_names(&self) -> Vec<String> {
        BUILTIN_ROLES.iter().map(|r| (*r).to_owned()).chain(self.roles.iter().map(|r| r.name.to_string())).collect()
    }

    /// Severity names in policy order, for "accepted: …" replies.
    pub fn severity_names(&self) -> Vec<String> {
        self.severities.iter().map(|s| s.name.to_string()).collect()
    }

    /// Whether an incident of `severity` pages its services' on-call.
    pub fn pages(&self, severity: &SeverityName) -> bool {
        self.paging.severities.iter().any(|s| s.as_str().eq_ignore_ascii_case(severity.as_str()))
    }

    /// The report named `name` (case-insensitive); `None` names the first.
    pub fn report(&self, name: Option<&str>) -> Option<&ReportSpec> {
        match name {
            None => self.reports.first(),
            Some(name) => self.reports.iter().find(|r| r.name.eq_ignore_ascii_case(name)),
        }
    }

    /// The custom field named `name`, compared case-insensitively.
    pub fn field(&self, name: &str) -> Option<&crate::domain::fields::Field> {
        self.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The response action kind `kind` as the policy spells it, compared case-insensitively.
    pub fn action_kind(&self, kind: &str) -> Option<&str> {
        self.actions.iter().find(|k| k.eq_ignore_ascii_case(kind)).map(String::as_str)
    }

    /// Service names in policy order, for "accepted: …" replies.
    pub fn service_names(&self) -> Vec<String> {
        self.services.iter().map(|s| s.name.to_string()).collect()
    }
}
