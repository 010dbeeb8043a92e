//! Storage round-trips on every available backend: SQLite always, PostgreSQL when
//! `FIREBELL_TEST_POSTGRES_URL` is set (CI sets it; locally these print that it was skipped).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use firebell::app::retro;
use firebell::config::env::DatabaseUrl;
use firebell::config::policy::builtin;
use firebell::domain::followup::FollowupGroup;
use firebell::domain::ids::{ChannelId, UserId};
use firebell::domain::incident::{IncidentNumber, IncidentStatus, RoleName, ServiceName, SeverityName};
use firebell::domain::timeline::{TimelineEntry, TimelineKind};
use firebell::render::retro::markdown;
use firebell::store::Store;
use firebell::store::deliveries::NewDelivery;
use firebell::store::incidents::{self, NewIncident};
use firebell::store::outbox::{self, JobState, NewJob};
use firebell::store::timeline;
use serde_json::json;

use crate::support::database::{self, TestDatabase};

async fn open(database: &TestDatabase) -> Store {
    let url = DatabaseUrl::parse(&database.url).unwrap();
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

fn at(seconds: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + seconds, 0).unwrap()
}

fn payments_outage() -> NewIncident {
    NewIncident {
        title: "Checkout is down".into(),
        severity: SeverityName::from_stored("SEV1".into()),
        private: false,
        drill: false,
        reporter: UserId::parse("U0REPORTER").unwrap(),
        impact: Some("Card payments fail".into()),
        description: None,
        services: vec![ServiceName::from_stored("payments".into()), ServiceName::from_stored("checkout".into())],
        timers: Default::default(),
    }
}

fn job(kind: &str, key: Option<&str>, run_at: i64) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload: json!({"incident": 1}),
        incident_id: None,
        dedupe_key: key.map(str::to_owned),
        run_at: at(run_at),
        lane: None,
    }
}

#[tokio::test]
async fn migrations_apply_once_and_are_idempotent_on_every_backend() {
    for database in database::all().await {
        let url = DatabaseUrl::parse(&database.url).unwrap();
        let store = Store::connect(&url).await.unwrap();
        assert!(store.migrate().await.unwrap() >= 1, "{}", database.backend);
        assert_eq!(store.migrate().await.unwrap(), 0, "{}: second run applies nothing", database.backend);
    }
}

#[tokio::test]
async fn a_sqlite_database_file_is_created_when_missing_in_wal_mode() {
    let database = database::sqlite();
    let path = database.dir.path().join("firebell.db");
    assert!(!path.exists());
    let store = open(&database).await;
    assert!(path.exists());
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(store.pool()).await.unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(store.pool()).await.unwrap();
    assert!(busy >= 1000, "busy timeout {busy}");
}

