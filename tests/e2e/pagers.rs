//! The pager clients (`firebell::pagers`) against the fake PagerDuty and Opsgenie: what each
//! client sends is what the service accepts, and each kind of failure is sorted as the outbox
//! needs it. Also the check that the fakes refuse what the real services refuse.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::fake_opsgenie::{self, Action, AlertStatus, FakeOpsgenie};
use crate::support::fake_pagerduty::{self, AlertState, FakePagerDuty};
use firebell::pagers::{
    Opsgenie, OpsgenieAlert, OpsgeniePriority, PagerDuty, PagerDutyEvent, PagerDutyLink, PagerDutySeverity, PagerError,
};
use secrecy::SecretString;
use serde_json::json;

const DEDUP_KEY: &str = "firebell-incident-42";

fn pagerduty(fake: &FakePagerDuty, key: &str) -> PagerDuty {
    PagerDuty::new(&fake.url(), SecretString::from(key)).unwrap()
}

fn trigger(summary: &str) -> PagerDutyEvent {
    PagerDutyEvent::Trigger {
        dedup_key: DEDUP_KEY.into(),
        summary: summary.into(),
        source: "checkout".into(),
        severity: PagerDutySeverity::Critical,
        links: vec![PagerDutyLink { href: "https://example.slack.com/archives/C42".into(), text: "Slack".into() }],
        custom_details: json!({"incident": 42}),
    }
}

fn acknowledge() -> PagerDutyEvent {
    PagerDutyEvent::Acknowledge { dedup_key: DEDUP_KEY.into() }
}

fn resolve() -> PagerDutyEvent {
    PagerDutyEvent::Resolve { dedup_key: DEDUP_KEY.into() }
}

#[tokio::test]
async fn trigger_acknowledge_and_resolve_are_accepted_for_one_dedup_key() {
    let fake = FakePagerDuty::start().await;
    let client = pagerduty(&fake, fake_pagerduty::ROUTING_KEY);

    client.send(&trigger("결제 장애")).await.unwrap();
    assert_eq!(fake.alert_state(DEDUP_KEY), Some(AlertState::Triggered));
    client.send(&acknowledge()).await.unwrap();
    assert_eq!(fake.alert_state(DEDUP_KEY), Some(AlertState::Acknowledged));
    client.send(&resolve()).await.unwrap();

    assert_eq!(fake.alert_state(DEDUP_KEY), Some(AlertState::Resolved));
    let actions: Vec<(String, String)> = fake.accepted().into_iter().map(|e| (e.action, e.dedup_key)).collect();
    let expected = [("trigger", DEDUP_KEY), ("acknowledge", DEDUP_KEY), ("resolve", DEDUP_KEY)];
    assert_eq!(actions, expected.map(|(a, k)| (a.to_owned(), k.to_owned())));
    assert!(fake.dropped().is_empty());
    assert_eq!(fake.accepted()[0].body["payload"]["summary"], "결제 장애");
}

#[tokio::test]
async fn a_repeated_trigger_is_deduplicated_into_the_open_alert() {
    let fake = FakePagerDuty::start().await;
    let client = pagerduty(&fake, fake_pagerduty::ROUTING_KEY);

    client.send(&trigger("checkout down")).await.unwrap();
    client.send(&trigger("checkout down")).await.unwrap();

    assert_eq!(fake.accepted_count("trigger", DEDUP_KEY), 2);
    assert_eq!(fake.duplicates(DEDUP_KEY), 1);
    assert_eq!(fake.alert_state(DEDUP_KEY), Some(AlertState::Triggered));
}

#[tokio::test]
async fn a_malformed_routing_key_is_refused_naming_the_problem() {
    let fake = FakePagerDuty::start().await;
    let client = pagerduty(&fake, "too-short");

    let refused = client.send(&trigger("checkout down")).await;

    let Err(PagerError::Refused(text)) = refused else { panic!("expected Refused, got {refused:?}") };
    assert!(text.contains("HTTP 400") && text.contains("routing_key"), "{text}");
    assert!(!text.contains("too-short"), "the key must not be echoed into logs: {text}");
    assert!(fake.accepted().is_empty());
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_throttled_event_is_rate_limited_for_the_retry_after_and_its_retry_is_accepted() {
    let fake = FakePagerDuty::start().await;
    let client = pagerduty(&fake, fake_pagerduty::ROUTING_KEY);
    fake.fail_next(1, 429);

    let throttled = client.send(&trigger("checkout down")).await;
    assert_eq!(throttled, Err(PagerError::RateLimited { retry_after: Some(Duration::from_secs(1)) }));
    assert_eq!(fake.alert_state(DEDUP_KEY), None);

    client.send(&trigger("checkout down")).await.unwrap();
    assert_eq!(fake.accepted_count("trigger", DEDUP_KEY), 1);
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 202]);
}

