//! The retrospective end to end: a scripted incident plus older history only Slack has,
//! published as a canvas (or a file when canvases are unavailable), updated in place when
//! run again, and printed the same by `firebell retro`.

use firebell::domain::incident::IncidentNumber;
use serde_json::json;

use crate::support::app::TestApp;
use crate::support::fake_slack::Fault;
use crate::support::signing::event_envelope;
use crate::support::{wait, workspace};
use firebell::domain::incident::IncidentId;

async fn app() -> TestApp {
    workspace::spawn().await
}

/// Declares, talks, pins, updates, adds three follow-ups and resolves; then 450 messages
/// arrive that firebell never saw. Returns the incident channel.
async fn scripted_incident(app: &TestApp) -> String {
    app.command_in("declare sev2 service:payments Card payments declined", "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = incident.channel.unwrap().to_string();
    let say = |text: &'static str| app.command_in(text, &channel, "U0ONCALL1");
    say("lead <@U0ONCALL1>").await;
    let seen = app.slack.add_message(&channel, "U0ONCALL1", "Gateway 502s started right after deploy v42", None);
    app.event(
        event_envelope("Ev1", json!({"type": "message", "channel": &channel, "user": "U0ONCALL1", "text": "Gateway 502s started right after deploy v42", "ts": &seen})),
        None,
    )
    .await;
    app.event(
        event_envelope("Ev2", json!({"type": "reaction_added", "user": "U0REPORTER", "reaction": "pushpin", "item": {"type": "message", "channel": &channel, "ts": &seen}})),
        None,
    )
    .await;
    say("update Rolling back deploy v42").await;
    say("status monitoring").await;
    say("followup prevent Canary gateway config changes <@U0ONCALL1> due:2026-12-10").await;
    say("followup detect Alert on the 502 ratio").await;
    say("followup handle Link the rollback runbook from the summary <@U0REPORTER>").await;
    say("resolve Rolled back deploy v42").await;
    app.outbox_drained().await;
    for n in 0..450 {
        app.slack.add_message(&channel, "U0SEARCHER", &format!("older message {n:03}"), None);
    }
    channel
}

async fn retro(app: &TestApp, channel: &str) {
    let reply = app.command_in("retro", channel, "U0ONCALL1").await;
    assert_eq!(reply["text"], "Building the retrospective of incident #1; I'll post it in the channel.");
    app.outbox_drained().await;
}

#[tokio::test]
async fn retro_publishes_a_canvas_with_everything_in_order_and_updates_it_when_run_again() {
    let app = app().await;
    let channel = scripted_incident(&app).await;
    retro(&app, &channel).await;

    let canvases = app.slack.canvases();
    assert_eq!(canvases.len(), 1);
    let document = &canvases[0].markdown;
    assert_eq!(canvases[0].channel.as_deref(), Some(channel.as_str()));
    let position = |needle: &str| document.find(needle).unwrap_or_else(|| panic!("missing {needle}:\n{document}"));
    assert!(position("declared as SEV2") < position(":pushpin: Gateway 502s started right after deploy v42"));
    assert!(position("update: Rolling back deploy v42") < position("resolved: Rolled back deploy v42"));
    assert!(position("older message 000") < position("older message 449"), "paged history in time order");
    for n in [0, 199, 200, 399, 449] {
        position(&format!("older message {n:03}"));
    }
    assert_eq!(document.matches("older message").count(), 450, "no duplicates with stored messages");
    let groups = &document[position("## Follow-ups")..];
    let within = |needle: &str| groups.find(needle).unwrap_or_else(|| panic!("missing {needle} among the follow-ups"));
    assert!(within("### Preventing recurrence") < within("Canary gateway config changes"));
    assert!(within("Canary gateway config changes") < within("### Improving detection"));
    assert!(within("### Improving detection") < within("Alert on the 502 ratio"));
    assert!(within("Alert on the 502 ratio") < within("### Improving handling"));
    assert!(within("### Improving handling") < within("Link the rollback runbook"));
    assert!(!document.contains("U0ONCALL1") && !document.contains("oncall"), "blameless by default");
    let history_pages = app.slack.calls_to("conversations.history").len();
    assert!(history_pages >= 3, "450 messages take several pages: {history_pages}");
    let posted = workspace::bot_posts(&app.slack, &channel);
    assert!(
        posted.iter().any(|m| m.text.contains("The retrospective of incident #1 is ready")),
        "a short summary with the link"
    );

    retro(&app, &channel).await;
    assert_eq!(app.slack.canvases().len(), 1, "running it again does not create a second canvas");
    assert_eq!(app.slack.calls_to("canvases.edit").len(), 1);
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!(incident.timers.retro_nudge_due_at, None, "a published retrospective ends the nudges");
}

#[tokio::test]
async fn without_canvases_the_retrospective_is_uploaded_as_a_markdown_file() {
    let app = app().await;
    let channel = scripted_incident(&app).await;
    app.slack.inject("conversations.canvases.create", Fault::SlackError("not_allowed_token_type".into()));
    retro(&app, &channel).await;
    assert!(app.slack.canvases().is_empty());
    let files = app.slack.files();
    assert_eq!(files.len(), 1);
    assert!(files[0].completed && files[0].channels.contains(&channel), "{:?}", files[0]);
    assert_eq!(files[0].filename, "incident-1-retrospective.md");
    let document = String::from_utf8(files[0].bytes.clone()).unwrap();
    assert!(document.starts_with("# Retrospective: incident #1 — Card payments declined"));
    assert_eq!(document.matches("older message").count(), 450);
}

#[tokio::test]
async fn firebell_retro_prints_the_published_document() {
    let app = app().await;
    let channel = scripted_incident(&app).await;
    retro(&app, &channel).await;
    let published = app.slack.canvases()[0].markdown.clone();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_firebell"))
        .args(["retro", "1"])
        .env_clear()
        .env("DATABASE_URL", &app.database.url)
        .env("FIREBELL_CONFIG", app.database.dir.path().join("firebell.toml"))
        .env("RUST_LOG", "off")
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), output).await.unwrap().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), published);
    let by_name = incident_channel_name(&app).await;
    let again = tokio::process::Command::new(env!("CARGO_BIN_EXE_firebell"))
        .args(["retro", &by_name])
        .env_clear()
        .env("DATABASE_URL", &app.database.url)
        .env("FIREBELL_CONFIG", app.database.dir.path().join("firebell.toml"))
        .output()
        .await
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), published, "by channel name too");
}

