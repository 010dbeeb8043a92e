//! Sharing the first notice with the incident's audience, affected teams first.

use serde_json::json;

use super::{Step, StepError, enqueue};
use crate::app::App;
use crate::catalog::{Key, text};
use crate::domain::audience::audience;
use crate::render;
use crate::slack::client::SlackCallError;

impl App {
    pub(super) async fn share_notices(&self, incident_id: i64, response_url: Option<String>) -> Result<(), StepError> {
        let incident = self.incident_or_invalid(incident_id).await?;
        let told = self.store.notices(incident_id).await?;
        let changes = self.recent_changes(&incident).await?;
        for recipient in audience(&self.policy, &incident.severity, &incident.services, incident.private) {
            if told.iter().any(|notice| notice.channel == recipient.channel) {
                continue;
            }
            let message = render::incident::notice(&incident, &self.policy, recipient.mention, &changes);
            let body = json!({"channel": recipient.channel.as_str(), "text": message.text, "blocks": message.blocks, "unfurl_links": false});
            let posted = match self.slack.post("chat.postMessage", &body).await {
                Err(SlackCallError::Refused(code)) if code == "not_in_channel" => {
                    // A public channel the bot may join; a private one needs an invitation.
                    match self.slack.post("conversations.join", &json!({"channel": recipient.channel.as_str()})).await {
                        Ok(_) => self.slack.post("chat.postMessage", &body).await,
                        Err(_) => Err(SlackCallError::Refused(code)),
                    }
                }
                other => other,
            };
            let now = self.clock.now();
            match posted {
                Ok(answer) => {
                    let ts = answer["ts"].as_str().unwrap_or_default();
                    self.store.record_notice(incident_id, &recipient.channel, Some(ts), None, now).await?;
                }
                Err(SlackCallError::Refused(code)) => {
                    tracing::warn!(slack.channel = %recipient.channel, slack.error = code, "a notice could not be shared");
                    self.metrics
                        .count("firebell_jobs_total", &[("kind", "share_notices"), ("outcome", "channel_failed")]);
                    self.store.record_notice(incident_id, &recipient.channel, None, Some(&code), now).await?;
                    let message = text(self.policy.locale, Key::DeclareNoticeFailed).fill_trusted(&[
                        ("number", &incident.number.to_string()),
                        ("channel", &format!("<#{}>", recipient.channel)),
                        ("code", &crate::domain::text::escape_mrkdwn(&code)),
                        ("hint", self.hint(&code)),
                    ]);
                    let tell = Step::TellReporter {
                        user: incident.reporter.to_string(),
                        response_url: response_url.clone(),
                        text: message,
                        key: format!("notice_failed:{incident_id}:{}", recipient.channel),
                    };
                    let mut conn = self.store.pool().acquire().await.map_err(anyhow::Error::from)?;
                    enqueue(&mut conn, &tell, "", now).await?;
                    self.wake_outbox();
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }
}
