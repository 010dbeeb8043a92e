//! Posting reminders, escalations, nudges and the digest.

use super::context::channel_in_payload;
use super::{StepContext, StepError};
use crate::domain::incident::{IncidentId, IncidentStatus};
use crate::render;
use crate::slack::{Delivery, Destination, Message};

/// Posts the update reminder in the incident channel (not once the incident is resolved).
pub(super) async fn post_reminder(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    _number: u32,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    if !incident.status.is_open() {
        return Ok(());
    }
    let channel = cx.channel_of(&incident).await?;
    let who = render::reminders::reminded(&incident);
    let reminder = Message::from(render::reminders::reminder(&incident, &cx.policy, &who, cx.clock.now()));
    let posted = cx.slack.post_message(Destination::Channel(&channel), &reminder, delivery).await?;
    cx.store.set_last_reminder_ts(incident_id, &posted.ts).await?;
    Ok(())
}

/// Tells one channel of the widest audience that the incident has gone quiet.
pub(super) async fn escalate(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    channel: String,
) -> Result<(), StepError> {
    let channel = channel_in_payload(&channel)?;
    let incident = cx.incident(incident_id).await?;
    // An update may have ended the silence since the escalation was queued.
    if !incident.status.is_open() || !incident.timers.escalated {
        return Ok(());
    }
    let text = render::reminders::escalation(&incident, &cx.policy, cx.clock.now());
    cx.slack.post_message(Destination::Channel(&channel), &Message::text(text), delivery).await?;
    Ok(())
}

/// Nudges the channel once when nobody leads.
pub(super) async fn lead_nudge(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    if incident.lead.is_some() || !incident.status.is_open() {
        return Ok(());
    }
    let channel = cx.channel_of(&incident).await?;
    let nudge = Message::from(render::reminders::lead_nudge(&incident, &cx.policy));
    cx.slack.post_message(Destination::Channel(&channel), &nudge, delivery).await?;
    Ok(())
}

/// Nudges a resolved incident's channel for its retrospective.
pub(super) async fn retro_nudge(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    if !matches!(incident.status, IncidentStatus::Resolved | IncidentStatus::Closed) {
        return Ok(());
    }
    let channel = cx.channel_of(&incident).await?;
    let resolved_for = cx.clock.now() - incident.last_update_at;
    let text = render::reminders::retro_nudge(&incident, &cx.policy, resolved_for);
    cx.slack.post_message(Destination::Channel(&channel), &Message::text(text), delivery).await?;
    Ok(())
}

/// Posts the open incidents and overdue follow-ups to the announcements channel; nothing
/// when there is nothing to say.
pub(super) async fn digest(cx: &StepContext, delivery: &Delivery, _at: i64) -> Result<(), StepError> {
    let Some(channel) = cx.policy.channels.announcements.clone() else { return Ok(()) };
    let now = cx.clock.now();
    let open = cx.store.open_incidents().await?;
    let today = now.with_timezone(&cx.policy.timezone).date_naive();
    let mut overdue = Vec::new();
    for followup in cx.store.overdue_followups(today).await? {
        // A drill's follow-ups are practice too: not in the digest.
        if let Some(incident) = cx.store.incident(followup.incident_id).await?
            && !incident.drill
        {
            overdue.push((followup, incident));
        }
    }
    let parts: Vec<String> =
        [render::reminders::digest(&open, &cx.policy, now), render::followups::overdue(&overdue, cx.policy.locale)]
            .into_iter()
            .flatten()
            .collect();
    if parts.is_empty() {
        return Ok(());
    }
    cx.slack.post_message(Destination::Channel(&channel), &Message::text(parts.join("\n\n")), delivery).await?;
    Ok(())
}