#[tokio::test]
async fn incidents_round_trip_with_increasing_numbers_on_every_backend() {
    for database in database::all().await {
        let store = open(&database).await;
        let mut tx = store.begin().await.unwrap();
        let first = incidents::insert(&mut tx, &payments_outage(), at(0)).await.unwrap();
        let second = incidents::insert(&mut tx, &NewIncident { title: "결제 지연".into(), ..payments_outage() }, at(5))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!((first.number, second.number), (IncidentNumber(1), IncidentNumber(2)), "{}", database.backend);

        let loaded = store.incident_by_number(IncidentNumber(2)).await.unwrap().unwrap();
        assert_eq!(loaded.title, "결제 지연");
        assert_eq!(loaded.status, IncidentStatus::Investigating);
        assert_eq!(loaded.services.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["payments", "checkout"]);
        assert_eq!(loaded.declared_at, at(5));
        assert_eq!(loaded.impact.as_deref(), Some("Card payments fail"));

        store.reserve_channel_name(first.id, "inc-20261126-1-checkout-is-down", 1, at(1)).await.unwrap();
        let channel = ChannelId::parse("C0INC1").unwrap();
        let mut tx = store.begin().await.unwrap();
        incidents::set_channel(&mut tx, first.id, &channel, at(1)).await.unwrap();
        tx.commit().await.unwrap();
        let by_channel = store.incident_by_channel(&channel).await.unwrap().unwrap();
        assert_eq!(by_channel.number, IncidentNumber(1));
        assert_eq!(by_channel.channel, Some(channel.clone()));
        assert_eq!(by_channel.channel_name.as_deref(), Some("inc-20261126-1-checkout-is-down"));
        assert!(store.incident_by_channel(&ChannelId::parse("C0ELSEWHERE").unwrap()).await.unwrap().is_none());
        assert_eq!(store.open_incidents().await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_no_incident_and_no_job() {
    for database in database::all().await {
        let store = open(&database).await;
        let mut tx = store.begin().await.unwrap();
        let incident = incidents::insert(&mut tx, &payments_outage(), at(0)).await.unwrap();
        outbox::enqueue(&mut tx, &NewJob { incident_id: Some(incident.id), ..job("open_channel", None, 0) }, at(0))
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert!(store.open_incidents().await.unwrap().is_empty(), "{}", database.backend);
        assert!(store.claim_jobs("w1", at(10), Duration::from_secs(30), 10).await.unwrap().jobs.is_empty());
    }
}

#[tokio::test]
async fn timeline_events_come_back_in_time_order_on_every_backend() {
    for database in database::all().await {
        let store = open(&database).await;
        let mut tx = store.begin().await.unwrap();
        let incident = incidents::insert(&mut tx, &payments_outage(), at(0)).await.unwrap();
        let update = TimelineEntry::Update { text: "Rolled back".into(), status: None };
        timeline::append(&mut tx, incident.id, at(60), Some(&user("U0LEAD")), &update).await.unwrap();
        let declared = TimelineEntry::Declared { severity: sev1(), services: vec![], private: false, rule: None };
        timeline::append(&mut tx, incident.id, at(0), Some(&user("U0REPORTER")), &declared).await.unwrap();
        timeline::append(&mut tx, incident.id, at(60), None, &sample(TimelineKind::Alert)).await.unwrap();
        tx.commit().await.unwrap();
        let events = store.timeline(incident.id).await.unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.entry.kind()).collect();
        assert_eq!(
            kinds,
            [Ok(TimelineKind::Declared), Ok(TimelineKind::Update), Ok(TimelineKind::Alert)],
            "{}",
            database.backend
        );
        assert_eq!(events[1].author.as_deref(), Some("U0LEAD"));
        assert_eq!(events[1].entry, update);
        assert_eq!(events[2].author, None);
    }
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn sev1() -> SeverityName {
    SeverityName::from_stored("SEV1".into())
}

/// One entry of `kind` with every field set; an exhaustive match, so a new kind needs one.
fn sample(kind: TimelineKind) -> TimelineEntry {
    let (status, service) = (IncidentStatus::Identified, ServiceName::from_stored("payments".into()));
    let (source, title, fingerprint) = ("alertmanager".to_owned(), "High 5xx rate".to_owned(), "fp1".to_owned());
    match kind {
        TimelineKind::Declared => {
            TimelineEntry::Declared { severity: sev1(), services: vec![service], private: true, rule: None }
        }
        TimelineKind::Update => TimelineEntry::Update { text: "Rolled back".into(), status: Some(status) },
        TimelineKind::StatusChanged => TimelineEntry::StatusChanged { from: IncidentStatus::Investigating, to: status },
        TimelineKind::Reopened => TimelineEntry::Reopened { to: IncidentStatus::Monitoring },
        TimelineKind::SeverityChanged => {
            TimelineEntry::SeverityChanged { from: sev1(), to: SeverityName::from_stored("SEV3".into()), lowered: true }
        }
        TimelineKind::RoleAssigned => {
            TimelineEntry::RoleAssigned { role: RoleName::from_stored("comms".into()), user: user("U0DAVE") }
        }
        TimelineKind::TitleChanged => TimelineEntry::TitleChanged { title: "결제 지연".into() },
        TimelineKind::ImpactChanged => TimelineEntry::ImpactChanged { impact: "Card payments fail".into() },
        TimelineKind::ServiceAdded => TimelineEntry::ServiceAdded { service },
        TimelineKind::ServiceRemoved => TimelineEntry::ServiceRemoved { service },
        TimelineKind::Note => TimelineEntry::Note { text: "Customer support has a macro".into() },
        TimelineKind::Resolved => TimelineEntry::Resolved { summary: None, duration_seconds: 5580 },
        TimelineKind::Closed => TimelineEntry::Closed {},
        TimelineKind::FollowupAdded => {
            TimelineEntry::FollowupAdded { id: 7, group: FollowupGroup::Handle, text: "Runbook link".into() }
        }
        TimelineKind::FollowupDone => TimelineEntry::FollowupDone { id: 7, text: "Runbook link".into() },
        TimelineKind::ReminderSnoozed => TimelineEntry::ReminderSnoozed { until: at(900), seconds: 900 },
        TimelineKind::Alert => {
            TimelineEntry::Alert { source, title, fingerprint, link: Some("https://prometheus.example/".into()) }
        }
        TimelineKind::AlertResolved => TimelineEntry::AlertResolved { source, title, fingerprint },
        TimelineKind::Highlight => TimelineEntry::Highlight {
            channel: ChannelId::parse("C0INC1").unwrap(),
            ts: "1790000000.000100".into(),
            by: user("U0ONCALL1"),
        },
        TimelineKind::Paged => TimelineEntry::Paged {
            user: user("U0ONCALL1"),
            reason: firebell::domain::paging::PageReason::Escalation,
            level: 2,
        },
        TimelineKind::PageAcknowledged => TimelineEntry::PageAcknowledged { user: user("U0ONCALL1") },
        TimelineKind::PagesUnanswered => TimelineEntry::PagesUnanswered { levels: 1 },
        TimelineKind::FieldSet => TimelineEntry::FieldSet { field: "type".into(), value: "database".into() },
        TimelineKind::ResponseAction => TimelineEntry::ResponseAction { action: "hotfix".into(), text: None },
    }
}

#[tokio::test]
async fn every_kind_of_timeline_entry_is_read_back_as_written_on_every_backend() {
    for database in database::all().await {
        let store = open(&database).await;
        let mut tx = store.begin().await.unwrap();
        let incident = incidents::insert(&mut tx, &payments_outage(), at(0)).await.unwrap();
        let written: Vec<TimelineEntry> = TimelineKind::ALL.into_iter().map(sample).collect();
        for (n, entry) in (1..).zip(&written) {
            timeline::append(&mut tx, incident.id, at(n), Some(&user("U0LEAD")), entry).await.unwrap();
        }
        tx.commit().await.unwrap();
        let read: Vec<TimelineEntry> =
            store.timeline(incident.id).await.unwrap().into_iter().map(|event| event.entry).collect();
        assert_eq!(read, written, "{}", database.backend);
        let stored_kinds: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM timeline_events WHERE incident_id = $1 ORDER BY at")
                .bind(incident.id)
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(stored_kinds, TimelineKind::ALL.map(TimelineKind::name), "each under its kind's name");
    }
}

#[tokio::test]
async fn an_entry_of_a_kind_this_version_does_not_know_is_read_and_shown_as_unknown_on_every_backend() {
    for database in database::all().await {
        let store = open(&database).await;
        let mut tx = store.begin().await.unwrap();
        let incident = incidents::insert(&mut tx, &payments_outage(), at(0)).await.unwrap();
        tx.commit().await.unwrap();
        // As another version of firebell would have stored it.
        sqlx::query("INSERT INTO timeline_events (incident_id, kind, at, author, body) VALUES ($1, $2, $3, NULL, $4)")
            .bind(incident.id)
            .bind("war_room_opened")
            .bind(at(30).timestamp_millis())
            .bind(r#"{"room":"https://meet.example/inc-1"}"#)
            .execute(store.pool())
            .await
            .unwrap();

        let events = store.timeline(incident.id).await.unwrap();
        let unknown = TimelineEntry::Unknown {
            kind: "war_room_opened".into(),
            body: json!({"room": "https://meet.example/inc-1"}),
        };
        assert_eq!(events.iter().map(|e| &e.entry).collect::<Vec<_>>(), [&unknown], "{}", database.backend);

        let policy = builtin();
        let incident = store.incident(incident.id).await.unwrap().unwrap();
        let retrospective = retro::build(&store, &policy, &incident, true, &HashMap::new()).await.unwrap();
        let document = markdown(&retrospective, &policy);
        assert!(document.contains(" · unknown entry (war_room_opened)\n"), "{}: {document}", database.backend);
        assert!(!document.lines().any(|line| line.ends_with(" · ")), "no empty timeline line: {document}");
    }
}

#[tokio::test]
async fn outbox_jobs_are_claimed_once_and_finished_on_every_backend() {
    for database in database::all().await {
        let store = open(&database).await;
        let first = store.enqueue(&job("post_notice", Some("notice:1:C0PAY"), 0), at(0)).await.unwrap().unwrap();
        assert_eq!(
            store.enqueue(&job("post_notice", Some("notice:1:C0PAY"), 0), at(0)).await.unwrap(),
            None,
            "deduplicated"
        );
        let later = store.enqueue(&job("remind", None, 100), at(0)).await.unwrap().unwrap();

        let claimed = store.claim_jobs("w1", at(1), Duration::from_secs(30), 10).await.unwrap().jobs;
        assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), [first], "{}: only the due job", database.backend);
        assert_eq!(claimed[0].attempts, 1);
        assert_eq!(claimed[0].payload["incident"], 1);
        assert!(
            store.claim_jobs("w2", at(2), Duration::from_secs(30), 10).await.unwrap().jobs.is_empty(),
            "leased to w1"
        );

        assert!(!store.complete_job(first, "w2", at(3)).await.unwrap(), "only the lease holder finishes a job");
        assert!(store.complete_job(first, "w1", at(3)).await.unwrap());
        assert_eq!(store.job(first).await.unwrap().unwrap().state, JobState::Done);

        let due = store.claim_jobs("w1", at(100), Duration::from_secs(30), 10).await.unwrap().jobs;
        assert_eq!(due.iter().map(|j| j.id).collect::<Vec<_>>(), [later]);
        assert!(store.retry_job(later, "w1", at(160), "ratelimited", at(101)).await.unwrap());
        let retried = store.job(later).await.unwrap().unwrap();
        assert_eq!(
            (retried.state, retried.run_at, retried.last_error.as_deref()),
            (JobState::Pending, at(160), Some("ratelimited"))
        );
        assert!(store.claim_jobs("w1", at(159), Duration::from_secs(30), 10).await.unwrap().jobs.is_empty());
        let again = store.claim_jobs("w1", at(160), Duration::from_secs(30), 10).await.unwrap().jobs;
        assert_eq!(again[0].attempts, 2);
        assert!(store.fail_job(later, "w1", "channel_not_found", at(161)).await.unwrap());
        assert_eq!(store.job(later).await.unwrap().unwrap().state, JobState::Failed);
    }
}

#[tokio::test]
async fn jobs_held_for_a_rejected_token_are_released_and_no_others() {
    for database in database::all().await {
        let store = open(&database).await;
        let mut held = Vec::new();
        for (kind, error) in
            [("post_notice", "token_revoked"), ("open_channel", "invalid_auth"), ("remind", "ratelimited")]
        {
            let id = store.enqueue(&job(kind, None, 0), at(0)).await.unwrap().unwrap();
            held.push(id);
            let claimed = store.claim_jobs("w1", at(1), Duration::from_secs(30), 1).await.unwrap().jobs;
            assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
            assert!(store.retry_job(id, "w1", at(31), error, at(1)).await.unwrap());
        }
        let released = store.release_jobs_held_for(&["invalid_auth", "token_revoked"], at(5)).await.unwrap();
        assert_eq!(released, 2, "{}", database.backend);
        let due = store.claim_jobs("w1", at(5), Duration::from_secs(30), 10).await.unwrap().jobs;
        assert_eq!(
            due.iter().map(|j| j.id).collect::<Vec<_>>(),
            held[..2],
            "{}: the rate-limited job keeps its Retry-After",
            database.backend
        );
        assert_eq!(store.release_jobs_held_for(&["token_revoked"], at(6)).await.unwrap(), 0, "running jobs stay put");
    }
}

#[tokio::test]
async fn a_job_whose_lease_expired_is_claimed_again_and_the_old_holder_loses_it() {
    for database in database::all().await {
        let store = open(&database).await;
        let id = store.enqueue(&job("open_channel", None, 0), at(0)).await.unwrap().unwrap();
        // Leases run by the database's clock, whatever time the claimer thinks it is: a
        // claimer whose clock is far ahead does not take a live lease.
        let lease = Duration::from_millis(400);
        assert_eq!(store.claim_jobs("crashed", at(0), lease, 10).await.unwrap().jobs.len(), 1);
        assert!(
            store.claim_jobs("w2", at(1_000_000), lease, 10).await.unwrap().jobs.is_empty(),
            "{}: the lease holds by the database's clock",
            database.backend
        );
        let due = store.next_job_due(at(0)).await.unwrap().expect("the running job's lease falls due");
        assert!(due > at(0) && due <= at(1), "{}: due when its lease runs out: {due}", database.backend);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let reclaimed = loop {
            let claimed = store.claim_jobs("w2", at(0), lease, 10).await.unwrap().jobs;
            if !claimed.is_empty() {
                break claimed;
            }
            assert!(std::time::Instant::now() < deadline, "{}: the lease never ran out", database.backend);
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(reclaimed.iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
        assert!(!store.complete_job(id, "crashed", at(32)).await.unwrap(), "the crashed worker's lease is gone");
        assert!(store.complete_job(id, "w2", at(32)).await.unwrap());
    }
}

#[tokio::test]
async fn racing_workers_claim_each_job_exactly_once() {
    for database in database::all().await {
        let store = open(&database).await;
        for n in 0..40 {
            store.enqueue(&job("post", Some(&format!("k{n}")), 0), at(0)).await.unwrap();
        }
        let workers = (0..4).map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch =
                        store.claim_jobs(&format!("w{w}"), at(1), Duration::from_secs(60), 5).await.unwrap().jobs;
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|j| j.id));
                }
            })
        });
        let results = tokio::time::timeout(Duration::from_secs(30), futures::future::join_all(workers))
            .await
            .expect("workers finish");
        let mut all: Vec<i64> = results.into_iter().flat_map(|r| r.unwrap()).collect();
        all.sort_unstable();
        let before = all.len();
        all.dedup();
        assert_eq!((before, all.len()), (40, 40), "{}: every job claimed exactly once", database.backend);
    }
}

