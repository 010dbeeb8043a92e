//! Learning from past incidents end to end: the similar past incidents in a new incident's
//! pinned summary, `similar`, and `search` over titles, updates, messages, retrospectives and
//! reports — Korean words with their particles, English suffixes, deleted and edited messages,
//! never a private incident — on both backends, and the index built for incidents recorded
//! before it existed.

use firebell::config::env::DatabaseUrl;
use firebell::domain::incident::IncidentNumber;
use firebell::domain::search::query_words;
use firebell::store::Store;
use serde_json::{Value, json};

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::database::{self, TestDatabase};
use crate::support::signing::event_envelope;
use crate::support::workspace;

async fn spawn(db: TestDatabase) -> TestApp {
    spawn_app_with(Options {
        policy: Some(workspace::policy()),
        database: Some(db),
        prepare_slack: Some(workspace::seed),
        ..Default::default()
    })
    .await
}

/// Declares an incident, runs `then` in its channel, and returns the channel.
async fn incident(app: &TestApp, declare: &str, then: &[&str]) -> String {
    app.command_in(declare, "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    let numbers = app.app.store.open_incidents().await.unwrap();
    let newest = numbers.iter().map(|i| i.number.0).max().unwrap();
    let incident = app.app.store.incident_by_number(IncidentNumber(newest)).await.unwrap().unwrap();
    let channel = incident.channel.unwrap().to_string();
    for command in then {
        let reply = app.command_in(command, &channel, "U0ONCALL1").await;
        assert!(!reply["text"].as_str().unwrap_or_default().contains("nothing was changed"), "{command}: {reply}");
    }
    app.outbox_drained().await;
    channel
}

fn summary_text(app: &TestApp, channel: &str) -> String {
    let pinned = app.slack.channel(channel).unwrap().pins;
    let message = app.slack.messages(channel).into_iter().find(|m| pinned.contains(&m.ts)).expect("a pinned summary");
    message.blocks.to_string()
}

/// The lines of the summary's "Similar past incidents" section.
fn similar_lines(app: &TestApp, channel: &str) -> Vec<String> {
    let blocks = summary_text(app, channel);
    let blocks: Value = serde_json::from_str(&blocks).unwrap();
    let section = blocks
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b.pointer("/text/text").and_then(Value::as_str))
        .find(|t| t.starts_with("*Similar past incidents*"));
    section.map(|s| s.lines().skip(1).map(str::to_owned).collect()).unwrap_or_default()
}

async fn search(app: &TestApp, text: &str) -> String {
    app.command_in(&format!("search {text}"), "C0GENERAL", "U0SEARCHER").await["text"].as_str().unwrap().to_owned()
}

async fn similar_past_incidents_lead_the_summary(db: TestDatabase) {
    let app = spawn(db).await;
    let first =
        incident(&app, "declare sev2 service:payments Card payments declined", &["action rollback v42", "resolve"])
            .await;
    app.command_in("retro", &first, "U0ONCALL1").await;
    app.outbox_drained().await;
    incident(&app, "declare sev3 service:payments Payments API timeouts", &["action hotfix", "resolve"]).await;
    incident(&app, "declare sev3 service:payments Refunds delayed", &["resolve"]).await;
    incident(&app, "declare sev3 service:search Search is slow", &["resolve"]).await;
    // Private: never listed, however alike.
    incident(&app, "declare --private sev2 service:payments Card payments declined for VIPs", &["resolve"]).await;
    // Open: not a past incident yet.
    incident(&app, "declare sev3 service:payments Card payments declined in Japan", &[]).await;

    let channel = incident(&app, "declare sev2 service:payments Card payments declined again", &[]).await;
    let lines = similar_lines(&app, &channel);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].contains(" #1 Card payments declined · "), "most similar first: {lines:#?}");
    assert!(lines[0].contains("first action: rollback"), "{}", lines[0]);
    assert!(lines[0].starts_with("• <#C"), "linked to its channel: {}", lines[0]);
    assert!(lines[0].contains("|retrospective>"), "and its retrospective: {}", lines[0]);
    assert!(lines[1].contains(" #2 Payments API timeouts · ") && lines[1].contains("first action: hotfix"));
    assert!(lines[2].contains(" #3 Refunds delayed · "), "{lines:#?}");
    let all = lines.join("\n");
    assert!(!all.contains("VIPs") && !all.contains("Search is slow") && !all.contains("Japan"), "{all}");

    // `similar` gives the same list on demand; elsewhere it needs an incident channel.
    let reply = app.command_in("similar", &channel, "U0ONCALL1").await["text"].as_str().unwrap().to_owned();
    assert_eq!(reply.lines().skip(1).map(str::to_owned).collect::<Vec<_>>(), lines);
    // An unrelated incident has none, and says so.
    let lonely = incident(&app, "declare sev3 service:checkout Coupon codes rejected", &[]).await;
    assert!(similar_lines(&app, &lonely).is_empty());
    let reply = app.command_in("similar", &lonely, "U0ONCALL1").await;
    assert!(reply["text"].as_str().unwrap().starts_with("No past incident is like incident #8"), "{reply}");
    // The summary keeps its list when it is edited.
    app.command_in("update Investigating", &channel, "U0ONCALL1").await;
    app.outbox_drained().await;
    assert_eq!(similar_lines(&app, &channel), lines);
}

