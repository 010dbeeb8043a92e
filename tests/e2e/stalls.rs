//! Stalls: what used to stop firebell's background work for good. A panic in the database
//! writer, a job row nobody can read, a `Retry-After` of absurd size — each is survived: the
//! work around it goes on, `/readyz` says so while a task is down, and nothing is left stuck.

use chrono::Utc;
use firebell::domain::incident::IncidentNumber;
use firebell::domain::timeline::TimelineEntry;
use firebell::store::outbox::{JobState, NewJob};
use serde_json::json;

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::database;
use crate::support::fake_slack::Fault;
use crate::support::{wait, workspace};

/// Declares a SEV3 on search, waits for the outbox to drain, returns the incident channel.
async fn declared(app: &TestApp) -> String {
    app.command("declare sev3 service:search Search is slow").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    incident.channel.unwrap().to_string()
}

/// Waits (bounded) until `/readyz` answers `status` with a body containing `reason`.
async fn readyz(app: &TestApp, status: u16, reason: &str) {
    wait::until(&format!("/readyz to answer {status} {reason:?}"), || async {
        let response = app.get("/readyz").await;
        response.status() == status && response.text().await.unwrap().contains(reason)
    })
    .await;
}

async fn notes(app: &TestApp) -> Vec<String> {
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let timeline = app.app.store.timeline(incident.id).await.unwrap();
    timeline
        .into_iter()
        .filter_map(|e| match e.entry {
            TimelineEntry::Note { text } => Some(text),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_panic_in_the_database_writer_is_survived_readyz_says_so_meanwhile_and_later_writes_commit() {
    let app = workspace::spawn().await;
    let channel = declared(&app).await;

    // The test hook is the writer's own interface: the work handed to `write_grouped` runs
    // inside the writer, so a unit that panics is a panic in the writer.
    let panicked = app
        .app
        .store
        .write_grouped::<(), _>(|_conn| Box::pin(async { panic!("injected into the database writer") }))
        .await;
    assert!(panicked.is_err(), "the writer's caller hears an error, not silence");

    readyz(&app, 503, "database writer").await;
    readyz(&app, 200, "").await;
    let reply = app.command_in("note after the writer came back", &channel, "U0ONCALL1").await;
    assert_eq!(reply["text"], "Done.");
    assert_eq!(notes(&app).await, ["after the writer came back"]);
}

#[tokio::test]
async fn an_outbox_row_that_cannot_be_read_is_failed_counted_and_the_other_jobs_still_run() {
    for database in database::all().await {
        let backend = database.backend;
        let app = spawn_app_with(Options {
            policy: Some(workspace::policy()),
            prepare_slack: Some(workspace::seed),
            database: Some(database),
            ..Options::default()
        })
        .await;
        // A row whose payload is not JSON, due before anything else.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox_jobs (kind, payload, state, run_at, created_at)
             VALUES ('announce', 'not json {', 'pending', 0, 0) RETURNING id",
        )
        .fetch_one(app.app.store.pool())
        .await
        .unwrap();

        declared(&app).await;

        assert_eq!(workspace::bot_posts(&app.slack, "C0SEARCH").len(), 1, "{backend}: the notice went out");
        let (state, error): (String, Option<String>) =
            sqlx::query_as("SELECT state, last_error FROM outbox_jobs WHERE id = $1")
                .bind(id)
                .fetch_one(app.app.store.pool())
                .await
                .unwrap();
        assert_eq!(state, "failed", "{backend}");
        assert!(error.as_deref().unwrap_or_default().contains("unreadable"), "{backend}: {error:?}");
        let counted =
            app.app.metrics.counter("firebell_jobs_total", &[("kind", "announce"), ("outcome", "unreadable")]);
        assert_eq!(counted, 1, "{backend}");
    }
}

#[tokio::test]
async fn a_job_that_panics_takes_its_worker_down_briefly_is_retried_then_failed_and_the_others_run() {
    if !cfg!(debug_assertions) {
        println!("skipped: the panic hook is compiled into debug builds only");
        return;
    }
    let app = workspace::spawn().await;
    // The test hook (debug builds only): a job whose payload carries this key panics as it
    // starts, as a bug in a step would.
    let step = json!({"step": "announce", "channel": "C0SEARCH", "text": "never posted", "firebell_test_panic": true});
    let now = Utc::now();
    let job =
        NewJob { kind: "announce".into(), payload: step, incident_id: None, dedupe_key: None, run_at: now, lane: None };
    let id = app.app.store.enqueue(&job, now).await.unwrap().unwrap();
    app.app.wake_outbox();

    readyz(&app, 503, "outbox worker").await;
    readyz(&app, 200, "").await;
    let store = app.app.store.clone();
    wait::until("the panicking job to be failed", || {
        let store = store.clone();
        async move { store.job(id).await.unwrap().unwrap().state == JobState::Failed }
    })
    .await;
    let failed = app.app.store.job(id).await.unwrap().unwrap();
    assert_eq!(failed.attempts, 2, "retried once, then failed: {failed:?}");

    declared(&app).await;
    assert_eq!(workspace::bot_posts(&app.slack, "C0SEARCH").len(), 1, "the pool runs the other jobs");
    assert!(!app.slack.messages("C0SEARCH").iter().any(|m| m.text.contains("never posted")));
    let counted = app.app.metrics.counter("firebell_jobs_total", &[("kind", "announce"), ("outcome", "panicked")]);
    assert_eq!(counted, 2);
    readyz(&app, 200, "").await;
}

/// Declares, then answers the update's first post with `Retry-After: retry_after_secs`; checks
/// that nothing panicked, the held job waits an hour at most, and the other jobs run: the
/// update's other post, and a second incident's declaration.
async fn an_update_rate_limited_for(retry_after_secs: u64) {
    let app = workspace::spawn().await;
    let channel = declared(&app).await;

    app.slack.inject("chat.postMessage", Fault::RateLimited { retry_after_secs });
    let before = Utc::now();
    app.command_in("update Rolled back the deploy", &channel, "U0REPORTER").await;
    let store = app.app.store.clone();
    let held = || {
        let store = store.clone();
        async move {
            let jobs = store.all_jobs().await.unwrap();
            jobs.into_iter()
                .find(|job| job.state == JobState::Pending && job.last_error.as_deref() == Some("ratelimited"))
        }
    };
    wait::until("the rate-limited job to be put back", || async { held().await.is_some() }).await;
    let job = held().await.unwrap();
    let (hour, spread) = (chrono::Duration::hours(1), chrono::Duration::seconds(3));
    assert!(job.run_at > before + hour - spread && job.run_at < Utc::now() + hour + spread, "{job:?}");

    let posted_in = |place: &str| app.slack.messages(place).iter().any(|m| m.text.contains("Rolled back the deploy"));
    wait::until_sync("the update's other post", || posted_in(&channel) || posted_in("C0SEARCH")).await;
    app.command("declare sev3 service:payments Card payments fail").await;
    wait::until("the second incident's channel and summary", || async {
        let second = app.app.store.incident_by_number(IncidentNumber(2)).await.unwrap();
        second
            .and_then(|incident| incident.channel)
            .is_some_and(|channel| !workspace::bot_posts(&app.slack, channel.as_str()).is_empty())
    })
    .await;
}

#[tokio::test]
async fn a_retry_after_of_thirty_thousand_years_is_clamped_to_an_hour_and_the_other_jobs_run() {
    an_update_rate_limited_for(1_000_000_000_000).await;
}

#[tokio::test]
async fn a_retry_after_beyond_any_clock_is_clamped_to_an_hour_without_a_panic() {
    an_update_rate_limited_for(u64::MAX).await;
}