#[tokio::test]
async fn deliveries_are_recorded_once_per_event_id_on_every_backend() {
    for database in database::all().await {
        let store = open(&database).await;
        let delivery =
            NewDelivery { event_id: "Ev1", event_type: "message", team_id: "T0FIREBELL", payload: "{}", retry_num: 0 };
        assert!(store.record_delivery(&delivery, at(0)).await.unwrap(), "{}", database.backend);
        assert!(!store.record_delivery(&NewDelivery { retry_num: 1, ..delivery.clone() }, at(1)).await.unwrap());
        let stored = store.delivery("Ev1").await.unwrap().unwrap();
        // A delivery's effect is applied in the transaction that records it.
        assert_eq!((stored.retry_num, stored.received_at, stored.handled_at), (0, at(0), Some(at(0))));
        assert_eq!(store.delivery_count().await.unwrap(), 1);
    }
}

#[tokio::test]
async fn grouped_writes_share_commits_and_a_failing_one_is_undone_alone_on_every_backend() {
    for database in database::all().await {
        let store = open(&database).await;
        let writes = (0..60).map(|n| {
            let store = store.clone();
            async move {
                store
                    .write_grouped(move |conn| {
                        Box::pin(async move {
                            let event_id = format!("Ev{n}");
                            let delivery = NewDelivery {
                                event_id: &event_id,
                                event_type: "message",
                                team_id: "T0FIREBELL",
                                payload: "{}",
                                retry_num: 0,
                            };
                            firebell::store::deliveries::record(conn, &delivery, at(n)).await?;
                            // Every seventh write fails after writing: its row must not stay.
                            anyhow::ensure!(n % 7 != 3, "write {n} fails on purpose");
                            Ok(n)
                        })
                    })
                    .await
            }
        });
        let results = futures::future::join_all(writes).await;
        let failed: Vec<i64> = (0..60).filter(|n| n % 7 == 3).collect();
        for (n, result) in (0..60).zip(&results) {
            assert_eq!(result.is_err(), failed.contains(&n), "{}: write {n}: {result:?}", database.backend);
        }
        assert_eq!(store.delivery_count().await.unwrap(), 60 - failed.len() as i64, "{}", database.backend);
        let (commits, writes) = store.group_commit_counts();
        assert_eq!(writes, 60, "{}: every write committed, the failed ones as undone savepoints", database.backend);
        assert!(commits < 60, "{}: writes shared commits ({commits} for 60)", database.backend);
        for n in &failed {
            assert!(store.delivery(&format!("Ev{n}")).await.unwrap().is_none(), "{}: Ev{n}", database.backend);
        }
    }
}

