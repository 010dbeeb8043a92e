//! Reminders, nudges and the digest: a tick finds what is due from stored instants, claims
//! each by compare-and-set, and enqueues its post in the same transaction. A restart loses
//! nothing, a second replica doubles nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::App;
use super::jobs::{self, Step};
use crate::domain::audience::{Reason, audience_of};
use crate::domain::ids::{ChannelId, UserId};
use crate::domain::incident::{Incident, IncidentId};
use crate::domain::policy::Policy;
use crate::domain::reminders::{self, DigestDue, plus};
use crate::store::incidents;
use crate::store::reminders::{self as claims, Nudge};
use crate::store::timeline::{self, TimelineEntry};

/// Where a silence is escalated: the widest audience of an incident (the announcements
/// channel for a broad one, the affected teams' channels for a narrow one), nobody for a
/// private one, and a drill's own channel.
fn escalation_channels(policy: &Policy, incident: &Incident) -> Vec<ChannelId> {
    // A drill tells nobody outside its channel, but its escalation is part of the practice:
    // it is said in the drill's own channel.
    if incident.drill {
        return incident.channel.iter().cloned().collect();
    }
    let everyone = audience_of(policy, incident);
    let broad = everyone.iter().any(|r| r.reason == Reason::Announcements);
    everyone.into_iter().filter(|r| (r.reason == Reason::Announcements) == broad).map(|r| r.channel).collect()
}

/// The digest's name in the schedules table.
const DIGEST: &str = "digest";
/// A digest missed while firebell was down is still sent when it was due this recently.
const DIGEST_GRACE: Duration = Duration::from_secs(3600);

impl App {
    /// Sends everything due by now. Called by the reminder worker about every 250 ms.
    pub async fn tick_reminders(&self) -> anyhow::Result<()> {
        let now = self.clock.now();
        // Pages first, and whatever happens to the reminders after: a page is the most urgent.
        let paged = self.tick_paging(now).await;
        for incident in self.store.due_incidents(now).await? {
            if let Some(due) = incident.timers.reminder_due_at.filter(|due| *due <= now) {
                self.send_reminder(&incident, due, now).await?;
            }
            if let Some(due) = incident.timers.lead_nudge_due_at.filter(|due| *due <= now) {
                let wanted = incident.lead.is_none() && incident.status.is_open();
                self.send_nudge(
                    &incident,
                    Nudge::Lead,
                    due,
                    wanted.then_some(Step::LeadNudge { incident_id: incident.id }),
                )
                .await?;
            }
            if let Some(due) = incident.timers.retro_nudge_due_at.filter(|due| *due <= now) {
                self.send_nudge(&incident, Nudge::Retro, due, Some(Step::RetroNudge { incident_id: incident.id }))
                    .await?;
            }
        }
        self.tick_digest(now).await?;
        self.tick_report_deadlines(now).await?;
        paged
    }

    async fn send_reminder(&self, incident: &Incident, due: DateTime<Utc>, now: DateTime<Utc>) -> anyhow::Result<()> {
        let every = reminders::update_every(&self.policy, &incident.severity);
        let fired = reminders::fire_reminder(&incident.timers, every, self.policy.reminders.escalate_after, now);
        let scope = due.timestamp_millis().to_string();
        let mut tx = self.store.begin().await?;
        if !claims::claim_reminder(&mut tx, incident.id, due, &fired.timers).await? {
            tx.rollback().await?;
            return Ok(());
        }
        jobs::enqueue(&mut tx, &Step::PostReminder { incident_id: incident.id, number: fired.number }, &scope, now)
            .await?;
        if fired.escalate {
            for channel in escalation_channels(&self.policy, incident) {
                let step = Step::Escalate { incident_id: incident.id, channel: channel.to_string() };
                jobs::enqueue(&mut tx, &step, &format!("{scope}:{channel}"), now).await?;
            }
        }
        tx.commit().await?;
        self.metrics.count("firebell_reminders_total", &[("kind", "update")]);
        if fired.escalate {
            self.metrics.count("firebell_reminders_total", &[("kind", "escalation")]);
        }
        self.wake_outbox();
        Ok(())
    }

