//! Declaring an incident: record it, its first timeline event and the job that opens its
//! channel — in one transaction — and answer at once. Slack work follows in the outbox.

use super::App;
use super::jobs::{self, Step};
use crate::domain::declaration::DeclareForm;
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::domain::reminders;
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
}

/// Concurrent declarations can race for the next number; the loser tries again.
const INSERT_ATTEMPTS: usize = 5;

impl App {
    /// Records the incident and enqueues its channel; never calls Slack.
    #[tracing::instrument(skip_all, fields(incident.severity = %declaration.form.severity))]
    pub async fn declare(&self, declaration: Declaration) -> anyhow::Result<Incident> {
        let form = declaration.form.clone();
        let new = NewIncident {
            title: form.title,
            severity: form.severity,
            private: form.private,
            reporter: declaration.reporter.clone(),
            impact: form.impact,
            description: form.description,
            services: form.services,
            // Set at the instant of recording, in `try_declare`.
            timers: Default::default(),
        };
        let mut last_error = None;
        for _ in 0..INSERT_ATTEMPTS {
            match self.try_declare(&new, &declaration).await {
                Ok(incident) => {
                    tracing::info!(incident.number = %incident.number, "incident declared");
                    self.wake_outbox();
                    return Ok(incident);
                }
                Err(error) => {
                    tracing::debug!(error = format!("{error:#}"), "declaring raced; trying again");
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("declaring failed")))
    }

    async fn try_declare(&self, new: &NewIncident, declaration: &Declaration) -> anyhow::Result<Incident> {
        let now = self.clock.now();
        // The reminder clock starts at the same instant as the incident.
        let new = NewIncident { timers: reminders::declared(&self.policy, &new.severity, now), ..new.clone() };
        let mut tx = self.store.begin().await?;
        self.store.lock_incident_numbers(&mut tx).await?;
        let incident = incidents::insert(&mut tx, &new, now).await?;
        let declared = TimelineEntry::Declared {
            severity: incident.severity.clone(),
            services: incident.services.clone(),
            private: incident.private,
        };
        timeline::append(&mut tx, incident.id, now, Some(&incident.reporter), &declared).await?;
        let step = Step::OpenChannel { incident_id: incident.id, response_url: declaration.response_url.clone() };
        jobs::enqueue(&mut tx, &step, jobs::DECLARED, now).await?;
        // The fire alarm is recorded with the incident: each notice waits for the channel.
        jobs::enqueue_notices(&mut tx, &self.policy, &incident, declaration.response_url.as_deref(), now).await?;
        tx.commit().await?;
        Ok(incident)
    }
}
