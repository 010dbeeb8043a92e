//! The retrospective, built and rendered for a realistic incident: ordering by message time,
//! edited and deleted marks, threads, the three follow-up groups, open questions, blamelessness.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;

use super::markdown;
use crate::catalog::Locale;
use crate::config::policy::testing::contract_policy;
use crate::domain::followup::{Followup, FollowupGroup};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::IncidentId;
use crate::domain::incident::{Incident, IncidentNumber, IncidentStatus, RoleName, ServiceName, SeverityName};
use crate::domain::record::{StoredMessage, TimelineEvent};
use crate::domain::retrospective::{Gathered, Question, build};
use crate::domain::timeline::TimelineEntry;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 5, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn incident() -> Incident {
    Incident {
        id: IncidentId::from_stored(1),
        number: IncidentNumber(42),
        title: "Card payments declined".into(),
        severity: SeverityName::from_stored("SEV1".into()),
        status: IncidentStatus::Resolved,
        private: false,
        drill: false,
        reporter: user("U0ALICE"),
        lead: Some(user("U0BOB")),
        impact: None,
        description: None,
        services: vec![ServiceName::from_stored("payments".into())],
        channel: ChannelId::parse("C0INC42"),
        channel_name: Some("inc-20261126-42-card-payments-declined".into()),
        channel_attempt: 1,
        summary_ts: None,
        declared_at: at(2),
        last_update_at: at(95),
        version: 7,
        timers: Default::default(),
        last_reminder_ts: None,
    }
}

/// An event as a row stores it: read back the way the store reads it.
fn event(id: i64, kind: &str, minutes: i64, author: &str, body: serde_json::Value) -> TimelineEvent {
    let entry = TimelineEntry::from_stored(kind, body);
    TimelineEvent { id, incident_id: IncidentId::from_stored(1), at: at(minutes), author: Some(author.into()), entry }
}

fn ts(minutes: i64) -> String {
    format!("{}.000100", at(minutes).timestamp())
}

fn message(minutes: i64, who: &str, text: &str) -> StoredMessage {
    StoredMessage {
        incident_id: IncidentId::from_stored(1),
        channel: ChannelId::parse("C0INC42").unwrap(),
        ts: ts(minutes),
        thread_ts: None,
        user: Some(user(who)),
        text: Some(text.into()),
        file_count: 0,
        subtype: None,
        edited: false,
        deleted: false,
        posted_at: at(minutes),
    }
}

struct Fixture {
    timeline: Vec<TimelineEvent>,
    messages: Vec<StoredMessage>,
    followups: Vec<Followup>,
    roles: Vec<(RoleName, UserId)>,
}

