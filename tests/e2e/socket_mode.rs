//! Socket Mode: with `SLACK_APP_TOKEN` set, Slack traffic arrives as envelopes on a WebSocket
//! that firebell opens, goes through the same code as over HTTP, and is acknowledged once,
//! without waiting for the Web API. The HTTP side keeps serving webhooks and operations.

use firebell::domain::incident::IncidentNumber;
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::fake_slack::{APP_TOKEN, FakeSlack, Fault};
use crate::support::signing::{self, event_envelope};
use crate::support::{wait, workspace};

fn socket_mode(http: bool) -> Options {
    Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        env: vec![("SLACK_APP_TOKEN", APP_TOKEN.to_owned())],
        http,
        ..Options::default()
    }
}

async fn connected_app() -> TestApp {
    let app = spawn_app_with(socket_mode(false)).await;
    app.socket_connected(1).await;
    app
}

fn message(channel: &str, ts: &str, text: &str) -> Value {
    json!({"type": "message", "channel": channel, "user": "U0ONCALL1", "text": text, "ts": ts, "event_ts": ts, "channel_type": "channel"})
}

#[tokio::test]
async fn a_declare_over_socket_mode_is_acknowledged_with_the_reply_and_announced() {
    let app = connected_app().await;
    let opened = app.slack.calls_to("apps.connections.open");
    assert_eq!(opened[0].token.as_deref(), Some(APP_TOKEN), "connections are opened with the app-level token");

    let reply = app.socket_command("declare sev2 service:checkout Checkout is down", "C0GENERAL", "U0REPORTER").await;
    assert_eq!(reply["response_type"], "ephemeral");
    assert!(reply["text"].as_str().unwrap().starts_with("Declaring incident #1"), "{reply}");
    app.outbox_drained().await;

    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!(incident.title, "Checkout is down");
    assert!(incident.channel.is_some(), "the incident channel was created");
    assert_eq!(workspace::bot_posts(&app.slack, "C0CHECKOUT").len(), 1, "the owning team is told");
    assert_eq!(workspace::bot_posts(&app.slack, "C0INCIDENTS").len(), 1, "SEV2 is shared broadly");
}

#[tokio::test]
async fn the_slack_routes_are_not_served_but_webhooks_and_operations_are() {
    let app = connected_app().await;
    let form = signing::command_form("help", "C0GENERAL", "U0REPORTER");
    let response = app.post_signed("/slack/commands", "application/x-www-form-urlencoded", form).await;
    assert_eq!(response.status(), 404, "Socket Mode without --http serves no /slack/*");
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("firebell_"), "{metrics}");
    let webhook = app.client.post(format!("{}/webhooks/alertmanager", app.base_url)).body("{}").send().await.unwrap();
    assert_eq!(webhook.status(), 503, "webhooks are served (and disabled without a token)");
}

#[tokio::test]
async fn each_envelope_is_acknowledged_exactly_once() {
    let app = connected_app().await;
    let hub = &app.slack.socket;
    let first =
        hub.send_envelope("slash_commands", command("help"), true, 0).expect("a Socket Mode connection is open");
    let second =
        hub.send_envelope("slash_commands", command("list"), true, 0).expect("a Socket Mode connection is open");
    let unknown = hub.send_envelope("some_future_kind", json!({}), false, 0).expect("a Socket Mode connection is open");
    let broken = hub
        .send_envelope("slash_commands", json!({"text": "help"}), true, 0)
        .expect("a Socket Mode connection is open");
    for id in [&first, &second, &unknown, &broken] {
        app.socket_ack(id).await;
    }
    // One more round trip after all of them, so a late second acknowledgement would show.
    let last = hub.send_envelope("slash_commands", command("help"), true, 0).expect("a Socket Mode connection is open");
    app.socket_ack(&last).await;
    for id in [&first, &second, &unknown, &broken, &last] {
        assert_eq!(hub.acks(id).len(), 1, "{id}: {:?}", hub.received());
    }
    assert!(hub.acks(&first)[0]["payload"]["text"].as_str().unwrap().contains("/incident"), "help is the reply");
    assert_eq!(hub.acks(&broken)[0].get("payload"), None, "an unreadable command is acknowledged, without a reply");
    assert_eq!(hub.received().len(), 5, "nothing but acknowledgements: {:?}", hub.received());
}