async fn incident_channel_name(app: &TestApp) -> String {
    app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap().channel_name.unwrap()
}

#[tokio::test]
async fn followups_are_listed_with_buttons_and_marked_done_by_a_click() {
    let app = app().await;
    let channel = scripted_incident(&app).await;
    let listed = app.command_in("followups", &channel, "U0REPORTER").await;
    let blocks = listed["blocks"].to_string();
    assert!(blocks.contains("followup_done") && blocks.contains("Canary gateway config changes"), "{blocks}");
    let click = json!({"type": "block_actions", "team": {"id": "T0FIREBELL"}, "user": {"id": "U0REPORTER"}, "trigger_id": "t",
                       "actions": [{"action_id": "followup_done", "value": "2", "type": "button"}]});
    let response = app
        .post_signed(
            "/slack/interactions",
            "application/x-www-form-urlencoded",
            crate::support::signing::interaction_form(&click),
        )
        .await;
    assert_eq!(response.status(), 200);
    app.outbox_drained().await;
    let followups = app.app.store.followups(IncidentId::from_stored(1)).await.unwrap();
    assert!(followups[1].done_at.is_some() && followups[0].done_at.is_none());
    wait::until_sync("the done post", || {
        workspace::bot_posts(&app.slack, &channel).iter().any(|m| m.text.contains("marked follow-up #2 done"))
    })
    .await;
}