#[tokio::test]
async fn similar_past_incidents_lead_the_summary_on_sqlite() {
    similar_past_incidents_lead_the_summary(database::sqlite()).await;
}

#[tokio::test]
async fn similar_past_incidents_lead_the_summary_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    similar_past_incidents_lead_the_summary(db).await;
}

async fn message(app: &TestApp, id: &str, event: Value) {
    assert_eq!(app.event(event_envelope(id, event), None).await.status(), 200);
    app.outbox_drained().await;
}

async fn search_finds_words_wherever_they_were_written(db: TestDatabase) {
    let app = spawn(db).await;
    incident(&app, "declare sev2 service:payments 결제가 실패합니다", &["resolve"]).await;
    incident(&app, "declare sev3 service:checkout Cart page slow", &["update Gateway timeouts after deploy v42"]).await;
    let third = incident(&app, "declare sev3 service:search Search results stale", &["resolve"]).await;
    app.command_in("retro", &third, "U0ONCALL1").await;
    app.outbox_drained().await;
    let fourth = incident(&app, "declare sev3 service:search Index lagging", &[]).await;
    incident(&app, "declare --private sev2 service:payments 결제 비밀 장애", &[]).await;

    // Korean with its particles, in either direction.
    let found = search(&app, "결제").await;
    assert!(found.contains("#1 결제가 실패합니다"), "{found}");
    assert!(!found.contains("비밀"), "never a private incident: {found}");
    assert!(search(&app, "결제를").await.contains("#1 결제가 실패합니다"));
    // An English word finds its other forms.
    let found = search(&app, "timeout").await;
    assert!(found.contains("#2 Cart page slow"), "{found}");
    assert!(search(&app, "TIMEOUTS deploy").await.contains("#2 Cart page slow"));
    assert!(search(&app, "timeout 결제").await.starts_with("No incident matches"), "every word must match");
    // A word only the retrospective has (its heading).
    let found = search(&app, "retrospective stale").await;
    assert!(found.contains("#3 Search results stale"), "{found}");
    // By service.
    assert!(search(&app, "slow service:search").await.starts_with("No incident matches"));
    assert!(search(&app, "slow service:checkout").await.contains("#2 Cart page slow"));

    // Messages: found while they stand, gone once deleted, their new words once edited.
    message(&app, "Ev1", json!({"type": "message", "channel": &fourth, "user": "U0ONCALL1", "text": "kafka consumer rebalancing", "ts": "1790000000.000100"})).await;
    message(&app, "Ev2", json!({"type": "message", "channel": &fourth, "user": "U0ONCALL1", "text": "zookeeper quorum lost", "ts": "1790000001.000100"})).await;
    assert!(search(&app, "rebalancing").await.contains("#4 Index lagging"));
    assert!(search(&app, "zookeeper").await.contains("#4 Index lagging"));
    message(&app, "Ev3", json!({"type": "message", "subtype": "message_deleted", "channel": &fourth, "hidden": true, "ts": "1790000002.000100", "deleted_ts": "1790000001.000100"})).await;
    assert!(search(&app, "zookeeper").await.starts_with("No incident matches"), "a deleted message's words are gone");
    message(&app, "Ev4", json!({"type": "message", "subtype": "message_changed", "channel": &fourth, "hidden": true, "ts": "1790000003.000100",
        "message": {"type": "message", "user": "U0ONCALL1", "text": "broker disk full", "ts": "1790000000.000100", "edited": {"user": "U0ONCALL1", "ts": "1790000003.000100"}}})).await;
    assert!(search(&app, "rebalancing").await.starts_with("No incident matches"), "the old words of an edit");
    assert!(search(&app, "broker").await.contains("#4 Index lagging"));
    // Two-letter words are matched too (no trigram index can serve them).
    message(&app, "Ev5", json!({"type": "message", "channel": &fourth, "user": "U0ONCALL1", "text": "DB 연결 끊김", "ts": "1790000004.000100"})).await;
    assert!(search(&app, "db 연결").await.contains("#4 Index lagging"));
    // Reports are indexed too.
    app.command_in("report", &fourth, "U0ONCALL1").await;
    app.outbox_drained().await;
    assert!(search(&app, "outcome lagging").await.contains("#4 Index lagging"), "en-report's Outcome heading");

    // Bad input: an empty search is a usage error and changes nothing.
    let reply = app.command_in("search", "C0GENERAL", "U0SEARCHER").await;
    assert!(reply["text"].as_str().unwrap().contains("search TEXT [service:NAME]"), "{reply}");
    let reply = search(&app, "%_%").await;
    assert!(reply.starts_with("No incident matches"), "wildcards are literal: {reply}");
}

