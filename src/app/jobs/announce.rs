//! Keeping everyone current: posts in the incident channel, notices and the summary edited
//! in place, replies in each notice's thread, and archiving on close.

use super::context::channel_in_payload;
use super::{JobKind, Step, StepContext, StepError, enqueue};
use crate::catalog::{Key, text};
use crate::domain::audience::audience_of;
use crate::domain::ids::ChannelId;
use crate::domain::incident::{IncidentId, IncidentStatus};
use crate::domain::policy::Mention;
use crate::render;
use crate::slack::{Delivery, Destination, Message, SlackCallError};

/// Posts `text` in the incident channel.
pub(super) async fn post_in_channel(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    text: String,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    let channel = cx.channel_of(&incident).await?;
    cx.slack.post_message(Destination::Channel(&channel), &Message::text(text), delivery).await?;
    Ok(())
}

/// Edits the summary from the current state and sets the topic, then queues the edit of
/// each notice in its own channel's lane (after that channel's notice, if it is still on its
/// way). Running it twice does no harm, so a retry after a partial failure is safe.
pub(super) async fn refresh_notices(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    if let (Some(channel), Some(ts)) = (incident.channel.as_ref(), incident.summary_ts.as_ref()) {
        let summary = cx.summary_message(&incident).await?;
        cx.slack.update_message(channel, ts, &summary).await?;
    }
    if let Some(channel) = incident.channel.as_ref()
        && incident.status != IncidentStatus::Closed
    {
        cx.slack.set_topic(channel, &render::incident::topic(&incident, &cx.policy)).await?;
    }
    let mut channels: Vec<ChannelId> = cx.store.notices(incident_id).await?.into_iter().map(|n| n.channel).collect();
    for recipient in audience_of(&cx.policy, &incident) {
        if !channels.contains(&recipient.channel) {
            channels.push(recipient.channel);
        }
    }
    let now = cx.clock.now();
    let mut tx = cx.store.begin().await?;
    for channel in channels {
        let step = Step::EditNotice { incident_id, channel: channel.to_string() };
        enqueue(&mut tx, &step, &format!("job{}", delivery.job_id()), now).await?;
    }
    tx.commit().await?;
    cx.wake_outbox();
    Ok(())
}

/// Edits one channel's notice from the current state (nothing when it has none).
pub(super) async fn edit_notice(
    cx: &StepContext,
    _: &Delivery,
    incident_id: IncidentId,
    channel: String,
) -> Result<(), StepError> {
    let channel = channel_in_payload(&channel)?;
    let Some(ts) = cx.store.notices(incident_id).await?.into_iter().find(|n| n.channel == channel).and_then(|n| n.ts)
    else {
        return Ok(());
    };
    let incident = cx.incident(incident_id).await?;
    let changes = cx.recent_changes(&incident).await?;
    // Edits never carry the mass mention: it was for the first notice only.
    let notice = Message::from(render::incident::notice(&incident, &cx.policy, Mention::None, &changes));
    match cx.slack.update_message(&channel, &ts, &notice).await {
        Ok(()) => Ok(()),
        // Someone deleted the notice, or the channel went away: nothing left to edit.
        Err(SlackCallError::Refused(code))
            if matches!(code.as_str(), "message_not_found" | "channel_not_found" | "is_archived") =>
        {
            tracing::info!(slack.channel = %channel, slack.error = code, "a notice can no longer be edited");
            Ok(())
        }
        Err(other) => Err(other.into()),
    }
}

/// Replies in one notice's thread — once that notice exists.
pub(super) async fn reply_in_thread(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    channel: String,
    thread_ts: String,
    text: String,
    broadcast: bool,
) -> Result<(), StepError> {
    let channel = channel_in_payload(&channel)?;
    let Some(thread_ts) = notice_thread(cx, incident_id, &channel, &thread_ts).await? else {
        return Ok(());
    };
    let to = Destination::Thread { channel: &channel, ts: &thread_ts, broadcast };
    cx.slack.post_message(to, &Message::text(text), delivery).await?;
    Ok(())
}

/// The thread to reply in: the one given, or — for a notice still on its way when the
/// change was made — the notice's once it is posted (waited for while the incident's
/// channel or notices are still to be made, however long Slack takes). `None` when that
/// notice failed for good: there is no thread to reply in.
async fn notice_thread(
    cx: &StepContext,
    incident_id: IncidentId,
    channel: &ChannelId,
    thread_ts: &str,
) -> Result<Option<String>, StepError> {
    if !thread_ts.is_empty() {
        return Ok(Some(thread_ts.to_owned()));
    }
    let notice_in = |notices: Vec<crate::store::notices::Notice>| notices.into_iter().find(|n| n.channel == *channel);
    if let Some(notice) = notice_in(cx.store.notices(incident_id).await?) {
        return Ok(notice.ts);
    }
    let declaring = [JobKind::OpenChannel.as_str(), JobKind::ShareNotices.as_str(), JobKind::PostNotice.as_str()];
    if cx.store.incident_jobs_in_flight(incident_id, &declaring).await? {
        return Err(StepError::Waiting(format!("waiting for the notice in {channel}")));
    }
    // The notices may have been shared since the first read: look once more.
    match notice_in(cx.store.notices(incident_id).await?) {
        Some(notice) => Ok(notice.ts),
        None => Err(StepError::Invalid(format!("the notice in {channel} was never posted"))),
    }
}

/// Posts a pre-shared change in one channel.
pub(super) async fn announce(
    cx: &StepContext,
    delivery: &Delivery,
    channel: String,
    text: String,
) -> Result<(), StepError> {
    let channel = channel_in_payload(&channel)?;
    cx.slack.post_message(Destination::Channel(&channel), &Message::text(text).without_unfurls(), delivery).await?;
    Ok(())
}

/// Tells the thread of the reported message where the incident is run.
pub(super) async fn reply_to_source(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    channel: String,
    ts: String,
) -> Result<(), StepError> {
    let channel = channel_in_payload(&channel)?;
    let incident = cx.incident(incident_id).await?;
    // Waits while the channel is being opened; gives up (failed, not retried for ever) when
    // opening it failed for good.
    let incident_channel = cx.channel_of(&incident).await?;
    let reply = text(cx.policy.locale, Key::SourceDeclared)
        .fill_trusted(&[("number", &incident.number.to_string()), ("channel", &format!("<#{incident_channel}>"))]);
    let to = Destination::Thread { channel: &channel, ts: &ts, broadcast: false };
    cx.slack.post_message(to, &Message::text(reply), delivery).await?;
    Ok(())
}

/// Archives the incident channel (archived already counts as done).
pub(super) async fn archive_channel(cx: &StepContext, _: &Delivery, incident_id: IncidentId) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    let channel = cx.channel_of(&incident).await?;
    cx.slack.archive(&channel).await?;
    Ok(())
}
