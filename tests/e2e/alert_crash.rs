//! An alert-driven declaration killed (SIGKILL) at each of its commit boundaries, then the
//! same delivery again on a restarted process — Alertmanager's retry of the webhook, or
//! Slack's retry of the ✅ on the prompt: the incident exists once, linked to its alert; never
//! neither, never two incidents.
//!
//! The boundaries are those of the four commits the declaration used to be (the alert
//! recorded, then settled, the incident declared, the alert linked) and, for a ✅, the
//! delivery recorded. How the process is stopped at one: a database trigger makes the first
//! write after it fail (`support::db_fault`), so everything before the boundary is durable
//! and nothing after it is written; the process is then killed with SIGKILL, the trigger
//! dropped, and a new process started on the same database. Nothing in firebell's code knows
//! about it. Runs on SQLite, and on PostgreSQL when `FIREBELL_TEST_POSTGRES_URL` is set.

use firebell::config::env::DatabaseUrl;
use firebell::domain::timeline::TimelineEntry;
use firebell::store::Store;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::database::{self, TestDatabase};
use crate::support::db_fault::Fault;
use crate::support::fake_slack::FakeSlack;
use crate::support::process::{Firebell, Setup};
use crate::support::signing::event_envelope;
use crate::support::{wait, workspace};

const TOKEN: &str = "hook-s3cret";
/// Alertmanager's sample: payments, critical — the contract's policy declares it at once.
const FIRING: &str = include_str!("../fixtures/alerts/alertmanager_firing.json");

/// Where the declaration is stopped: after `after`, by a fault on the next write (`None`:
/// after the last commit, when only the answer is lost).
struct Boundary {
    after: &'static str,
    fault: Option<Fault>,
}

const SETTLING: Fault = Fault { table: "alerts", event: "UPDATE", when: Some("NEW.state = 'declared'") };
const DECLARING: Fault = Fault { table: "incidents", event: "INSERT", when: None };
const LINKING: Fault = Fault { table: "alerts", event: "UPDATE", when: Some("NEW.incident_id IS NOT NULL") };
const RECORDING_THE_DELIVERY: Fault = Fault { table: "slack_deliveries", event: "INSERT", when: None };

/// The boundaries of a declaration by an alert rule.
const BY_RULE: [Boundary; 4] = [
    Boundary { after: "the alert is recorded", fault: Some(SETTLING) },
    Boundary { after: "the alert is settled", fault: Some(DECLARING) },
    Boundary { after: "the incident is declared", fault: Some(LINKING) },
    Boundary { after: "the alert is linked", fault: None },
];

/// The boundaries of a declaration by ✅ on the alert's prompt.
const BY_CHECK_MARK: [Boundary; 5] = [
    Boundary { after: "the ✅ arrived", fault: Some(SETTLING) },
    Boundary { after: "the alert is settled", fault: Some(DECLARING) },
    Boundary { after: "the incident is declared", fault: Some(LINKING) },
    Boundary { after: "the alert is linked", fault: Some(RECORDING_THE_DELIVERY) },
    Boundary { after: "the delivery is recorded", fault: None },
];

/// A fake Slack, a database and the contract's policy, for two processes in turn.
struct Scene {
    slack: FakeSlack,
    db: TestDatabase,
    policy: std::path::PathBuf,
}

impl Scene {
    async fn new(db: TestDatabase) -> Scene {
        let slack = FakeSlack::start().await.expect("the Slack stand-in starts");
        workspace::seed(&slack);
        let policy = db.write_policy(workspace::CONTRACT_POLICY);
        Scene { slack, db, policy }
    }

    async fn start(&self) -> Firebell {
        Firebell::start(&Setup {
            slack: &self.slack,
            database_url: &self.db.url,
            policy: &self.policy,
            log: self.log_path(),
            env: vec![("FIREBELL_WEBHOOK_TOKEN", TOKEN.to_owned())],
        })
        .await
    }

    fn log_path(&self) -> std::path::PathBuf {
        self.db.dir.path().join("firebell.log")
    }

    async fn store(&self) -> Store {
        Store::connect(&DatabaseUrl::parse(&self.db.url).unwrap()).await.unwrap()
    }

