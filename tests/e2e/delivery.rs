//! Every outbox step that posts a message passes its attempt's delivery to the post: the
//! message carries the job's delivery key, so a retry finds it instead of posting twice.
//! (`TestApp::outbox_drained` checks after every drained outbox that no post went without
//! one; this test drives each posting step at least once and checks which did.)

use std::collections::BTreeSet;

use firebell::app::jobs::JobKind;
use firebell::domain::incident::IncidentNumber;
use serde_json::json;

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::fake_slack::Fault;
use crate::support::signing::{self, event_envelope};
use crate::support::{wait, workspace};

const TOKEN: &str = "hook-s3cret";
const FIRING: &str = include_str!("../fixtures/alerts/alertmanager_firing.json");

/// Clocks in seconds: reminders, an escalation, both nudges and the digest all come due.
const POLICY: &str = r#"
timezone = "UTC"
default_severity = "SEV1"
[channels]
announcements = "C0INCIDENTS"
triage = "C0TRIAGE"
[reminders]
escalate_after = 1
lead_within = "1s"
retro_within = "1s"
digest = "*/2 * * * * *"
[retro]
required_for = ["SEV1"]
[[severities]]
name = "SEV1"
label = "Critical"
share = "broad"
update_every = "1s"
[[services]]
name = "payments"
team_channel = "C0PAYMENTS"
responders = ["U0ONCALL1"]
[[services]]
name = "checkout"
team_channel = "C0CHECKOUT"
responders = ["U0ONCALL1"]
"#;

/// The kinds of the outbox jobs whose posts are in the fake Slack.
async fn kinds_that_posted(app: &TestApp) -> BTreeSet<String> {
    let mut kinds = BTreeSet::new();
    for id in app.slack.jobs_that_posted() {
        let job = app.app.store.job(id).await.unwrap().expect("a delivery key names a stored job");
        kinds.insert(job.kind);
    }
    kinds
}

/// Reports from a message through the shortcut and the form: the reporter is told by direct
/// message (a form has no `response_url`) and the message's thread hears where to go.
async fn declare_from_a_message(app: &TestApp) {
    let ts = app.slack.add_message("C0GENERAL", "U0SEARCHER", "Card payments fail", None);
    let shortcut = json!({
        "type": "message_action", "callback_id": "report_incident", "trigger_id": "t-shortcut",
        "team": {"id": signing::TEAM_ID}, "user": {"id": "U0REPORTER"}, "channel": {"id": "C0GENERAL", "name": "general"},
        "message": {"type": "message", "user": "U0SEARCHER", "ts": &ts, "text": "Card payments fail"},
        "response_url": "https://hooks.slack.com/app/x"
    });
    app.post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(&shortcut))
        .await;
    let view = app.slack.calls_to("views.open").last().expect("the form opened").params["view"].clone();
    let values = json!({
        "title": {"title": {"value": "Card payments fail"}},
        "severity": {"severity": {"selected_option": {"value": "SEV1"}}},
        "services": {"services": {"selected_options": [{"value": "payments"}]}},
        "impact": {"impact": {"value": null}}, "description": {"description": {"value": null}},
        "private": {"private": {"selected_options": []}}
    });
    let submission = json!({"type": "view_submission", "team": {"id": signing::TEAM_ID}, "user": {"id": "U0REPORTER"},
        "view": {"callback_id": "declare", "private_metadata": view["private_metadata"], "state": {"values": values}}});
    app.post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(&submission))
        .await;
    app.outbox_drained().await;
}

