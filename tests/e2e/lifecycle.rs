//! Running an incident from Slack: lifecycle commands, permissions, the summary's buttons,
//! notices kept current, private incidents.

use firebell::domain::incident::{Incident, IncidentNumber, IncidentStatus};
use firebell::domain::timeline::{TimelineEntry, TimelineKind};
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::fake_slack::{BOT_USER_ID, Message};
use crate::support::{signing, workspace};
use firebell::domain::incident::IncidentId;

async fn app_with(policy: String) -> TestApp {
    spawn_app_with(Options { policy: Some(policy), prepare_slack: Some(workspace::seed), ..Options::default() }).await
}

async fn app() -> TestApp {
    app_with(workspace::policy()).await
}

/// Declares from the general channel and waits until everything has been delivered.
async fn declared(app: &TestApp, text: &str, number: i64) -> (Incident, String) {
    let reply = app.command_in(text, "C0GENERAL", "U0REPORTER").await;
    assert!(reply["text"].as_str().unwrap().starts_with("Declaring"), "{reply}");
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(number)).await.unwrap().unwrap();
    let channel = incident.channel.clone().expect("a channel").to_string();
    (incident, channel)
}

/// `/incident TEXT` typed in `channel` by `user`; waits for the outbox; returns the reply.
async fn say(app: &TestApp, channel: &str, user: &str, text: &str) -> String {
    let reply = app.command_in(text, channel, user).await;
    app.outbox_drained().await;
    reply["text"].as_str().unwrap_or_default().to_owned()
}

async fn incident(app: &TestApp, number: i64) -> Incident {
    app.app.store.incident_by_number(IncidentNumber(number)).await.unwrap().unwrap()
}

fn top_level(app: &TestApp, channel: &str) -> Vec<Message> {
    workspace::bot_posts(&app.slack, channel)
}

fn replies_in(app: &TestApp, channel: &str) -> Vec<Message> {
    app.slack.messages(channel).into_iter().filter(|m| m.user == BOT_USER_ID && m.thread_ts.is_some()).collect()
}

fn text_of(message: &Message) -> String {
    format!("{} {}", message.text, message.blocks)
}

#[tokio::test]
async fn raising_a_sev3_to_sev1_tells_announcements_once_and_lowering_only_adds_a_note() {
    let app = app().await;
    let (_, channel) = declared(&app, "declare sev3 service:search Search is slow", 1).await;
    assert!(top_level(&app, "C0INCIDENTS").is_empty(), "a SEV3 stays narrow");

    assert_eq!(say(&app, &channel, "U0SEARCHER", "sev sev1").await, "Done.");
    assert_eq!(top_level(&app, "C0INCIDENTS").len(), 1, "widened to announcements");
    assert_eq!(top_level(&app, "C0SEARCH").len(), 1, "the team is not told twice");

    say(&app, &channel, "U0REPORTER", "severity sev3").await;
    assert_eq!(top_level(&app, "C0INCIDENTS").len(), 1, "nothing is deleted or un-shared");
    let lowered = replies_in(&app, "C0INCIDENTS");
    assert!(lowered.iter().any(|m| m.text.contains("Severity lowered from SEV1 to *SEV3*")), "{lowered:?}");
    assert!(top_level(&app, &channel).iter().any(|m| m.text.contains("lowered the severity from SEV1 to *SEV3*")));

    say(&app, &channel, "U0REPORTER", "sev sev1").await;
    assert_eq!(top_level(&app, "C0INCIDENTS").len(), 1, "raised again: nothing re-posted");
    assert_eq!(incident(&app, 1).await.severity.as_str(), "SEV1");
}

