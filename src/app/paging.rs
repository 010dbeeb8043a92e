//! Paging: the on-call of an incident's services is recorded with it (a responder, invited
//! to its channel) and paged when its severity pages; unanswered pages climb
//! `paging.escalate_to` one level per `ack_within`, then tell the announcements channel. A
//! drill is paged the same way inside Slack, but never through an external pager nor with a
//! word to the announcements channel.
//!
//! Every decision is written in the transaction of what caused it (the declaration, the
//! raise, the tick that claimed a level, the Acknowledge), together with its timeline entry
//! and the outbox jobs that carry it out, so a crash loses no page and repeats none.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::App;
use super::jobs::{self, Step};
use super::reply::{self, Reply};
use crate::catalog::{Key, text};
use crate::domain::ids::UserId;
use crate::domain::incident::{Incident, IncidentId, ServiceName};
use crate::domain::paging::{self, ExternalAction, Page, PageReason, Pager};
use crate::render;
use crate::store::incidents;
use crate::store::oncall;
use crate::store::paging::{self as pages, NewPage};
use crate::store::timeline::{self, TimelineEntry};

/// What became of an Acknowledge click.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acknowledged {
    /// Recorded now.
    Done,
    /// The page was acknowledged before (a second click, or a retry).
    Already,
    /// The page is someone else's.
    NotYours,
    /// There is no such page.
    Gone,
}

impl App {
    /// Inside the transaction of a declaration, a raise or a service being added: records who
    /// is on call now for `services` as the incident's responders, and pages them when the
    /// incident is open at a paging severity (each person once per incident; the first page
    /// starts the climb and triggers the external alerts).
    pub(super) async fn record_oncall(
        &self,
        tx: &mut AnyConnection,
        incident: &Incident,
        services: &[ServiceName],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut overrides = BTreeMap::new();
        for schedule in paging::schedules_of(&self.policy, services) {
            let found = oncall::overrides(tx, &schedule, now).await?;
            overrides.insert(schedule, found);
        }
        if overrides.is_empty() {
            return Ok(());
        }
        let on_call = paging::on_call_for(&self.policy, &overrides, services, now);
        for person in &on_call {
            pages::add_incident_oncall(tx, incident.id, person).await?;
        }
        // A resolved incident may still be raised or given a service: nobody is woken for it.
        if on_call.is_empty() || !incident.status.is_open() || !self.policy.pages(&incident.severity) {
            return Ok(());
        }
        for person in &on_call {
            let new = NewPage {
                incident_id: incident.id,
                user: &person.user,
                reason: PageReason::OnCall,
                level: 0,
                paged_by: None,
                dedupe: format!("on_call:{}", person.user),
            };
            self.page(tx, incident, &new, now).await?;
        }
        // A drill's climb never involves the external pagers: not triggered now, so neither
        // acknowledged nor resolved later.
        let external = !paging::Pager::for_incident(&self.policy, incident).is_empty();
        let next = paging::next_after(&self.policy, now, 0);
        if pages::start_climb(tx, incident.id, now, next, external).await? && external {
            self.enqueue_external(tx, incident.id, ExternalAction::Trigger, now).await?;
        }
        Ok(())
    }