#[tokio::test]
async fn a_server_error_is_transient() {
    let fake = FakePagerDuty::start().await;
    let client = pagerduty(&fake, fake_pagerduty::ROUTING_KEY);
    fake.fail_next(1, 500);

    let failed = client.send(&acknowledge()).await;

    assert!(matches!(failed, Err(PagerError::Transient(ref text)) if text.contains("HTTP 500")), "{failed:?}");
}

#[tokio::test]
async fn an_unreachable_pagerduty_is_transient() {
    let fake = FakePagerDuty::start().await;
    let url = fake.url();
    drop(fake);
    let client = PagerDuty::new(&url, SecretString::from(fake_pagerduty::ROUTING_KEY)).unwrap();

    let failed = client.send(&resolve()).await;

    let Err(PagerError::Transient(text)) = failed else { panic!("expected Transient, got {failed:?}") };
    assert!(text.contains("could not connect") && text.contains("127.0.0.1"), "{text}");
}

#[tokio::test]
async fn the_fake_pagerduty_refuses_what_pagerduty_refuses() {
    let fake = FakePagerDuty::start().await;
    let http = reqwest::Client::new();
    let key = fake_pagerduty::ROUTING_KEY;
    let cases = [
        (json!({"routing_key": key, "event_action": "escalate", "dedup_key": "k"}), "event_action"),
        (json!({"routing_key": key, "event_action": "acknowledge"}), "dedup_key"),
        (json!({"routing_key": key, "event_action": "resolve", "dedup_key": "k".repeat(256)}), "dedup_key"),
        (
            json!({"routing_key": key, "event_action": "trigger", "payload": {"source": "s", "severity": "info"}}),
            "summary",
        ),
        (
            json!({"routing_key": key, "event_action": "trigger",
                   "payload": {"summary": "x".repeat(1025), "source": "s", "severity": "info"}}),
            "summary",
        ),
        (
            json!({"routing_key": key, "event_action": "trigger", "payload": {"summary": "s", "severity": "info"}}),
            "source",
        ),
        (
            json!({"routing_key": key, "event_action": "trigger", "payload": {"summary": "s", "source": "s", "severity": "sev1"}}),
            "severity",
        ),
    ];
    for (body, problem) in cases {
        let answer = http.post(format!("{}/v2/enqueue", fake.url())).json(&body).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{body}");
        let answer: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(answer["status"], "invalid event");
        assert!(answer["errors"].to_string().contains(problem), "{answer} should name {problem}");
    }
    assert!(fake.accepted().is_empty());
    assert_eq!(fake.requests().len(), 7);
}

fn opsgenie(fake: &FakeOpsgenie, key: &str) -> Opsgenie {
    Opsgenie::new(&fake.url(), SecretString::from(key)).unwrap()
}

fn alert(alias: &str, message: &str) -> OpsgenieAlert {
    OpsgenieAlert {
        alias: alias.into(),
        message: message.into(),
        description: "Declared in #inc-42".into(),
        priority: OpsgeniePriority::P1,
        source: "checkout".into(),
        details: BTreeMap::from([("incident".to_owned(), "42".to_owned())]),
    }
}

#[tokio::test]
async fn an_opsgenie_alert_is_created_acknowledged_and_closed_by_alias() {
    let fake = FakeOpsgenie::start().await;
    let client = opsgenie(&fake, fake_opsgenie::KEY);
    // A `/` and a space must reach Opsgenie as one path segment.
    let alias = "firebell/incident 42";

    client.create(&alert(alias, "checkout down")).await.unwrap();
    assert_eq!(fake.status(alias), Some(AlertStatus::Open));
    client.acknowledge(alias, "acknowledged by <@U1>").await.unwrap();
    assert_eq!(fake.status(alias), Some(AlertStatus::Acked));
    client.close(alias, "resolved").await.unwrap();

    assert_eq!(fake.status(alias), Some(AlertStatus::Closed));
    for action in [Action::Create, Action::Acknowledge, Action::Close] {
        assert_eq!(fake.count(action, alias), 1, "{action:?}");
    }
    assert!(fake.unknown().is_empty());
    let created = fake.alert(alias).unwrap();
    assert_eq!((created.priority.as_str(), created.body["details"]["incident"].as_str()), ("P1", Some("42")));
}

