//! Effects Slack cannot tell us about afterwards, each made with a lost answer (the effect
//! happens, then a 500): a reply by `response_url`, an ephemeral catch-up, a direct message by
//! user id and a topic change. The retry must not make a second visible message: the declared
//! reply replaces the command's own (the same edit again), the others are recorded before
//! they are made, and the topic is read before it is set.

use serde_json::json;

use crate::support::app::{Options, spawn_app_with};
use crate::support::fake_slack::Fault;
use crate::support::signing::event_envelope;
use crate::support::workspace;

fn told(app: &crate::support::app::TestApp, needle: &str) -> usize {
    app.slack.responses().iter().filter(|r| r["text"].as_str().unwrap_or_default().contains(needle)).count()
}

#[tokio::test]
async fn replies_by_response_url_whose_answers_are_lost_are_not_seen_twice() {
    // Checkout's team channel does not exist: the reporter is told so, besides "declared".
    let policy = workspace::policy().replace("team_channel = \"C0CHECKOUT\"", "team_channel = \"C0MISSING\"");
    let app =
        spawn_app_with(Options { policy: Some(policy), prepare_slack: Some(workspace::seed), ..Options::default() })
            .await;
    for _ in 0..2 {
        app.slack.inject("response_url", Fault::FailAfterEffect(500));
    }
    app.command("declare sev1 service:payments Card payments fail").await;
    app.outbox_drained().await;
    assert_eq!(told(&app, "is declared"), 1, "{:?}", app.slack.responses());
    assert_eq!(told(&app, "could not reach <#C0MISSING>"), 1, "{:?}", app.slack.responses());
}

#[tokio::test]
async fn a_direct_message_whose_answer_was_lost_is_not_sent_twice() {
    let app = workspace::spawn().await;
    // A spent response_url: the reporter is told by direct message.
    for _ in 0..6 {
        app.slack.inject("response_url", Fault::ServerError(404));
    }
    app.slack.inject_in_channel("chat.postMessage", "U0REPORTER", Fault::FailAfterEffect(500));
    app.command("declare sev2 service:payments Card payments fail").await;
    app.outbox_drained().await;
    let dms = app.slack.messages("U0REPORTER");
    assert_eq!(dms.iter().filter(|m| m.text.contains("is declared")).count(), 1, "{dms:?}");
}

#[tokio::test]
async fn a_catch_up_whose_answer_was_lost_is_not_sent_twice() {
    let app = workspace::spawn().await;
    app.command("declare sev2 service:payments Card payments fail").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(firebell::domain::incident::IncidentNumber(1)).await.unwrap();
    let channel = incident.unwrap().channel.unwrap().to_string();
    app.slack.add_user("U0NEWCOMER", "nora");
    app.slack.add_member(&channel, "U0NEWCOMER");
    app.slack.inject("chat.postEphemeral", Fault::FailAfterEffect(500));
    let joined = json!({"type": "member_joined_channel", "user": "U0NEWCOMER", "channel": &channel, "channel_type": "C", "team": "T0FIREBELL"});
    assert_eq!(app.event(event_envelope("Ev1", joined), None).await.status(), 200);
    app.outbox_drained().await;
    assert_eq!(app.slack.calls_to("chat.postEphemeral").len(), 1, "one catch-up");
}

#[tokio::test]
async fn a_topic_set_whose_answer_was_lost_is_not_set_again() {
    let app = workspace::spawn().await;
    app.slack.inject("conversations.setTopic", Fault::FailAfterEffect(500));
    app.command("declare sev2 service:payments Card payments fail").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(firebell::domain::incident::IncidentNumber(1)).await.unwrap();
    let channel = app.slack.channel(incident.unwrap().channel.unwrap().as_str()).unwrap();
    assert_eq!(channel.topic, "SEV2 · Investigating · Lead: not assigned");
    assert_eq!(app.slack.calls_to("conversations.setTopic").len(), 1, "set once; the retry found it set");
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty());
}