fn fixture() -> Fixture {
    let timeline = vec![
        event(1, "declared", 2, "U0ALICE", json!({"severity": "SEV2"})),
        event(2, "role_assigned", 4, "U0ALICE", json!({"role": "lead", "user": "U0BOB"})),
        event(3, "severity_changed", 5, "U0BOB", json!({"from": "SEV2", "to": "SEV1", "lowered": false})),
        event(4, "highlight", 6, "U0CAROL", json!({"channel": "C0INC42", "ts": ts(6), "by": "U0BOB"})),
        event(
            5,
            "update",
            10,
            "U0BOB",
            json!({"text": "Card gateway returns 502 after the 05:00 deploy; <@U0CAROL> is rolling back", "status": null}),
        ),
        event(6, "status_changed", 20, "U0BOB", json!({"from": "investigating", "to": "identified"})),
        event(7, "status_changed", 60, "U0BOB", json!({"from": "identified", "to": "monitoring"})),
        event(8, "note", 70, "U0DAVE", json!({"text": "결제 오류율이 정상으로 돌아왔습니다"})),
        event(9, "resolved", 95, "U0BOB", json!({"summary": "Rolled back deploy v42", "duration_seconds": 5580})),
    ];
    let mut edited = message(8, "U0BOB", "Error rate at 45% (was 40%)");
    edited.edited = true;
    let mut deleted = message(9, "U0DAVE", "");
    deleted.text = None;
    deleted.deleted = true;
    let mut reply = message(13, "U0DAVE", "Rollback started");
    reply.thread_ts = Some(ts(12));
    let mut reply2 = message(14, "U0CAROL", "Done on 3 of 5 hosts");
    reply2.thread_ts = Some(ts(12));
    // Out of order on purpose: the builder orders by message time.
    let messages = vec![
        message(12, "U0CAROL", "Starting the rollback of v42"),
        message(6, "U0CAROL", "The 05:00 deploy changed the gateway timeout"),
        edited,
        deleted,
        reply,
        reply2,
        message(30, "U0ERIN", "고객센터에 공지 문구를 전달했습니다"),
    ];
    let followup = |id, group, text: &str, owner: Option<&str>, due: Option<(i32, u32, u32)>| Followup {
        id,
        incident_id: IncidentId::from_stored(1),
        group,
        text: text.into(),
        owner: owner.map(user),
        due: due.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
        created_by: user("U0BOB"),
        created_at: at(100),
        done_at: None,
    };
    let followups = vec![
        followup(
            1,
            FollowupGroup::Prevent,
            "Canary the gateway config before a full deploy",
            Some("U0CAROL"),
            Some((2026, 12, 10)),
        ),
        followup(2, FollowupGroup::Detect, "Alert on the 502 ratio per gateway", None, None),
        followup(3, FollowupGroup::Handle, "Add the rollback runbook link to the summary", Some("U0BOB"), None),
    ];
    Fixture { timeline, messages, followups, roles: vec![(RoleName::from_stored("scribe".into()), user("U0DAVE"))] }
}

fn render(locale: Locale, blameless: bool, names: &HashMap<UserId, String>) -> String {
    let fixture = fixture();
    let mut policy = contract_policy();
    policy.locale = locale;
    let serious = [SeverityName::from_stored("SEV1".into()), SeverityName::from_stored("SEV2".into())];
    let incident = incident();
    let gathered = Gathered {
        incident: &incident,
        timeline: &fixture.timeline,
        messages: &fixture.messages,
        followups: &fixture.followups,
        roles: &fixture.roles,
        names,
        blameless,
        serious: &serious,
        workspace_url: Some("https://acme.slack.com/"),
        locale,
    };
    markdown(&build(&gathered), &policy)
}

#[test]
fn the_english_retrospective_reads_as_expected() {
    insta::assert_snapshot!(render(Locale::En, true, &HashMap::new()));
}

#[test]
fn the_korean_retrospective_reads_as_expected() {
    insta::assert_snapshot!(render(Locale::Ko, true, &HashMap::new()));
}

#[test]
fn the_timeline_is_in_message_time_order_with_edit_and_delete_marks() {
    let document = render(Locale::En, true, &HashMap::new());
    let position = |needle: &str| document.find(needle).unwrap_or_else(|| panic!("missing {needle}"));
    assert!(position("The 05:00 deploy changed") < position("Error rate at 45%"));
    assert!(position("Error rate at 45% (was 40%) (edited)") < position("(deleted)"));
    assert!(position("(deleted)") < position("Starting the rollback"));
    assert!(document.contains("thread: 2 repl(ies) from 2 people"), "{document}");
    assert!(!document.contains("Rollback started"), "replies are summarised, not listed");
}

#[test]
fn blameless_rendering_never_names_anyone() {
    let names: HashMap<UserId, String> =
        [("U0ALICE", "Alice Kim"), ("U0BOB", "bob"), ("U0CAROL", "Carol"), ("U0DAVE", "dave.lee"), ("U0ERIN", "Erin")]
            .into_iter()
            .map(|(id, name)| (user(id), name.to_owned()))
            .collect();
    let document = render(Locale::En, true, &names);
    for (id, name) in &names {
        assert!(!document.contains(name.as_str()), "{name} appears");
        assert!(!document.contains(id.as_str()), "{id} appears");
    }
    assert!(document.contains("@Responder 1 is rolling back"), "mentions become roles: {document}");
    let named = render(Locale::En, false, &names);
    assert!(named.contains("Carol") && named.contains("bob"), "named mode shows names");
}

