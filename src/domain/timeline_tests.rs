//! Timeline entries through their stored form: every kind round-trips, rows written by
//! earlier versions read (and new rows are written byte for byte like them), and what cannot
//! be read becomes an unknown entry that keeps its kind.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::{TimelineEntry, TimelineKind};
use crate::domain::followup::FollowupGroup;
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{IncidentStatus, RoleName, ServiceName, SeverityName};
use crate::domain::lifecycle::Change;
use crate::domain::paging::PageReason;

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

/// One entry of `kind`, with every field set (an exhaustive match: a new kind needs one).
fn sample(kind: TimelineKind) -> TimelineEntry {
    let sev = |name: &str| SeverityName::from_stored(name.into());
    let service = ServiceName::from_stored("payments".into());
    match kind {
        TimelineKind::Declared => {
            TimelineEntry::Declared { severity: sev("SEV1"), services: vec![service], private: true, rule: None }
        }
        TimelineKind::Update => TimelineEntry::Update {
            text: "Rolled back v42 <@U0CAROL>".into(),
            status: Some(IncidentStatus::Monitoring),
        },
        TimelineKind::StatusChanged => {
            TimelineEntry::StatusChanged { from: IncidentStatus::Investigating, to: IncidentStatus::Identified }
        }
        TimelineKind::Reopened => TimelineEntry::Reopened { to: IncidentStatus::Investigating },
        TimelineKind::SeverityChanged => {
            TimelineEntry::SeverityChanged { from: sev("SEV2"), to: sev("SEV1"), lowered: false }
        }
        TimelineKind::RoleAssigned => {
            TimelineEntry::RoleAssigned { role: RoleName::from_stored("lead".into()), user: user("U0BOB") }
        }
        TimelineKind::TitleChanged => TimelineEntry::TitleChanged { title: "결제 지연".into() },
        TimelineKind::ImpactChanged => TimelineEntry::ImpactChanged { impact: "Card payments fail".into() },
        TimelineKind::ServiceAdded => TimelineEntry::ServiceAdded { service },
        TimelineKind::ServiceRemoved => TimelineEntry::ServiceRemoved { service },
        TimelineKind::Note => TimelineEntry::Note { text: "Error rate is back to normal".into() },
        TimelineKind::Resolved => {
            TimelineEntry::Resolved { summary: Some("Rolled back".into()), duration_seconds: 5580 }
        }
        TimelineKind::Closed => TimelineEntry::Closed {},
        TimelineKind::FollowupAdded => {
            TimelineEntry::FollowupAdded { id: 3, group: FollowupGroup::Detect, text: "Alert on 502s".into() }
        }
        TimelineKind::FollowupDone => TimelineEntry::FollowupDone { id: 3, text: "Alert on 502s".into() },
        TimelineKind::ReminderSnoozed => TimelineEntry::ReminderSnoozed {
            until: Utc.with_ymd_and_hms(2026, 11, 26, 5, 15, 0).unwrap(),
            seconds: 900,
        },
        TimelineKind::Alert => TimelineEntry::Alert {
            source: "alertmanager".into(),
            title: "High 5xx rate".into(),
            fingerprint: "abc123".into(),
            link: Some("https://prometheus.example/graph".into()),
        },
        TimelineKind::AlertResolved => TimelineEntry::AlertResolved {
            source: "alertmanager".into(),
            title: "High 5xx rate".into(),
            fingerprint: "abc123".into(),
        },
        TimelineKind::Highlight => TimelineEntry::Highlight {
            channel: ChannelId::parse("C0INC42").unwrap(),
            ts: "1790000000.000100".into(),
            by: user("U0BOB"),
        },
        TimelineKind::Paged => TimelineEntry::Paged { user: user("U0ONCALL"), reason: PageReason::OnCall, level: 0 },
        TimelineKind::PageAcknowledged => TimelineEntry::PageAcknowledged { user: user("U0ONCALL") },
        TimelineKind::PagesUnanswered => TimelineEntry::PagesUnanswered { levels: 2 },
        TimelineKind::FieldSet => TimelineEntry::FieldSet { field: "customers".into(), value: "1200".into() },
        TimelineKind::ResponseAction => {
            TimelineEntry::ResponseAction { action: "rollback".into(), text: Some("v42 → v41".into()) }
        }
    }
}

