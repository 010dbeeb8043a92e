//! Posting and editing alert prompts (one per group) and the storm prompt in the triage channel.

use super::{StepContext, StepError};
use crate::domain::alert::AlertGroup;
use crate::domain::ids::{ChannelId, UserId};
use crate::render;
use crate::slack::{Delivery, Destination, Message};

/// The group with `id`, or why the job cannot run.
async fn group(cx: &StepContext, id: i64) -> Result<AlertGroup, StepError> {
    cx.store.alert_group(id).await?.ok_or_else(|| StepError::Invalid(format!("alert group {id} is gone")))
}

/// The prompt of a group as it stands.
async fn prompt_of(cx: &StepContext, group: &AlertGroup, dismissed_by: Option<&str>) -> Result<Message, StepError> {
    let members = cx.store.alert_group_members(group.id).await?;
    let incident = match group.incident_id {
        Some(id) => cx.store.incident(id).await?,
        None => None,
    };
    let by = dismissed_by.and_then(UserId::parse).map(|u| u.mention());
    let now = cx.clock.now();
    Ok(Message::from(render::alerts::prompt(group, &members, &cx.policy, incident.as_ref(), by.as_deref(), now))
        .without_unfurls())
}

/// The triage channel, else the announcements channel; with neither, nobody to ask.
fn triage_channel(cx: &StepContext) -> Option<ChannelId> {
    let channel = cx.policy.channels.triage.clone().or_else(|| cx.policy.channels.announcements.clone());
    if channel.is_none() {
        tracing::warn!("an alert needs triage but neither channels.triage nor channels.announcements is set");
    }
    channel
}

/// Posts the group's prompt (once) in the triage channel, else the announcements channel.
pub(super) async fn post_alert_prompt(cx: &StepContext, delivery: &Delivery, alert_id: i64) -> Result<(), StepError> {
    let group = group(cx, alert_id).await?;
    if group.prompt_ts.is_some() {
        return Ok(());
    }
    let Some(channel) = triage_channel(cx) else { return Ok(()) };
    let prompt = prompt_of(cx, &group, None).await?;
    let posted = cx.slack.post_message(Destination::Channel(&channel), &prompt, delivery).await?;
    cx.store.set_alert_group_prompt(group.id, channel.as_str(), &posted.ts).await?;
    Ok(())
}

/// Edits the group's prompt to show its alerts and counts, or what became of it.
pub(super) async fn update_alert_prompt(
    cx: &StepContext,
    _: &Delivery,
    alert_id: i64,
    dismissed_by: Option<String>,
    revision: Option<i64>,
) -> Result<(), StepError> {
    let group = group(cx, alert_id).await?;
    if revision.is_some_and(|r| r < group.revision) {
        return Ok(());
    }
    let (Some(channel), Some(ts)) = (group.prompt_channel.clone(), group.prompt_ts.clone()) else { return Ok(()) };
    let channel = ChannelId::parse(&channel).ok_or_else(|| {
        StepError::Invalid(format!("alert group {alert_id}'s prompt is in {channel:?}, not a channel"))
    })?;
    let prompt = prompt_of(cx, &group, dismissed_by.as_deref()).await?;
    cx.slack.update_message(&channel, &ts, &prompt).await?;
    Ok(())
}

/// The storm prompt as it stands.
async fn storm_prompt(
    cx: &StepContext,
    storm_id: i64,
) -> Result<Option<(ChannelId, Option<String>, Message)>, StepError> {
    let Some(storm) = cx.store.alert_storm(storm_id).await? else {
        return Err(StepError::Invalid(format!("alert storm {storm_id} is gone")));
    };
    let Some(channel) = ChannelId::parse(&storm.channel) else {
        return Err(StepError::Invalid(format!("alert storm {storm_id} is in {:?}, not a channel", storm.channel)));
    };
    let groups = cx.store.storm_groups(storm_id).await?;
    let counts = cx.store.storm_counts(storm_id).await?;
    let message = Message::from(render::alerts::storm(&storm, &groups, &counts, &cx.policy)).without_unfurls();
    Ok(Some((channel, storm.prompt_ts, message)))
}

/// Posts the storm prompt (once).
pub(super) async fn post_storm_prompt(cx: &StepContext, delivery: &Delivery, storm_id: i64) -> Result<(), StepError> {
    let Some((channel, ts, message)) = storm_prompt(cx, storm_id).await? else { return Ok(()) };
    if ts.is_some() {
        return Ok(());
    }
    let posted = cx.slack.post_message(Destination::Channel(&channel), &message, delivery).await?;
    cx.store.set_alert_storm_prompt(storm_id, &posted.ts).await?;
    Ok(())
}

/// Edits the storm prompt to list the groups as they are now (nothing before it is posted:
/// the post shows the latest list).
pub(super) async fn update_storm_prompt(
    cx: &StepContext,
    _: &Delivery,
    storm_id: i64,
    revision: i64,
) -> Result<(), StepError> {
    // A later change's edit is queued behind this one: it shows everything, this one need not.
    if cx.store.alert_storm(storm_id).await?.is_some_and(|storm| storm.revision > revision) {
        return Ok(());
    }
    let Some((channel, Some(ts), message)) = storm_prompt(cx, storm_id).await? else { return Ok(()) };
    cx.slack.update_message(&channel, &ts, &message).await?;
    Ok(())
}