#[tokio::test]
async fn a_backfills_progress_is_kept_page_by_page_and_a_finished_one_covers_its_newest_message() {
    use firebell::store::backfills::{self, HistoryPosition, HistoryProgress};
    for database in database::all().await {
        let store = open(&database).await;
        let mut tx = store.begin().await.unwrap();
        let id = incidents::insert(&mut tx, &payments_outage(), at(0)).await.unwrap().id;
        tx.commit().await.unwrap();
        let page_stored = async |newest_ts: Option<&str>, next: HistoryPosition, threads: &[&str]| {
            let mut tx = store.begin().await.unwrap();
            let page = HistoryProgress { newest_ts, next: &next, threads };
            backfills::history_page_stored(&mut tx, id, &page).await.unwrap();
            tx.commit().await.unwrap();
        };
        let thread_stored = async |ts: &str, cursor: Option<&str>| {
            let mut tx = store.begin().await.unwrap();
            backfills::thread_page_stored(&mut tx, id, ts, cursor).await.unwrap();
            tx.commit().await.unwrap();
        };
        let pending = async || store.next_pending_thread(id).await.unwrap().map(|t| (t.ts, t.cursor));
        let backend = database.backend;
        assert_eq!(store.backfill(id).await.unwrap().history, HistoryPosition::Start, "{backend}");

        page_stored(Some("9.0"), HistoryPosition::At("c1".into()), &["5.0", "2.0"]).await;
        assert_eq!(store.backfill(id).await.unwrap().history, HistoryPosition::At("c1".into()), "{backend}");
        page_stored(Some("4.0"), HistoryPosition::Read, &["2.0", "1.0"]).await;
        assert_eq!(store.backfill(id).await.unwrap().history, HistoryPosition::Read);
        assert_eq!(pending().await, Some(("1.0".into(), None)), "oldest thread first, each once");
        thread_stored("1.0", Some("r1")).await;
        assert_eq!(pending().await, Some(("1.0".into(), Some("r1".into()))), "a long thread goes on at its cursor");
        store.restart_backfill_thread(id, "1.0").await.unwrap();
        assert_eq!(pending().await, Some(("1.0".into(), None)));
        for ts in ["1.0", "2.0", "5.0"] {
            thread_stored(ts, None).await;
        }
        assert_eq!(pending().await, None, "a thread read is not read again");

        store.finish_backfill(id).await.unwrap();
        let finished = store.backfill(id).await.unwrap();
        assert_eq!(
            (finished.covered_ts.as_deref(), finished.history),
            (Some("9.0"), HistoryPosition::Start),
            "{backend}"
        );
        page_stored(None, HistoryPosition::At("c2".into()), &[]).await;
        store.restart_backfill_history(id).await.unwrap();
        assert_eq!(store.backfill(id).await.unwrap().history, HistoryPosition::Start, "a stale cursor starts over");
        page_stored(None, HistoryPosition::Read, &[]).await;
        store.finish_backfill(id).await.unwrap();
        assert_eq!(store.backfill(id).await.unwrap().covered_ts.as_deref(), Some("9.0"), "nothing newer: kept");
    }
}

