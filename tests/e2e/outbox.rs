//! The outbox worker under pressure: quiet when idle, a dead process's work taken over after a
//! restart with the default lease, another incident's work not held by one incident's slow
//! call, order kept within a lane, and a job slower than its lease kept by the worker that
//! runs it — never run twice. How fast is measured (printed here, recorded in BENCHMARKS.md),
//! not asserted.

use std::time::{Duration, Instant};

use firebell::config::env::DatabaseUrl;
use firebell::domain::incident::IncidentNumber;
use firebell::store::Store;

use crate::support::app::{Options, spawn_app_with};
use crate::support::database::{self, TestDatabase};
use crate::support::fake_slack::{FakeSlack, Fault};
use crate::support::process::{Firebell, Setup};
use crate::support::{wait, workspace};

/// What changes when anything is written to a SQLite database in WAL mode: the main file's
/// and the write-ahead log's sizes and contents.
fn sqlite_files(db: &TestDatabase) -> Vec<(String, Vec<u8>)> {
    ["firebell.db", "firebell.db-wal"]
        .iter()
        .map(|name| (name.to_string(), std::fs::read(db.dir.path().join(name)).unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn an_idle_serve_makes_no_database_writes_for_ten_seconds() {
    let app = workspace::spawn().await;
    // Some work first, so the worker has run jobs and is back to idle.
    app.command("declare sev3 service:search Slow search").await;
    app.outbox_drained().await;
    // The commit counter is bumped just after the last commit becomes visible: let it settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let commits = app.app.store.group_commit_counts();
    let files = sqlite_files(&app.database);

    tokio::time::sleep(Duration::from_secs(10)).await;

    assert_eq!(app.app.store.group_commit_counts(), commits, "no commit while idle");
    assert!(sqlite_files(&app.database) == files, "the database files are unchanged while idle");
}

fn setup<'a>(slack: &'a FakeSlack, db: &'a TestDatabase, policy: &'a std::path::Path, log: &str) -> Setup<'a> {
    Setup { slack, database_url: &db.url, policy, log: db.dir.path().join(log), env: vec![] }
}

/// Waits (bounded) until the incident's channel exists and all three notices are out;
/// returns how long that took, for the log (speed is measured, not asserted: see
/// BENCHMARKS.md).
async fn declared(slack: &FakeSlack) -> Duration {
    let started = Instant::now();
    wait::until_sync("the channel and every notice", || {
        slack.channels_named_like(&format!("inc-{}-1", workspace::seoul_today())) == 1
            && ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"]
                .iter()
                .all(|channel| workspace::bot_posts(slack, channel).len() == 1)
    })
    .await;
    started.elapsed()
}

/// Declares through a first process, kills it (SIGKILL) once `kill_when` holds, starts a second
/// at once with the default lease, and checks the declaration completes, once.
async fn killed_then_restarted(prepare: impl Fn(&FakeSlack), kill_when: impl Fn(&FakeSlack) -> bool) {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    prepare(&slack);
    let db = database::sqlite();
    let policy = db.write_policy(workspace::CONTRACT_POLICY);

    let first = Firebell::start(&setup(&slack, &db, &policy, "first.log")).await;
    let reply = first.command("declare sev1 service:payments Checkout is down", &slack.response_url("cmd")).await;
    assert!(reply.starts_with("Declaring incident #1"), "{reply}");
    wait::until_sync("the moment to kill", || kill_when(&slack)).await;
    first.kill().await;

    let restarted = Instant::now();
    let _second = Firebell::start(&setup(&slack, &db, &policy, "second.log")).await;
    declared(&slack).await;
    println!("declaration completed {:?} after the restart", restarted.elapsed());

    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    wait::until("the outbox to drain", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;
    assert!(store.failed_jobs().await.unwrap().is_empty());
    assert!(slack.deliveries_posted_twice().is_empty());
    for channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(workspace::bot_posts(&slack, channel).len(), 1, "{channel} told once");
    }
}

#[tokio::test]
async fn killed_right_after_the_acknowledgement_a_restart_with_the_default_lease_finishes_the_declaration_once() {
    killed_then_restarted(|_| {}, |_| true).await;
}

#[tokio::test]
async fn killed_while_creating_the_channel_a_restart_with_the_default_lease_finishes_the_declaration_once() {
    killed_then_restarted(
        |slack| slack.inject("conversations.create", Fault::Hang),
        |slack| !slack.calls_to("conversations.create").is_empty(),
    )
    .await;
}

#[tokio::test]
async fn of_two_replicas_the_survivor_finishes_a_killed_ones_job_once() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    slack.inject("conversations.create", Fault::Hang);
    let db = database::sqlite();
    let policy = db.write_policy(workspace::CONTRACT_POLICY);
    let first = Firebell::start(&setup(&slack, &db, &policy, "first.log")).await;
    first.command("declare sev1 service:payments Checkout is down", &slack.response_url("cmd")).await;
    wait::until_sync("the first replica to be creating the channel", || {
        !slack.calls_to("conversations.create").is_empty()
    })
    .await;
    let _survivor = Firebell::start(&setup(&slack, &db, &policy, "survivor.log")).await;

    first.kill().await;
    let killed = Instant::now();
    declared(&slack).await;
    println!("the survivor finished the declaration {:?} after the kill", killed.elapsed());
    assert!(slack.deliveries_posted_twice().is_empty());
}

