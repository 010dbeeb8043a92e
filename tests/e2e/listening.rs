//! The record of an incident channel, kept from Events API deliveries: messages, edits,
//! deletions, highlights, mentions and newcomers — once per delivery, and only for incident
//! channels.

use firebell::domain::ids::ChannelId;
use firebell::domain::incident::{IncidentId, IncidentNumber};
use firebell::domain::timeline::{TimelineEntry, TimelineKind};
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::signing::event_envelope;
use crate::support::workspace;

async fn app_with_incident() -> (TestApp, String, IncidentId) {
    let app = spawn_app_with(Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        ..Options::default()
    })
    .await;
    app.command_in("declare sev2 service:payments Cards declined", "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    (app, incident.channel.unwrap().to_string(), incident.id)
}

async fn deliver(app: &TestApp, event_id: &str, event: Value) {
    assert_eq!(app.event(event_envelope(event_id, event), None).await.status(), 200);
    app.outbox_drained().await;
}

fn message(channel: &str, user: &str, ts: &str, text: &str) -> Value {
    json!({"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts, "channel_type": "channel"})
}

fn pushpin(added: bool, channel: &str, ts: &str) -> Value {
    json!({"type": if added { "reaction_added" } else { "reaction_removed" }, "user": "U0ONCALL1", "reaction": "pushpin",
           "item": {"type": "message", "channel": channel, "ts": ts}, "item_user": "U0REPORTER", "event_ts": "1790000999.000100"})
}

async fn highlights(app: &TestApp, incident_id: IncidentId) -> Vec<firebell::store::timeline::TimelineEvent> {
    let timeline = app.app.store.timeline(incident_id).await.unwrap();
    timeline.into_iter().filter(|e| matches!(e.entry, TimelineEntry::Highlight { .. })).collect()
}

#[tokio::test]
async fn messages_replies_edits_and_deletions_are_recorded_as_they_happen() {
    let (app, channel, incident_id) = app_with_incident().await;
    deliver(&app, "Ev1", message(&channel, "U0ONCALL1", "1790000000.000100", "Error rate at 40%")).await;
    let mut reply = message(&channel, "U0REPORTER", "1790000010.000200", "Rolling back");
    reply["thread_ts"] = json!("1790000000.000100");
    reply["files"] = json!([{"id": "F1"}, {"id": "F2"}]);
    deliver(&app, "Ev2", reply).await;
    deliver(&app, "Ev3", message(&channel, "U0ONCALL1", "1790000020.000300", "password=hunter2")).await;
    deliver(&app, "Ev4", json!({"type": "message", "subtype": "message_changed", "channel": &channel, "hidden": true, "ts": "1790000030.000400",
        "message": {"type": "message", "user": "U0ONCALL1", "text": "Error rate at 45%", "ts": "1790000000.000100", "edited": {"user": "U0ONCALL1", "ts": "1790000030.000400"}},
        "previous_message": {"type": "message", "user": "U0ONCALL1", "text": "Error rate at 40%", "ts": "1790000000.000100"}})).await;
    deliver(&app, "Ev5", json!({"type": "message", "subtype": "message_deleted", "channel": &channel, "hidden": true, "ts": "1790000040.000500", "deleted_ts": "1790000020.000300"})).await;

    let stored = app.app.store.messages(incident_id).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!((stored[0].text.as_deref(), stored[0].edited), (Some("Error rate at 45%"), true));
    assert_eq!(stored[0].posted_at.timestamp(), 1_790_000_000, "stamped with the message's own time");
    assert_eq!(stored[1].thread_ts.as_deref(), Some("1790000000.000100"));
    assert_eq!((stored[1].file_count, stored[1].user.as_ref().unwrap().as_str()), (2, "U0REPORTER"));
    assert_eq!((stored[2].text.as_deref(), stored[2].deleted), (None, true), "the deleted text is gone");

    // An older edit delivered late (Slack retrying it after the newer one) does not overwrite
    // the newer text.
    deliver(&app, "Ev7", json!({"type": "message", "subtype": "message_changed", "channel": &channel, "hidden": true, "ts": "1790000025.000450",
        "message": {"type": "message", "user": "U0ONCALL1", "text": "Error rate at 42%", "ts": "1790000000.000100", "edited": {"user": "U0ONCALL1", "ts": "1790000025.000450"}}})).await;
    let first = app.app.store.messages(incident_id).await.unwrap().remove(0);
    assert_eq!(first.text.as_deref(), Some("Error rate at 45%"), "the newest edit stands");

    // A late copy of the deleted message does not bring its text back.
    deliver(&app, "Ev6", message(&channel, "U0ONCALL1", "1790000020.000300", "password=hunter2")).await;
    let stored =
        app.app.store.message(&ChannelId::parse(&channel).unwrap(), "1790000020.000300").await.unwrap().unwrap();
    assert_eq!(stored.text, None);
}

#[tokio::test]
async fn the_bots_own_messages_are_not_recorded() {
    let (app, channel, incident_id) = app_with_incident().await;
    let mut own = message(&channel, "U0FIREBELL", "1790000000.000100", "Incident #1 summary");
    own["bot_id"] = json!("B0FIREBELL");
    own["app_id"] = json!("A0FIREBELL");
    deliver(&app, "Ev1", own).await;
    assert!(app.app.store.messages(incident_id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_pushpin_highlights_a_message_with_its_own_time_and_unpinning_removes_it() {
    let (app, channel, incident_id) = app_with_incident().await;
    deliver(&app, "Ev1", message(&channel, "U0REPORTER", "1790000000.000100", "Deploy v42 started the errors")).await;
    deliver(&app, "Ev2", pushpin(true, &channel, "1790000000.000100")).await;
    let found = highlights(&app, incident_id).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].at.timestamp(), 1_790_000_000, "the message's time, not the reaction's");
    assert_eq!(found[0].author.as_deref(), Some("U0REPORTER"));
    let TimelineEntry::Highlight { by, .. } = &found[0].entry else { panic!("a highlight: {:?}", found[0].entry) };
    assert_eq!(by.as_str(), "U0ONCALL1");
    deliver(&app, "Ev3", pushpin(true, &channel, "1790000000.000100")).await;
    assert_eq!(highlights(&app, incident_id).await.len(), 1, "a second pushpin adds nothing");
    deliver(&app, "Ev4", pushpin(false, &channel, "1790000000.000100")).await;
    assert!(highlights(&app, incident_id).await.is_empty());
}

#[tokio::test]
async fn a_native_pin_counts_the_same_and_the_bots_own_summary_pin_does_not() {
    let (app, channel, incident_id) = app_with_incident().await;
    deliver(&app, "Ev1", message(&channel, "U0REPORTER", "1790000000.000100", "Found it")).await;
    let pin = |added: bool, ts: &str| {
        json!({"type": if added { "pin_added" } else { "pin_removed" }, "user": "U0ONCALL1", "channel_id": &channel,
               "item": {"type": "message", "channel": &channel, "created": 1790000100, "created_by": "U0ONCALL1", "message": {"type": "message", "user": "U0REPORTER", "text": "Found it", "ts": ts}},
               "event_ts": "1790000100.000100"})
    };
    deliver(&app, "Ev2", pin(true, "1790000000.000100")).await;
    assert_eq!(highlights(&app, incident_id).await.len(), 1);
    deliver(&app, "Ev3", pin(false, "1790000000.000100")).await;
    assert!(highlights(&app, incident_id).await.is_empty());
    let summary_ts = app.app.store.incident(incident_id).await.unwrap().unwrap().summary_ts.unwrap();
    deliver(&app, "Ev4", pin(true, &summary_ts)).await;
    assert!(highlights(&app, incident_id).await.is_empty(), "the pinned summary is not a highlight");
}

#[tokio::test]
async fn a_pushpin_on_a_message_older_than_the_record_fetches_it() {
    let (app, channel, incident_id) = app_with_incident().await;
    let ts = app.slack.add_message(&channel, "U0ONCALL1", "Saw 5xx from the card gateway first", None);
    let thread_reply = app.slack.add_message(&channel, "U0REPORTER", "Gateway status page is red", Some(&ts));
    deliver(&app, "Ev1", pushpin(true, &channel, &ts)).await;
    deliver(&app, "Ev2", pushpin(true, &channel, &thread_reply)).await;
    let found = highlights(&app, incident_id).await;
    assert_eq!(found.len(), 2);
    let expected = firebell::store::messages::ts_instant(&ts).unwrap();
    assert_eq!(
        found[0].at.timestamp_millis(),
        expected.timestamp_millis(),
        "stamped with the fetched message's own time (stored to the millisecond)"
    );
    let fetched = app.app.store.message(&ChannelId::parse(&channel).unwrap(), &thread_reply).await.unwrap().unwrap();
    assert_eq!(fetched.text.as_deref(), Some("Gateway status page is red"));
    assert_eq!(fetched.thread_ts.as_deref(), Some(ts.as_str()));
    assert!(!app.slack.calls_to("conversations.replies").is_empty(), "the reply was found through its thread");
}

#[tokio::test]
async fn a_repeated_or_parallel_delivery_has_its_effect_once() {
    let (app, channel, _) = app_with_incident().await;
    let mention = json!({"type": "app_mention", "user": "U0ONCALL1", "text": "<@U0FIREBELL> help", "ts": "1790000000.000100", "channel": &channel});
    let body = event_envelope("Ev0ONCE", mention);
    assert_eq!(app.event(body.clone(), None).await.status(), 200);
    assert_eq!(app.event(body.clone(), Some(1)).await.status(), 200);
    let copies = (0..6).map(|n| app.event(body.clone(), Some(n)));
    for response in
        tokio::time::timeout(std::time::Duration::from_secs(20), futures::future::join_all(copies)).await.unwrap()
    {
        assert_eq!(response.status(), 200);
    }
    app.outbox_drained().await;
    let answers: Vec<_> = app
        .slack
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.params["thread_ts"] == "1790000000.000100")
        .collect();
    assert_eq!(answers.len(), 1, "one answer for one delivery");
}

#[tokio::test]
async fn a_mention_is_answered_in_its_thread_with_short_help() {
    let (app, _, _) = app_with_incident().await;
    let mention = json!({"type": "app_mention", "user": "U0ONCALL1", "text": "<@U0FIREBELL> ?", "ts": "1790000000.000100", "channel": "C0GENERAL"});
    deliver(&app, "Ev1", mention).await;
    let replies: Vec<_> = app
        .slack
        .messages("C0GENERAL")
        .into_iter()
        .filter(|m| m.thread_ts.as_deref() == Some("1790000000.000100"))
        .collect();
    assert_eq!(replies.len(), 1);
    assert!(replies[0].text.contains("/incident declare"), "{}", replies[0].text);
}

#[tokio::test]
async fn a_newcomer_gets_an_ephemeral_catch_up_and_nobody_else_does() {
    let (app, channel, _) = app_with_incident().await;
    app.command_in("update Rolled back the gateway config", &channel, "U0ONCALL1").await;
    app.outbox_drained().await;
    deliver(&app, "Ev1", message(&channel, "U0ONCALL1", "1790000000.000100", "Gateway config was the trigger")).await;
    deliver(&app, "Ev2", pushpin(true, &channel, "1790000000.000100")).await;
    app.slack.add_user("U0NEWCOMER", "nora");
    app.slack.add_member(&channel, "U0NEWCOMER");
    deliver(&app, "Ev3", json!({"type": "member_joined_channel", "user": "U0NEWCOMER", "channel": &channel, "channel_type": "C", "team": "T0FIREBELL"})).await;

    let ephemeral = app.slack.calls_to("chat.postEphemeral");
    assert_eq!(ephemeral.len(), 1);
    assert_eq!(ephemeral[0].params["user"], "U0NEWCOMER", "to the newcomer only");
    let text = ephemeral[0].params["text"].as_str().unwrap();
    for fact in [
        "incident #1: Cards declined",
        "SEV2",
        "Investigating",
        "Rolled back the gateway config",
        "Gateway config was the trigger",
        "The pinned summary",
    ] {
        assert!(text.contains(fact), "catch-up lacks {fact}: {text}");
    }
}

#[tokio::test]
async fn events_in_other_channels_leave_no_trace() {
    let (app, _, _) = app_with_incident().await;
    let deliveries_before = app.app.store.delivery_count().await.unwrap();
    deliver(&app, "Ev1", message("C0GENERAL", "U0ONCALL1", "1790000000.000100", "lunch?")).await;
    deliver(&app, "Ev2", pushpin(true, "C0GENERAL", "1790000000.000100")).await;
    deliver(&app, "Ev3", json!({"type": "member_joined_channel", "user": "U0ONCALL1", "channel": "C0GENERAL"})).await;
    assert_eq!(app.app.store.message_count().await.unwrap(), 0);
    assert_eq!(app.app.store.delivery_count().await.unwrap(), deliveries_before, "not even the delivery is kept");
    assert!(app.slack.calls_to("chat.postEphemeral").is_empty());
}

#[tokio::test]
async fn unknown_event_types_are_acknowledged_counted_and_ignored() {
    let (app, _, _) = app_with_incident().await;
    deliver(&app, "Ev1", json!({"type": "team_join", "user": {"id": "U9"}})).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("firebell_slack_events_total{type=\"other\",outcome=\"ignored\"} 1"), "{metrics}");
}

#[tokio::test]
async fn a_note_is_echoed_in_the_channel_and_kept_in_the_timeline() {
    let (app, channel, incident_id) = app_with_incident().await;
    app.command_in("note Customer support has a macro ready", &channel, "U0REPORTER").await;
    app.outbox_drained().await;
    assert!(
        workspace::bot_posts(&app.slack, &channel)
            .iter()
            .any(|m| { m.text.contains("Note from <@U0REPORTER>: Customer support has a macro ready") })
    );
    let timeline = app.app.store.timeline(incident_id).await.unwrap();
    assert_eq!(timeline.last().unwrap().entry.kind(), Ok(TimelineKind::Note));
}