    /// Waits (bounded) for the outbox to finish, then checks that the alert led to exactly
    /// one incident, linked both ways, with one channel.
    async fn declared_once(&self, store: &Store, what: &str) {
        wait::until(&format!("{what}: the outbox to finish"), || async { store.unfinished_jobs().await.unwrap() == 0 })
            .await;
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        assert!(store.failed_jobs().await.unwrap().is_empty(), "{what}: no job failed; log:\n{log}");
        let incidents = store.open_incidents().await.unwrap();
        assert_eq!(incidents.len(), 1, "{what}: one incident");
        let alerts = store.alerts().await.unwrap();
        assert_eq!(alerts.len(), 1, "{what}: one alert");
        assert_eq!(alerts[0].incident_id, Some(incidents[0].id), "{what}: the alert is linked to its incident");
        let timeline = store.timeline(incidents[0].id).await.unwrap();
        let fired = timeline.iter().filter(|e| matches!(e.entry, TimelineEntry::Alert { .. })).count();
        assert_eq!(fired, 1, "{what}: the alert is in the incident's timeline once");
        let today = workspace::seoul_today();
        assert_eq!(self.slack.channels_named_like(&format!("inc-{today}-")), 1, "{what}: one incident channel");
    }
}

/// The databases to run on: SQLite, and PostgreSQL when configured.
async fn backends() -> Vec<TestDatabase> {
    database::all().await
}

/// What the first process answers when stopped at `boundary`.
fn answered(boundary: &Boundary, ok: StatusCode) -> StatusCode {
    if boundary.fault.is_some() { StatusCode::INTERNAL_SERVER_ERROR } else { ok }
}

#[tokio::test]
async fn a_declare_rule_killed_at_each_commit_boundary_declares_once_after_alertmanagers_retry() {
    for boundary in &BY_RULE {
        for db in backends().await {
            let what = format!("declare rule ({}), killed after {}", db.backend, boundary.after);
            let scene = Scene::new(db).await;
            let first = scene.start().await;
            let store = scene.store().await;
            if let Some(fault) = &boundary.fault {
                fault.inject(&store).await;
            }
            let status = first.webhook("alertmanager", TOKEN, FIRING).await;
            assert_eq!(status, answered(boundary, StatusCode::ACCEPTED), "{what}");
            first.kill().await;
            if let Some(fault) = &boundary.fault {
                fault.clear(&store).await;
            }

            let second = scene.start().await;
            let retried = second.webhook("alertmanager", TOKEN, FIRING).await;
            assert_eq!(retried, StatusCode::ACCEPTED, "{what}: Alertmanager's retry is accepted");
            scene.declared_once(&store, &what).await;
            assert!(workspace::bot_posts(&scene.slack, "C0TRIAGE").is_empty(), "{what}: the rule declares, no prompt");
        }
    }
}

#[tokio::test]
async fn a_check_mark_killed_at_each_commit_boundary_declares_once_after_slacks_retry() {
    // Alertmanager's sample moved to checkout, which no rule matches: a prompt in triage.
    let firing = FIRING.replace("payments", "checkout").replace("Payments", "Checkout");
    for boundary in &BY_CHECK_MARK {
        for db in backends().await {
            let what = format!("✅ ({}), killed after {}", db.backend, boundary.after);
            let scene = Scene::new(db).await;
            let first = scene.start().await;
            let store = scene.store().await;
            assert_eq!(first.webhook("alertmanager", TOKEN, &firing).await, StatusCode::ACCEPTED, "{what}");
            wait::until(&format!("{what}: the prompt"), || async {
                store.alert_groups().await.unwrap().first().is_some_and(|g| g.prompt_ts.is_some())
            })
            .await;
            let prompt_ts = store.alert_groups().await.unwrap().remove(0).prompt_ts.unwrap();
            let check_mark = event_envelope(
                "Ev1",
                json!({"type": "reaction_added", "user": "U0ONCALL1", "reaction": "white_check_mark",
                       "item": {"type": "message", "channel": "C0TRIAGE", "ts": prompt_ts}}),
            );
            if let Some(fault) = &boundary.fault {
                fault.inject(&store).await;
            }
            assert_eq!(first.event(&check_mark, None).await, answered(boundary, StatusCode::OK), "{what}");
            first.kill().await;
            if let Some(fault) = &boundary.fault {
                fault.clear(&store).await;
            }

            let second = scene.start().await;
            assert_eq!(second.event(&check_mark, Some(1)).await, StatusCode::OK, "{what}: Slack's retry is taken");
            scene.declared_once(&store, &what).await;
            let prompts = workspace::bot_posts(&scene.slack, "C0TRIAGE");
            assert_eq!(prompts.len(), 1, "{what}: one prompt");
            let blocks = prompts[0].blocks.to_string();
            assert!(blocks.contains("Declared as incident #1"), "{what}: the prompt says so: {blocks}");
        }
    }
}