#[tokio::test]
async fn a_job_slower_than_its_lease_is_run_once_though_another_replica_is_waiting() {
    let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
    workspace::seed(&slack);
    let db = database::sqlite();
    let policy = db.write_policy(workspace::CONTRACT_POLICY);
    // Every call takes longer than a whole lease: only the heartbeat keeps a job its worker's.
    let short_lease =
        |log| Setup { env: vec![("FIREBELL_JOB_LEASE", "600ms".to_owned())], ..setup(&slack, &db, &policy, log) };
    let one = Firebell::start(&short_lease("one.log")).await;
    let _two = Firebell::start(&short_lease("two.log")).await;
    slack.set_latency(Duration::from_millis(900));

    one.command("declare sev1 service:payments Checkout is down", &slack.response_url("cmd")).await;
    let store = Store::connect(&DatabaseUrl::parse(&db.url).unwrap()).await.unwrap();
    wait::until("the outbox to drain", || {
        let store = store.clone();
        async move { store.unfinished_jobs().await.unwrap() == 0 }
    })
    .await;

    let jobs = store.all_jobs().await.unwrap();
    let rerun: Vec<_> = jobs.iter().filter(|job| job.attempts != 1).map(|job| (&job.kind, job.attempts)).collect();
    assert!(rerun.is_empty(), "every job claimed once: {rerun:?}");
    assert!(slack.deliveries_posted_twice().is_empty());
    for channel in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        assert_eq!(workspace::bot_posts(&slack, channel).len(), 1, "{channel} told once");
    }
}

#[tokio::test]
async fn a_slow_call_in_one_incidents_job_does_not_hold_another_incidents_declaration() {
    let app = workspace::spawn().await;
    app.command("declare sev2 service:search Slow search").await;
    app.outbox_drained().await;
    let first = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    // The retrospective's history backfill answers after 8 s.
    app.slack.inject("conversations.history", Fault::Latency(Duration::from_secs(8)));
    app.command_in("retro", first.channel.as_ref().unwrap().as_str(), "U0REPORTER").await;
    wait::until_sync("the slow backfill to start", || !app.slack.calls_to("conversations.history").is_empty()).await;

    let declared_at = Instant::now();
    app.command("declare sev2 service:payments Card payments fail").await;
    wait::until("the second incident's channel and notices", || async {
        let second = app.app.store.incident_by_number(IncidentNumber(2)).await.unwrap().unwrap();
        let notices = app.app.store.notices(second.id).await.unwrap();
        let audience = ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"];
        second.channel.is_some()
            && audience.iter().all(|c| notices.iter().any(|n| n.channel.as_str() == *c && n.ts.is_some()))
    })
    .await;
    println!("the second incident was announced {:?} after its declaration", declared_at.elapsed());
    assert!(app.slack.canvases().is_empty(), "the first incident's slow job was still running meanwhile");
    app.outbox_drained().await;
    assert_eq!(app.slack.canvases().len(), 1, "and it finished");
}

