//! Running an incident: every command, button and modal that changes an incident comes
//! through [`App::act`] — decide with the domain, then record the new state, the timeline
//! event and the announcements in one transaction.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::App;
use super::jobs::{self, Step};
use crate::domain::audience::audience_of;
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::domain::lifecycle::{Action, Change, Decision, decide};
use crate::metrics::Stage;
use crate::render;
use crate::store::incidents;
use crate::store::notices::Notice;
use crate::store::timeline::{self, TimelineEntry};

/// Attempts before a change that keeps colliding with others is given up.
const CONCURRENT_ATTEMPTS: usize = 8;

impl App {
    /// Applies `action` by `actor`. `Ok(Err(reply))` is a refusal to show the actor.
    ///
    /// When someone changed the incident at the same moment, the action is decided again on
    /// the fresh state, so neither change is lost.
    #[tracing::instrument(skip_all, fields(incident.number = %incident.number))]
    pub async fn act(&self, incident: &Incident, action: Action, actor: &UserId) -> anyhow::Result<Result<(), String>> {
        let mut current = incident.clone();
        for _ in 0..CONCURRENT_ATTEMPTS {
            if let Some(outcome) = self.try_act(&current, action.clone(), actor).await? {
                return Ok(outcome);
            }
            current = self
                .store
                .incident(incident.id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("incident {} vanished", incident.id))?;
        }
        anyhow::bail!("incident {} kept changing under {CONCURRENT_ATTEMPTS} attempts", incident.number)
    }

    /// One attempt; `None` when the incident changed since it was read.
    async fn try_act(
        &self,
        incident: &Incident,
        action: Action,
        actor: &UserId,
    ) -> anyhow::Result<Option<Result<(), String>>> {
        let roles = self.store.roles(incident.id).await?;
        let now = self.clock.now();
        let decided = self.metrics.timed(Stage::Decide, || decide(incident, &roles, action, actor, &self.policy, now));
        let decision = match decided {
            Ok(decision) => decision,
            Err(refusal) => {
                return Ok(Some(Err(render::lifecycle::refusal(&refusal, incident, self.policy.locale))));
            }
        };
        let notices = self.store.notices(incident.id).await?;

        // Written in a transaction shared with the changes arriving at the same moment (group
        // commit): one durable commit for a burst of notes and updates.
        let (app, decided, was, by) = (self.clone(), decision.clone(), incident.clone(), actor.clone());
        let committing = std::time::Instant::now();
        let written = self
            .store
            .write_grouped(move |conn| {
                Box::pin(async move { app.record_change(conn, &was, &decided, &by, &notices, now).await })
            })
            .await?;
        self.metrics.stage(Stage::Commit, committing.elapsed());
        if !written {
            return Ok(None);
        }
        self.wake_outbox();
        tracing::info!(incident.change = %decision.change.kind(), "incident changed");
        Ok(Some(Ok(())))
    }

    /// Records an accepted change: the incident's new state (compare-and-set on its version),
    /// the timeline event and every announcement job. `false`, with nothing written, when the
    /// incident changed since it was read.
    async fn record_change(
        &self,
        tx: &mut AnyConnection,
        incident: &Incident,
        decision: &Decision,
        actor: &UserId,
        notices: &[Notice],
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let change = &decision.change;
        let next = &decision.incident;
        let resolution = match change {
            Change::Resolved { summary, .. } => summary.as_deref(),
            _ => None,
        };
        // A change that leaves the incident row as it was (a note, a role other than lead)
        // only appends: it cannot lose anything to a concurrent change, so it skips the
        // version check that would make simultaneous notes retry each other.
        let row_changes = next != incident || change.acknowledges();
        if row_changes && !incidents::save(tx, next, change.acknowledges(), resolution, now).await? {
            return Ok(false);
        }
        if let Change::RoleAssigned { role, user } = change
            && role.as_str() != "lead"
        {
            incidents::assign_role(tx, incident.id, role, user, now).await?;
        }
        let event = timeline::append(tx, incident.id, now, Some(actor), &TimelineEntry::from(change)).await?;
        let scope = event.to_string();
        let id = incident.id;
        if next.channel.is_some() {
            let text = render::lifecycle::channel_post(change, next, actor, &self.policy);
            jobs::enqueue(tx, &Step::PostInChannel { incident_id: id, text }, &scope, now).await?;
        }
        if !matches!(change, Change::Noted { .. }) {
            jobs::enqueue(tx, &Step::RefreshNotices { incident_id: id }, &scope, now).await?;
        }
        let widens = matches!(change, Change::SeverityChanged { lowered: false, .. } | Change::ServiceAdded(_));
        if widens {
            // A notice for each channel that has none yet, queued before the thread replies
            // below: in its channel's lane, the notice comes before any reply under it.
            jobs::enqueue_notices(tx, &self.policy, next, None, now).await?;
        }
        if let Some((text, broadcast)) = render::lifecycle::thread_reply(change, next, &self.policy) {
            // Every channel told of the incident hears the change in its notice's thread —
            // including those whose notice is still on its way (an empty `thread_ts`: the job
            // waits for the notice, so an early update is not lost to them).
            let mut threads: Vec<(String, String)> = notices
                .iter()
                .filter(|n| n.error.is_none())
                .map(|n| (n.channel.to_string(), n.ts.clone().unwrap_or_default()))
                .collect();
            for recipient in audience_of(&self.policy, next) {
                if !notices.iter().any(|n| n.channel == recipient.channel) {
                    threads.push((recipient.channel.to_string(), String::new()));
                }
            }
            for (channel, thread_ts) in threads {
                let dedupe = format!("{scope}:{channel}");
                let step = Step::ReplyInThread { incident_id: id, channel, thread_ts, text: text.clone(), broadcast };
                jobs::enqueue(tx, &step, &dedupe, now).await?;
            }
        }
        match change {
            // Raising into a paging severity pages whoever is on call now for the incident's
            // services (each person once per incident).
            Change::SeverityChanged { lowered: false, .. } if self.policy.pages(&next.severity) => {
                self.record_oncall(tx, next, &next.services, now).await?;
            }
            // A new service's on-call joins the responders (and is paged if the severity pages).
            Change::ServiceAdded(service) => {
                self.record_oncall(tx, next, std::slice::from_ref(service), now).await?;
                if next.channel.is_some() {
                    jobs::enqueue(tx, &Step::InviteResponders { incident_id: id }, &scope, now).await?;
                }
            }
            Change::Resolved { .. } => self.stop_paging(tx, id, now).await?,
            Change::FieldSet { field, value } => crate::store::fields::set_field(tx, id, field, value, now).await?,
            Change::ActionTaken { kind, .. } => crate::store::fields::first_action(tx, id, kind, now).await?,
            _ => {}
        }
        if matches!(change, Change::Closed) && self.policy.archive_on_close {
            jobs::enqueue(tx, &Step::ArchiveChannel { incident_id: id }, &scope, now).await?;
        }
        Ok(true)
    }
}
