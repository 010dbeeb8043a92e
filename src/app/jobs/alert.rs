//! Posting and editing alert prompts in the triage channel.

use serde_json::json;

use super::StepError;
use crate::app::App;
use crate::render;

impl App {
    pub(super) async fn post_alert_prompt(&self, alert_id: i64) -> Result<(), StepError> {
        let alert =
            self.store.alert(alert_id).await?.ok_or_else(|| StepError::Invalid(format!("alert {alert_id} is gone")))?;
        if alert.prompt_ts.is_some() {
            return Ok(());
        }
        // The triage channel, else the announcements channel; with neither, nobody to ask.
        let Some(channel) = self.policy.channels.triage.clone().or_else(|| self.policy.channels.announcements.clone())
        else {
            tracing::warn!("an alert needs triage but neither channels.triage nor channels.announcements is set");
            return Ok(());
        };
        let message = render::alerts::prompt(&alert, &self.policy, None, None);
        let body =
            json!({"channel": channel.as_str(), "text": message.text, "blocks": message.blocks, "unfurl_links": false});
        let answer = self.slack.post("chat.postMessage", &body).await?;
        if let Some(ts) = answer["ts"].as_str() {
            self.store.set_alert_prompt(alert_id, channel.as_str(), ts).await?;
        }
        Ok(())
    }

    pub(super) async fn update_alert_prompt(&self, alert_id: i64, dismissed_by: Option<&str>) -> Result<(), StepError> {
        let alert =
            self.store.alert(alert_id).await?.ok_or_else(|| StepError::Invalid(format!("alert {alert_id} is gone")))?;
        let (Some(channel), Some(ts)) = (alert.prompt_channel.clone(), alert.prompt_ts.clone()) else { return Ok(()) };
        let incident = match alert.incident_id {
            Some(id) => self.store.incident(id).await?,
            None => None,
        };
        let by = dismissed_by.and_then(crate::domain::ids::UserId::parse).map(|u| u.mention());
        let message = render::alerts::prompt(&alert, &self.policy, incident.as_ref(), by.as_deref());
        self.slack
            .post("chat.update", &json!({"channel": channel, "ts": ts, "text": message.text, "blocks": message.blocks}))
            .await?;
        Ok(())
    }
}
