//! Sharing the first notice with the incident's audience, affected teams first.

use super::context::channel_in_payload;
use super::{JobKind, Step, StepContext, StepError, enqueue, enqueue_notices, reporter};
use crate::catalog::{Key, text};
use crate::domain::audience::audience_of;
use crate::domain::ids::ChannelId;
use crate::domain::incident::IncidentId;
use crate::render;
use crate::slack::{Delivery, Destination, Message, SlackCallError};
use crate::store::notices;

/// Queues the notice for every audience channel that has none (a job of an older version,
/// which shared every channel in one job).
pub(super) async fn share_notices(
    cx: &StepContext,
    _: &Delivery,
    incident_id: IncidentId,
    response_url: Option<String>,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    let mut tx = cx.store.begin().await?;
    enqueue_notices(&mut tx, &cx.policy, &incident, response_url.as_deref(), cx.clock.now()).await?;
    tx.commit().await?;
    cx.wake_outbox();
    Ok(())
}

/// Posts the notice in one audience channel, once: after the incident channel exists (the
/// notice links to it), and only while the channel is still in the audience (a severity
/// lowered before the notice went out narrows it).
pub(super) async fn post_notice(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    channel: String,
    response_url: Option<String>,
) -> Result<(), StepError> {
    let channel = channel_in_payload(&channel)?;
    let incident = cx.incident(incident_id).await?;
    match cx.channel_of(&incident).await {
        Ok(_) => {}
        // The channel could not be opened (the reporter is told why): the affected teams
        // still hear of the incident, without the link to its channel.
        Err(StepError::Invalid(reason)) => {
            tracing::warn!(%reason, "no incident channel; the notice goes out without it");
        }
        Err(other) => return Err(other),
    }
    if cx.store.notices(incident_id).await?.iter().any(|notice| notice.channel == channel) {
        return Ok(());
    }
    let audience = audience_of(&cx.policy, &incident);
    let Some(recipient) = audience.into_iter().find(|recipient| recipient.channel == channel) else {
        tracing::info!(slack.channel = %channel, "the audience narrowed before the notice went out; not posted");
        return Ok(());
    };
    let changes = cx.recent_changes(&incident).await?;
    let notice: Message =
        Message::from(render::incident::notice(&incident, &cx.policy, recipient.mention, &changes)).without_unfurls();
    let now = cx.clock.now();
    match post_joining(cx, &channel, &notice, delivery).await {
        Ok(posted) => cx.store.record_notice(incident_id, &channel, Some(&posted), None, now).await?,
        Err(SlackCallError::Refused(code)) => {
            tracing::warn!(slack.channel = %channel, slack.error = code, "a notice could not be shared");
            cx.metrics
                .count("firebell_jobs_total", &[("kind", JobKind::PostNotice.as_str()), ("outcome", "channel_failed")]);
            let message = text(cx.policy.locale, Key::DeclareNoticeFailed).fill_trusted(&[
                ("number", &incident.number.to_string()),
                ("channel", &format!("<#{channel}>")),
                ("code", &crate::domain::text::escape_mrkdwn(&code)),
                ("hint", reporter::hint(cx, &code)),
            ]);
            let tell = Step::TellReporter {
                user: incident.reporter.to_string(),
                response_url,
                text: message,
                key: format!("notice_failed:{incident_id}:{channel}"),
                incident_id: Some(incident_id),
                replace_reply: None,
            };
            // The failure and the message about it in one transaction: neither without the
            // other (the job is done once the failure is recorded, so a message enqueued
            // apart from it could be lost to a crash in between).
            let mut tx = cx.store.begin().await?;
            notices::record(&mut tx, incident_id, &channel, None, Some(&code), now).await?;
            enqueue(&mut tx, &tell, "", now).await?;
            tx.commit().await?;
            cx.wake_outbox();
        }
        Err(other) => return Err(other.into()),
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
