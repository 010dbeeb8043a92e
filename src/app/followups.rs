//! Follow-ups: added by command, listed with Mark done buttons, finished by a click.

use super::App;
use super::jobs::{self, Step};
use super::reply::Reply;
use crate::domain::command::FollowupRequest;
use crate::domain::ids::UserId;
use crate::domain::incident::Incident;
use crate::render;
use crate::store::followups::{self, NewFollowup};
use crate::store::timeline::{self, TimelineEntry};

impl App {
    /// Records a follow-up with its timeline entry and its post in the channel.
    pub async fn add_followup(
        &self,
        incident: &Incident,
        request: FollowupRequest,
        by: &UserId,
    ) -> anyhow::Result<Reply> {
        let now = self.clock.now();
        let new = NewFollowup {
            incident_id: incident.id,
            group: request.group,
            text: &request.text,
            owner: request.owner.as_ref(),
            due: request.due,
            created_by: by,
        };
        let mut tx = self.store.begin().await?;
        let followup = followups::add(&mut tx, &new, now).await?;
        let added =
            TimelineEntry::FollowupAdded { id: followup.id, group: followup.group, text: followup.text.clone() };
        let event = timeline::append(&mut tx, incident.id, now, Some(by), &added).await?;
        let post = render::followups::added(&followup, self.policy.locale);
        if incident.channel.is_some() {
            jobs::enqueue(
                &mut tx,
                &Step::PostInChannel { incident_id: incident.id, text: post.clone() },
                &event.to_string(),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok(Reply::ephemeral(post))
    }

    /// The incident's follow-ups, grouped, with Mark done buttons.
    pub async fn list_followups(&self, incident: &Incident) -> anyhow::Result<Reply> {
        let items = self.store.followups(incident.id).await?;
        let (text, blocks) = render::followups::list(incident, &items, self.policy.locale);
        Ok(Reply::ephemeral_blocks(text, blocks))
    }

    /// A Mark done click: done once, recorded and told in the channel.
    pub async fn complete_followup(&self, id: i64, by: &UserId) -> anyhow::Result<()> {
        let now = self.clock.now();
        let Some(followup) = self.store.followup(id).await? else { return Ok(()) };
        if !self.store.complete_followup(id, by, now).await? {
            return Ok(());
        }
        let Some(incident) = self.store.incident(followup.incident_id).await? else { return Ok(()) };
        let mut tx = self.store.begin().await?;
        let done = TimelineEntry::FollowupDone { id, text: followup.text.clone() };
        let event = timeline::append(&mut tx, incident.id, now, Some(by), &done).await?;
        if incident.channel.is_some() {
            let text = render::followups::done(&followup, by, self.policy.locale);
            jobs::enqueue(&mut tx, &Step::PostInChannel { incident_id: incident.id, text }, &event.to_string(), now)
                .await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok(())
    }
}
