//! Sending a page by direct message, and editing it once acknowledged.
//!
//! A page is sent at least once: Slack keeps no record of a direct message by user id that
//! the bot could look up (no `im:history`), so an attempt whose answer was lost sends it
//! again. A second page is a nuisance; a lost one can leave an incident unanswered at 3 a.m.

use super::{StepContext, StepError};
use crate::domain::ids::ChannelId;
use crate::domain::incident::{Incident, IncidentId};
use crate::domain::paging::Page;
use crate::render;
use crate::slack::{Delivery, Destination, Message};

/// Sends page `page_id` to its person, unless it went out already, was acknowledged, or the
/// incident was resolved since.
pub(super) async fn send_page(
    cx: &StepContext,
    delivery: &Delivery,
    incident_id: IncidentId,
    page_id: i64,
) -> Result<(), StepError> {
    let (incident, page) = page_of(cx, incident_id, page_id).await?;
    if page.message.is_some() || page.acknowledged_at.is_some() || !incident.status.is_open() {
        return Ok(());
    }
    let message = Message::from(render::paging::page(&incident, &page, &cx.policy));
    let posted = cx.slack.post_message(Destination::Person(&page.user), &message, delivery).await?;
    cx.store.set_page_message(page_id, &posted.channel, &posted.ts).await?;
    cx.metrics.count("firebell_pages_total", &[("reason", page.reason.as_str())]);
    tracing::info!(page.id = page_id, page.reason = page.reason.as_str(), "paged");
    Ok(())
}

/// Edits a page's direct message into its current shape (acknowledged: no button). A page
/// whose message is not known (never sent, or its answer was lost) has nothing to edit.
pub(super) async fn edit_page(
    cx: &StepContext,
    _: &Delivery,
    incident_id: IncidentId,
    page_id: i64,
) -> Result<(), StepError> {
    let (incident, page) = page_of(cx, incident_id, page_id).await?;
    let Some((channel, ts)) = &page.message else { return Ok(()) };
    let channel = ChannelId::parse(channel)
        .ok_or_else(|| StepError::Invalid(format!("page {page_id}'s message is in {channel:?}, not a channel")))?;
    let message = Message::from(render::paging::page(&incident, &page, &cx.policy));
    cx.slack.update_message(&channel, ts, &message).await?;
    Ok(())
}

/// The incident and the page a job is about; a job for either that does not exist cannot run.
async fn page_of(cx: &StepContext, incident_id: IncidentId, page_id: i64) -> Result<(Incident, Page), StepError> {
    let incident = cx.incident(incident_id).await?;
    let page =
        cx.store.page(page_id).await?.ok_or_else(|| StepError::Invalid(format!("page {page_id} does not exist")))?;
    Ok((incident, page))
}