#[tokio::test]
async fn the_channel_look_up_cursor_lasts_until_the_channel_or_the_next_name_on_every_backend() {
    for database in database::all().await {
        let store = open(&database).await;
        let mut tx = store.begin().await.unwrap();
        let id = incidents::insert(&mut tx, &payments_outage(), at(0)).await.unwrap().id;
        tx.commit().await.unwrap();
        store.reserve_channel_name(id, "inc-20261126-1-checkout-is-down", 1, at(1)).await.unwrap();
        assert_eq!(store.channel_lookup_cursor(id).await.unwrap(), None, "{}", database.backend);
        store.set_channel_lookup_cursor(id, Some("page-2")).await.unwrap();
        assert_eq!(store.channel_lookup_cursor(id).await.unwrap().as_deref(), Some("page-2"));
        store.reserve_channel_name(id, "inc-20261126-1-checkout-is-down-2", 2, at(2)).await.unwrap();
        assert_eq!(store.channel_lookup_cursor(id).await.unwrap(), None, "the next name starts afresh");
        store.set_channel_lookup_cursor(id, Some("page-3")).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        incidents::set_channel(&mut tx, id, &ChannelId::parse("C0INC1").unwrap(), at(3)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.channel_lookup_cursor(id).await.unwrap(), None, "the channel found ends the look-up");
    }
}

