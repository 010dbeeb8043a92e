//! Retention: finished jobs and old event deliveries are pruned in batches once older than the
//! retention age, on every backend, while new work goes on; pending work and anything recent
//! are kept.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use firebell::config::env::DatabaseUrl;
use firebell::store::Store;
use firebell::store::deliveries::NewDelivery;
use firebell::store::outbox::{JobState, NewJob};
use serde_json::json;

use crate::support::database::{self, TestDatabase};

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
    let claimed = store.claim_jobs("pruner-test", when, Duration::from_secs(30), 1).await.unwrap();
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
