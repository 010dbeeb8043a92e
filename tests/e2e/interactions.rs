//! `/slack/interactions`: verified, parsed, checked for the workspace, acknowledged.

use crate::support::app::spawn_app;
use crate::support::signing;

const FORM: &str = "application/x-www-form-urlencoded";

fn block_actions(team: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "block_actions",
        "team": {"id": team, "domain": "acme"},
        "user": {"id": "U0ALICE", "username": "alice", "team_id": team},
        "api_app_id": "A0FIREBELL",
        "trigger_id": "1.2.abc",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0INC"},
        "channel": {"id": "C0INC", "name": "inc-20261126-1"},
        "response_url": "https://hooks.slack.com/actions/T0FIREBELL/1/abc",
        "actions": [{"action_id": "post_update", "block_id": "summary", "type": "button", "value": "1", "action_ts": "1700000001.1"}]
    })
}

#[tokio::test]
async fn a_signed_interaction_is_acknowledged_with_200() {
    let app = spawn_app().await;
    let response =
        app.post_signed("/slack/interactions", FORM, signing::interaction_form(&block_actions("T0FIREBELL"))).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_interaction_from_another_workspace_gets_403() {
    let app = spawn_app().await;
    let response =
        app.post_signed("/slack/interactions", FORM, signing::interaction_form(&block_actions("T0STRANGER"))).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn an_interaction_payload_that_is_not_json_gets_400() {
    let app = spawn_app().await;
    let response = app.post_signed("/slack/interactions", FORM, "payload=%7Bnot-json".to_owned()).await;
    assert_eq!(response.status(), 400);
}
