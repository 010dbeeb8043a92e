//! Database trouble: while another connection holds SQLite's write lock, firebell waits (busy
//! timeout) and then succeeds; when the lock outlasts the wait, the person is told plainly
//! that nothing was recorded and to try again — never a silent drop — and the next try works.
//! A click the database cannot answer is logged as an error, not ignored.

use std::time::Duration;

use std::sync::{Arc, Mutex};

use firebell::app::interactions::InteractionOutcome;
use firebell::domain::incident::IncidentNumber;
use firebell::domain::timeline::TimelineEntry;
use firebell::slack::inbound::Interaction;
use sqlx::{Connection, Executor};

use crate::support::app::TestApp;
use crate::support::workspace;

/// The reply when nothing could be recorded (`reply.internal_error` in the catalog).
const TRY_AGAIN: &str =
    "Something went wrong on firebell's side and nothing was changed. Please try again in a moment.";

/// Holds SQLite's write lock from a connection of its own for `held`.
async fn hold_write_lock(app: &TestApp, held: Duration) -> tokio::task::JoinHandle<()> {
    let path = app.database.url.trim_start_matches("sqlite://").to_owned();
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await.unwrap();
    conn.execute("BEGIN IMMEDIATE").await.unwrap();
    tokio::spawn(async move {
        tokio::time::sleep(held).await;
        conn.execute("ROLLBACK").await.unwrap();
    })
}

async fn declared(app: &TestApp) -> String {
    app.command("declare sev3 service:search Search is slow").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    incident.channel.unwrap().to_string()
}

#[tokio::test]
async fn a_short_lock_is_waited_out_and_the_note_is_recorded() {
    let app = workspace::spawn().await;
    let channel = declared(&app).await;
    let holder = hold_write_lock(&app, Duration::from_millis(800)).await;
    let reply = app.command_in("note recorded despite the lock", &channel, "U0ONCALL1").await;
    assert_eq!(reply["text"], "Done.");
    holder.await.unwrap();
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let timeline = app.app.store.timeline(incident.id).await.unwrap();
    let notes = timeline.iter().filter(|e| matches!(e.entry, TimelineEntry::Note { .. })).count();
    assert_eq!(notes, 1);
}

#[tokio::test]
async fn a_lock_longer_than_the_wait_is_a_clear_try_again_and_the_retry_works() {
    let app = workspace::spawn().await;
    let channel = declared(&app).await;
    let holder = hold_write_lock(&app, Duration::from_secs(7)).await;
    let reply = app.command_in("note during a long lock", &channel, "U0ONCALL1").await;
    assert_eq!(reply["text"], TRY_AGAIN, "the person is told, not left guessing");
    assert_eq!(reply["response_type"], "ephemeral", "told privately");
    holder.await.unwrap();
    let retry = app.command_in("note during a long lock", &channel, "U0ONCALL1").await;
    assert_eq!(retry["text"], "Done.");
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let timeline = app.app.store.timeline(incident.id).await.unwrap();
    let notes = timeline.iter().filter(|e| matches!(e.entry, TimelineEntry::Note { .. })).count();
    assert_eq!(notes, 1, "the failed attempt left nothing behind");
}