#[tokio::test]
async fn search_finds_words_wherever_they_were_written_on_sqlite() {
    search_finds_words_wherever_they_were_written(database::sqlite()).await;
}

#[tokio::test]
async fn search_finds_words_wherever_they_were_written_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    search_finds_words_wherever_they_were_written(db).await;
}

/// Incidents recorded by the version before the index are indexed by its migration.
async fn the_index_covers_incidents_from_before_it(db: TestDatabase) {
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    let mut before = match store.backend() {
        firebell::store::Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        firebell::store::Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    before.migrations = before.migrations.iter().filter(|m| m.version < 22).cloned().collect::<Vec<_>>().into();
    before.run(store.pool()).await.unwrap();
    let statements = [
        "INSERT INTO incidents (number, title, severity, status, is_private, reporter, impact, services, declared_at, last_update_at, updated_at)
         VALUES (1, '결제가 실패합니다', 'SEV2', 'resolved', 0, 'U0REPORTER', '카드 결제 30% 실패', '[\"payments\"]', 1790000000000, 1790000000000, 1790000000000)",
        "INSERT INTO incidents (number, title, severity, status, is_private, reporter, services, declared_at, last_update_at, updated_at)
         VALUES (2, 'Secret outage', 'SEV2', 'resolved', 1, 'U0REPORTER', '[]', 1790000000000, 1790000000000, 1790000000000)",
        "INSERT INTO timeline_events (incident_id, kind, at, author, body)
         SELECT id, 'update', 1790000001000, 'U0ONCALL1', '{\"text\":\"Gateway timeouts after deploy\",\"status\":null}' FROM incidents WHERE number = 1",
        "INSERT INTO channel_messages (incident_id, channel_id, ts, text, edited, deleted, posted_at)
         SELECT id, 'C0OLD', '1790000002.000100', 'kafka rebalancing', 0, 0, 1790000002000 FROM incidents WHERE number = 1",
        "INSERT INTO channel_messages (incident_id, channel_id, ts, text, edited, deleted, posted_at)
         SELECT id, 'C0OLD', '1790000003.000100', NULL, 0, 1, 1790000003000 FROM incidents WHERE number = 1",
    ];
    for statement in statements {
        sqlx::query(statement).execute(store.pool()).await.unwrap();
    }
    assert_eq!(store.migrate().await.unwrap(), migrations_from(22), "the index's migration and those after it");
    let found = |text: &'static str| {
        let store = store.clone();
        async move {
            store
                .search(&query_words(text), None, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|i| i.number.0)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("결제").await, [1]);
    assert_eq!(found("30%").await, [1], "the impact");
    assert_eq!(found("timeout").await, [1], "an update");
    assert_eq!(found("rebalancing").await, [1], "a message");
    assert!(found("secret").await.is_empty(), "never a private incident");
}

/// How many migrations of this version are numbered `version` or later.
fn migrations_from(version: i64) -> usize {
    sqlx::migrate!("./migrations/sqlite").migrations.iter().filter(|m| m.version >= version).count()
}

#[tokio::test]
async fn the_index_covers_incidents_from_before_it_on_sqlite() {
    the_index_covers_incidents_from_before_it(database::sqlite()).await;
}

#[tokio::test]
async fn the_index_covers_incidents_from_before_it_on_postgres() {
    let Some(db) = database::postgres().await else { return };
    the_index_covers_incidents_from_before_it(db).await;
}