#[tokio::test]
async fn adding_a_service_with_dependants_widens_the_audience() {
    let app = app().await;
    let (_, channel) = declared(&app, "declare sev3 service:search Search is slow", 1).await;
    assert!(top_level(&app, "C0PAYMENTS").is_empty());
    say(&app, &channel, "U0SEARCHER", "service add payments").await;
    assert_eq!(top_level(&app, "C0PAYMENTS").len(), 1);
    assert_eq!(top_level(&app, "C0CHECKOUT").len(), 1, "checkout depends on payments");
    assert_eq!(top_level(&app, "C0SEARCH").len(), 1);
    let members = app.slack.channel(&channel).unwrap().members;
    assert!(members.contains(&"U0SEARCHER".to_owned()));
}

#[tokio::test]
async fn an_update_edits_every_notice_and_replies_in_each_thread() {
    let app = app().await;
    let (_, channel) = declared(&app, "declare sev1 service:payments Checkout is down", 1).await;
    say(&app, &channel, "U0ONCALL1", "update Rolled back to v41; error rate falling <!channel>").await;

    for notice_channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        let notices = top_level(&app, notice_channel);
        assert_eq!(notices.len(), 1);
        let edits =
            app.slack.calls_to("chat.update").into_iter().filter(|c| c.params["channel"] == notice_channel).count();
        assert!(edits >= 1, "{notice_channel}'s notice is edited in place");
        let thread = replies_in(&app, notice_channel);
        assert_eq!(thread.len(), 1, "{notice_channel}");
        assert_eq!(thread[0].thread_ts.as_deref(), Some(notices[0].ts.as_str()));
        assert!(thread[0].text.contains("*Update* (Investigating): Rolled back to v41"), "{}", thread[0].text);
        assert!(!thread[0].text.contains("<!channel>"), "user text never pings");
    }
    let posted = top_level(&app, &channel);
    assert!(posted.iter().any(|m| m.text.contains("*Update* from <@U0ONCALL1>")), "{posted:?}");
    let timeline = app.app.store.timeline(incident(&app, 1).await.id).await.unwrap();
    assert_eq!(timeline.last().unwrap().entry.kind(), Ok(TimelineKind::Update));
    assert_eq!(timeline.last().unwrap().author.as_deref(), Some("U0ONCALL1"));
}

#[tokio::test]
async fn the_topic_and_the_pinned_summary_follow_the_lead() {
    let app = app().await;
    let (_, channel) = declared(&app, "declare sev2 service:payments Cards declined", 1).await;
    say(&app, &channel, "U0REPORTER", "lead <@U0ONCALL1|oncall>").await;
    let slack_channel = app.slack.channel(&channel).unwrap();
    assert_eq!(slack_channel.topic, "SEV2 · Investigating · Lead: <@U0ONCALL1>");
    let summary = app.slack.messages(&channel).into_iter().find(|m| m.ts == slack_channel.pins[0]).unwrap();
    assert!(text_of(&summary).contains("<@U0ONCALL1>"), "the summary is edited in place: {}", text_of(&summary));
    let instructions = top_level(&app, &channel);
    assert!(
        instructions
            .iter()
            .any(|m| m.text.contains("<@U0ONCALL1> is now the *lead*") && m.text.contains("coordinates the response")),
        "{instructions:?}"
    );
    assert_eq!(incident(&app, 1).await.lead.unwrap().as_str(), "U0ONCALL1");
    say(&app, &channel, "U0REPORTER", "role liaison <@U0ADMIN>").await;
    assert!(
        top_level(&app, &channel)
            .iter()
            .any(|m| { m.text.contains("Keeps the affected teams and customer support informed") })
    );
}

