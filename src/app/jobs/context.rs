//! What a job step may use: the store, the Slack facade, the policy, the clock and the
//! metrics. Not the request path's helpers (modals, replies, the workspace check): a step runs
//! long after the request that caused it, in the outbox worker.

use std::sync::Arc;

use tokio::sync::Notify;

use super::{JobKind, Step, StepError, enqueue};
use crate::app::App;
use crate::clock::Clock;
use crate::domain::change::PlannedChange;
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{Incident, IncidentId};
use crate::domain::policy::Policy;
use crate::metrics::Metrics;
use crate::slack::SlackApi;
use crate::store::Store;

/// Why a step waits (and the job's recorded reason) while the incident channel is opened.
pub const WAITING_FOR_CHANNEL: &str = "waiting for the incident channel";

/// The context every job step runs with.
#[derive(Clone)]
pub struct StepContext {
    pub store: Store,
    pub slack: SlackApi,
    pub policy: Arc<Policy>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
    /// The external pagers turned on.
    pub pagers: Arc<crate::pagers::Outlets>,
    /// Wakes the worker when a step enqueues another.
    outbox_wakeup: Arc<Notify>,
}

impl App {
    /// The narrower context the outbox worker runs steps with.
    pub fn step_context(&self) -> StepContext {
        StepContext {
            store: self.store.clone(),
            slack: self.slack.clone(),
            policy: Arc::clone(&self.policy),
            clock: Arc::clone(&self.clock),
            metrics: Arc::clone(&self.metrics),
            pagers: Arc::clone(&self.pagers),
            outbox_wakeup: Arc::clone(&self.outbox_wakeup),
        }
    }
}

impl StepContext {
    /// The context of one job attempt: its Slack calls stop once the lease is lost.
    pub(super) fn bound_to(&self, attempt: &Arc<crate::slack::Delivery>) -> StepContext {
        StepContext { slack: self.slack.bound_to(Arc::clone(attempt)), ..self.clone() }
    }

    /// Enqueues `step` on its own (a step that follows from one already done) and wakes the
    /// worker for it.
    pub(super) async fn enqueue_alone(&self, step: &Step, scope: &str) -> Result<(), StepError> {
        let mut tx = self.store.begin().await?;
        enqueue(&mut tx, step, scope, self.clock.now()).await?;
        tx.commit().await?;
        self.outbox_wakeup.notify_one();
        Ok(())
    }

    /// Whether this job's one effect that Slack cannot tell us about afterwards (an
    /// ephemeral message, a reply by `response_url`, a direct message by user id) may be made
    /// now: recorded before it is made, so that after an uncertain outcome (a lost answer, a
    /// crash) it is not made a second time. At most once, by choice: a second copy of such a
    /// message is worse than the rare one lost.
    pub(super) async fn begin_effect(&self, delivery: &crate::slack::Delivery) -> Result<bool, StepError> {
        let first = self.store.begin_effect(delivery.job_id(), self.clock.now()).await?;
        if !first {
            tracing::info!(job.id = delivery.job_id(), "an earlier attempt began this effect; not made again");
        }
        Ok(first)
    }

    /// After an effect begun with [`StepContext::begin_effect`] failed: when Slack certainly
    /// did not make it (a refusal, a 429), a later attempt may; when the outcome is unknown (a
    /// timeout, a 5xx) it is not made again.
    pub(super) async fn effect_failed(
        &self,
        delivery: &crate::slack::Delivery,
        error: crate::slack::SlackCallError,
    ) -> StepError {
        use crate::slack::SlackCallError;
        if matches!(error, SlackCallError::Refused(_) | SlackCallError::RateLimited { .. } | SlackCallError::Auth(_))
            && let Err(reset) = self.store.effect_not_made(delivery.job_id()).await
        {
            return StepError::Internal(reset);
        }
        error.into()
    }

    /// Tells the worker there is work (after a transaction that enqueued some committed).
    pub(super) fn wake_outbox(&self) {
        self.outbox_wakeup.notify_one();
    }

    /// The incident the job is about; a job for an incident that does not exist cannot run.
    pub(super) async fn incident(&self, incident_id: IncidentId) -> Result<Incident, StepError> {
        self.store
            .incident(incident_id)
            .await?
            .ok_or_else(|| StepError::Invalid(format!("incident {incident_id} does not exist")))
    }

    /// The incident's channel. A step that can run before it exists (a reminder or nudge due
    /// while the channel's creation waits out a crash or an outage) is retried until the
    /// channel is opened; it gives up only when that creation failed for good.
    pub(super) async fn channel_of(&self, incident: &Incident) -> Result<ChannelId, StepError> {
        if let Some(channel) = &incident.channel {
            return Ok(channel.clone());
        }
        if self.store.incident_jobs_in_flight(incident.id, &[JobKind::OpenChannel.as_str()]).await? {
            return Err(StepError::Waiting(WAITING_FOR_CHANNEL.to_owned()));
        }
        // The channel may have been opened since `incident` was read: look once more.
        match self.incident(incident.id).await?.channel {
            Some(channel) => Ok(channel),
            None => Err(StepError::Invalid(format!("incident {} has no channel", incident.id))),
        }
    }

    /// The pinned summary of `incident` as it now stands: with the changes announced before
    /// it, its fields, and its similar past incidents (chosen the first time).
    pub(super) async fn summary_message(&self, incident: &Incident) -> Result<crate::slack::Message, StepError> {
        let changes = self.recent_changes(incident).await?;
        let fields = self.store.incident_fields(incident.id).await?;
        let similar =
            crate::app::similar::similar_incidents(&self.store, incident).await.map_err(StepError::Internal)?;
        let rule = self.store.declaring_rule(incident.id).await?;
        Ok(crate::slack::Message::from(crate::render::incident::summary(
            incident,
            &self.policy,
            &changes,
            &fields,
            &similar,
            rule.as_ref(),
        )))
    }

    /// Planned changes announced shortly before the incident on its services ("what changed?").
    pub(super) async fn recent_changes(&self, incident: &Incident) -> Result<Vec<PlannedChange>, StepError> {
        crate::app::changes::changes_at_declaration(&self.store, &self.policy, incident)
            .await
            .map_err(StepError::Internal)
    }
}

/// A channel id carried in a job's payload; a payload without one cannot run.
pub(super) fn channel_in_payload(channel: &str) -> Result<ChannelId, StepError> {
    ChannelId::parse(channel).ok_or_else(|| StepError::Invalid(format!("{channel:?} is not a channel")))
}

/// A user id carried in a job's payload; a payload without one cannot run.
pub(super) fn user_in_payload(user: &str) -> Result<UserId, StepError> {
    UserId::parse(user).ok_or_else(|| StepError::Invalid(format!("{user:?} is not a user id")))
}
