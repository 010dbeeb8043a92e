//! `/slack/events`: url_verification, recording with de-duplication, other workspaces.

use crate::support::app::spawn_app;
use crate::support::signing::event_envelope;

/// A mention of the bot: recorded and answered in any channel.
fn mention_event() -> serde_json::Value {
    serde_json::json!({
        "type": "app_mention", "user": "U0ALICE", "text": "<@U0FIREBELL> what now?",
        "ts": "1700000000.000100", "channel": "C0GENERAL", "event_ts": "1700000000.000100"
    })
}

#[tokio::test]
async fn url_verification_is_answered_with_the_challenge() {
    let app = spawn_app().await;
    let body = serde_json::json!({"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"});
    let response = app.event(body.to_string(), None).await;
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["challenge"], "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
}

#[tokio::test]
async fn an_event_callback_is_recorded_with_its_event_id() {
    let app = spawn_app().await;
    let response = app.event(event_envelope("Ev0PV52K25", mention_event()), None).await;
    assert_eq!(response.status(), 200);
    let stored = app.app.store.delivery("Ev0PV52K25").await.unwrap().expect("recorded");
    assert_eq!(stored.event_type, "app_mention");
    assert_eq!(stored.team_id, "T0FIREBELL");
    assert_eq!(stored.retry_num, 0);
    assert_eq!(stored.payload, "{}", "no message text is kept with the delivery");
}

#[tokio::test]
async fn a_delivery_repeated_with_a_retry_header_is_recorded_once() {
    let app = spawn_app().await;
    let body = event_envelope("Ev0REPEAT", mention_event());
    assert_eq!(app.event(body.clone(), None).await.status(), 200);
    assert_eq!(app.event(body.clone(), Some(1)).await.status(), 200);
    assert_eq!(app.event(body, Some(2)).await.status(), 200);
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 1);
    let outcomes = |outcome| app.app.metrics.counter("firebell_slack_events_total", &[("outcome", outcome)]);
    assert_eq!((outcomes("recorded"), outcomes("duplicate")), (1, 2));
}

#[tokio::test]
async fn concurrent_copies_of_one_delivery_are_recorded_once() {
    let app = spawn_app().await;
    let body = event_envelope("Ev0RACE", mention_event());
    let sends = (0..8).map(|n| app.event(body.clone(), (n > 0).then_some(n)));
    let responses = tokio::time::timeout(std::time::Duration::from_secs(20), futures::future::join_all(sends))
        .await
        .expect("all copies are answered within 20 s");
    for response in responses {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 1);
}

#[tokio::test]
async fn distinct_events_are_each_recorded() {
    let app = spawn_app().await;
    for id in ["Ev1", "Ev2", "Ev3"] {
        assert_eq!(app.event(event_envelope(id, mention_event()), None).await.status(), 200);
    }
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 3);
}

#[tokio::test]
async fn an_event_from_another_workspace_is_refused_with_403() {
    let app = spawn_app().await;
    let body =
        event_envelope("Ev0OTHER", mention_event()).replace("\"team_id\":\"T0FIREBELL\"", "\"team_id\":\"T0STRANGER\"");
    assert!(body.contains("T0STRANGER"));
    assert_eq!(app.event(body, None).await.status(), 403);
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0);
}

#[tokio::test]
async fn an_unknown_envelope_type_is_acknowledged_and_ignored() {
    let app = spawn_app().await;
    let body = serde_json::json!({"token": "t", "team_id": "T0FIREBELL", "minute_rate_limited": 1518467820, "api_app_id": "A1", "type": "app_rate_limited"});
    assert_eq!(app.event(body.to_string(), None).await.status(), 200);
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0);
}
