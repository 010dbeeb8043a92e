//! Posting and editing alert prompts in the triage channel.

use super::{StepContext, StepError};
use crate::domain::ids::{ChannelId, UserId};
use crate::render;
use crate::slack::{Delivery, Destination, Message};

/// Posts the alert's prompt (once) in the triage channel, else the announcements channel.
pub(super) async fn post_alert_prompt(cx: &StepContext, delivery: &Delivery, alert_id: i64) -> Result<(), StepError> {
    let alert =
        cx.store.alert(alert_id).await?.ok_or_else(|| StepError::Invalid(format!("alert {alert_id} is gone")))?;
    if alert.prompt_ts.is_some() {
        return Ok(());
    }
    // The triage channel, else the announcements channel; with neither, nobody to ask.
    let Some(channel) = cx.policy.channels.triage.clone().or_else(|| cx.policy.channels.announcements.clone()) else {
        tracing::warn!("an alert needs triage but neither channels.triage nor channels.announcements is set");
        return Ok(());
    };
    let prompt = Message::from(render::alerts::prompt(&alert, &cx.policy, None, None)).without_unfurls();
    let posted = cx.slack.post_message(Destination::Channel(&channel), &prompt, delivery).await?;
    cx.store.set_alert_prompt(alert_id, channel.as_str(), &posted.ts).await?;
    Ok(())
}

/// Edits the prompt to show the alert's count, or what became of it.
pub(super) async fn update_alert_prompt(
    cx: &StepContext,
    _: &Delivery,
    alert_id: i64,
    dismissed_by: Option<String>,
) -> Result<(), StepError> {
    let alert =
        cx.store.alert(alert_id).await?.ok_or_else(|| StepError::Invalid(format!("alert {alert_id} is gone")))?;
    let (Some(channel), Some(ts)) = (alert.prompt_channel.clone(), alert.prompt_ts.clone()) else { return Ok(()) };
    let channel = ChannelId::parse(&channel)
        .ok_or_else(|| StepError::Invalid(format!("alert {alert_id}'s prompt is in {channel:?}, not a channel")))?;
    let incident = match alert.incident_id {
        Some(id) => cx.store.incident(id).await?,
        None => None,
    };
    let by = dismissed_by.as_deref().and_then(UserId::parse).map(|u| u.mention());
    let prompt = Message::from(render::alerts::prompt(&alert, &cx.policy, incident.as_ref(), by.as_deref()));
    cx.slack.update_message(&channel, &ts, &prompt).await?;
    Ok(())
}
