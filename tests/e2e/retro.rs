//! The retrospective end to end: a scripted incident plus older history only Slack has,
//! published as a canvas (or a file when canvases are unavailable), updated in place when
//! run again, and printed the same by `firebell retro`.

use firebell::domain::incident::IncidentNumber;
use serde_json::json;

use crate::support::app::{Options, TestApp, spawn_app_with};
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
    // Pinned too: the same message highlighted twice is one highlight.
    app.event(
        event_envelope("Ev3", json!({"type": "pin_added", "user": "U0ONCALL1", "channel_id": &channel,
            "item": {"type": "message", "channel": &channel, "created": 1790000100, "created_by": "U0ONCALL1",
                     "message": {"type": "message", "user": "U0ONCALL1", "text": "Gateway 502s started right after deploy v42", "ts": &seen}},
            "event_ts": "1790000100.000100"})),
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
    // The pinned message: once in its own section, once in the timeline as itself, marked.
    let highlights = &document[position("## Highlights")..position("## Timeline")];
    assert_eq!(highlights.matches("Gateway 502s started right after deploy v42").count(), 1, "{highlights}");
    let timeline = &document[position("## Timeline")..position("## Follow-ups")];
    assert_eq!(timeline.matches("Gateway 502s started right after deploy v42").count(), 1, "{timeline}");
    assert_eq!(timeline.matches(":pushpin:").count(), 1, "{timeline}");
    assert!(timeline.contains(":pushpin: Gateway 502s started right after deploy v42"), "{timeline}");
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

/// Declares a SEV2 on checkout and waits for its channel; returns the channel.
async fn declared_channel(app: &TestApp) -> String {
    app.command_in("declare sev2 service:checkout Orders fail at payment", "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    incident.channel.unwrap().to_string()
}

/// The channel's top-level messages (what its history lists) and its threads, in the fake.
fn listed_and_threads(app: &TestApp, channel: &str) -> (usize, usize) {
    let messages = app.slack.messages(channel);
    let top: Vec<_> = messages.iter().filter(|m| m.thread_ts.is_none() || m.reply_broadcast).collect();
    let threads = top.iter().filter(|t| messages.iter().any(|m| m.thread_ts.as_deref() == Some(t.ts.as_str()))).count();
    (top.len(), threads)
}

/// `(conversations.history, conversations.replies)` calls so far.
fn reads(app: &TestApp) -> (usize, usize) {
    (app.slack.calls_to("conversations.history").len(), app.slack.calls_to("conversations.replies").len())
}

/// The seeded messages firebell stored, by ts, each once.
async fn stored_history(app: &TestApp) -> Vec<String> {
    let messages = app.app.store.messages(IncidentId::from_stored(1)).await.unwrap();
    let author = crate::support::fake_slack::HISTORY_AUTHOR;
    messages.into_iter().filter(|m| m.user.as_ref().is_some_and(|u| u.as_str() == author)).map(|m| m.ts).collect()
}

#[tokio::test]
async fn a_long_channel_is_backfilled_once_under_rate_limits_resuming_after_each_429() {
    // firebell's own pacing (Tier 3: 50 reads a minute) would spread these 225 reads over
    // minutes; what is tested here is what happens when Slack answers 429.
    let app = spawn_app_with(Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        env: vec![("FIREBELL_SLACK_PACING", "off".to_owned())],
        ..Options::default()
    })
    .await;
    let channel = declared_channel(&app).await;
    // 5,000 messages: 4,600 in the channel, 200 of them threads of 2 replies.
    let mut seeded = app.slack.add_history(&channel, 4_600, 200, 2);
    let (listed, threads) = listed_and_threads(&app, &channel);
    app.slack.rate_limit_every("conversations.history", 10, 1);
    app.slack.rate_limit_every("conversations.replies", 50, 1);
    let (history_before, replies_before) = reads(&app);

    retro(&app, &channel).await;

    let mut stored = stored_history(&app).await;
    stored.sort();
    seeded.sort();
    assert_eq!(stored.len(), 5_000);
    assert_eq!(stored, seeded, "every message stored, each once");
    let (history, replies) = reads(&app);
    let (history, replies) = (history - history_before, replies - replies_before);
    let limited = (app.slack.rate_limited("conversations.history"), app.slack.rate_limited("conversations.replies"));
    let pages = listed.div_ceil(200);
    println!(
        "backfill of {listed} listed messages and {threads} threads: {history} history calls ({pages} pages, {} answered 429), \
         {replies} replies calls ({threads} threads, {} answered 429)",
        limited.0, limited.1
    );
    assert!(limited.0 >= 2 && limited.1 >= 4, "the limits were met: {limited:?}");
    assert_eq!(history, pages + limited.0, "each page read once, plus the refused calls");
    assert_eq!(replies, threads + limited.1, "each thread read once, plus the refused calls");
    assert_eq!(app.slack.canvases().len(), 1, "the retrospective is published");
}

#[tokio::test]
async fn publishing_again_reads_only_the_messages_after_the_ones_covered() {
    let app = app().await;
    let channel = declared_channel(&app).await;
    app.slack.add_history(&channel, 300, 3, 2);
    let newest_covered =
        app.slack.messages(&channel).into_iter().filter(|m| m.thread_ts.is_none()).map(|m| m.ts).max().unwrap();
    retro(&app, &channel).await;
    assert_eq!(stored_history(&app).await.len(), 306);
    let (history_before, replies_before) = reads(&app);

    let newer = app.slack.add_history(&channel, 20, 1, 3);
    let reply = app.command_in("retro", &channel, "U0ONCALL1").await;
    assert!(reply["text"].as_str().unwrap_or_default().starts_with("Building the retrospective"), "{reply}");
    app.outbox_drained().await;

    let history = &app.slack.calls_to("conversations.history")[history_before..];
    assert_eq!(history.len(), 1, "one page of newer messages");
    assert_eq!(history[0].params["oldest"].as_str(), Some(newest_covered.as_str()), "only after what was covered");
    assert_eq!(app.slack.calls_to("conversations.replies").len() - replies_before, 1, "only the new thread is read");
    let stored = stored_history(&app).await;
    assert_eq!(stored.len(), 306 + 23);
    assert!(newer.iter().all(|ts| stored.contains(ts)), "the newer messages are stored");
    assert_eq!(app.slack.calls_to("canvases.edit").len(), 1, "the same canvas, updated");
}

/// The canvas is made but the answer is lost (a 500 after Slack acted): the retry finds
/// `channel_canvas_already_exists`, adopts that canvas and fills it, instead of uploading a file
/// beside it; publishing again edits the same canvas.
#[tokio::test]
async fn a_canvas_made_by_an_attempt_whose_answer_was_lost_is_adopted_not_doubled_by_a_file() {
    let app = app().await;
    let channel = declared_channel(&app).await;
    app.slack.inject("conversations.canvases.create", Fault::FailAfterEffect(500));
    retro(&app, &channel).await;
    assert_eq!(app.slack.canvases().len(), 1, "one canvas");
    assert!(app.slack.files().is_empty(), "no file beside it");
    assert!(app.slack.calls_to("conversations.canvases.create").len() >= 2, "the retry met the canvas it made");
    let canvas = app.slack.canvases()[0].clone();
    assert!(canvas.markdown.contains("Orders fail at payment"), "{}", canvas.markdown);

    app.command_in("note the gateway was restarted at 14:05", &channel, "U0ONCALL1").await;
    let reply = app.command_in("retro", &channel, "U0ONCALL1").await;
    assert!(reply["text"].as_str().unwrap().starts_with("Building the retrospective"), "{reply}");
    app.outbox_drained().await;
    let canvases = app.slack.canvases();
    assert_eq!(canvases.len(), 1, "still one canvas");
    assert_eq!(canvases[0].id, canvas.id);
    assert!(canvases[0].markdown.contains("gateway was restarted"), "edited: {}", canvases[0].markdown);
    assert!(app.slack.files().is_empty());
}

/// Where canvases are unavailable: the file is shared but the answer is lost (a 500 after
/// Slack acted). The retry finds that file in the channel instead of sharing a second one.
#[tokio::test]
async fn a_retrospective_file_shared_with_a_lost_answer_is_found_not_shared_twice() {
    let app = app().await;
    let channel = declared_channel(&app).await;
    for _ in 0..2 {
        app.slack.inject("conversations.canvases.create", Fault::SlackError("not_allowed_token_type".into()));
    }
    app.slack.inject("files.completeUploadExternal", Fault::FailAfterEffect(500));
    retro(&app, &channel).await;
    let shared: Vec<_> = app.slack.files().into_iter().filter(|f| f.completed).collect();
    assert_eq!(shared.len(), 1, "one file shared: {shared:?}");
    let posts = app.slack.messages(&channel);
    assert_eq!(posts.iter().filter(|m| !m.files.is_empty()).count(), 1, "one file in the channel");
    let published = app.app.store.retrospective(IncidentId::from_stored(1)).await.unwrap().unwrap();
    assert_eq!(published.file_id.as_deref(), Some(shared[0].id.as_str()));
}
