//! Drills (`declare --drill`, or the form's checkbox) end to end, against the fake Slack and
//! the fake PagerDuty and Opsgenie: a practice incident runs like a real one inside its
//! channel, but its channel name and every message the bot makes say DRILL, nothing leaves
//! its channel (no notice, no announcement, no mass mention), nobody is paged outside Slack,
//! and it is left out of `stats` (unless `--drills`), `/api/stats`, `search` and similar
//! incidents.

use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::fake_opsgenie::{self, FakeOpsgenie};
use crate::support::fake_pagerduty::{self, FakePagerDuty};
use crate::support::fake_slack::{BOT_USER_ID, FakeSlack};
use crate::support::{signing, wait, workspace};

/// The on-call of payments: paged for a SEV1.
const ON_CALL: &str = "U0PAGED1";
const API_TOKEN: &str = "drill-api-token";

/// The contract's workspace with payments on call and SEV1 paging through both external pagers.
fn policy() -> String {
    let policy = workspace::policy().replace("name = \"payments\"\n", "name = \"payments\"\noncall = \"payments\"\n");
    format!(
        "{policy}\n[[schedules]]\nname = \"payments\"\nmembers = [\"{ON_CALL}\"]\nshift = \"1w\"\nstart = \"2026-01-01T00:00\"\n\n\
         [paging]\nseverities = [\"SEV1\"]\nack_within = \"1h\"\npagerduty = true\nopsgenie = true\n"
    )
}

fn seed(slack: &FakeSlack) {
    workspace::seed(slack);
    slack.add_user(ON_CALL, "paged");
}

struct Drill {
    app: TestApp,
    pagerduty: FakePagerDuty,
    opsgenie: FakeOpsgenie,
}

async fn spawn() -> Drill {
    let (pagerduty, opsgenie) = (FakePagerDuty::start().await, FakeOpsgenie::start().await);
    let app = spawn_app_with(Options {
        policy: Some(policy()),
        prepare_slack: Some(seed),
        env: vec![
            ("PAGERDUTY_ROUTING_KEY", fake_pagerduty::ROUTING_KEY.to_owned()),
            ("FIREBELL_PAGERDUTY_URL", pagerduty.url()),
            ("OPSGENIE_API_KEY", fake_opsgenie::KEY.to_owned()),
            ("FIREBELL_OPSGENIE_URL", opsgenie.url()),
            ("FIREBELL_API_TOKEN", API_TOKEN.to_owned()),
        ],
        ..Options::default()
    })
    .await;
    Drill { app, pagerduty, opsgenie }
}

fn text_of(reply: &Value) -> String {
    reply["text"].as_str().unwrap_or_default().to_owned()
}

/// The channel of incident `number`.
async fn channel_of(app: &TestApp, number: i64) -> String {
    let incident = app.app.store.incident_by_number(firebell::domain::incident::IncidentNumber(number)).await;
    incident.unwrap().expect("the incident").channel.expect("its channel").to_string()
}

/// The blocks a call carried, as JSON (sent as an array, or as a JSON string).
fn blocks_of(params: &Value) -> Option<Value> {
    match &params["blocks"] {
        Value::Null => None,
        Value::String(text) => serde_json::from_str(text).ok(),
        other => Some(other.clone()),
    }
}