fn command(text: &str) -> Value {
    signing::command_payload(text, "C0GENERAL", "U0REPORTER", "http://127.0.0.1:9/unused")
}

#[tokio::test]
async fn a_redelivered_event_is_acknowledged_again_but_recorded_once() {
    let app = connected_app().await;
    app.socket_command("declare sev3 service:search Search is slow", "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = incident.channel.unwrap().to_string();
    let envelope: Value =
        serde_json::from_str(&event_envelope("Ev1", message(&channel, "1790000000.000100", "p99 at 4 s"))).unwrap();

    let hub = &app.slack.socket;
    let first = hub.send_envelope("events_api", envelope.clone(), false, 0).expect("a Socket Mode connection is open");
    app.socket_ack(&first).await;
    let again = hub.send_envelope("events_api", envelope, false, 1).expect("a Socket Mode connection is open");
    app.socket_ack(&again).await;
    app.outbox_drained().await;
    let stored = app.app.store.messages(incident.id).await.unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].text.as_deref(), Some("p99 at 4 s"));
}

#[tokio::test]
async fn a_modal_submission_over_socket_mode_gets_its_errors_in_the_acknowledgement() {
    let app = connected_app().await;
    let submission = json!({
        "type": "view_submission",
        "team": {"id": signing::TEAM_ID}, "user": {"id": "U0REPORTER"}, "api_app_id": "A0FIREBELL",
        "view": {"id": "V0DECLARE", "type": "modal", "callback_id": "declare",
            "private_metadata": "{\"channel\":\"C0GENERAL\"}",
            "state": {"values": {
                "title": {"title": {"type": "plain_text_input", "value": "   "}},
                "severity": {"severity": {"type": "static_select", "selected_option": {"value": "SEV2"}}},
                "services": {"services": {"type": "multi_static_select", "selected_options": []}},
                "impact": {"impact": {"type": "plain_text_input", "value": null}},
                "description": {"description": {"type": "plain_text_input", "value": null}},
                "private": {"private": {"type": "checkboxes", "selected_options": []}}
            }}}
    });
    let id =
        app.slack.socket.send_envelope("interactive", submission, true, 0).expect("a Socket Mode connection is open");
    let ack = app.socket_ack(&id).await;
    assert_eq!(ack["payload"]["response_action"], "errors", "{ack}");
    assert!(ack["payload"]["errors"]["title"].is_string(), "{ack}");
    assert!(app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().is_none(), "nothing declared");
}

#[tokio::test]
async fn the_acknowledgement_does_not_wait_for_the_web_api() {
    let app = connected_app().await;
    // Slack never answers the channel creation: the declare is still acknowledged.
    app.slack.inject("conversations.create", Fault::Hang);
    let reply = app.socket_command("declare sev1 service:payments Cards declined", "C0GENERAL", "U0REPORTER").await;
    assert!(reply["text"].as_str().unwrap().starts_with("Declaring incident #1"), "{reply}");
    assert_eq!(app.slack.channels_named_like("inc-"), 0);
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    assert!(incident.channel.is_none(), "the channel is created after the acknowledgement");
}

#[tokio::test]
async fn after_a_disconnect_message_the_bot_moves_to_a_new_connection_and_commands_work() {
    let app = connected_app().await;
    app.slack.socket.disconnect("refresh_requested");
    app.socket_connected(2).await;
    let reply = app.socket_command("help", "C0GENERAL", "U0REPORTER").await;
    assert!(reply["text"].as_str().unwrap().contains("/incident"), "{reply}");
    assert_eq!(app.slack.calls_to("apps.connections.open").len(), 2, "a fresh URL for each connection");
}

#[tokio::test]
async fn after_a_dropped_connection_the_bot_reconnects_and_the_next_command_works() {
    let app = connected_app().await;
    app.slack.socket.drop_connections();
    app.socket_connected(2).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200, "ready again once reconnected: {}", ready.text().await.unwrap());
    let reply = app.socket_command("help", "C0GENERAL", "U0REPORTER").await;
    assert!(reply["text"].as_str().unwrap().contains("/incident"), "{reply}");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("firebell_socket_mode_disconnects_total 1"), "{metrics}");
}