#[test]
fn the_three_follow_up_groups_and_the_open_questions_are_listed() {
    let document = render(Locale::En, true, &HashMap::new());
    let position = |needle: &str| document.find(needle).unwrap_or_else(|| panic!("missing {needle}"));
    assert!(position("### Preventing recurrence") < position("### Improving detection"));
    assert!(position("### Improving detection") < position("### Improving handling"));
    assert!(
        document
            .contains("- [ ] #1 Canary the gateway config before a full deploy — owner: Responder 1 — due 2026-12-10"),
        "{document}"
    );
    assert!(document.contains("Who owns follow-up #2 “Alert on the 502 ratio per gateway”?"));
    assert!(document.contains("What was the impact? It was never stated."));
    assert!(document.contains("No update between 11-26 14:20 and 11-26 15:00 (40 minutes)"), "{document}");
}

#[test]
fn key_times_and_intervals_follow_the_timeline() {
    let fixture = fixture();
    let incident = incident();
    let serious = [SeverityName::from_stored("SEV1".into())];
    let names = HashMap::new();
    let retro = build(&Gathered {
        incident: &incident,
        timeline: &fixture.timeline,
        messages: &fixture.messages,
        followups: &fixture.followups,
        roles: &fixture.roles,
        names: &names,
        blameless: true,
        serious: &serious,
        workspace_url: None,
        locale: Locale::En,
    });
    assert_eq!(retro.times.declared, Some(at(2)));
    assert_eq!(retro.times.acknowledged, Some(at(4)), "the lead assignment");
    assert_eq!(retro.times.mitigated, Some(at(60)));
    assert_eq!(retro.times.resolved, Some(at(95)));
    assert_eq!(retro.severity_history.len(), 2);
    assert!(retro.questions.contains(&Question::MissingImpact));
}

/// The document for `timeline` alone (no messages, follow-ups or roles).
fn render_timeline(locale: Locale, timeline: &[TimelineEvent]) -> String {
    let mut policy = contract_policy();
    policy.locale = locale;
    let incident = incident();
    let names = HashMap::new();
    let gathered = Gathered {
        incident: &incident,
        timeline,
        messages: &[],
        followups: &[],
        roles: &[],
        names: &names,
        blameless: true,
        serious: &[],
        workspace_url: None,
        locale,
    };
    markdown(&build(&gathered), &policy)
}

#[test]
fn alerts_and_entries_this_version_cannot_read_each_have_a_line_in_both_languages() {
    let alert = json!({"source": "alertmanager", "title": "Gateway 5xx above 5%", "fingerprint": "fp1", "link": null});
    let resolved = json!({"source": "alertmanager", "title": "Gateway 5xx above 5%", "fingerprint": "fp1"});
    let timeline = vec![
        TimelineEvent { author: None, ..event(1, "alert", 0, "U0ALICE", alert) },
        event(2, "declared", 2, "U0ALICE", json!({"severity": "SEV1"})),
        event(3, "war_room_opened", 3, "U0BOB", json!({"room": "https://meet.example/inc-42"})),
        TimelineEvent { author: None, ..event(4, "alert_resolved", 90, "U0ALICE", resolved) },
    ];
    let expected = [
        (
            Locale::En,
            [
                "alert fired: Gateway 5xx above 5%",
                "unknown entry (war_room_opened)",
                "alert resolved: Gateway 5xx above 5%",
            ],
        ),
        (
            Locale::Ko,
            ["알람 발생: Gateway 5xx above 5%", "알 수 없는 기록 (war_room_opened)", "알람 해결: Gateway 5xx above 5%"],
        ),
    ];
    for (locale, lines) in expected {
        let document = render_timeline(locale, &timeline);
        for line in lines {
            assert!(document.contains(&format!(" · {line}\n")), "{locale:?} has {line:?}: {document}");
        }
        assert!(!document.lines().any(|line| line.ends_with(" · ")), "{locale:?}: no empty line: {document}");
    }
}
