//! Telling the reporter: that the incident is declared, and what failed and how to fix it.

use serde_json::json;

use super::{Step, StepError, enqueue};
use crate::app::App;
use crate::catalog::{Key, text};
use crate::domain::ids::ChannelId;
use crate::domain::incident::Incident;
use crate::domain::text::escape_mrkdwn;
use crate::slack::client::SlackCallError;
use crate::store::outbox::Job;

impl App {
    /// The reply once the channel exists: the number and a link to the channel.
    pub(super) fn declared_text(&self, incident: &Incident, channel: &ChannelId) -> String {
        text(self.policy.locale, Key::DeclareDeclared)
            .fill_trusted(&[("number", &incident.number.to_string()), ("channel", &format!("<#{channel}>"))])
    }

    /// What to do about a Slack error code, in the policy's language.
    pub(super) fn hint(&self, code: &str) -> &'static str {
        let key = match code {
            "channel_not_found" => Key::HintChannelNotFound,
            "not_in_channel" => Key::HintNotInChannel,
            "missing_scope" => Key::HintMissingScope,
            "restricted_action" => Key::HintRestrictedAction,
            "is_archived" => Key::HintIsArchived,
            "name_taken" => Key::HintNameTaken,
            _ => Key::HintOther,
        };
        text(self.policy.locale, key).as_str()
    }

    /// By `response_url` when there is one (ephemeral, like the command's reply); when it is
    /// spent or absent, by direct message.
    pub(super) async fn tell_reporter(
        &self,
        user: &str,
        response_url: Option<&str>,
        message: &str,
    ) -> Result<(), StepError> {
        let user = self.reporter_of(user)?;
        if let Some(url) = response_url {
            let body = json!({"response_type": "ephemeral", "replace_original": false, "text": message});
            match self.slack.respond(url, &body).await {
                Ok(()) => return Ok(()),
                Err(SlackCallError::Refused(reason)) => {
                    tracing::info!(%reason, "response_url refused; sending a direct message instead");
                }
                Err(other) => return Err(other.into()),
            }
        }
        self.slack.post("chat.postMessage", &json!({"channel": user.as_str(), "text": message})).await?;
        Ok(())
    }

    pub(super) async fn report_failure(&self, job: &Job, code: &str) -> anyhow::Result<()> {
        let Ok(step) = serde_json::from_value::<Step>(job.payload.clone()) else {
            return Ok(());
        };
        let (response_url, what) = match &step {
            Step::OpenChannel { response_url, .. } => (response_url.clone(), Key::StepOpenChannel),
            Step::ShareNotices { response_url, .. } => (response_url.clone(), Key::StepNotice),
            Step::InviteResponders { .. } => (None, Key::StepInvite),
            Step::SetTopic { .. } => (None, Key::StepTopic),
            Step::PostSummary { .. } | Step::PinSummary { .. } => (None, Key::StepSummary),
            // Telling the reporter failed: there is nobody left to tell. Failures while running
            // the incident are logged and counted; the people are in the channel already.
            Step::TellReporter { .. }
            | Step::PostInChannel { .. }
            | Step::RefreshNotices { .. }
            | Step::ReplyInThread { .. }
            | Step::ArchiveChannel { .. }
            | Step::FetchHighlight { .. }
            | Step::AnswerMention { .. }
            | Step::CatchUp { .. }
            | Step::PostReminder { .. }
            | Step::Escalate { .. }
            | Step::LeadNudge { .. }
            | Step::RetroNudge { .. }
            | Step::Digest { .. }
            | Step::PublishRetro { .. }
            | Step::Announce { .. }
            | Step::ReplyToSource { .. }
            | Step::PostAlertPrompt { .. }
            | Step::UpdateAlertPrompt { .. } => return Ok(()),
        };
        let Some(incident) = (match job.incident_id {
            Some(id) => self.store.incident(id).await?,
            None => None,
        }) else {
            return Ok(());
        };
        let locale = self.policy.locale;
        let message = text(locale, Key::DeclareStepFailed).fill_trusted(&[
            ("number", &incident.number.to_string()),
            ("step", text(locale, what).as_str()),
            ("code", &escape_mrkdwn(code)),
            ("hint", self.hint(code)),
        ]);
        let tell = Step::TellReporter {
            user: incident.reporter.to_string(),
            response_url,
            text: message,
            key: format!("failed:{}", job.id),
        };
        let mut conn = self.store.pool().acquire().await?;
        enqueue(&mut conn, &tell, "", self.clock.now()).await?;
        self.wake_outbox();
        Ok(())
    }
}