#[tokio::test]
async fn reconnecting_survives_a_failing_connections_open() {
    let app = connected_app().await;
    app.slack.inject("apps.connections.open", Fault::ServerError(503));
    app.slack.inject("apps.connections.open", Fault::RateLimited { retry_after_secs: 1 });
    app.slack.socket.drop_connections();
    app.socket_connected(2).await;
    assert_eq!(app.slack.calls_to("apps.connections.open").len(), 4, "two failures, then a connection");
    let reply = app.socket_command("help", "C0GENERAL", "U0REPORTER").await;
    assert!(reply["text"].is_string(), "{reply}");
}

fn wrong_app_token(slack: &FakeSlack) {
    workspace::seed(slack);
    slack.set_app_token("xapp-some-other-app");
}

#[tokio::test]
async fn a_rejected_app_token_makes_readyz_503_with_the_reason_and_keeps_trying() {
    let app = spawn_app_with(Options { prepare_slack: Some(wrong_app_token), ..socket_mode(false) }).await;
    wait::until("readyz to name the app token", || async {
        let response = app.get("/readyz").await;
        response.status() == 503 && response.text().await.unwrap().contains("SLACK_APP_TOKEN (invalid_auth)")
    })
    .await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    // Fixed in Slack (say, the token was regenerated and redeployed): the next attempt connects.
    app.slack.set_app_token(APP_TOKEN);
    app.socket_connected(1).await;
    wait::until("readyz to recover", || async { app.get("/readyz").await.status() == 200 }).await;
}

#[tokio::test]
async fn with_http_both_ways_in_work_side_by_side() {
    let app = spawn_app_with(socket_mode(true)).await;
    app.socket_connected(1).await;
    let over_http = app.command("declare sev3 service:search Search is slow").await;
    assert!(over_http["text"].as_str().unwrap().starts_with("Declaring incident #1"), "{over_http}");
    let over_socket =
        app.socket_command("declare sev3 service:search Indexing stalled", "C0GENERAL", "U0REPORTER").await;
    assert!(over_socket["text"].as_str().unwrap().starts_with("Declaring incident #2"), "{over_socket}");
    app.outbox_drained().await;
    assert_eq!(workspace::bot_posts(&app.slack, "C0SEARCH").len(), 2);
}

/// One app installed in two workspaces: envelopes from the other one are acknowledged (so
/// Slack stops sending them) and change nothing; a command from there is refused in the reply.
#[tokio::test]
async fn envelopes_from_another_workspace_are_acknowledged_and_change_nothing() {
    let app = connected_app().await;
    let hub = &app.slack.socket;
    let mut foreign = command("declare sev1 service:payments Not our incident");
    foreign["team_id"] = json!("T0ELSEWHERE");
    let refused = hub.send_envelope("slash_commands", foreign, true, 0).expect("a Socket Mode connection is open");
    let reply = app.socket_ack(&refused).await;
    assert_eq!(reply["payload"]["response_type"], "ephemeral", "{reply}");
    assert!(!reply["payload"]["text"].as_str().unwrap_or_default().starts_with("Declaring"), "{reply}");

    let mut event: Value =
        serde_json::from_str(&event_envelope("EvElsewhere", message("C0GENERAL", "1790000000.000200", "hi"))).unwrap();
    event["team_id"] = json!("T0ELSEWHERE");
    let event = hub.send_envelope("events_api", event, false, 0).expect("a Socket Mode connection is open");
    app.socket_ack(&event).await;

    let click = json!({"type": "block_actions", "team": {"id": "T0ELSEWHERE"}, "user": {"id": "U0ONCALL1"},
                       "trigger_id": "t-1", "actions": [{"action_id": "alert_declare", "value": "1"}]});
    let interaction = hub.send_envelope("interactive", click, true, 0).expect("a Socket Mode connection is open");
    app.socket_ack(&interaction).await;

    app.outbox_drained().await;
    assert!(app.app.store.open_incidents().await.unwrap().is_empty(), "nothing declared");
    assert_eq!(app.app.store.delivery_count().await.unwrap(), 0, "nothing recorded");
    assert_eq!(app.slack.channels_named_like("inc-"), 0);
    for id in [&refused, &event, &interaction] {
        assert_eq!(hub.acks(id).len(), 1, "{id} acknowledged once");
    }
}