/// Every message, edit, ephemeral, topic and document the bot made, and every `response_url`
/// reply, says DRILL (text and, where there are blocks, the first block); nothing anywhere
/// carries a mass mention. `what` names the moment for the failure message.
fn assert_everything_marked(slack: &FakeSlack, what: &str) {
    let mut seen = 0;
    for call in slack.calls() {
        let params = &call.params;
        let said = match call.method.as_str() {
            "chat.postMessage" | "chat.update" | "chat.postEphemeral" => params["text"].as_str(),
            "conversations.setTopic" => params["topic"].as_str(),
            "conversations.canvases.create" | "canvases.create" => params["title"].as_str(),
            _ => None,
        };
        if let Some(said) = said {
            seen += 1;
            assert!(said.contains("DRILL"), "{what}: {} without DRILL: {params}", call.method);
        }
        if let Some(blocks) = blocks_of(params) {
            let first = blocks[0]["elements"][0]["text"].as_str().unwrap_or_default();
            assert!(first.contains("DRILL"), "{what}: {} blocks do not open with DRILL: {blocks}", call.method);
        }
        let raw = params.to_string();
        for ping in ["<!here", "<!channel", "<!everyone", "<!subteam"] {
            assert!(!raw.contains(ping), "{what}: {ping} in {} {raw}", call.method);
        }
    }
    assert!(seen >= 3, "{what}: the bot said something ({seen} messages)");
    for response in slack.responses() {
        let said = text_of(&response);
        assert!(said.contains("DRILL"), "{what}: a reply without DRILL: {response}");
        assert!(!said.contains("<!here") && !said.contains("<!channel"), "{what}: {said}");
    }
}

/// Nothing was posted in the announcements channel nor in any team channel.
fn assert_nothing_shared(slack: &FakeSlack, what: &str) {
    for channel in ["C0INCIDENTS", "C0PAYMENTS", "C0CHECKOUT", "C0SEARCH"] {
        let posts: Vec<String> =
            slack.messages(channel).into_iter().filter(|m| m.user == BOT_USER_ID).map(|m| m.text).collect();
        assert!(posts.is_empty(), "{what}: the bot posted in {channel}: {posts:?}");
    }
}

fn assert_nobody_paged_outside_slack(drill: &Drill, what: &str) {
    assert!(drill.pagerduty.requests().is_empty(), "{what}: PagerDuty was called: {:?}", drill.pagerduty.requests());
    assert!(drill.opsgenie.requests().is_empty(), "{what}: Opsgenie was called: {:?}", drill.opsgenie.requests());
}

#[tokio::test]
async fn a_sev1_drill_is_marked_everywhere_shared_with_nobody_and_paged_only_in_slack() {
    let drill = spawn().await;
    let app = &drill.app;

    let reply = app.command("declare --drill sev1 service:payments Payments failover rehearsal").await;
    assert!(text_of(&reply).contains("DRILL"), "{reply}");
    // The on-call is paged, in Slack only, and the page says it is a drill.
    let dm = format!("D{}", &ON_CALL[1..]);
    wait::until_sync("the drill's page to the on-call", || {
        app.slack.messages(&dm).iter().any(|m| m.user == BOT_USER_ID)
    })
    .await;
    app.outbox_drained().await;

    let incident = app.app.store.incident_by_number(firebell::domain::incident::IncidentNumber(1)).await;
    let incident = incident.unwrap().unwrap();
    assert!(incident.drill);
    let channel = incident.channel.clone().unwrap().to_string();
    let name = app.slack.channel(&channel).unwrap().name;
    assert!(name.starts_with("inc-drill-") && name.contains("payments-failover-rehearsal"), "{name}");
    let page = app.slack.messages(&dm).into_iter().find(|m| m.user == BOT_USER_ID).unwrap();
    assert!(page.text.starts_with("[DRILL] "), "{}", page.text);
    let summary = workspace::bot_posts(&app.slack, &channel);
    assert!(!summary.is_empty() && summary.iter().all(|m| m.text.contains("DRILL")), "{summary:#?}");
    assert_everything_marked(&app.slack, "after declaring");
    assert_nothing_shared(&app.slack, "after declaring");
    assert_nobody_paged_outside_slack(&drill, "after declaring");

    // Running it: an update, a raise and a resolution — still nothing leaves the channel.
    for command in ["update Failing over to the standby", "severity sev2", "severity sev1", "resolve Failover worked"] {
        let reply = app.command_in(command, &channel, "U0REPORTER").await;
        assert!(!text_of(&reply).contains("nothing was changed"), "{command}: {reply}");
    }
    app.outbox_drained().await;
    let said: Vec<String> = workspace::bot_posts(&app.slack, &channel).into_iter().map(|m| m.text).collect();
    assert!(said.iter().any(|t| t.contains("Failing over to the standby")), "{said:#?}");
    assert!(said.iter().all(|t| t.starts_with("[DRILL] ")), "{said:#?}");
    assert_everything_marked(&app.slack, "after resolving");
    assert_nothing_shared(&app.slack, "after resolving");
    assert_nobody_paged_outside_slack(&drill, "after resolving");

    // Its report and retrospective are documents that say DRILL from their first line.
    for command in ["report", "retro"] {
        let reply = app.command_in(command, &channel, "U0REPORTER").await;
        assert!(!text_of(&reply).contains("nothing was changed"), "{command}: {reply}");
        app.outbox_drained().await;
    }
    let documents: Vec<String> = app
        .slack
        .canvases()
        .into_iter()
        .map(|c| c.markdown)
        .chain(app.slack.files().into_iter().map(|f| String::from_utf8_lossy(&f.bytes).into_owned()))
        .collect();
    assert!(documents.len() >= 2, "the report and the retrospective: {documents:#?}");
    for document in &documents {
        let first = document.lines().next().unwrap_or_default();
        assert!(first.contains("DRILL"), "a document that does not open with DRILL: {document}");
    }
    assert_everything_marked(&app.slack, "after the report and the retrospective");
    assert_nothing_shared(&app.slack, "after the report and the retrospective");
}

