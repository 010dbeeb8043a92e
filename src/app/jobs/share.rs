//! Sharing the first notice with the incident's audience, affected teams first.

use super::{JobKind, Step, StepContext, StepError, reporter};
use crate::catalog::{Key, text};
use crate::domain::audience::audience;
use crate::domain::ids::ChannelId;
use crate::domain::incident::IncidentId;
use crate::render;
use crate::slack::{Delivery, Destination, Message, SlackCallError};

/// Posts the notice (once each) in every audience channel that has not seen it yet.
pub(super) async fn share_notices(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    response_url: Option<String>,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    let told = cx.store.notices(incident_id).await?;
    let changes = cx.recent_changes(&incident).await?;
    for recipient in audience(&cx.policy, &incident.severity, &incident.services, incident.private) {
        if told.iter().any(|notice| notice.channel == recipient.channel) {
            continue;
        }
        let notice: Message =
            Message::from(render::incident::notice(&incident, &cx.policy, recipient.mention, &changes))
                .without_unfurls();
        let now = cx.clock.now();
        match post_joining(cx, &recipient.channel, &notice, delivery).await {
            Ok(posted) => {
                cx.store.record_notice(incident_id, &recipient.channel, Some(&posted), None, now).await?;
            }
            Err(SlackCallError::Refused(code)) => {
                tracing::warn!(slack.channel = %recipient.channel, slack.error = code, "a notice could not be shared");
                cx.metrics.count(
                    "firebell_jobs_total",
                    &[("kind", JobKind::ShareNotices.as_str()), ("outcome", "channel_failed")],
                );
                cx.store.record_notice(incident_id, &recipient.channel, None, Some(&code), now).await?;
                let message = text(cx.policy.locale, Key::DeclareNoticeFailed).fill_trusted(&[
                    ("number", &incident.number.to_string()),
                    ("channel", &format!("<#{}>", recipient.channel)),
                    ("code", &crate::domain::text::escape_mrkdwn(&code)),
                    ("hint", reporter::hint(cx, &code)),
                ]);
                let tell = Step::TellReporter {
                    user: incident.reporter.to_string(),
                    response_url: response_url.clone(),
                    text: message,
                    key: format!("notice_failed:{incident_id}:{}", recipient.channel),
                    incident_id: Some(incident_id),
                };
                cx.enqueue_alone(&tell, "").await?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Posts in `channel`, joining it first when the bot is not a member of a public channel (a
/// private one needs an invitation: the refusal stands). Returns the notice's `ts`.
async fn post_joining(
    cx: &StepContext,
    channel: &ChannelId,
    message: &Message,
    delivery: &Delivery,
) -> Result<String, SlackCallError> {
    match cx.slack.post_message(Destination::Channel(channel), message, delivery).await {
        Ok(posted) => Ok(posted.ts),
        Err(SlackCallError::Refused(code)) if code == "not_in_channel" => match cx.slack.join(channel).await {
            Ok(()) => Ok(cx.slack.post_message(Destination::Channel(channel), message, delivery).await?.ts),
            Err(_) => Err(SlackCallError::Refused(code)),
        },
        Err(other) => Err(other),
    }
}
