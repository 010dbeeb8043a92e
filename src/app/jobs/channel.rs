//! Opening the incident channel: reserve the name, create it, and adopt our own channel
//! after a crash instead of making a second one. The look-up of our own channel resumes
//! where a rate limit stopped it (its cursor is stored with the reserved name).

use super::{DECLARED, JobKind, Step, StepContext, StepError, enqueue, enqueue_notices, reporter};
use crate::domain::channel_name::channel_name;
use crate::domain::ids::ChannelId;
use crate::domain::incident::{Incident, IncidentId};
use crate::slack::conversations::ListedChannel;
use crate::slack::{Delivery, SlackCallError};
use crate::store::{incidents, outbox};

/// Names tried before giving up (`-2` … `-20`); past that the workspace is full of them.
const MAX_NAME_ATTEMPTS: u32 = 20;

/// Creates the channel (at least once: a name taken by our own channel from before a crash
/// is adopted), then queues what needs it.
pub(super) async fn open_channel(
    cx: &StepContext,
    _: &Delivery,
    incident_id: IncidentId,
    response_url: Option<String>,
) -> Result<(), StepError> {
    let mut incident = cx.incident(incident_id).await?;
    if let Some(channel) = incident.channel.clone() {
        // A rerun after a crash: the channel is recorded; make sure what follows is queued.
        return channel_opened(cx, &incident, &channel, response_url).await;
    }
    // A look-up of our own channel under the reserved name that a rate limit interrupted.
    let mut lookup = cx.store.channel_lookup_cursor(incident.id).await?;
    loop {
        let date = incident.declared_at.with_timezone(&cx.policy.timezone).date_naive();
        let name = channel_name(
            &cx.policy.channels.prefix,
            date,
            incident.number,
            &incident.title,
            incident.channel_attempt,
            incident.drill,
        );
        if incident.channel_name.as_deref() != Some(name.as_str()) {
            cx.store.reserve_channel_name(incident.id, &name, incident.channel_attempt, cx.clock.now()).await?;
            incident.channel_name = Some(name.clone());
            lookup = None;
        }
        let adopted = match lookup.take() {
            // Slack said `name_taken` for this name before the look-up was interrupted: no need
            // to ask again; go on from where the look-up stopped.
            Some(cursor) => own_channel_named(cx, incident.id, &name, Some(cursor)).await?,
            None => match cx.slack.create_channel(&name, incident.private).await {
                Ok(channel) => return channel_opened(cx, &incident, &channel, response_url).await,
                Err(SlackCallError::Refused(code)) if code == "name_taken" => {
                    own_channel_named(cx, incident.id, &name, None).await?
                }
                Err(other) => return Err(other.into()),
            },
        };
        match adopted {
            Some(channel) => {
                tracing::info!(slack.channel = %channel, "adopted the channel created before a restart");
                return channel_opened(cx, &incident, &channel, response_url).await;
            }
            None if incident.channel_attempt < MAX_NAME_ATTEMPTS => incident.channel_attempt += 1,
            None => return Err(SlackCallError::Refused("name_taken".to_owned()).into()),
        }
    }
}

/// Records the channel and queues everything that needs it, in one transaction.
async fn channel_opened(
    cx: &StepContext,
    incident: &Incident,
    channel: &ChannelId,
    response_url: Option<String>,
) -> Result<(), StepError> {
    let now = cx.clock.now();
    let id = incident.id;
    let mut tx = cx.store.begin().await?;
    if incident.channel.is_none() {
        incidents::set_channel(&mut tx, id, channel, now).await?;
    }
    // The fire alarm first: the notices queued with the declaration go now, before anything
    // else this step queues (an incident declared by an older version gets them queued here).
    let opened = Incident { channel: Some(channel.clone()), ..incident.clone() };
    enqueue_notices(&mut tx, &cx.policy, &opened, response_url.as_deref(), now).await?;
    outbox::make_due(&mut tx, id, JobKind::PostNotice.as_str(), now).await?;
    let tell = Step::TellReporter {
        user: incident.reporter.to_string(),
        response_url,
        text: reporter::declared_text(cx, incident, channel),
        key: format!("declared:{id}"),
        incident_id: Some(id),
        replace_reply: Some(true),
    };
    enqueue(&mut tx, &tell, DECLARED, now).await?;
    enqueue(&mut tx, &Step::InviteResponders { incident_id: id }, DECLARED, now).await?;
    enqueue(&mut tx, &Step::SetTopic { incident_id: id }, DECLARED, now).await?;
    enqueue(&mut tx, &Step::PostSummary { incident_id: id }, DECLARED, now).await?;
    // Pages go out before the channel exists (they wait for nothing); now they can link it.
    for page in crate::store::paging::pages(&mut tx, id).await? {
        enqueue(&mut tx, &Step::EditPage { incident_id: id, page_id: page.id }, DECLARED, now).await?;
    }
    tx.commit().await?;
    cx.wake_outbox();
    Ok(())
}

/// A channel named `name` that the bot itself created: ours from before a crash. Pages the
/// bot's own channels (`users.conversations`) from `cursor`; after each page without it the
/// next cursor is stored, so a retry after a rate limit (or a restart) resumes there instead
/// of starting over. The cursor is cleared when the look-up ends (recording the channel, or
/// reserving the next name, clears it too).
async fn own_channel_named(
    cx: &StepContext,
    incident_id: IncidentId,
    name: &str,
    mut cursor: Option<String>,
) -> Result<Option<ChannelId>, StepError> {
    let bot = cx.slack.bot().await?;
    loop {
        let page = match cx.slack.member_channels(cursor.as_deref()).await {
            Ok(page) => page,
            // A stored cursor Slack no longer takes: look again from the start.
            Err(SlackCallError::Refused(code)) if code == "invalid_cursor" && cursor.is_some() => {
                tracing::info!("the stored look-up cursor is no longer valid; looking from the start");
                cursor = None;
                continue;
            }
            Err(other) => return Err(other.into()),
        };
        let ours = |c: &ListedChannel| c.name.as_deref() == Some(name) && c.creator.as_ref() == Some(&bot.user_id);
        if let Some(found) = page.channels.into_iter().find(ours) {
            return Ok(Some(found.id));
        }
        cx.store.set_channel_lookup_cursor(incident_id, page.next_cursor.as_deref()).await?;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(None),
        }
    }
}
