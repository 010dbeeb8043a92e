//! Posting reminders, escalations, nudges and the digest.

use serde_json::json;

use super::StepError;
use crate::app::App;
use crate::domain::incident::IncidentStatus;
use crate::render;

impl App {
    pub(super) async fn post_reminder(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        if !incident.status.is_open() {
            return Ok(());
        }
        let channel = self.channel_of(&incident).await?;
        let who = render::reminders::reminded(&incident);
        let message = render::reminders::reminder(&incident, &self.policy, &who, self.clock.now());
        let answer = self
            .slack
            .post(
                "chat.postMessage",
                &json!({"channel": channel.as_str(), "text": message.text, "blocks": message.blocks}),
            )
            .await?;
        if let Some(ts) = answer["ts"].as_str() {
            self.store.set_last_reminder_ts(incident_id, ts).await?;
        }
        Ok(())
    }

    pub(super) async fn escalate(&self, incident_id: i64, channel: &str) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        // An update may have ended the silence since the escalation was queued.
        if !incident.status.is_open() || !incident.timers.escalated {
            return Ok(());
        }
        let text = render::reminders::escalation(&incident, &self.policy, self.clock.now());
        self.slack.post("chat.postMessage", &json!({"channel": channel, "text": text})).await?;
        Ok(())
    }

    pub(super) async fn lead_nudge(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        if incident.lead.is_some() || !incident.status.is_open() {
            return Ok(());
        }
        let channel = self.channel_of(&incident).await?;
        let message = render::reminders::lead_nudge(&incident, &self.policy);
        self.slack
            .post(
                "chat.postMessage",
                &json!({"channel": channel.as_str(), "text": message.text, "blocks": message.blocks}),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn retro_nudge(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        if !matches!(incident.status, IncidentStatus::Resolved | IncidentStatus::Closed) {
            return Ok(());
        }
        let channel = self.channel_of(&incident).await?;
        let resolved_for = self.clock.now() - incident.last_update_at;
        let text = render::reminders::retro_nudge(&incident, &self.policy, resolved_for);
        self.slack.post("chat.postMessage", &json!({"channel": channel.as_str(), "text": text})).await?;
        Ok(())
    }

    pub(super) async fn digest(&self) -> Result<(), StepError> {
        let Some(channel) = self.policy.channels.announcements.clone() else { return Ok(()) };
        let now = self.clock.now();
        let open = self.store.open_incidents().await?;
        let today = now.with_timezone(&self.policy.timezone).date_naive();
        let mut overdue = Vec::new();
        for followup in self.store.overdue_followups(today).await? {
            if let Some(incident) = self.store.incident(followup.incident_id).await? {
                overdue.push((followup, incident));
            }
        }
        let parts: Vec<String> = [
            render::reminders::digest(&open, &self.policy, now),
            render::followups::overdue(&overdue, self.policy.locale),
        ]
        .into_iter()
        .flatten()
        .collect();
        // Nothing to say: nothing is posted.
        if parts.is_empty() {
            return Ok(());
        }
        self.slack.post("chat.postMessage", &json!({"channel": channel.as_str(), "text": parts.join("\n\n")})).await?;
        Ok(())
    }
}