#[tokio::test]
async fn the_full_lifecycle_with_a_reopen_and_every_illegal_move_refused() {
    let policy = workspace::policy().replace("archive_on_close = false", "archive_on_close = true");
    let app = app_with(policy).await;
    let (_, channel) = declared(&app, "declare sev2 service:payments Cards declined", 1).await;
    let status = |app: &TestApp| {
        let app = app.app.clone();
        async move { app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().status }
    };

    assert_eq!(
        say(&app, &channel, "U0REPORTER", "close").await,
        "Resolve incident #1 before closing it: `/incident resolve [SUMMARY]`."
    );
    assert_eq!(status(&app).await, IncidentStatus::Investigating);
    say(&app, &channel, "U0ONCALL1", "status identified").await;
    say(&app, &channel, "U0ONCALL1", "status monitoring").await;
    assert_eq!(status(&app).await, IncidentStatus::Monitoring);
    assert!(say(&app, &channel, "U0ONCALL1", "status monitoring").await.starts_with("Nothing to change"));
    say(&app, &channel, "U0REPORTER", "resolve Rolled back the deploy").await;
    assert_eq!(status(&app).await, IncidentStatus::Resolved);
    assert!(say(&app, &channel, "U0REPORTER", "resolve").await.starts_with("Incident #1 is already resolved"));

    say(&app, &channel, "U0ONCALL1", "status investigating").await;
    assert_eq!(status(&app).await, IncidentStatus::Investigating, "reopened");
    say(&app, &channel, "U0REPORTER", "resolve Really fixed").await;
    let events_before = app.app.store.timeline(IncidentId::from_stored(1)).await.unwrap().len();
    say(&app, &channel, "U0REPORTER", "close").await;
    assert_eq!(status(&app).await, IncidentStatus::Closed);
    assert!(app.slack.channel(&channel).unwrap().archived, "archive_on_close = true");

    for refused in ["resolve", "close", "status identified", "sev sev1", "update more", "title New", "lead <@U0ADMIN>"]
    {
        let reply = say(&app, &channel, "U0REPORTER", refused).await;
        assert!(reply.starts_with("Incident #1 is closed"), "{refused}: {reply}");
    }
    assert_eq!(status(&app).await, IncidentStatus::Closed);
    assert_eq!(
        app.app.store.timeline(IncidentId::from_stored(1)).await.unwrap().len(),
        events_before + 1,
        "only the close was recorded"
    );

    let resolutions = replies_in(&app, "C0PAYMENTS");
    let resolved =
        resolutions.iter().find(|m| m.text.contains("*Resolved* after")).expect("the resolution in the thread");
    assert!(resolved.reply_broadcast, "the resolution is also sent to the channel");
    assert!(resolved.text.contains("Rolled back the deploy"));
    let timeline = app.app.store.timeline(IncidentId::from_stored(1)).await.unwrap();
    let kinds: Vec<_> = timeline.iter().map(|e| e.entry.kind()).collect();
    assert_eq!(
        kinds,
        [
            TimelineKind::Declared,
            TimelineKind::StatusChanged,
            TimelineKind::StatusChanged,
            TimelineKind::Resolved,
            TimelineKind::Reopened,
            TimelineKind::Resolved,
            TimelineKind::Closed
        ]
        .map(Ok)
    );
}

#[tokio::test]
async fn a_bystander_cannot_resolve_or_lower_but_the_reporter_and_an_admin_can() {
    let app = app().await;
    let (_, channel) = declared(&app, "declare sev1 service:payments Checkout is down", 1).await;
    for attempt in ["resolve", "sev sev3", "service remove payments"] {
        let reply = say(&app, &channel, "U0BYSTANDER", attempt).await;
        assert!(reply.starts_with("Only the people running incident #1 may do that:"), "{attempt}: {reply}");
        assert!(
            reply.contains("<@U0REPORTER>") && reply.contains("<@U0ONCALL1>") && reply.contains("<@U0ADMIN>"),
            "{reply}"
        );
    }
    let unchanged = incident(&app, 1).await;
    assert_eq!((unchanged.status, unchanged.severity.as_str()), (IncidentStatus::Investigating, "SEV1"));
    assert_eq!(say(&app, &channel, "U0BYSTANDER", "update I can still help").await, "Done.", "anyone may update");
    assert_eq!(say(&app, &channel, "U0REPORTER", "sev sev2").await, "Done.");
    assert_eq!(say(&app, &channel, "U0ADMIN", "resolve").await, "Done.");
    assert_eq!(incident(&app, 1).await.status, IncidentStatus::Resolved);
}