/// The bot's posts (top level and replies) in a channel whose text contains `needle`, in the
/// order Slack holds them.
fn positions(slack: &FakeSlack, channel: &str, needles: &[&str]) -> Vec<usize> {
    let messages: Vec<_> =
        slack.messages(channel).into_iter().filter(|m| m.user == crate::support::fake_slack::BOT_USER_ID).collect();
    needles
        .iter()
        .map(|needle| {
            messages.iter().position(|m| m.text.contains(needle)).unwrap_or_else(|| panic!("{needle} posted"))
        })
        .collect()
}

#[tokio::test]
async fn an_update_held_by_a_rate_limit_still_comes_before_the_next_and_replies_follow_their_notice() {
    let app = spawn_app_with(Options {
        policy: Some(workspace::policy().replace("archive_on_close = false", "archive_on_close = true")),
        prepare_slack: Some(workspace::seed),
        ..Options::default()
    })
    .await;
    app.command("declare sev2 service:payments Card payments fail").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(1)).await.unwrap().unwrap();
    let channel = incident.channel.unwrap().to_string();

    // Update 1's post in the channel is answered 429 (Retry-After: 1); update 2 follows at once.
    app.slack.inject("chat.postMessage", Fault::RateLimited { retry_after_secs: 1 });
    app.command_in("update First: rolled back the deploy", &channel, "U0REPORTER").await;
    app.command_in("update Second: error rate falling", &channel, "U0REPORTER").await;
    app.outbox_drained().await;
    let channel_order = positions(&app.slack, &channel, &["First: rolled back", "Second: error rate"]);
    assert!(channel_order[0] < channel_order[1], "the updates in the order given: {channel_order:?}");
    for notice in ["C0PAYMENTS", "C0CHECKOUT", "C0INCIDENTS"] {
        let thread = app.slack.messages(notice);
        let parent = thread.iter().position(|m| m.thread_ts.is_none()).expect("the notice");
        let order = positions(&app.slack, notice, &["First: rolled back", "Second: error rate"]);
        assert!(parent < order[0] && order[0] < order[1], "{notice}: notice, then the replies in order: {order:?}");
    }

    // Closing: the closing post and the summary's edit are held by 429s; the archive waits.
    app.command_in("resolve Rolled back", &channel, "U0REPORTER").await;
    app.outbox_drained().await;
    app.slack.inject("chat.postMessage", Fault::RateLimited { retry_after_secs: 1 });
    app.slack.inject("chat.update", Fault::RateLimited { retry_after_secs: 1 });
    app.command_in("close", &channel, "U0REPORTER").await;
    app.outbox_drained().await;
    assert!(app.app.store.failed_jobs().await.unwrap().is_empty(), "nothing refused with is_archived");
    let calls = app.slack.calls();
    let archived = calls.iter().position(|c| c.method == "conversations.archive").expect("archived");
    let last_post =
        calls.iter().rposition(|c| c.method == "chat.postMessage" && c.params["channel"] == channel.as_str());
    let last_edit = calls.iter().rposition(|c| c.method == "chat.update" && c.params["channel"] == channel.as_str());
    assert!(last_post.unwrap() < archived && last_edit.unwrap() < archived, "post and edit before the archive");
    assert!(app.slack.channel(&channel).unwrap().archived);
}