#[tokio::test]
async fn a_drill_is_stored_as_one_and_left_out_of_search_and_stats_unless_counted_on_every_backend() {
    use firebell::domain::stats::Drills;
    for database in database::all().await {
        let store = open(&database).await;
        let mut tx = store.begin().await.unwrap();
        let real =
            incidents::insert(&mut tx, &NewIncident { title: "Ledger writes slow".into(), ..payments_outage() }, at(0))
                .await
                .unwrap();
        let drill = NewIncident { title: "Ledger failover rehearsal".into(), drill: true, ..payments_outage() };
        let drill = incidents::insert(&mut tx, &drill, at(5)).await.unwrap();
        tx.commit().await.unwrap();
        let backend = &database.backend;

        assert!(drill.drill && !real.drill, "{backend}");
        assert!(store.incident(drill.id).await.unwrap().unwrap().drill, "{backend}");
        assert!(store.is_drill(drill.id).await.unwrap() && !store.is_drill(real.id).await.unwrap(), "{backend}");

        let found = store.search(&firebell::domain::search::query_words("ledger"), None, 10).await.unwrap();
        let titles: Vec<&str> = found.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, ["Ledger writes slow"], "{backend}");

        let left_out = store.incident_times(at(-10), Drills::LeftOut).await.unwrap();
        let counted = store.incident_times(at(-10), Drills::Counted).await.unwrap();
        assert_eq!((left_out.len(), counted.len()), (1, 2), "{backend}");
        assert_eq!(counted.iter().filter(|i| i.drill).count(), 1, "{backend}");
        // The activity counts run on both backends with either filter.
        store.activity_since(at(-10), Drills::LeftOut).await.unwrap();
        store.activity_since(at(-10), Drills::Counted).await.unwrap();
    }
}
