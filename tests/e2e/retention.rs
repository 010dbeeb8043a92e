//! Retention: finished jobs and old event deliveries are pruned in batches once older than the
//! retention age, on every backend, while new work goes on; pending work and anything recent
//! are kept. With the policy's `retention.messages`, the message text of incidents closed
//! longer ago is dropped like a deletion, and only theirs; timelines stay.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use firebell::config::env::DatabaseUrl;
use firebell::domain::ids::{ChannelId, UserId};
use firebell::domain::incident::{Incident, IncidentId, IncidentNumber, IncidentStatus, ServiceName, SeverityName};
use firebell::domain::timeline::TimelineEntry;
use firebell::store::Store;
use firebell::store::deliveries::NewDelivery;
use firebell::store::incidents::{self, NewIncident};
use firebell::store::messages::{self, NewMessage};
use firebell::store::outbox::{JobState, NewJob};
use firebell::store::timeline;
use serde_json::json;

use crate::support::app::{Options, TestApp, spawn_app_with};
use crate::support::database::{self, TestDatabase};
use crate::support::signing::event_envelope;
use crate::support::{wait, workspace};

async fn open(database: &TestDatabase) -> Store {
    let store = Store::connect(&DatabaseUrl::parse(&database.url).unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// `days` days after an arbitrary origin.
fn day(days: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000, 0).unwrap() + chrono::Duration::days(days)
}

/// A job enqueued, claimed and finished (done, or failed when `fail`) at `when`; its id.
async fn finished_job(store: &Store, when: chrono::DateTime<Utc>, fail: bool) -> i64 {
    let job = NewJob {
        kind: "announce".into(),
        payload: json!({}),
        incident_id: None,
        dedupe_key: None,
        run_at: when,
        lane: None,
    };
    let id = store.enqueue(&job, when).await.unwrap().unwrap();
    let claimed = store.claim_jobs("pruner-test", when, Duration::from_secs(30), 1).await.unwrap().jobs;
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
    if fail {
        store.fail_job(id, "pruner-test", "channel_not_found", when).await.unwrap();
    } else {
        store.complete_job(id, "pruner-test", when).await.unwrap();
    }
    id
}

async fn delivery(store: &Store, event_id: &str, when: chrono::DateTime<Utc>) {
    let new = NewDelivery { event_id, event_type: "message", team_id: "T1", payload: "{}", retry_num: 0 };
    assert!(store.record_delivery(&new, when).await.unwrap());
}

#[tokio::test]
async fn pruning_deletes_only_what_is_old_enough_in_batches_while_work_goes_on() {
    for database in database::all().await {
        let store = open(&database).await;
        let backend = database.backend;
        let mut old = Vec::new();
        for n in 0..7 {
            old.push(finished_job(&store, day(0), n == 6).await);
        }
        // Still to run, however old: never pruned.
        let waiting = NewJob {
            kind: "digest".into(),
            payload: json!({}),
            incident_id: None,
            dedupe_key: None,
            run_at: day(100),
            lane: None,
        };
        let pending = store.enqueue(&waiting, day(0)).await.unwrap().unwrap();
        let recent = finished_job(&store, day(40), false).await;
        for n in 0..5 {
            delivery(&store, &format!("Ev-old-{n}"), day(0)).await;
        }
        delivery(&store, "Ev-recent", day(40)).await;

        let before = day(30);
        assert!(store.anything_to_prune(before).await.unwrap(), "{backend}");
        // Traffic meanwhile: jobs finished now, in between the batches.
        let traffic = async {
            let mut ids = Vec::new();
            for _ in 0..5 {
                ids.push(finished_job(&store, day(41), false).await);
            }
            ids
        };
        let batches = async {
            let mut sizes = Vec::new();
            loop {
                let deleted = store.prune_finished_jobs(before, 3).await.unwrap();
                sizes.push(deleted);
                if deleted < 3 {
                    return sizes;
                }
            }
        };
        let (traffic, sizes) = tokio::join!(traffic, batches);
        assert_eq!(sizes, [3, 3, 1], "{backend}: at most a batch per statement");
        assert_eq!(store.prune_deliveries(before, 3).await.unwrap(), 3, "{backend}");
        assert_eq!(store.prune_deliveries(before, 3).await.unwrap(), 2, "{backend}");
        assert_eq!(store.prune_deliveries(before, 3).await.unwrap(), 0, "{backend}");
        assert!(!store.anything_to_prune(before).await.unwrap(), "{backend}");

        for id in &old {
            assert!(store.job(*id).await.unwrap().is_none(), "{backend}: old job {id} pruned");
        }
        assert_eq!(store.job(pending).await.unwrap().map(|j| j.state), Some(JobState::Pending), "{backend}");
        assert!(store.job(recent).await.unwrap().is_some(), "{backend}: the recent job is kept");
        for id in traffic {
            assert_eq!(store.job(id).await.unwrap().map(|j| j.state), Some(JobState::Done), "{backend}");
        }
        // The recent delivery still de-duplicates: recording it again is refused.
        let again =
            NewDelivery { event_id: "Ev-recent", event_type: "message", team_id: "T1", payload: "{}", retry_num: 1 };
        assert!(!store.record_delivery(&again, day(41)).await.unwrap(), "{backend}");
    }
}

#[tokio::test]
async fn serve_prunes_what_is_older_than_the_retention_when_it_starts() {
    let database = database::sqlite();
    let store = open(&database).await;
    // Long before the default 30 days: gone at start. Yesterday's: kept.
    let old = finished_job(&store, Utc::now() - chrono::Duration::days(40), false).await;
    let yesterday = finished_job(&store, Utc::now() - chrono::Duration::days(1), false).await;
    delivery(&store, "Ev-old", Utc::now() - chrono::Duration::days(40)).await;
    store.close().await;

    let app = crate::support::app::spawn_app_with(crate::support::app::Options {
        database: Some(database),
        ..Default::default()
    })
    .await;
    let store = app.app.store.clone();
    crate::support::wait::until("the old job to be pruned", || {
        let store = store.clone();
        async move { store.job(old).await.unwrap().is_none() }
    })
    .await;
    assert!(app.app.store.job(yesterday).await.unwrap().is_some(), "yesterday's job is kept");
    let again = NewDelivery { event_id: "Ev-old", event_type: "message", team_id: "T1", payload: "{}", retry_num: 0 };
    assert!(app.app.store.record_delivery(&again, Utc::now()).await.unwrap(), "the old delivery record is gone");
}

/// An incident whose channel `channel` holds `count` messages, in `status` since `since`
/// (resolved and closed stamped as the lifecycle stamps them), with its declaration on the
/// timeline.
async fn incident_with_messages(
    store: &Store,
    channel: &str,
    count: usize,
    status: IncidentStatus,
    since: chrono::DateTime<Utc>,
) -> IncidentId {
    let new = NewIncident {
        title: format!("Outage in {channel}"),
        severity: SeverityName::from_stored("SEV3".into()),
        private: false,
        drill: false,
        reporter: UserId::parse("U0REPORTER").unwrap(),
        impact: None,
        description: None,
        services: vec![ServiceName::from_stored("payments".into())],
        timers: Default::default(),
    };
    let channel = ChannelId::parse(channel).unwrap();
    let mut tx = store.begin().await.unwrap();
    let incident = incidents::insert(&mut tx, &new, day(-1)).await.unwrap();
    incidents::set_channel(&mut tx, incident.id, &channel, day(-1)).await.unwrap();
    let declared =
        TimelineEntry::Declared { severity: new.severity.clone(), services: new.services, private: false, rule: None };
    timeline::append(&mut tx, incident.id, day(-1), Some(&new.reporter), &declared).await.unwrap();
    for n in 0..count {
        let ts = format!("1789900000.{n:06}");
        let text = format!("{channel} message {n}");
        let message = NewMessage {
            channel: &channel,
            ts: &ts,
            thread_ts: None,
            user: Some("U0ONCALL1"),
            text: &text,
            file_count: 0,
            subtype: None,
        };
        messages::insert(&mut tx, incident.id, &message).await.unwrap();
    }
    tx.commit().await.unwrap();
    let resolved =
        matches!(status, IncidentStatus::Resolved | IncidentStatus::Closed).then(|| since.timestamp_millis());
    let closed = (status == IncidentStatus::Closed).then(|| since.timestamp_millis());
    sqlx::query("UPDATE incidents SET status = $1, resolved_at = $2, closed_at = $3 WHERE id = $4")
        .bind(status.as_str())
        .bind(resolved)
        .bind(closed)
        .bind(incident.id)
        .execute(store.pool())
        .await
        .unwrap();
    incident.id
}

#[tokio::test]
async fn message_text_is_dropped_only_for_incidents_closed_before_the_cutoff_a_batch_at_a_time() {
    for database in database::all().await {
        let store = open(&database).await;
        let backend = database.backend;
        let old = incident_with_messages(&store, "C0OLD", 5, IncidentStatus::Closed, day(0)).await;
        let recent = incident_with_messages(&store, "C0RECENT", 2, IncidentStatus::Closed, day(40)).await;
        let resolved = incident_with_messages(&store, "C0RESOLVED", 2, IncidentStatus::Resolved, day(0)).await;
        let open = incident_with_messages(&store, "C0OPEN", 2, IncidentStatus::Investigating, day(0)).await;
        // Deleted in Slack already: a mark only, not dropped (or counted) again.
        let mut tx = store.begin().await.unwrap();
        messages::delete(&mut tx, old, &ChannelId::parse("C0OLD").unwrap(), "1789900000.000000").await.unwrap();
        tx.commit().await.unwrap();
        let mut timelines_before = Vec::new();
        for id in [old, recent, resolved, open] {
            timelines_before.push(store.timeline(id).await.unwrap());
        }

        let before = day(30);
        assert!(store.any_message_text_to_drop(before).await.unwrap(), "{backend}");
        let mut sizes = Vec::new();
        loop {
            let dropped = store.drop_message_texts(before, 3).await.unwrap();
            sizes.push(dropped);
            if dropped < 3 {
                break;
            }
        }
        assert_eq!(sizes, [3, 1], "{backend}: at most a batch per statement");
        assert!(!store.any_message_text_to_drop(before).await.unwrap(), "{backend}");
        assert_eq!(store.drop_message_texts(before, 3).await.unwrap(), 0, "{backend}: running again changes nothing");

        let dropped = store.messages(old).await.unwrap();
        assert_eq!(dropped.len(), 5, "{backend}: the marks stay");
        for message in &dropped {
            assert!(message.deleted && message.text.is_none(), "{backend}: {message:?}");
            assert_eq!(message.user.as_ref().map(|u| u.as_str()), Some("U0ONCALL1"), "{backend}");
        }
        for id in [recent, resolved, open] {
            let kept = store.messages(id).await.unwrap();
            assert_eq!(kept.len(), 2, "{backend}");
            for message in kept {
                assert!(!message.deleted && message.text.is_some(), "{backend}: {message:?}");
            }
        }
        for (id, before) in [old, recent, resolved, open].into_iter().zip(timelines_before) {
            assert_eq!(store.timeline(id).await.unwrap(), before, "{backend}: the timeline stays");
        }
    }
}

/// The contract's workspace with `retention.messages` set.
fn policy_keeping_message_text_for(age: &str) -> String {
    format!("{}\n[retention]\nmessages = \"{age}\"\n", workspace::policy())
}

/// How far an incident is taken after its messages.
#[derive(Clone, Copy, PartialEq)]
enum End {
    Open,
    Resolved,
    Closed,
}

/// Declares incident `number` from the general channel, says `lines` in its channel (each a
/// Slack message event), pins the first with 📌, and takes it as far as `end`.
async fn incident_with_talk(app: &TestApp, number: i64, lines: &[&str], end: End) -> Incident {
    app.command_in(&format!("declare sev3 service:payments Outage {number}"), "C0GENERAL", "U0REPORTER").await;
    app.outbox_drained().await;
    let incident = app.app.store.incident_by_number(IncidentNumber(number)).await.unwrap().unwrap();
    let channel = incident.channel.as_ref().unwrap().to_string();
    for (n, line) in lines.iter().enumerate() {
        let ts = app.slack.add_message(&channel, "U0ONCALL1", line, None);
        let message = json!({"type": "message", "channel": &channel, "user": "U0ONCALL1", "text": line, "ts": &ts});
        assert_eq!(app.event(event_envelope(&format!("Ev-{number}-{n}"), message), None).await.status(), 200);
        if n == 0 {
            let pin = json!({"type": "reaction_added", "user": "U0REPORTER", "reaction": "pushpin", "item": {"type": "message", "channel": &channel, "ts": &ts}});
            assert_eq!(app.event(event_envelope(&format!("Ev-{number}-pin"), pin), None).await.status(), 200);
        }
    }
    if end != End::Open {
        app.command_in(&format!("resolve Fixed outage {number}"), &channel, "U0REPORTER").await;
    }
    if end == End::Closed {
        app.command_in("close", &channel, "U0REPORTER").await;
    }
    app.outbox_drained().await;
    app.app.store.incident(incident.id).await.unwrap().unwrap()
}

/// Moves an incident's resolution and closing (whichever it has) `days` into the past.
async fn age(store: &Store, id: IncidentId, days: i64) {
    let then = (Utc::now() - chrono::Duration::days(days)).timestamp_millis();
    sqlx::query(
        "UPDATE incidents SET resolved_at = CASE WHEN resolved_at IS NULL THEN NULL ELSE $1 END,
                              closed_at = CASE WHEN closed_at IS NULL THEN NULL ELSE $1 END WHERE id = $2",
    )
    .bind(then)
    .bind(id)
    .execute(store.pool())
    .await
    .unwrap();
}

/// `firebell retro NUMBER` on the app's database and policy, as an operator runs it.
async fn printed_retro(database: &TestDatabase, number: i64) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_firebell"))
        .args(["retro", &number.to_string()])
        .env_clear()
        .env("DATABASE_URL", &database.url)
        .env("FIREBELL_CONFIG", database.dir.path().join("firebell.toml"))
        .env("RUST_LOG", "off")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), output).await.unwrap().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn serve_drops_the_message_text_of_incidents_closed_longer_ago_than_retention_messages_like_a_deletion() {
    for database in database::all().await {
        let backend = database.backend;
        let options = |database| Options {
            policy: Some(policy_keeping_message_text_for("90d")),
            database: Some(database),
            prepare_slack: Some(workspace::seed),
            ..Default::default()
        };
        let mut first = spawn_app_with(options(database)).await;
        let old = incident_with_talk(&first, 1, &["old secret hunter2", "old rollback started"], End::Closed).await;
        let recent = incident_with_talk(&first, 2, &["recent gateway 502s"], End::Closed).await;
        let resolved = incident_with_talk(&first, 3, &["resolved queue backlog"], End::Resolved).await;
        let open = incident_with_talk(&first, 4, &["open disk filling up"], End::Open).await;
        age(&first.app.store, old.id, 100).await;
        age(&first.app.store, recent.id, 10).await;
        // Resolved long ago but never closed: still kept.
        age(&first.app.store, resolved.id, 100).await;
        let old_timeline = first.app.store.timeline(old.id).await.unwrap();
        assert!(
            old_timeline.iter().any(|e| matches!(e.entry, TimelineEntry::Highlight { .. })),
            "{backend}: the pin is on the timeline"
        );

        // The retention worker looks when serve starts: start again on the same database.
        let database = std::mem::replace(&mut first.database, database::sqlite());
        drop(first);
        let second = spawn_app_with(options(database)).await;
        let store = second.app.store.clone();
        wait::until("the old incident's message text to be dropped", || {
            let store = store.clone();
            async move { store.messages(old.id).await.unwrap().iter().all(|m| m.deleted) }
        })
        .await;

        let dropped = store.messages(old.id).await.unwrap();
        assert_eq!(dropped.len(), 2, "{backend}: the deleted marks stay");
        assert!(dropped.iter().all(|m| m.text.is_none()), "{backend}: {dropped:?}");
        assert_eq!(store.timeline(old.id).await.unwrap(), old_timeline, "{backend}: the timeline stays");
        for (incident, line) in
            [(&recent, "recent gateway 502s"), (&resolved, "resolved queue backlog"), (&open, "open disk filling up")]
        {
            let kept = store.messages(incident.id).await.unwrap();
            assert_eq!(
                kept.iter().map(|m| (m.text.as_deref(), m.deleted)).collect::<Vec<_>>(),
                [(Some(line), false)],
                "{backend}: incident #{} keeps its text",
                incident.number.0
            );
        }

        // A late copy of a dropped message (a retried delivery under a new id, or the history
        // backfill of a later retrospective) does not bring the text back.
        let channel = old.channel.as_ref().unwrap().to_string();
        let copy = json!({"type": "message", "channel": &channel, "user": "U0ONCALL1", "text": "old secret hunter2", "ts": &dropped[0].ts});
        assert_eq!(second.event(event_envelope("Ev-late-copy", copy), None).await.status(), 200);
        assert!(store.message(old.channel.as_ref().unwrap(), &dropped[0].ts).await.unwrap().unwrap().text.is_none());

        let old_retro = printed_retro(&second.database, 1).await;
        assert!(
            !old_retro.contains("hunter2") && !old_retro.contains("old rollback started"),
            "{backend}: {old_retro}"
        );
        assert_eq!(old_retro.matches("(deleted)").count(), 2, "{backend}: {old_retro}");
        assert!(old_retro.contains("resolved: Fixed outage 1"), "{backend}: the timeline is in it: {old_retro}");
        assert!(old_retro.contains(":pushpin:"), "{backend}: so is the highlight: {old_retro}");
        let recent_retro = printed_retro(&second.database, 2).await;
        assert!(recent_retro.contains("recent gateway 502s"), "{backend}: {recent_retro}");
        assert!(!recent_retro.contains("(deleted)"), "{backend}: {recent_retro}");
    }
}

#[tokio::test]
async fn check_config_refuses_a_message_retention_shorter_than_a_day_naming_the_minimum() {
    let database = database::sqlite();
    let path = database.write_policy(&policy_keeping_message_text_for("12h"));
    let line = std::fs::read_to_string(&path).unwrap().lines().position(|l| l.starts_with("messages =")).unwrap() + 1;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_firebell"))
        .args(["check-config", path.to_str().unwrap()])
        .env_clear()
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), output).await.unwrap().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "firebell: {}:{line}: retention.messages = \"12h\" is too short; expected at least 1d, e.g. \"90d\"",
        path.display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
}
