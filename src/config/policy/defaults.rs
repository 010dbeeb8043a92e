//! The built-in policy: what `serve` uses when no policy file is given, and the value of
//! every key a policy file leaves out.

use std::time::Duration;

use crate::catalog::Locale;
use crate::domain::incident::SeverityName;
use crate::domain::policy::{
    Channels, DueAfter, Mention, Paging, Policy, Reminders, ReportSpec, Retention, RetroPolicy, Severity, Share,
};

pub const PREFIX: &str = "inc";
pub const ESCALATE_AFTER: u32 = 2;
pub const LEAD_WITHIN: Duration = Duration::from_secs(10 * 60);
pub const RETRO_WITHIN: Duration = Duration::from_secs(2 * 24 * 3600);
pub const CHANGES_LOOKBACK: Duration = Duration::from_secs(24 * 3600);
/// How long a dashboard sign-in lasts (`dashboard.session`).
pub const DASHBOARD_SESSION: Duration = Duration::from_secs(12 * 3600);
/// New alert prompts a minute in one channel before an "alert storm" prompt takes over (Slack
/// posts about one message a second per channel; twenty prompts a minute is already a flood).
pub const ALERT_FLOOD_THRESHOLD: u32 = 20;
/// The shortest `retention.messages` accepted: a day, so that a typo (`90m` for `90d`) cannot
/// drop the messages of an incident closed this morning.
pub const MIN_MESSAGE_RETENTION: Duration = Duration::from_secs(24 * 3600);
/// How long a page waits for its Acknowledge before the next level is paged.
pub const ACK_WITHIN: Duration = Duration::from_secs(5 * 60);
/// Used only when a severity's own `update_every` is unreadable (validation then fails).
pub const UPDATE_EVERY: Duration = Duration::from_secs(3600);

/// SEV1–SEV4: the two worst shared broadly, the two mildest with the affected teams only.
pub fn severities() -> Vec<Severity> {
    let level = |name: &str, label: &str, share, minutes: u64| Severity {
        name: SeverityName(name.to_owned()),
        label: label.to_owned(),
        share,
        mention: Mention::None,
        update_every: Duration::from_secs(minutes * 60),
    };
    vec![
        level("SEV1", "Critical", Share::Broad, 15),
        level("SEV2", "Major", Share::Broad, 30),
        level("SEV3", "Minor", Share::Narrow, 60),
        level("SEV4", "Low", Share::Narrow, 240),
    ]
}

/// The built-in policy: SEV1–SEV4 (default SEV3), UTC, English, no channels or services.
pub fn policy() -> Policy {
    let severities = severities();
    let paging = paging(&severities);
    Policy {
        timezone: chrono_tz::UTC,
        locale: Locale::En,
        default_severity: SeverityName("SEV3".to_owned()),
        channels: Channels { announcements: None, triage: None, prefix: PREFIX.to_owned() },
        reminders: Reminders {
            escalate_after: ESCALATE_AFTER,
            digest: None,
            lead_within: LEAD_WITHIN,
            retro_within: RETRO_WITHIN,
        },
        retro: RetroPolicy {
            blameless: true,
            required_for: severities.iter().take(2).map(|s| s.name.clone()).collect(),
        },
        admins: Vec::new(),
        archive_on_close: false,
        changes_lookback: CHANGES_LOOKBACK,
        retention: Retention { messages: None },
        roles: Vec::new(),
        alert_rules: Vec::new(),
        alert_flood_threshold: ALERT_FLOOD_THRESHOLD,
        dashboard_session: DASHBOARD_SESSION,
        severities,
        services: Vec::new(),
        schedules: Vec::new(),
        paging,
        fields: Vec::new(),
        actions: actions(),
        reports: reports(Locale::En),
    }
}

/// Paging when `[paging]` leaves keys out: the two worst severities page the on-call (there
/// is no on-call until the policy has `[[schedules]]`), five minutes to acknowledge, no
/// escalation levels and no external pagers.
pub fn paging(severities: &[Severity]) -> Paging {
    Paging {
        severities: severities.iter().take(2).map(|s| s.name.clone()).collect(),
        ack_within: ACK_WITHIN,
        escalate_to: Vec::new(),
        pagerduty: false,
        opsgenie: false,
    }
}

/// The response actions when `[actions]` leaves `kinds` out: the three recoveries the source
/// describes (roll back, scale out, hotfix) and three more every team uses.
pub fn actions() -> Vec<String> {
    ["rollback", "scale-out", "hotfix", "restart", "failover", "config"].into_iter().map(str::to_owned).collect()
}

/// Without `[[reports]]`: one report, `report`, the built-in report of the policy's language.
pub fn reports(locale: Locale) -> Vec<ReportSpec> {
    let template = match locale {
        Locale::Ko => "builtin:ko-report",
        Locale::En => "builtin:en-report",
    };
    vec![ReportSpec {
        name: "report".to_owned(),
        title: None,
        template: template.to_owned(),
        due: None,
        due_after: DueAfter::Declared,
        line: 0,
        source: crate::report::Template::builtin_in(template, locale).map(|t| t.source),
    }]
}