    /// Records one page (unless its dedupe was used), its timeline entry, the job that sends
    /// it and, once the incident channel exists, the line there.
    async fn page(
        &self,
        tx: &mut AnyConnection,
        incident: &Incident,
        new: &NewPage<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<i64>> {
        let Some(id) = pages::insert_page(tx, new, now).await? else { return Ok(None) };
        let entry = TimelineEntry::Paged { user: new.user.clone(), reason: new.reason, level: new.level };
        let event = timeline::append(tx, incident.id, now, new.paged_by, &entry).await?;
        jobs::enqueue(tx, &Step::SendPage { incident_id: incident.id, page_id: id }, "", now).await?;
        // The channel hears of every page; the on-call's at declaration is in the summary's
        // place instead (a post queued before the channel exists would come before it).
        if incident.channel.is_some() || new.reason != PageReason::OnCall {
            let page = Page {
                id,
                incident_id: incident.id,
                user: new.user.clone(),
                reason: new.reason,
                level: new.level,
                paged_by: new.paged_by.cloned(),
                paged_at: now,
                message: None,
                acknowledged_at: None,
            };
            let text = render::paging::paged_in_channel(incident, &page, &self.policy);
            jobs::enqueue(tx, &Step::PostInChannel { incident_id: incident.id, text }, &event.to_string(), now).await?;
        }
        Ok(Some(id))
    }

    /// Queues the external alerts' `action` for the incident, one job per pager turned on.
    async fn enqueue_external(
        &self,
        tx: &mut AnyConnection,
        incident_id: IncidentId,
        action: ExternalAction,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        for pager in Pager::enabled(&self.policy) {
            let step = Step::PagerEvent { incident_id, pager, action };
            jobs::enqueue(tx, &step, action.as_str(), now).await?;
        }
        Ok(())
    }

    /// Inside a resolution's transaction: the climb stops, and the external alerts resolve.
    pub(super) async fn stop_paging(
        &self,
        tx: &mut AnyConnection,
        incident_id: IncidentId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if let Some(climb) = pages::stop_climb(tx, incident_id).await?
            && climb.external
        {
            self.enqueue_external(tx, incident_id, ExternalAction::Resolve, now).await?;
        }
        Ok(())
    }

    /// Sends every level of every climb that is due: claims it by compare-and-set on its
    /// stored instant, and records the page (or the announcement) in the same transaction.
    /// One climb failing (its database row, its incident) does not hold back the others.
    pub(super) async fn tick_paging(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        for climb in self.store.due_climbs(now).await? {
            if let Err(error) = self.climb_due(&climb, now).await {
                let id = climb.incident_id.get();
                tracing::warn!(error = format!("{error:#}"), incident.id = id, "a page level failed; trying again");
            }
        }
        Ok(())
    }

    /// Claims the climb's level that is due and records what it does, in one transaction.
    async fn climb_due(&self, climb: &pages::Climb, now: DateTime<Utc>) -> anyhow::Result<()> {
        let Some(due) = climb.next_due_at else { return Ok(()) };
        let level = climb.next_level;
        let next = paging::next_after(&self.policy, climb.paged_at, level);
        let mut tx = self.store.begin().await?;
        if !pages::claim_level(&mut tx, climb.incident_id, level, due, next).await? {
            tx.rollback().await?;
            return Ok(());
        }
        let Some(incident) = incidents::find(&mut tx, climb.incident_id).await? else {
            tx.rollback().await?;
            return Ok(());
        };
        // A resolution stops the climb in its own transaction; this is only the guard for an
        // incident resolved by a version that did not.
        if incident.status.is_open() {
            self.climb(&mut tx, &incident, level, now).await?;
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok(())
    }

    /// Level `level` of the incident's climb: page its person, or tell the announcements.
    async fn climb(
        &self,
        tx: &mut AnyConnection,
        incident: &Incident,
        level: u32,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        match paging::step_at(&self.policy, level) {
            Some(paging::Step::Page { level, user }) => {
                let new = NewPage {
                    incident_id: incident.id,
                    user: &user,
                    reason: PageReason::Escalation,
                    level,
                    paged_by: None,
                    dedupe: format!("level:{level}"),
                };
                self.page(tx, incident, &new, now).await?;
                self.metrics.count("firebell_reminders_total", &[("kind", "page_escalation")]);
            }
            Some(paging::Step::Exhausted { levels }) => {
                let event =
                    timeline::append(tx, incident.id, now, None, &TimelineEntry::PagesUnanswered { levels }).await?;
                let scope = event.to_string();
                // A drill's unanswered pages stay in its channel: practice is not announced.
                if !incident.drill
                    && let Some(channel) = &self.policy.channels.announcements
                {
                    // A private incident is told without its title or channel.
                    let text = render::paging::unanswered(incident, levels, &self.policy);
                    jobs::enqueue(tx, &Step::Announce { channel: channel.to_string(), text }, &scope, now).await?;
                }
                let text = render::paging::unanswered_in_channel(levels, &self.policy);
                jobs::enqueue(tx, &Step::PostInChannel { incident_id: incident.id, text }, &scope, now).await?;
                self.metrics.count("firebell_reminders_total", &[("kind", "pages_unanswered")]);
            }
            // The policy changed since the climb started: there is no such level now.
            None => {}
        }
        Ok(())
    }

    /// The Acknowledge button of page `page_id`, clicked by `user`: the page, the incident's
    /// acknowledgement (MTTA), the stop of the climb, the timeline entry, the invitation, the
    /// edited message and the external alerts' acknowledgement — in one transaction.
    pub async fn acknowledge_page(&self, page_id: i64, user: &UserId) -> anyhow::Result<Acknowledged> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let Some(page) = pages::page(&mut tx, page_id).await? else {
            tx.rollback().await?;
            return Ok(Acknowledged::Gone);
        };
        if page.user != *user {
            tx.rollback().await?;
            return Ok(Acknowledged::NotYours);
        }
        if !pages::acknowledge_page(&mut tx, page_id, now).await? {
            tx.rollback().await?;
            return Ok(Acknowledged::Already);
        }
        let id = page.incident_id;
        let event =
            timeline::append(&mut tx, id, now, Some(user), &TimelineEntry::PageAcknowledged { user: user.clone() })
                .await?;
        let scope = event.to_string();
        jobs::enqueue(&mut tx, &Step::EditPage { incident_id: id, page_id }, &scope, now).await?;
        let open = incidents::find(&mut tx, id).await?.is_some_and(|incident| incident.status.is_open());
        if !open {
            // Answered after the resolution: the page shows it, but it is not the incident's
            // acknowledgement, and the external alerts are resolved already.
            tx.commit().await?;
            self.wake_outbox();
            return Ok(Acknowledged::Done);
        }
        pages::acknowledge_incident(&mut tx, id, now).await?;
        if let Some(climb) = pages::acknowledge_climb(&mut tx, id, user, now).await?
            && climb.external
        {
            self.enqueue_external(&mut tx, id, ExternalAction::Acknowledge, now).await?;
        }
        jobs::enqueue(&mut tx, &Step::InviteResponders { incident_id: id }, &scope, now).await?;
        let text = render::paging::acknowledged_in_channel(user, &self.policy);
        jobs::enqueue(&mut tx, &Step::PostInChannel { incident_id: id, text }, &scope, now).await?;
        tx.commit().await?;
        self.wake_outbox();
        self.metrics.count("firebell_pages_acknowledged_total", &[]);
        tracing::info!(page.id = page_id, incident.id = id.get(), "page acknowledged");
        Ok(Acknowledged::Done)
    }

    /// `page @user` in an incident channel: pages them now (no climb, no external alert).
    pub(super) async fn page_command(&self, incident: &Incident, user: &UserId, by: &UserId) -> anyhow::Result<Reply> {
        if !incident.status.is_open() {
            return Ok(reply::simple(&self.policy, Key::PageNotOpen, &[("number", &incident.number.to_string())]));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        // Each `page @user` is a page of its own: paging someone twice is asking twice.
        let dedupe = format!("manual:{user}:{}", now.timestamp_micros());
        let new = NewPage {
            incident_id: incident.id,
            user,
            reason: PageReason::Manual,
            level: 0,
            paged_by: Some(by),
            dedupe,
        };
        self.page(&mut tx, incident, &new, now).await?;
        tx.commit().await?;
        self.wake_outbox();
        Ok(Reply::ephemeral(text(self.policy.locale, Key::PageSent).fill_trusted(&[("user", &format!("<@{user}>"))])))
    }
}