#[tokio::test]
async fn a_real_sev1_beside_it_still_shares_broadly_and_pages_outside_slack() {
    // The other side of the test above: the same declaration without `--drill` does all of
    // what the drill must not, so the drill's silence is not the test setup's.
    let drill = spawn().await;
    let app = &drill.app;
    app.command("declare sev1 service:payments Payments failing").await;
    app.outbox_drained().await;
    let announced = workspace::bot_posts(&app.slack, "C0INCIDENTS");
    assert!(announced.iter().any(|m| m.text.contains("<!here>")), "{announced:#?}");
    assert!(!announced.iter().any(|m| m.text.contains("DRILL")), "{announced:#?}");
    let triggered = drill.pagerduty.wait_for(|fake| !fake.accepted().is_empty(), wait::DEADLINE).await;
    assert!(triggered, "PagerDuty is triggered for a real SEV1");
    let name = app.slack.channel(&channel_of(app, 1).await).unwrap().name;
    assert!(!name.contains("drill"), "{name}");
}

#[tokio::test]
async fn drills_are_left_out_of_stats_search_and_similar_incidents_unless_asked_for() {
    let drill = spawn().await;
    let app = &drill.app;
    app.command("declare --drill sev2 service:payments Ledger failover rehearsal").await;
    app.outbox_drained().await;
    let rehearsal = channel_of(app, 1).await;
    // An open drill is listed, marked.
    let list = text_of(&app.command("list").await);
    assert!(list.contains("[DRILL] #1") && list.contains("Ledger failover rehearsal"), "{list}");
    app.command_in("resolve Done", &rehearsal, "U0REPORTER").await;
    app.command("declare sev2 service:payments Ledger writes slow").await;
    app.outbox_drained().await;
    let real = channel_of(app, 2).await;
    app.command_in("resolve Vacuumed", &real, "U0REPORTER").await;
    app.outbox_drained().await;

    let stats = text_of(&app.command("stats").await);
    assert!(stats.starts_with("*Incidents in the last 30 days: 1*"), "{stats}");
    assert!(!stats.contains("Drills"), "{stats}");
    let with_drills = text_of(&app.command("stats 7d --drills").await);
    assert!(with_drills.starts_with("*Incidents in the last 7 days: 2*"), "{with_drills}");
    assert!(with_drills.contains("Drills are included (`--drills`); drills among them: 1."), "{with_drills}");
    let api = app
        .client
        .get(format!("{}/api/stats?window=30d", app.base_url))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(api["by_severity"]["SEV2"]["count"], 1, "{api}");

    let found = text_of(&app.command("search ledger").await);
    assert!(found.contains("Ledger writes slow"), "{found}");
    assert!(!found.contains("rehearsal"), "{found}");
    let only_drill = text_of(&app.command("search rehearsal").await);
    assert!(only_drill.starts_with("No incident matches"), "{only_drill}");

    // A later real incident on the same service with the same words: the real past one is
    // similar, the drill never.
    app.command("declare sev2 service:payments Ledger failover failing").await;
    app.outbox_drained().await;
    let later = channel_of(app, 3).await;
    let similar = text_of(&app.command_in("similar", &later, "U0REPORTER").await);
    assert!(similar.contains("Ledger writes slow"), "{similar}");
    assert!(!similar.contains("rehearsal"), "{similar}");
    let pinned = app.slack.channel(&later).unwrap().pins;
    let summary = app.slack.messages(&later).into_iter().find(|m| pinned.contains(&m.ts)).unwrap();
    assert!(!summary.blocks.to_string().contains("rehearsal"), "{}", summary.blocks);
}

