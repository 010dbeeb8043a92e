//! Database trouble: while another connection holds SQLite's write lock, firebell waits (busy
//! timeout) and then succeeds; when the lock outlasts the wait, the person is told plainly
//! that nothing was recorded and to try again — never a silent drop — and the next try works.

use std::time::Duration;

use firebell::domain::incident::IncidentNumber;
use sqlx::{Connection, Executor};

use crate::support::app::TestApp;
use crate::support::workspace;

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
    let notes = app.app.store.timeline(incident.id).await.unwrap().into_iter().filter(|e| e.kind == "note").count();
    assert_eq!(notes, 1);
}

#[tokio::test]
async fn a_lock_longer_than_the_wait_is_a_clear_try_again_and_the_retry_works() {
    let app = workspace::spawn().await;
    let channel = declared(&app).await;
    let holder = hold_write_lock(&app, Duration::from_secs(7)).await;
    let reply = app.command_in("note during a long lock", &channel, "U0ONCALL1").await;
    assert_eq!(
        reply["text"], "Something went wrong on firebell's side and nothing was changed. Please try again in a moment.",
        "the person is told, not left guessing"
    );
    holder.await.unwrap();
    let retry = app.command_in("note during a long lock", &channel, "U0ONCALL1").await;
    assert_eq!(retry["text"], "Done.");
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let notes = app.app.store.timeline(incident.id).await.unwrap().into_iter().filter(|e| e.kind == "note").count();
    assert_eq!(notes, 1, "the failed attempt left nothing behind");
}
