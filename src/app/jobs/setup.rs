//! Setting up the incident channel: invitations, topic, and the pinned summary.

use serde_json::json;

use super::{DECLARED, Step, StepError, enqueue};
use crate::app::App;
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::Incident;
use crate::render;
use crate::slack::client::SlackCallError;

/// Why a step waits (and the job's recorded reason) while the incident channel is opened.
pub const WAITING_FOR_CHANNEL: &str = "waiting for the incident channel";

impl App {
    /// The incident's channel. A step that can run before it exists (a reminder or nudge due
    /// while the channel's creation waits out a crash or an outage) is retried until the
    /// channel is opened; it gives up only when that creation failed for good.
    pub(crate) async fn channel_of(&self, incident: &Incident) -> Result<ChannelId, StepError> {
        if let Some(channel) = &incident.channel {
            return Ok(channel.clone());
        }
        if self.store.incident_jobs_in_flight(incident.id, &["open_channel"]).await? {
            return Err(StepError::Waiting(WAITING_FOR_CHANNEL.to_owned()));
        }
        // The channel may have been opened since `incident` was read: look once more.
        match self.incident_or_invalid(incident.id).await?.channel {
            Some(channel) => Ok(channel),
            None => Err(StepError::Invalid(format!("incident {} has no channel", incident.id))),
        }
    }

    /// Invites people one at a time, so one who cannot be invited does not stop the others.
    pub(super) async fn invite_responders(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        let channel = self.channel_of(&incident).await?;
        let bot = self.slack.bot().await?.user_id;
        let mut people: Vec<UserId> = vec![incident.reporter.clone()];
        people.extend(incident.lead.clone());
        for name in &incident.services {
            if let Some(service) = self.policy.service(name.as_str()) {
                people.extend(service.responders.iter().cloned());
            }
        }
        let mut invited: Vec<&UserId> = Vec::new();
        for person in &people {
            if *person == bot || invited.contains(&person) {
                continue;
            }
            invited.push(person);
            let body = json!({"channel": channel.as_str(), "users": person.as_str()});
            match self.slack.post("conversations.invite", &body).await {
                Ok(_) => {}
                Err(SlackCallError::Refused(code)) => {
                    // Deactivated, unknown or already there: note it and invite the others.
                    tracing::info!(slack.user = %person, slack.error = code, "could not invite someone");
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }

    pub(super) async fn set_topic(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        let channel = self.channel_of(&incident).await?;
        let topic = render::incident::topic(&incident, &self.policy);
        self.slack.post("conversations.setTopic", &json!({"channel": channel.as_str(), "topic": topic})).await?;
        Ok(())
    }

    pub(super) async fn post_summary(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        if incident.summary_ts.is_none() {
            let channel = self.channel_of(&incident).await?;
            let changes = self.recent_changes(&incident).await?;
            let message = render::incident::summary(&incident, &self.policy, &changes);
            let body = json!({"channel": channel.as_str(), "text": message.text, "blocks": message.blocks});
            let answer = self.slack.post("chat.postMessage", &body).await?;
            let ts = answer["ts"]
                .as_str()
                .ok_or_else(|| StepError::Invalid("chat.postMessage answered without a ts".into()))?;
            self.store.set_summary_ts(incident_id, ts, self.clock.now()).await?;
        }
        let mut conn = self.store.pool().acquire().await.map_err(anyhow::Error::from)?;
        enqueue(&mut conn, &Step::PinSummary { incident_id }, DECLARED, self.clock.now()).await?;
        self.wake_outbox();
        Ok(())
    }

    pub(super) async fn pin_summary(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        let channel = self.channel_of(&incident).await?;
        let ts = incident.summary_ts.ok_or_else(|| StepError::Invalid("no summary to pin".into()))?;
        match self.slack.post("pins.add", &json!({"channel": channel.as_str(), "timestamp": ts})).await {
            Ok(_) => Ok(()),
            Err(SlackCallError::Refused(code)) if code == "already_pinned" => Ok(()),
            Err(other) => Err(other.into()),
        }
    }
}
