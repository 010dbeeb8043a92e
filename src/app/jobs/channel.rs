//! Opening the incident channel: reserve the name, create it, and adopt our own channel
//! after a crash instead of making a second one.

use super::{DECLARED, JobKind, Step, StepContext, StepError, enqueue, enqueue_notices, reporter};
use crate::domain::channel_name::channel_name;
use crate::domain::ids::ChannelId;
use crate::domain::incident::{Incident, IncidentId};
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
    loop {
        let date = incident.declared_at.with_timezone(&cx.policy.timezone).date_naive();
        let name =
            channel_name(&cx.policy.channels.prefix, date, incident.number, &incident.title, incident.channel_attempt);
        if incident.channel_name.as_deref() != Some(name.as_str()) {
            cx.store.reserve_channel_name(incident.id, &name, incident.channel_attempt, cx.clock.now()).await?;
            incident.channel_name = Some(name.clone());
        }
        let channel = match cx.slack.create_channel(&name, incident.private).await {
            Ok(channel) => channel,
            Err(SlackCallError::Refused(code)) if code == "name_taken" => match own_channel_named(cx, &name).await? {
                Some(channel) => {
                    tracing::info!(slack.channel = %channel, "adopted the channel created before a restart");
                    channel
                }
                None if incident.channel_attempt < MAX_NAME_ATTEMPTS => {
                    incident.channel_attempt += 1;
                    continue;
                }
                None => return Err(SlackCallError::Refused("name_taken".to_owned()).into()),
            },
            Err(other) => return Err(other.into()),
        };
        return channel_opened(cx, &incident, &channel, response_url).await;
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
    tx.commit().await?;
    cx.wake_outbox();
    Ok(())
}

/// A channel named `name` that the bot itself created: ours from before a crash.
async fn own_channel_named(cx: &StepContext, name: &str) -> Result<Option<ChannelId>, StepError> {
    let bot = cx.slack.bot().await?;
    let found = cx.slack.find_channel_named(name).await?;
    Ok(found.filter(|channel| channel.creator.as_ref() == Some(&bot.user_id)).map(|channel| channel.id))
}