#[tokio::test]
async fn stats_with_a_bad_word_after_drills_is_refused_with_the_usage_and_changes_nothing() {
    let drill = spawn().await;
    let reply = text_of(&drill.app.command("stats --drills --all").await);
    assert!(reply.contains("stats [7d|30d|90d] [--drills]"), "{reply}");
    let reply = text_of(&drill.app.command("declare --drills sev1 Oops").await);
    assert!(reply.contains("--drill") && reply.contains("--private"), "{reply}");
    assert!(drill.app.app.store.open_incidents().await.unwrap().is_empty());
}

fn drill_form(title: &str) -> Value {
    json!({
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "severity": {"severity": {"type": "static_select", "selected_option": {"value": "SEV1"}}},
        "services": {"services": {"type": "multi_static_select", "selected_options": [{"value": "payments"}]}},
        "impact": {"impact": {"type": "plain_text_input", "value": "None: practice"}},
        "description": {"description": {"type": "plain_text_input", "value": null}},
        "private": {"private": {"type": "checkboxes", "selected_options": []}},
        "drill": {"drill": {"type": "checkboxes", "selected_options": [{"value": "drill"}]}}
    })
}

#[tokio::test]
async fn a_drill_declared_with_the_forms_checkbox_is_a_drill_too() {
    let drill = spawn().await;
    let app = &drill.app;
    let submission = json!({
        "type": "view_submission",
        "team": {"id": signing::TEAM_ID},
        "user": {"id": "U0REPORTER"},
        "trigger_id": "2.3.drill",
        "view": {"id": "V0DRILL", "type": "modal", "callback_id": "declare",
                 "private_metadata": "{\"channel\":\"C0GENERAL\"}", "state": {"values": drill_form("Game day: payments")}}
    });
    let answer = app
        .post_signed("/slack/interactions", "application/x-www-form-urlencoded", signing::interaction_form(&submission))
        .await;
    assert_eq!(answer.status(), 200);
    let store = app.app.store.clone();
    wait::until("the form's drill to be declared", || {
        let store = store.clone();
        async move { !store.open_incidents().await.unwrap().is_empty() }
    })
    .await;
    app.outbox_drained().await;

    let incident = app.app.store.open_incidents().await.unwrap().remove(0);
    assert!(incident.drill && !incident.private);
    let name = app.slack.channel(incident.channel.unwrap().as_str()).unwrap().name;
    assert!(name.starts_with("inc-drill-") && name.ends_with("game-day-payments"), "{name}");
    // The reporter's direct message with the channel link says DRILL as well.
    let told: Vec<String> =
        app.slack.messages("D0REPORTER").into_iter().filter(|m| m.user == BOT_USER_ID).map(|m| m.text).collect();
    assert!(!told.is_empty() && told.iter().all(|t| t.starts_with("[DRILL] ")), "{told:?}");
    assert_everything_marked(&app.slack, "after the form");
    assert_nothing_shared(&app.slack, "after the form");
    assert_nobody_paged_outside_slack(&drill, "after the form");
}
