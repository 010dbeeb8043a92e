//! Slack work that follows channel events: fetching a message to highlight, answering a
//! mention, and catching a newcomer up.

use super::context::{channel_in_payload, user_in_payload};
use super::{StepContext, StepError};
use crate::catalog::{Key, text};
use crate::domain::incident::IncidentId;
use crate::render;
use crate::slack::{Delivery, Destination, Message, SlackCallError};
use crate::store::messages::{self, NewMessage};
use crate::store::timeline::TimelineEntry;

/// Records a message firebell did not see (pinned or 📌-reacted) and highlights it.
pub(super) async fn fetch_highlight(
    cx: &StepContext,
    _: &Delivery,
    incident_id: IncidentId,
    channel: String,
    ts: String,
    by: String,
) -> Result<(), StepError> {
    let channel = channel_in_payload(&channel)?;
    let Some(message) = cx.slack.message(&channel, &ts).await? else {
        tracing::info!(slack.channel = %channel, "the message to highlight no longer exists");
        return Ok(());
    };
    let new = NewMessage {
        channel: &channel,
        ts: &ts,
        thread_ts: message.reply_in(),
        user: message.user.as_deref(),
        text: message.text.as_deref().unwrap_or_default(),
        file_count: message.file_count,
        subtype: message.subtype.as_deref(),
    };
    let mut tx = cx.store.begin().await?;
    messages::insert(&mut tx, incident_id, &new).await?;
    tx.commit().await?;
    if let Some(stored) = cx.store.message(&channel, &ts).await? {
        let mut tx = cx.store.begin().await?;
        messages::highlight(&mut tx, &stored, &by).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Answers an `@firebell` mention in its thread with short help.
pub(super) async fn answer_mention(
    cx: &StepContext,
    delivery: &Delivery,
    channel: String,
    thread_ts: String,
) -> Result<(), StepError> {
    let channel = channel_in_payload(&channel)?;
    let help = text(cx.policy.locale, Key::MentionHelp).as_str();
    let to = Destination::Thread { channel: &channel, ts: &thread_ts, broadcast: false };
    cx.slack.post_message(to, &Message::text(help), delivery).await?;
    Ok(())
}

/// Shows someone who joined the incident channel where things stand (ephemeral).
pub(super) async fn catch_up(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    user: String,
) -> Result<(), StepError> {
    let user = user_in_payload(&user)?;
    let incident = cx.incident(incident_id).await?;
    let channel = cx.channel_of(&incident).await?;
    let timeline = cx.store.timeline(incident_id).await?;
    let last_update = timeline.iter().rev().find_map(|e| match &e.entry {
        TimelineEntry::Update { text, .. } => Some(text.clone()),
        _ => None,
    });
    let mut highlights = Vec::new();
    for event in &timeline {
        if let TimelineEntry::Highlight { ts, .. } = &event.entry
            && let Some(message) = cx.store.message(&channel, ts).await?
        {
            highlights.push(message);
        }
    }
    let link = match &incident.summary_ts {
        Some(ts) => Some(cx.slack.permalink(&channel, ts).await?),
        None => None,
    };
    let message =
        render::catch_up::catch_up(&incident, &cx.policy, last_update.as_deref(), &highlights, link.as_deref());
    if !cx.begin_effect(delivery).await? {
        return Ok(());
    }
    match cx.slack.post_ephemeral(&channel, &user, &message).await {
        Ok(()) => Ok(()),
        // They left again before the catch-up went out: nobody to tell.
        Err(SlackCallError::Refused(code)) if code == "user_not_in_channel" => Ok(()),
        Err(other) => Err(cx.effect_failed(delivery, other).await),
    }
}
