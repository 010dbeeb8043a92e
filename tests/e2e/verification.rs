//! Every `/slack/*` request is verified before anything else.

use crate::support::app::spawn_app;
use crate::support::signing::{self, event_envelope};

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn mention_event() -> serde_json::Value {
    serde_json::json!({"type": "app_mention", "user": "U1", "text": "<@U0FIREBELL> hi", "ts": "1.1", "channel": "C1", "event_ts": "1.1"})
}

#[tokio::test]
async fn a_forged_signature_gets_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let body = event_envelope("Ev1", mention_event());
    let timestamp = signing::now_seconds();
    let forged = firebell::slack::signature::sign(b"not-the-secret", &timestamp.to_string(), body.as_bytes());
    let response = app
        .post_raw(
            "/slack/events",
            JSON,
            body,
            &[("x-slack-request-timestamp", timestamp.to_string()), ("x-slack-signature", forged)],
        )
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_missing_signature_gets_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let body = event_envelope("Ev1", mention_event());
    let response = app.post_raw("/slack/events", JSON, body.clone(), &[]).await;
    assert_eq!(response.status(), 401);
    let only_timestamp = [("x-slack-request-timestamp", signing::now_seconds().to_string())];
    assert_eq!(app.post_raw("/slack/events", JSON, body, &only_timestamp).await.status(), 401);
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_six_minute_old_signature_gets_401_and_nothing_is_stored() {
    let app = spawn_app().await;
    let body = event_envelope("Ev1", mention_event());
    let response = app.post_signed_at("/slack/events", JSON, body, signing::now_seconds() - 6 * 60).await;
    assert_eq!(response.status(), 401);
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_forged_command_gets_401_and_no_reply() {
    let app = spawn_app().await;
    let body = signing::command_form("help", "C0GENERAL", "U0REPORTER");
    let response = app
        .post_raw(
            "/slack/commands",
            FORM,
            body,
            &[("x-slack-request-timestamp", signing::now_seconds().to_string()), ("x-slack-signature", "v0=00".into())],
        )
        .await;
    assert_eq!(response.status(), 401);
    let metrics = app.app.metrics.counter("firebell_commands_total", &[]);
    assert_eq!(metrics, 0, "an unverified command is never parsed");
}

#[tokio::test]
async fn a_forged_interaction_gets_401() {
    let app = spawn_app().await;
    let payload = serde_json::json!({"type": "block_actions", "team": {"id": "T0FIREBELL"}, "user": {"id": "U1"}});
    let body = signing::interaction_form(&payload);
    let response = app.post_raw("/slack/interactions", FORM, body, &[]).await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_body_over_one_mebibyte_gets_413() {
    let app = spawn_app().await;
    let body = format!("{{\"type\":\"event_callback\",\"padding\":\"{}\"}}", "x".repeat(1024 * 1024));
    let response = app.post_signed("/slack/events", JSON, body).await;
    assert_eq!(response.status(), 413);
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_signed_garbage_body_gets_400_on_every_slack_endpoint() {
    let app = spawn_app().await;
    for (path, content_type) in [("/slack/events", JSON), ("/slack/commands", FORM), ("/slack/interactions", FORM)] {
        let response = app.post_signed(path, content_type, "\u{1}garbage{{{".to_owned()).await;
        assert_eq!(response.status(), 400, "{path}");
        let reason = response.text().await.unwrap();
        assert!(reason.starts_with("bad request:"), "{path}: {reason}");
    }
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0);
}
