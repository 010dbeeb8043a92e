//! Setting up the incident channel: invitations, topic, and the pinned summary.

use super::{DECLARED, Step, StepContext, StepError};
use crate::domain::ids::UserId;
use crate::domain::incident::IncidentId;
use crate::render;
use crate::slack::{Delivery, Destination, SlackCallError};

/// Invites the reporter, the lead, the responders and the on-call in one call; someone who cannot be
/// invited (deactivated, unknown, already there) does not keep the others out.
pub(super) async fn invite_responders(
    cx: &StepContext,
    _: &Delivery,
    incident_id: IncidentId,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    let channel = cx.channel_of(&incident).await?;
    let bot = cx.slack.bot().await?.user_id;
    let mut people: Vec<UserId> = vec![incident.reporter.clone()];
    people.extend(incident.lead.clone());
    for name in &incident.services {
        if let Some(service) = cx.policy.service(name.as_str()) {
            people.extend(service.responders.iter().cloned());
        }
    }
    // The on-call recorded with the incident, and whoever acknowledged a page.
    people.extend(cx.store.incident_oncall(incident_id).await?.into_iter().map(|o| o.user));
    people
        .extend(cx.store.pages(incident_id).await?.into_iter().filter(|p| p.acknowledged_at.is_some()).map(|p| p.user));
    let mut invited: Vec<&UserId> = Vec::new();
    for person in &people {
        if *person != bot && !invited.contains(&person) {
            invited.push(person);
        }
    }
    // Slack takes at most 1,000 people a call.
    for batch in invited.chunks(1000) {
        match cx.slack.invite(&channel, batch).await {
            Ok(None) => {}
            Ok(Some(code)) => tracing::info!(slack.error = code, "could not invite someone; the others are invited"),
            Err(SlackCallError::Refused(code)) => {
                tracing::warn!(slack.channel = %channel, slack.error = code, "could not invite the responders")
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Sets the channel topic to the incident's current severity, status and lead.
pub(super) async fn set_topic(cx: &StepContext, _: &Delivery, incident_id: IncidentId) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    let channel = cx.channel_of(&incident).await?;
    cx.slack.set_topic(&channel, &render::incident::topic(&incident, &cx.policy)).await?;
    Ok(())
}

/// Posts the summary once, then queues its pin.
pub(super) async fn post_summary(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    if incident.summary_ts.is_none() {
        let channel = cx.channel_of(&incident).await?;
        notices_first(cx, incident_id).await?;
        let summary = cx.summary_message(&incident).await?;
        let posted = cx.slack.post_message(Destination::Channel(&channel), &summary, delivery).await?;
        cx.store.set_summary_ts(incident_id, &posted.ts, cx.clock.now()).await?;
    }
    cx.enqueue_alone(&Step::PinSummary { incident_id }, DECLARED).await
}

/// How long the summary waits at most for the notices queued beside it.
const NOTICES_FIRST: std::time::Duration = std::time::Duration::from_secs(2);
/// How often it looks whether they went out.
const NOTICES_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// The fire alarm first: the summary's similar incidents are chosen from the whole history
/// (tens of milliseconds of database and CPU over 10,000 incidents), so the summary waits —
/// briefly, and never longer than [`NOTICES_FIRST`] (a notice Slack keeps refusing is
/// retried for minutes) — for the incident's notices to go out instead of competing with
/// them. Measured with `FIREBELL_BENCH_HISTORY=10000 cargo bench --bench declare`.
async fn notices_first(cx: &StepContext, incident_id: IncidentId) -> Result<(), StepError> {
    let notices = [super::JobKind::PostNotice.as_str()];
    let deadline = tokio::time::Instant::now() + NOTICES_FIRST;
    while cx.store.incident_jobs_in_flight(incident_id, &notices).await? && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(NOTICES_POLL).await;
    }
    Ok(())
}

/// Pins the posted summary.
pub(super) async fn pin_summary(cx: &StepContext, _: &Delivery, incident_id: IncidentId) -> Result<(), StepError> {
    let incident = cx.incident(incident_id).await?;
    let channel = cx.channel_of(&incident).await?;
    let ts = incident.summary_ts.ok_or_else(|| StepError::Invalid("no summary to pin".into()))?;
    cx.slack.pin(&channel, &ts).await?;
    Ok(())
}