#[tokio::test]
async fn postgres_gone_for_ten_seconds_is_a_clear_try_again_then_a_full_recovery() {
    let Some(server) = crate::support::own_postgres::OwnPostgres::start() else { return };
    let database = crate::support::database::TestDatabase {
        url: server.url(),
        backend: "postgres",
        dir: tempfile::tempdir().unwrap(),
    };
    let app = crate::support::app::spawn_app_with(crate::support::app::Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        database: Some(database),
        ..Default::default()
    })
    .await;
    let channel = declared(&app).await;

    assert!(server.stop(), "the server stops");
    crate::support::wait::until("readyz to report the database", || async {
        let response = app.get("/readyz").await;
        response.status() == 503 && response.text().await.unwrap().contains("database unavailable")
    })
    .await;
    // Traffic while the database is away (five commands a second apart; each waits out the
    // connection timeout, so well over 10 s in all): every command is answered, plainly.
    for _ in 0..5 {
        let reply = app.command_in("note while the database is away", &channel, "U0ONCALL1").await;
        assert_eq!(reply["text"], TRY_AGAIN);
        assert_eq!(reply["response_type"], "ephemeral", "told privately");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    assert!(server.start_again(), "the server comes back");
    crate::support::wait::until("readyz to recover", || async { app.get("/readyz").await.status() == 200 }).await;
    let reply = app.command_in("note after the database came back", &channel, "U0ONCALL1").await;
    assert_eq!(reply["text"], "Done.", "recovered without a restart");
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let notes: Vec<String> = app
        .app
        .store
        .timeline(incident.id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.entry {
            TimelineEntry::Note { text } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["note after the database came back".replace("note ", "")], "nothing half-recorded meanwhile");
    assert!(workspace::bot_posts(&app.slack, &channel).iter().any(|m| m.text.contains("after the database came back")));
}

#[tokio::test]
async fn a_write_that_hangs_on_postgresql_is_timed_out_with_a_clear_try_again_and_later_writes_work() {
    let Some(database) = crate::support::database::postgres().await else { return };
    let url = database.url.clone();
    let app = crate::support::app::spawn_app_with(crate::support::app::Options {
        policy: Some(workspace::policy()),
        prepare_slack: Some(workspace::seed),
        database: Some(database),
        ..Default::default()
    })
    .await;
    let channel = declared(&app).await;

    // Another connection keeps every write to the timeline waiting, as a PostgreSQL that
    // stopped answering would: the note's batch hangs inside its transaction.
    let mut locker = sqlx::PgConnection::connect(&url).await.unwrap();
    locker.execute("BEGIN").await.unwrap();
    locker.execute("LOCK TABLE timeline_events IN EXCLUSIVE MODE").await.unwrap();
    let reply = app.command_in("note while the database hangs", &channel, "U0ONCALL1").await;
    assert_eq!(reply["text"], TRY_AGAIN, "the writer gave up on the batch and said so");
    locker.execute("ROLLBACK").await.unwrap();

    let retry = app.command_in("note after the hang", &channel, "U0ONCALL1").await;
    assert_eq!(retry["text"], "Done.");
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let notes: Vec<String> = app
        .app
        .store
        .timeline(incident.id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.entry {
            TimelineEntry::Note { text } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["after the hang"], "the timed-out write left nothing behind");
}

/// Error-level log lines written while it is the thread's subscriber.
#[derive(Clone, Default)]
struct ErrorLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for ErrorLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ErrorLog {
    type Writer = ErrorLog;

    fn make_writer(&'a self) -> ErrorLog {
        self.clone()
    }
}

impl ErrorLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Clicks Dismiss on alert `alert` (called in-process, so this thread's logs are the click's).
async fn click_dismiss(app: &TestApp, alert: i64, log: &ErrorLog) -> InteractionOutcome {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::ERROR)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let click = serde_json::json!({"type": "block_actions", "team": {"id": crate::support::signing::TEAM_ID},
        "user": {"id": "U0ONCALL1"}, "trigger_id": "t-1", "actions": [{"action_id": "alert_dismiss", "value": alert.to_string()}]});
    app.app.receive_interaction(&Interaction::from_value(click).unwrap()).await
}

#[tokio::test]
async fn a_click_the_database_cannot_answer_is_logged_as_an_error() {
    let app = crate::support::app::spawn_app().await;
    sqlx::query("ALTER TABLE alert_groups RENAME TO alert_groups_elsewhere")
        .execute(app.app.store.pool())
        .await
        .unwrap();
    let log = ErrorLog::default();
    let outcome = click_dismiss(&app, 1, &log).await;
    assert_eq!(outcome, InteractionOutcome::Acknowledged, "Slack still gets its acknowledgement");
    let logged = log.text();
    assert_eq!(logged.matches("ERROR").count(), 1, "logged once: {logged}");
    assert!(
        logged.contains("could not read what a click acts on") && logged.contains("clicked.on=\"alert group\""),
        "{logged}"
    );
}

#[tokio::test]
async fn a_click_on_an_alert_that_is_gone_is_acknowledged_quietly() {
    let app = crate::support::app::spawn_app().await;
    let log = ErrorLog::default();
    let outcome = click_dismiss(&app, 999, &log).await;
    assert_eq!(outcome, InteractionOutcome::Acknowledged);
    assert_eq!(log.text(), "", "nothing went wrong");
}
