//! Keeping everyone current: posts in the incident channel, notices and the summary edited
//! in place, replies in each notice's thread, and archiving on close.

use serde_json::json;

use super::StepError;
use crate::app::App;
use crate::domain::policy::Mention;
use crate::render;
use crate::slack::client::SlackCallError;

impl App {
    pub(super) async fn post_in_channel(&self, incident_id: i64, text: &str) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        let channel = self.channel_of(&incident).await?;
        self.slack.post("chat.postMessage", &json!({"channel": channel.as_str(), "text": text})).await?;
        Ok(())
    }

    /// Edits every notice and the summary from the current state, and sets the topic.
    /// Running it twice does no harm, so a retry after a partial failure is safe.
    pub(super) async fn refresh_notices(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        // Edits never carry the mass mention: it was for the first notice only.
        let changes = self.recent_changes(&incident).await?;
        let notice = render::incident::notice(&incident, &self.policy, Mention::None, &changes);
        for told in self.store.notices(incident_id).await? {
            let Some(ts) = told.ts else { continue };
            let body =
                json!({"channel": told.channel.as_str(), "ts": ts, "text": notice.text, "blocks": notice.blocks});
            match self.slack.post("chat.update", &body).await {
                Ok(_) => {}
                // Someone deleted the notice, or the channel went away: nothing left to edit.
                Err(SlackCallError::Refused(code))
                    if matches!(code.as_str(), "message_not_found" | "channel_not_found" | "is_archived") =>
                {
                    tracing::info!(slack.channel = %told.channel, slack.error = code, "a notice can no longer be edited");
                }
                Err(other) => return Err(other.into()),
            }
        }
        if let (Some(channel), Some(ts)) = (incident.channel.as_ref(), incident.summary_ts.as_ref()) {
            let summary = render::incident::summary(&incident, &self.policy, &changes);
            let body = json!({"channel": channel.as_str(), "ts": ts, "text": summary.text, "blocks": summary.blocks});
            self.slack.post("chat.update", &body).await?;
        }
        if incident.channel.is_some() && incident.status != crate::domain::incident::IncidentStatus::Closed {
            self.set_topic(incident_id).await?;
        }
        Ok(())
    }

    pub(super) async fn reply_in_thread(
        &self,
        channel: &str,
        thread_ts: &str,
        text: &str,
        broadcast: bool,
    ) -> Result<(), StepError> {
        let body = json!({"channel": channel, "thread_ts": thread_ts, "text": text, "reply_broadcast": broadcast});
        self.slack.post("chat.postMessage", &body).await?;
        Ok(())
    }

    pub(super) async fn announce(&self, channel: &str, text: &str) -> Result<(), StepError> {
        self.slack.post("chat.postMessage", &json!({"channel": channel, "text": text, "unfurl_links": false})).await?;
        Ok(())
    }

    /// Tells the thread of the reported message where the incident is run.
    pub(super) async fn reply_to_source(&self, incident_id: i64, channel: &str, ts: &str) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        let Some(incident_channel) = incident.channel.clone() else {
            // Not open yet: the channel step runs first; try again in a moment.
            return Err(SlackCallError::Transient("the incident channel is not open yet".to_owned()).into());
        };
        let text = crate::catalog::text(self.policy.locale, crate::catalog::Key::SourceDeclared)
            .fill_trusted(&[("number", &incident.number.to_string()), ("channel", &format!("<#{incident_channel}>"))]);
        self.slack.post("chat.postMessage", &json!({"channel": channel, "thread_ts": ts, "text": text})).await?;
        Ok(())
    }

    pub(super) async fn archive_channel(&self, incident_id: i64) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        let channel = self.channel_of(&incident).await?;
        match self.slack.post("conversations.archive", &json!({"channel": channel.as_str()})).await {
            Ok(_) => Ok(()),
            Err(SlackCallError::Refused(code)) if code == "already_archived" => Ok(()),
            Err(other) => Err(other.into()),
        }
    }
}