#[tokio::test]
async fn a_repeated_opsgenie_create_is_counted_on_the_open_alert() {
    let fake = FakeOpsgenie::start().await;
    let client = opsgenie(&fake, fake_opsgenie::KEY);

    client.create(&alert("inc-42", "checkout down")).await.unwrap();
    client.create(&alert("inc-42", "checkout down")).await.unwrap();

    assert_eq!(fake.duplicates("inc-42"), 1);
    assert_eq!(fake.alert("inc-42").map(|a| a.count), Some(2));
}

#[tokio::test]
async fn a_wrong_opsgenie_key_is_refused_and_changes_nothing() {
    let fake = FakeOpsgenie::start_with_key("the-right-key").await;
    let client = opsgenie(&fake, "a-wrong-key");

    let refused = client.create(&alert("inc-42", "checkout down")).await;

    let Err(PagerError::Refused(text)) = refused else { panic!("expected Refused, got {refused:?}") };
    assert!(text.contains("HTTP 401"), "{text}");
    assert_eq!(fake.alert("inc-42").map(|a| a.status), None);
    assert_eq!(fake.requests()[0].status, 401);
}

#[tokio::test]
async fn a_131_character_korean_title_is_cut_to_130_not_refused() {
    let fake = FakeOpsgenie::start().await;
    let client = opsgenie(&fake, fake_opsgenie::KEY);

    client.create(&alert("inc-42", &"장".repeat(131))).await.unwrap();

    let message = fake.alert("inc-42").unwrap().message;
    assert_eq!(message.chars().count(), 130);
    assert!(message.starts_with("장장") && message.ends_with('…'));
}

#[tokio::test]
async fn acknowledging_an_alias_never_created_is_accepted_but_recorded_as_unknown() {
    let fake = FakeOpsgenie::start().await;
    let client = opsgenie(&fake, fake_opsgenie::KEY);

    client.acknowledge("inc-404", "").await.unwrap();

    assert_eq!(fake.unknown(), [(Action::Acknowledge, "inc-404".to_owned())]);
}

#[tokio::test]
async fn opsgenie_faults_are_sorted_like_pagerdutys() {
    let fake = FakeOpsgenie::start().await;
    let client = opsgenie(&fake, fake_opsgenie::KEY);
    fake.fail_next(1, 429);
    fake.fail_next(1, 503);

    let throttled = client.close("inc-42", "").await;
    let failed = client.close("inc-42", "").await;

    assert_eq!(throttled, Err(PagerError::RateLimited { retry_after: Some(Duration::from_secs(1)) }));
    assert!(matches!(failed, Err(PagerError::Transient(_))), "{failed:?}");
    assert!(fake.unknown().is_empty(), "faults change nothing");
    client.close("inc-42", "").await.unwrap();
    assert!(fake.wait_for(|f| f.unknown().len() == 1, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn the_fake_opsgenie_refuses_what_opsgenie_refuses() {
    let fake = FakeOpsgenie::start().await;
    let http = reqwest::Client::new();
    let auth = format!("GenieKey {}", fake_opsgenie::KEY);
    let cases = [
        json!({"alias": "a"}),
        json!({"message": "m".repeat(131)}),
        json!({"message": "m", "alias": "a".repeat(513)}),
        json!({"message": "m", "priority": "P0"}),
        json!({"message": "m", "details": {"n": 1}}),
    ];
    for body in &cases {
        let answer = http
            .post(format!("{}/v2/alerts", fake.url()))
            .header("Authorization", &auth)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 422, "{body}");
    }
    let unauthenticated = http.post(format!("{}/v2/alerts", fake.url())).json(&json!({"message": "m"})).send().await;
    assert_eq!(unauthenticated.unwrap().status(), 401);
    // Without identifierType=alias the identifier is an alert id, which an alias is not.
    opsgenie(&fake, fake_opsgenie::KEY).create(&alert("a", "m")).await.unwrap();
    let by_id = http.post(format!("{}/v2/alerts/a/close", fake.url())).header("Authorization", &auth).body("{}");
    assert_eq!(by_id.send().await.unwrap().status(), 202);
    assert_eq!(fake.unknown(), [(Action::Close, "a".to_owned())]);
    assert_eq!(fake.status("a"), Some(AlertStatus::Open));
}