#[tokio::test]
async fn every_step_that_posts_carries_its_delivery_key() {
    let app = spawn_app_with(Options {
        policy: Some(POLICY.to_owned()),
        prepare_slack: Some(workspace::seed),
        env: vec![("FIREBELL_WEBHOOK_TOKEN", TOKEN.to_owned())],
        ..Options::default()
    })
    .await;

    // Declared from a message: notices, summary, the reporter's DM, the reply in its thread.
    declare_from_a_message(&app).await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = incident.channel.clone().unwrap().to_string();
    // Silence: reminders, then the escalation; nobody leads: the lead nudge; the digest.
    let posted_kind = |kind: JobKind| {
        let app = &app;
        async move { kinds_that_posted(app).await.contains(kind.as_str()) }
    };
    for kind in [JobKind::PostReminder, JobKind::Escalate, JobKind::LeadNudge, JobKind::Digest] {
        wait::until(&format!("a {} post", kind.as_str()), || posted_kind(kind)).await;
    }
    // An update: in the channel and in each notice's thread.
    app.command_in("update Rolled back the deploy", &channel, "U0REPORTER").await;
    // A mention, answered in its thread.
    let mention = json!({"type": "app_mention", "user": "U0ONCALL1", "text": "<@U0FIREBELL> ?", "ts": "1790000000.000100", "channel": "C0GENERAL"});
    app.event(event_envelope("Ev-mention", mention), None).await;
    // A planned change, announced.
    app.command_in("change service:checkout Raising the pool size", "C0GENERAL", "U0REPORTER").await;
    // An alert no rule declares: a prompt in triage.
    let hook = app
        .client
        .post(format!("{}/webhooks/alertmanager", app.base_url))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(FIRING.replace("payments", "checkout").replace("Payments", "Checkout"))
        .send()
        .await
        .unwrap();
    assert!(hook.status().is_success(), "{}", hook.status());
    // Resolved: the retrospective nudge; the retrospective's own summary post.
    app.command_in("resolve Rolled back", &channel, "U0REPORTER").await;
    wait::until("a retro_nudge post", || posted_kind(JobKind::RetroNudge)).await;
    app.command_in("retro", &channel, "U0REPORTER").await;
    wait::until_sync("the retrospective's canvas", || !app.slack.canvases().is_empty()).await;
    app.outbox_drained().await;

    let posting = [
        JobKind::PostNotice,
        JobKind::PostSummary,
        JobKind::TellReporter,
        JobKind::ReplyToSource,
        JobKind::PostReminder,
        JobKind::Escalate,
        JobKind::LeadNudge,
        JobKind::Digest,
        JobKind::PostInChannel,
        JobKind::ReplyInThread,
        JobKind::AnswerMention,
        JobKind::Announce,
        JobKind::PostAlertPrompt,
        JobKind::RetroNudge,
    ];
    let kinds = kinds_that_posted(&app).await;
    let missing: Vec<&str> = posting.iter().map(|k| k.as_str()).filter(|k| !kinds.contains(*k)).collect();
    assert!(missing.is_empty(), "no keyed post from {missing:?}; keyed posts came from {kinds:?}");
    assert!(app.slack.posts_without_delivery_key().is_empty());
    assert!(app.slack.deliveries_posted_twice().is_empty());
}

#[tokio::test]
async fn a_retried_notice_is_found_past_another_apps_odd_metadata_and_not_posted_again() {
    let app = workspace::spawn().await;
    // Another app's message in the team channel, with metadata of a shape firebell does not use.
    let odd = json!({"event_type": "firebell_delivery", "event_payload": {"key": 5, "more": [1, 2]}});
    app.slack.add_app_message("C0PAYMENTS", "deploy finished", odd);
    // The first notice lands, but its answer never comes: the retry must look it up.
    app.slack.inject("chat.postMessage", Fault::HangAfterEffect);

    app.command_in("declare sev2 service:payments Card payments fail", "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;

    let notices = workspace::bot_posts(&app.slack, "C0PAYMENTS");
    assert_eq!(notices.len(), 1, "{notices:#?}");
    assert!(app.slack.deliveries_posted_twice().is_empty());
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let told = app.app.store.notices(incident.id).await.unwrap();
    let payments = told.iter().find(|n| n.channel.as_str() == "C0PAYMENTS").expect("the notice is recorded");
    assert_eq!((payments.ts.as_deref(), payments.error.as_deref()), (Some(notices[0].ts.as_str()), None));
}

/// Public channels the bot is not in: the first notices land (`chat:write.public`) but their
/// answers are lost (a 500 after Slack acted). The retry cannot read a channel it is not in:
/// it joins and finds its notice there rather than posting it again — the announcement, with
/// its `@here`, once.
#[tokio::test]
async fn a_notice_posted_without_joining_whose_answer_was_lost_is_found_after_joining_not_posted_twice() {
    let app = workspace::spawn().await;
    for channel in ["C0CHECKOUT", "C0INCIDENTS"] {
        app.slack.remove_member(channel, crate::support::fake_slack::BOT_USER_ID);
        app.slack.inject_in_channel("chat.postMessage", channel, Fault::FailAfterEffect(500));
    }
    app.command("declare sev1 service:payments Card payments fail").await;
    app.outbox_drained().await;
    for channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(workspace::bot_posts(&app.slack, channel).len(), 1, "{channel}: one notice");
    }
    let here = app.slack.messages("C0INCIDENTS").iter().filter(|m| m.text.contains("<!here>")).count();
    assert_eq!(here, 1, "one @here");
    let joined: Vec<String> = app
        .slack
        .calls_to("conversations.join")
        .iter()
        .map(|call| call.params["channel"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(joined.contains(&"C0CHECKOUT".to_owned()) && joined.contains(&"C0INCIDENTS".to_owned()), "{joined:?}");
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty());
}