#[test]
fn every_kind_is_stored_under_its_name_and_read_back_as_the_same_entry() {
    for kind in TimelineKind::ALL {
        let entry = sample(kind);
        let (stored_kind, body) = entry.to_stored().unwrap();
        assert_eq!(stored_kind, kind.name(), "{kind:?}");
        assert!(body.get("kind").is_none(), "{kind:?}: the tag is the column, not part of the body");
        assert_eq!(TimelineEntry::from_stored(&stored_kind, body), entry, "{kind:?}");
        assert_eq!(entry.kind(), Ok(kind));
    }
}

#[test]
fn every_kind_has_its_own_name() {
    let mut names: Vec<String> = TimelineKind::ALL.iter().map(|k| k.name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), TimelineKind::ALL.len());
    assert_eq!(TimelineKind::StatusChanged.name(), "status_changed");
    assert_eq!(TimelineKind::AlertResolved.to_string(), "alert_resolved");
}

/// Each kind as today's writers wrote it (field for field, `null`s included).
fn as_earlier_versions_wrote_them() -> Vec<(&'static str, Value, TimelineEntry)> {
    let sev = |name: &str| SeverityName::from_stored(name.into());
    vec![
        (
            "declared",
            json!({"severity": "SEV1", "services": ["payments"], "private": true}),
            sample(TimelineKind::Declared),
        ),
        ("update", json!({"text": "x", "status": null}), TimelineEntry::Update { text: "x".into(), status: None }),
        ("update", json!({"text": "Rolled back v42 <@U0CAROL>", "status": "monitoring"}), sample(TimelineKind::Update)),
        ("status_changed", json!({"from": "investigating", "to": "identified"}), sample(TimelineKind::StatusChanged)),
        ("reopened", json!({"to": "investigating"}), sample(TimelineKind::Reopened)),
        (
            "severity_changed",
            json!({"from": "SEV1", "to": "SEV3", "lowered": true}),
            TimelineEntry::SeverityChanged { from: sev("SEV1"), to: sev("SEV3"), lowered: true },
        ),
        ("role_assigned", json!({"role": "lead", "user": "U0BOB"}), sample(TimelineKind::RoleAssigned)),
        ("title_changed", json!({"title": "결제 지연"}), sample(TimelineKind::TitleChanged)),
        ("impact_changed", json!({"impact": "Card payments fail"}), sample(TimelineKind::ImpactChanged)),
        ("service_added", json!({"service": "payments"}), sample(TimelineKind::ServiceAdded)),
        ("service_removed", json!({"service": "payments"}), sample(TimelineKind::ServiceRemoved)),
        ("note", json!({"text": "Error rate is back to normal"}), sample(TimelineKind::Note)),
        (
            "resolved",
            json!({"summary": null, "duration_seconds": 60}),
            TimelineEntry::Resolved { summary: None, duration_seconds: 60 },
        ),
        ("closed", json!({}), TimelineEntry::Closed {}),
        (
            "followup_added",
            json!({"id": 3, "group": "detect", "text": "Alert on 502s"}),
            sample(TimelineKind::FollowupAdded),
        ),
        ("followup_done", json!({"id": 3, "text": "Alert on 502s"}), sample(TimelineKind::FollowupDone)),
        (
            "reminder_snoozed",
            json!({"until": "2026-11-26T05:15:00+00:00", "seconds": 900}),
            sample(TimelineKind::ReminderSnoozed),
        ),
        (
            "alert",
            json!({"source": "alertmanager", "title": "High 5xx rate", "fingerprint": "abc123", "link": null}),
            TimelineEntry::Alert {
                source: "alertmanager".into(),
                title: "High 5xx rate".into(),
                fingerprint: "abc123".into(),
                link: None,
            },
        ),
        (
            "alert_resolved",
            json!({"source": "alertmanager", "title": "High 5xx rate", "fingerprint": "abc123"}),
            sample(TimelineKind::AlertResolved),
        ),
        (
            "highlight",
            json!({"channel": "C0INC42", "ts": "1790000000.000100", "by": "U0BOB"}),
            sample(TimelineKind::Highlight),
        ),
    ]
}