    async fn send_nudge(
        &self,
        incident: &Incident,
        nudge: Nudge,
        due: DateTime<Utc>,
        step: Option<Step>,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !claims::claim_nudge(&mut tx, incident.id, nudge, due).await? {
            tx.rollback().await?;
            return Ok(());
        }
        if let Some(step) = &step {
            jobs::enqueue(&mut tx, step, &due.timestamp_millis().to_string(), now).await?;
            let kind = match nudge {
                Nudge::Lead => "lead_nudge",
                Nudge::Retro => "retro_nudge",
            };
            self.metrics.count("firebell_reminders_total", &[("kind", kind)]);
        }
        tx.commit().await?;
        self.wake_outbox();
        Ok(())
    }

    /// The digest: the latest scheduled instant not yet sent, if it is recent enough.
    async fn tick_digest(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let Some(schedule) = &self.policy.reminders.digest else {
            return Ok(());
        };
        let last = self.store.schedule_last_fired(DIGEST).await?;
        let due = match reminders::digest_due(schedule, self.policy.timezone, last, DIGEST_GRACE, now) {
            DigestDue::Nothing => return Ok(()),
            DigestDue::Start(at) => {
                let mut tx = self.store.begin().await?;
                claims::claim_schedule(&mut tx, DIGEST, None, at).await?;
                tx.commit().await?;
                return Ok(());
            }
            DigestDue::Send(due) => due,
        };
        let mut tx = self.store.begin().await?;
        if !claims::claim_schedule(&mut tx, DIGEST, last, due).await? {
            tx.rollback().await?;
            return Ok(());
        }
        jobs::enqueue(&mut tx, &Step::Digest { at: due.timestamp_millis() }, &due.timestamp_millis().to_string(), now)
            .await?;
        tx.commit().await?;
        self.wake_outbox();
        Ok(())
    }

    /// Snoozes an incident's reminders by `delay` (a button or the overflow) in a
    /// transaction of its own; `false` when there was nothing to snooze.
    pub async fn snooze(&self, incident_id: IncidentId, delay: Duration, by: &UserId) -> anyhow::Result<bool> {
        let mut tx = self.store.begin().await?;
        let snoozed = self.snooze_in(&mut tx, incident_id, delay, by, None).await?;
        tx.commit().await?;
        Ok(snoozed)
    }

    /// Snoozes an incident's reminders by `delay` inside the caller's transaction (👀 on the
    /// reminder at `reminder_ts` records its delivery in the same one, and snoozes each
    /// reminder once); `false` when the incident is not open, or that reminder is not the
    /// latest or was snoozed already.
    pub(super) async fn snooze_in(
        &self,
        tx: &mut AnyConnection,
        incident_id: IncidentId,
        delay: Duration,
        by: &UserId,
        reminder_ts: Option<&str>,
    ) -> anyhow::Result<bool> {
        // Compare-and-set on the incident's version: on PostgreSQL a concurrent change can
        // still land between the read and the write; each try reads the latest commit.
        for _ in 0..5 {
            let Some(incident) = incidents::find(tx, incident_id).await? else {
                return Ok(false);
            };
            if !incident.status.is_open() {
                return Ok(false);
            }
            if let Some(ts) = reminder_ts
                && (incident.last_reminder_ts.as_deref() != Some(ts)
                    || claims::reminder_snoozed(tx, incident_id, ts).await?)
            {
                return Ok(false);
            }
            let now = self.clock.now();
            let next = reminders::snooze(&incident.timers, delay, now);
            if !claims::snooze(tx, &incident, &next, reminder_ts).await? {
                continue;
            }
            let snoozed = TimelineEntry::ReminderSnoozed { until: plus(now, delay), seconds: delay.as_secs() };
            timeline::append(tx, incident_id, now, Some(by), &snoozed).await?;
            return Ok(true);
        }
        Ok(false)
    }
}
