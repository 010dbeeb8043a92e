//! Declaring an incident: record it, its first timeline event and the job that opens its
//! channel — in one transaction — and answer at once. Slack work follows in the outbox. An
//! alert's declaration records the incident in the alert's own transaction
//! ([`App::record_declaration`]), so that the two are committed together or not at all.

use std::future::Future;

use sqlx::AnyConnection;

use super::App;
use super::jobs::{self, Step};
use crate::domain::declaration::DeclareForm;
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::domain::reminders;
use crate::domain::timeline::DeclaringRule;
use crate::store::incidents::{self, NewIncident};
use crate::store::timeline::{self, TimelineEntry};

/// Everything a declaration says, from the quick command, the modal or an alert.
#[derive(Clone, Debug)]
pub struct Declaration {
    /// What it says about the incident.
    pub form: DeclareForm,
    pub reporter: UserId,
    /// Where to tell the reporter how it went; `None` sends a direct message instead.
    pub response_url: Option<String>,
    /// The alert rule that declares it, when no person does.
    pub rule: Option<DeclaringRule>,
}

/// Concurrent declarations can race for the next number; the loser tries again.
const INSERT_ATTEMPTS: usize = 5;

/// Runs `attempt` — a whole transaction that declares, from `begin` to `commit` — until it
/// succeeds, at most [`INSERT_ATTEMPTS`] times: two declarations racing for the next number
/// (PostgreSQL, replicas) fail one of them, which then starts over on the new state.
pub(super) async fn retrying_races<T, F, Fut>(mut attempt: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut last_error = None;
    for _ in 0..INSERT_ATTEMPTS {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => {
                tracing::debug!(error = format!("{error:#}"), "declaring raced; trying again");
                last_error = Some(error);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| anyhow::anyhow!("declaring failed")))
}

impl App {
    /// Records the incident and enqueues its channel; never calls Slack.
    #[tracing::instrument(skip_all, fields(incident.severity = %declaration.form.severity))]
    pub async fn declare(&self, declaration: Declaration) -> anyhow::Result<Incident> {
        let committing = std::time::Instant::now();
        // On SQLite, written in a transaction shared with the declarations and changes arriving
        // at the same moment (group commit): each declaring on its own transaction queued behind
        // SQLite's write lock, whose busy wait sleeps up to 100 ms a turn (a burst of 32 had a
        // p99 of 132 ms and a tail of 2 s). On PostgreSQL each declaration keeps its own short
        // transaction: the number lock would otherwise be held for a whole shared batch, and
        // two replicas declaring a hundred incidents at once timed out once in CI that way.
        let incident = if self.store.backend() == crate::store::Backend::Sqlite {
            retrying_races(|| {
                let (app, declaration) = (self.clone(), declaration.clone());
                self.store.write_grouped(move |conn| {
                    Box::pin(async move { app.record_declaration(conn, &declaration).await })
                })
            })
            .await?
        } else {
            retrying_races(|| async {
                let mut tx = self.store.begin().await?;
                let incident = self.record_declaration(&mut tx, &declaration).await?;
                tx.commit().await?;
                Ok(incident)
            })
            .await?
        };
        self.metrics.stage(crate::metrics::Stage::Commit, committing.elapsed());
        self.declared(&incident);
        Ok(incident)
    }

    /// Records an incident, its first timeline event, the job that opens its channel and its
    /// notices, inside the caller's transaction (one from [`crate::store::Store::begin`], which
    /// holds the write lock on SQLite); the caller commits, then calls [`App::declared`].
    pub(super) async fn record_declaration(
        &self,
        tx: &mut AnyConnection,
        declaration: &Declaration,
    ) -> anyhow::Result<Incident> {
        let now = self.clock.now();
        let form = &declaration.form;
        let new = NewIncident {
            title: form.title.clone(),
            severity: form.severity.clone(),
            private: form.private,
            drill: form.drill,
            reporter: declaration.reporter.clone(),
            impact: form.impact.clone(),
            description: form.description.clone(),
            services: form.services.clone(),
            // The reminder clock starts at the same instant as the incident.
            timers: reminders::declared(&self.policy, &form.severity, now),
        };
        self.store.lock_incident_numbers(tx).await?;
        let incident = incidents::insert(tx, &new, now).await?;
        let declared = TimelineEntry::Declared {
            severity: incident.severity.clone(),
            services: incident.services.clone(),
            private: incident.private,
            rule: declaration.rule.clone(),
        };
        // A rule's declaration has no author: the bot reported it, not a person.
        let author = if declaration.rule.is_some() { None } else { Some(&incident.reporter) };
        timeline::append(tx, incident.id, now, author, &declared).await?;
        let step = Step::OpenChannel { incident_id: incident.id, response_url: declaration.response_url.clone() };
        jobs::enqueue(tx, &step, jobs::DECLARED, now).await?;
        // The fire alarm is recorded with the incident: each notice waits for the channel.
        jobs::enqueue_notices(tx, &self.policy, &incident, declaration.response_url.as_deref(), now).await?;
        // The on-call are responders from the start, and paged now when the severity pages.
        self.record_oncall(tx, &incident, &incident.services, now).await?;
        Ok(incident)
    }

    /// Once a declaration is committed: logs it and wakes the outbox for its channel.
    pub(super) fn declared(&self, incident: &Incident) {
        tracing::info!(incident.number = %incident.number, "incident declared");
        self.wake_outbox();
    }
}