fn click(action_id: &str, incident_id: IncidentId, user: &str) -> Value {
    json!({
        "type": "block_actions",
        "team": {"id": signing::TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": "someone", "team_id": signing::TEAM_ID},
        "api_app_id": "A0FIREBELL",
        "trigger_id": format!("trigger-{action_id}"),
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0INC"},
        "actions": [{"action_id": action_id, "block_id": "incident_actions", "type": "button", "value": incident_id.to_string(), "action_ts": "1.2"}]
    })
}

fn submit(callback_id: &str, incident_id: IncidentId, user: &str, values: Value) -> Value {
    json!({
        "type": "view_submission",
        "team": {"id": signing::TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": "someone", "team_id": signing::TEAM_ID},
        "api_app_id": "A0FIREBELL",
        "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": incident_id.to_string(), "state": {"values": values}}
    })
}

async fn interact(app: &TestApp, payload: &Value) -> reqwest::Response {
    let response = app
        .post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(payload))
        .await;
    app.outbox_drained().await;
    response
}

#[tokio::test]
async fn each_summary_button_opens_its_modal_and_its_submission_acts_like_the_command() {
    let app = app().await;
    let (declared_incident, channel) = declared(&app, "declare sev2 service:payments Cards declined", 1).await;
    let summary = app
        .slack
        .messages(&channel)
        .into_iter()
        .find(|m| m.ts == app.slack.channel(&channel).unwrap().pins[0])
        .unwrap();
    let buttons: Vec<String> = summary
        .blocks
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| {
            b["elements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["action_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(buttons, ["incident_update", "incident_severity", "incident_lead", "incident_resolve"]);

    let id = declared_incident.id;
    for action in &buttons {
        assert_eq!(interact(&app, &click(action, id, "U0ONCALL1")).await.status(), 200);
        let opened = app.slack.calls_to("views.open");
        let last = opened.last().unwrap();
        assert_eq!(last.params["trigger_id"], format!("trigger-{action}"));
        assert_eq!(last.params["view"]["callback_id"], action.as_str());
        assert_eq!(last.params["view"]["private_metadata"], id.to_string());
    }

    let update = json!({"text": {"text": {"type": "plain_text_input", "value": "Found the bad config"}},
                        "status": {"status": {"type": "static_select", "selected_option": {"value": "identified"}}}});
    assert_eq!(interact(&app, &submit("incident_update", id, "U0ONCALL1", update)).await.text().await.unwrap(), "");
    let after_update = incident(&app, 1).await;
    assert_eq!(after_update.status, IncidentStatus::Identified);
    assert!(replies_in(&app, "C0PAYMENTS").iter().any(|m| m.text.contains("Found the bad config")));

    let severity = json!({"severity": {"severity": {"type": "static_select", "selected_option": {"value": "SEV1"}}}});
    interact(&app, &submit("incident_severity", id, "U0ONCALL1", severity)).await;
    assert_eq!(incident(&app, 1).await.severity.as_str(), "SEV1");

    let lead = json!({"lead": {"lead": {"type": "users_select", "selected_user": "U0ONCALL1"}}});
    interact(&app, &submit("incident_lead", id, "U0REPORTER", lead)).await;
    assert_eq!(incident(&app, 1).await.lead.unwrap().as_str(), "U0ONCALL1");

    let resolve = json!({"summary": {"summary": {"type": "plain_text_input", "value": "Config reverted"}}});
    let refused = interact(&app, &submit("incident_resolve", id, "U0BYSTANDER", resolve.clone())).await;
    let errors: Value = refused.json().await.unwrap();
    assert_eq!(errors["response_action"], "errors");
    assert!(
        errors["errors"]["summary"].as_str().unwrap().starts_with("Only the people running incident #1"),
        "{errors}"
    );
    interact(&app, &submit("incident_resolve", id, "U0ONCALL1", resolve)).await;
    assert_eq!(incident(&app, 1).await.status, IncidentStatus::Resolved);
    let timeline = app.app.store.timeline(id).await.unwrap();
    let kinds: Vec<_> = timeline.iter().map(|e| e.entry.kind()).collect();
    assert_eq!(
        kinds,
        [
            TimelineKind::Declared,
            TimelineKind::Update,
            TimelineKind::SeverityChanged,
            TimelineKind::RoleAssigned,
            TimelineKind::Resolved
        ]
        .map(Ok)
    );
}

#[tokio::test]
async fn update_without_text_opens_the_update_modal() {
    let app = app().await;
    let (_, channel) = declared(&app, "declare sev3 service:search Search is slow", 1).await;
    let response = app.command_response("update", &channel, "U0SEARCHER").await;
    assert_eq!(response.text().await.unwrap(), "");
    let opened = app.slack.calls_to("views.open");
    assert_eq!(opened.last().unwrap().params["view"]["callback_id"], "incident_update");
}

#[tokio::test]
async fn a_private_incident_never_shows_its_title_outside_its_channel() {
    let app = app().await;
    let reply =
        app.command_in("declare --private sev1 service:payments Secret merger leak", "C0GENERAL", "U0REPORTER").await;
    let reply = reply["text"].as_str().unwrap();
    assert!(reply.starts_with("Declaring private incident #1 (SEV1)") && !reply.contains("Secret"), "{reply}");
    app.outbox_drained().await;
    let private = incident(&app, 1).await;
    let channel = private.channel.unwrap().to_string();
    assert!(app.slack.channel(&channel).unwrap().is_private);
    say(&app, &channel, "U0REPORTER", "update Still leaking").await;
    say(&app, &channel, "U0REPORTER", "sev sev2").await;

    let listed = app.command_in("list", "C0GENERAL", "U0BYSTANDER").await;
    let listed = listed["text"].as_str().unwrap();
    assert!(listed.contains("#1 SEV2 · Investigating · a private incident"), "{listed}");
    assert!(!listed.contains("Secret") && !listed.contains(&channel), "{listed}");

    for seeded in ["C0INCIDENTS", "C0TRIAGE", "C0PAYMENTS", "C0CHECKOUT", "C0SEARCH", "C0GENERAL"] {
        assert!(app.slack.messages(seeded).is_empty(), "nothing leaves the private channel: {seeded}");
    }
    for response in app.slack.responses() {
        assert!(!response.to_string().contains("Secret merger"), "{response}");
    }
    for call in app.slack.calls() {
        if call.params.to_string().contains("Secret merger") {
            assert_eq!(call.params["channel"], channel.as_str(), "{} carried the title elsewhere", call.method);
        }
    }
}

#[tokio::test]
async fn list_shows_open_incidents_with_their_channels() {
    let app = app().await;
    let (_, channel) = declared(&app, "declare sev2 service:payments Cards declined", 1).await;
    let listed = app.command("list").await;
    assert_eq!(listed["text"], format!("*Open incidents*\n• #1 SEV2 · Investigating · Cards declined · <#{channel}>"));
}

#[tokio::test]
async fn a_request_from_another_workspace_changes_nothing() {
    let app = app().await;
    let (declared_incident, channel) = declared(&app, "declare sev2 service:payments Cards declined", 1).await;
    let form = signing::command_form_from("T0STRANGER", "resolve", &channel, "U0REPORTER");
    let reply: Value =
        app.post_signed("/slack/commands", "application/x-www-form-urlencoded", form).await.json().await.unwrap();
    assert_eq!(reply["text"], "This firebell serves another Slack workspace, so nothing was done.");
    let mut payload = submit("incident_resolve", declared_incident.id, "U0REPORTER", json!({}));
    payload["team"]["id"] = json!("T0STRANGER");
    assert_eq!(interact(&app, &payload).await.status(), 403);
    assert_eq!(incident(&app, 1).await.status, IncidentStatus::Investigating);
    assert_eq!(app.app.store.timeline(declared_incident.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn simultaneous_changes_are_all_kept() {
    let app = app().await;
    let (_, channel) = declared(&app, "declare sev2 service:payments Cards declined", 1).await;
    let (lead, status, title, impact) = tokio::join!(
        app.command_in("lead <@U0ONCALL1>", &channel, "U0REPORTER"),
        app.command_in("status identified", &channel, "U0ONCALL1"),
        app.command_in("title Card payments declined", &channel, "U0ONCALL1"),
        app.command_in("impact 30% of card payments fail", &channel, "U0ONCALL1"),
    );
    for reply in [lead, status, title, impact] {
        assert_eq!(reply["text"], "Done.");
    }
    app.outbox_drained().await;
    let after = incident(&app, 1).await;
    assert_eq!(after.lead.unwrap().as_str(), "U0ONCALL1");
    assert_eq!(after.status, IncidentStatus::Identified);
    assert_eq!(after.title, "Card payments declined");
    assert_eq!(after.impact.as_deref(), Some("30% of card payments fail"));
    assert_eq!(app.app.store.timeline(after.id).await.unwrap().len(), 5);
}

#[tokio::test]
async fn a_burst_of_simultaneous_notes_is_all_recorded_and_posted() {
    let app = app().await;
    let (declared_incident, channel) = declared(&app, "declare sev2 service:payments Cards declined", 1).await;
    let texts: Vec<String> = (0..40).map(|n| format!("note observation {n}")).collect();
    let replies = futures::future::join_all(texts.iter().map(|text| app.command_in(text, &channel, "U0ONCALL1"))).await;
    for reply in &replies {
        assert_eq!(reply["text"], "Done.", "every note is taken: {reply}");
    }
    // Forty posts to one channel: Slack's pace (about one a second) spreads them over ~40 s.
    app.outbox_drained_within(std::time::Duration::from_secs(90)).await;
    let notes = app
        .app
        .store
        .timeline(declared_incident.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.entry, TimelineEntry::Note { .. }));
    assert_eq!(notes.count(), 40);
    let posted = app.slack.messages(&channel).into_iter().filter(|m| m.text.contains("observation")).count();
    assert_eq!(posted, 40);
    assert_eq!(incident(&app, 1).await.version, declared_incident.version, "notes leave the incident row alone");
}

#[tokio::test]
async fn the_lifecycle_works_the_same_on_postgres() {
    let Some(database) = crate::support::database::postgres().await else {
        return;
    };
    let app = spawn_app_with(Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        database: Some(database),
        ..Options::default()
    })
    .await;
    let (_, channel) = declared(&app, "declare sev3 service:search Search is slow", 1).await;
    for (user, command) in [
        ("U0SEARCHER", "lead <@U0SEARCHER>"),
        ("U0SEARCHER", "role scribe <@U0ADMIN>"),
        ("U0SEARCHER", "sev sev1"),
        ("U0SEARCHER", "update Reindexing"),
        ("U0SEARCHER", "status monitoring"),
        ("U0SEARCHER", "resolve Reindexed"),
        ("U0SEARCHER", "close"),
    ] {
        assert_eq!(say(&app, &channel, user, command).await, "Done.", "{command}");
    }
    let closed = incident(&app, 1).await;
    assert_eq!(closed.status, IncidentStatus::Closed);
    assert_eq!(top_level(&app, "C0INCIDENTS").len(), 1);
    assert_eq!(app.app.store.roles(closed.id).await.unwrap().len(), 1);
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty());
}