#[test]
fn bodies_as_earlier_versions_wrote_them_read_as_their_entries() {
    for (kind, body, expected) in as_earlier_versions_wrote_them() {
        assert_eq!(TimelineEntry::from_stored(kind, body.clone()), expected, "{kind} {body}");
    }
}

#[test]
fn new_entries_are_stored_byte_for_byte_as_earlier_versions_stored_them() {
    for (kind, body, entry) in as_earlier_versions_wrote_them() {
        let (stored_kind, stored_body) = entry.to_stored().unwrap();
        assert_eq!((stored_kind.as_str(), stored_body.to_string()), (kind, body.to_string()));
    }
}

#[test]
fn a_kind_this_version_does_not_know_reads_as_unknown_with_its_kind_and_body_kept() {
    let body = json!({"room": "https://meet.example/inc-42"});
    let entry = TimelineEntry::from_stored("war_room_opened", body.clone());
    assert_eq!(entry, TimelineEntry::Unknown { kind: "war_room_opened".into(), body: body.clone() });
    assert_eq!(entry.kind(), Err("war_room_opened"));
    assert_eq!(entry.to_stored().unwrap(), ("war_room_opened".into(), body), "stored back as it was read");
}

#[test]
fn a_known_kind_with_a_body_that_does_not_fit_reads_as_unknown_with_its_kind_kept() {
    let unfit = [
        ("status_changed", json!({"from": "investigating", "to": "on_fire"})),
        ("update", json!({"status": null})),
        ("role_assigned", json!({"role": "lead", "user": "not a user"})),
        ("reminder_snoozed", json!({"until": "tomorrow", "seconds": 900})),
        ("note", json!("just text")),
        ("closed", Value::Null),
    ];
    for (kind, body) in unfit {
        let entry = TimelineEntry::from_stored(kind, body.clone());
        assert_eq!(entry, TimelineEntry::Unknown { kind: kind.into(), body }, "{kind}");
        assert_eq!(entry.kind(), Err(kind));
    }
}

#[test]
fn the_kind_column_decides_the_kind_whatever_the_body_says() {
    let entry = TimelineEntry::from_stored("note", json!({"kind": "closed", "text": "kept"}));
    assert_eq!(entry, TimelineEntry::Note { text: "kept".into() });
}

#[test]
fn every_change_is_recorded_as_an_entry_of_its_own_kind() {
    let sev = |name: &str| SeverityName::from_stored(name.into());
    let changes = [
        Change::Updated { text: "x".into(), status: Some((IncidentStatus::Identified, IncidentStatus::Monitoring)) },
        Change::StatusChanged { from: IncidentStatus::Investigating, to: IncidentStatus::Identified },
        Change::Reopened { to: IncidentStatus::Investigating },
        Change::SeverityChanged { from: sev("SEV2"), to: sev("SEV1"), lowered: false },
        Change::RoleAssigned { role: RoleName::from_stored("comms".into()), user: user("U0DAVE") },
        Change::TitleChanged { to: "New title".into() },
        Change::ImpactChanged { to: "Everyone".into() },
        Change::ServiceAdded(ServiceName::from_stored("search".into())),
        Change::ServiceRemoved(ServiceName::from_stored("search".into())),
        Change::Noted { text: "note".into() },
        Change::Resolved { summary: None, duration: Duration::seconds(60) },
        Change::Closed,
    ];
    for change in &changes {
        assert_eq!(TimelineEntry::from(change).kind(), Ok(change.kind()), "{change:?}");
    }
    assert_eq!(
        TimelineEntry::from(&changes[0]),
        TimelineEntry::Update { text: "x".into(), status: Some(IncidentStatus::Monitoring) },
        "an update records the status it moved to"
    );
    assert_eq!(TimelineEntry::from(&changes[10]), TimelineEntry::Resolved { summary: None, duration_seconds: 60 });
}
